//! The command-line surface: definitions, the reference-compatible parser and help texts.

pub mod def;
pub mod global;
pub mod help;
pub mod parse;

pub use def::{Command, Flag, Kind};
pub use parse::{Matches, ParseError};
