//! TODO(parser): nginx access.log lines.

use crate::facts::Facts;

/// Parse one unwrapped line; false when it is not an access-log line.
pub fn parse_line(_line_no: u64, _text: &str, _facts: &mut Facts) -> bool {
    false
}
