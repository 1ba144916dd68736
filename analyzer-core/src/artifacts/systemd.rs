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
