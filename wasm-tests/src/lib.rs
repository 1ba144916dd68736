//! Test-only crate: the suites live in `tests/`.
//!
//! - `tests/core_node.rs`: analyzer-core compiled to wasm, run under Node.
//! - `tests/ui_browser.rs` (feature `browser`): web-ui components rendered in
//!   headless Chromium.
