//! BRN401 findings for pickle artifacts. The artifacts are scanned by `brine_pickle` in the workspace
//! layer (reading files is I/O); this module turns what the scan found into a finding, so the message
//! and severity rules live with the other rules.

use brine_syntax::TextRange;

use crate::rules::{rule, Finding, Severity};

/// An import of a pickle stream outside the allowlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactImport {
    /// `module.name`, `?.?` when a `STACK_GLOBAL` could not be resolved statically.
    pub name: String,
    /// Byte offset of the opcode in its stream (see `member`).
    pub offset: u64,
    /// The zip member or stream the offset is in (`archive/data.pkl`, `pickle #2`), if not the file.
    pub member: Option<String>,
    /// Known to be dangerous (`os.system`), rather than merely unknown.
    pub dangerous: bool,
}

/// Imports named in a message before the rest are counted.
const LISTED_IMPORTS: usize = 6;

/// The BRN401 finding for an artifact, or `None` when every import is allowed and the scan was complete.
pub fn artifact_finding(imports: Vec<ArtifactImport>, problems: &[String]) -> Option<Finding> {
    if imports.is_empty() && problems.is_empty() {
        return None;
    }
    let dangerous = imports.iter().any(|import| import.dangerous);
    let listed: Vec<String> = imports
        .iter()
        .filter(|import| import.dangerous)
        .chain(imports.iter().filter(|import| !import.dangerous))
        .take(LISTED_IMPORTS)
        .map(describe_import)
        .collect();
    let mut message = if imports.is_empty() {
        "pickle file could not be fully verified".to_owned()
    } else {
        let kind = if dangerous { "dangerous" } else { "unknown" };
        let more = imports.len().saturating_sub(LISTED_IMPORTS);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            "pickle file imports {kind} callables that run when it is loaded: {}{more}",
            listed.join(", ")
        )
    };
    if let Some(problem) = problems.first() {
        message.push_str(&format!(" ({problem})"));
    }
    Some(Finding {
        rule: rule("BRN401").expect("BRN401 is registered"),
        severity: if dangerous {
            Severity::Error
        } else {
            Severity::Warning
        },
        range: TextRange::empty(0),
        message,
        fixes: Vec::new(),
        flow: None,
        pin: None,
        artifact_imports: imports,
    })
}

/// What a taint path says about a flagged artifact.
pub fn artifact_description(path: &str, imports: &[ArtifactImport]) -> String {
    match imports
        .iter()
        .find(|import| import.dangerous)
        .or(imports.first())
    {
        Some(import) => format!("pickle file `{path}` that imports `{}`", import.name),
        None => format!("pickle file `{path}` that could not be verified"),
    }
}

fn describe_import(import: &ArtifactImport) -> String {
    match &import.member {
        Some(member) => format!("`{}` ({member}, byte {})", import.name, import.offset),
        None => format!("`{}` (byte {})", import.name, import.offset),
    }
}
