//! brine's analysis: resolution of names and values over a workspace of per-file facts, and the rules.
//!
//! Invariants: synchronous and deterministic; never does I/O; never fails on broken code (facts of
//! a half-typed file are analysed like any other).

pub mod artifact;
mod cache;
pub mod demand;
pub mod fix;
mod resolve;
pub mod rules;
pub mod taint;
mod value;
mod workspace;

pub use resolve::{lookup_scope, ArgValue, Cancelled, Resolver};
pub use rules::{
    check_file, check_file_calls, check_file_until, rule, CheckOptions, Finding, Rule, Severity,
    RULES,
};
pub use value::{Value, ValueSet};
pub use workspace::{FactsChange, FileId, Workspace, WorkspaceFile};
