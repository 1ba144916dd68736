//! TODO(parser): recognised and parsed in its own change.

use super::BlockLine;
use crate::facts::Facts;

pub fn starts(_line: &str) -> bool {
    false
}

pub fn continues(_line: &str) -> bool {
    false
}

pub fn parse(_lines: &[BlockLine], _facts: &mut Facts) {}

pub fn compose_starts(_line: &str) -> bool {
    false
}

pub fn compose_continues(_line: &str) -> bool {
    false
}

pub fn parse_compose(_lines: &[BlockLine], _facts: &mut Facts) {}
