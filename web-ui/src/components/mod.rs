//! Yew function components. Only this module (and `dom`, `bridge`) knows the DOM.

pub mod app;
pub mod chips;
pub mod collector;
pub mod export;
pub mod glossary;
pub mod knowledge;
pub mod results;
pub mod share;
pub mod shared_view;
pub mod timeline;
pub mod widgets;

pub use app::App;
pub use results::Results;
