//! TODO(parser): the nginx configuration tokenizer and block parser.

use super::{BlockLine, BlockState, ParseWarning};
use crate::facts::NginxUser;

#[derive(Clone, Debug, Default)]
pub struct NginxConfig {
    pub warnings: Vec<ParseWarning>,
}

impl NginxConfig {
    pub fn parse(_lines: &[BlockLine]) -> NginxConfig {
        NginxConfig::default()
    }
    pub fn merge(&mut self, other: NginxConfig) {
        self.warnings.extend(other.warnings);
    }
    pub fn user(&self) -> Option<NginxUser> {
        None
    }
}

pub fn starts(_line: &str) -> bool {
    false
}

pub fn continues(_line: &str, _st: &mut BlockState) -> bool {
    false
}
