//! Upstream Doctor's engine.
//!
//! One pipeline, one direction: bytes → lines ([`stream`]) → segments and
//! artifact kinds ([`segment`], [`artifacts`]) → typed facts with line
//! numbers ([`facts`]) → cause rules ([`causes`]) → a ranked [`report`].
//!
//! The crate does no I/O, reads no clock and uses no randomness: the same
//! bytes always give the same report, natively and in WebAssembly.

pub mod artifacts;
pub mod causes;
pub mod collector;
pub mod facts;
#[doc(hidden)]
pub mod fuzzing;
pub mod glossary;
pub mod markdown;
pub mod num;
mod plain;
pub mod redact;
pub mod report;
pub mod segment;
pub mod share;
pub mod stream;
pub mod text;
pub mod time;
mod wrap;

pub use report::Report;
pub use stream::{analyze, Analyzer};

/// The cause families of the report contract (shared/contract.md). They
/// keep their names forever.
pub const CONTRACT_IDS: &[&str] = &[
    "upstream_down",
    "wrong_port",
    "socket_missing",
    "socket_permission",
    "selinux_denied",
    "upstream_timeout",
    "upstream_closed_early",
    "upstream_reset",
    "header_too_big",
    "no_live_upstreams",
    "dns_resolution",
    "upstream_ssl",
    "fpm_pool_exhausted",
    "backend_oom",
    "container_loopback",
    "fd_exhaustion",
    "other",
];

/// Diagnose a text paste.
pub fn analyze_str(input: &str) -> Report {
    analyze(input.as_bytes())
}
