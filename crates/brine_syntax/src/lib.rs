//! The syntax layer: turns Python source text into a tree-sitter tree and back into positions.
//!
//! Invariants:
//! - Parsing never fails: a half-typed file yields a tree with `ERROR`/`MISSING` nodes, and the rest of
//!   the file is still usable.
//! - Offsets everywhere in brine are byte offsets into the UTF-8 text (`TextRange`); line/column
//!   conversion happens only at the edges (CLI output, LSP), through [`LineIndex`].
//! - This crate does no I/O: callers hand it text.

mod fields;
mod kinds;
mod line_index;
mod moves;
mod parse;
mod source;
mod text_range;

pub use fields::{field, Field};
pub use kinds::NodeKind;
pub use line_index::{LineCol, LineIndex};
pub use moves::Move;
pub use parse::{ParsedFile, TextEdit};
pub use source::{decode_source, DecodedSource};
pub use text_range::TextRange;
pub use tree_sitter::{Node, Tree, TreeCursor};
