//! Per-file facts: the compact, tree-free form of a Python file that every analysis in brine reads.
//!
//! A file is parsed by `brine_syntax`, lowered once by [`lower`] into [`FileFacts`], and its tree can
//! then be dropped. Facts hold scopes, bindings, expressions, calls, functions and classes, each with
//! byte ranges into the original text, plus the file's line index and suppression comments.
//!
//! Invariants:
//! - Lowering never fails and never recurses on input depth without a bound: statements are walked
//!   with an explicit stack, expressions deeper than [`MAX_EXPR_DEPTH`] become [`Expr::Unknown`].
//! - Facts say what the code *is*, never what it means: no name is resolved here, no rule is known.
//!   Resolution (imports, constants, library names) lives in `brine_analysis`.

mod declarations;
mod facts;
mod lower;
mod names;
mod positions;
mod range_table;
mod suppression;

pub use declarations::DeclarationsChange;
pub use facts::*;
pub use lower::{lower, lower_moved, lower_reusing, lower_text, StatementChunks, MAX_EXPR_DEPTH};
pub use names::{intern, interned};
pub use range_table::RangeTable;
pub use suppression::{CodeFilter, Suppressions};
