//! TODO(parser): backend and system log lines (PHP-FPM, gunicorn, uWSGI,
//! Node, Python, pm2 logs, kernel, SELinux audit, systemd journal).

use super::Kind;
use crate::facts::Event;
use crate::text::Wrapper;

/// Recognise one unwrapped line. `None`: not a backend/system log line.
/// `Some((kind, None))`: a line of that log that carries no signal.
pub fn parse_line(_line_no: u64, _text: &str, _wrapper: &Wrapper) -> Option<(Kind, Option<Event>)> {
    None
}
