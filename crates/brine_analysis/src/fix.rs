//! Fixes: text edits attached to findings, built from facts alone (no tree, no text needed).

use brine_facts::{Call, FileFacts};
use brine_syntax::TextRange;

/// Whether `brine check --fix` may apply a fix on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    /// Keeps behaviour for valid inputs: applied by `--fix`.
    Safe,
    /// May change behaviour (refuse a checkpoint, drop a custom model): applied by `--fix --unsafe-fixes`.
    Unsafe,
    /// A suggestion that needs more than an edit (new dependency, new file format): shown only.
    DisplayOnly,
}

/// A replacement of the bytes in `range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub new_text: String,
}

/// A named set of edits that resolves a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

impl Fix {
    pub fn new(title: impl Into<String>, applicability: Applicability, edits: Vec<Edit>) -> Self {
        Fix {
            title: title.into(),
            applicability,
            edits,
        }
    }
}

/// Inserts `keyword=value` as the last argument: after the last argument (before any trailing comma,
/// so the call stays valid) or inside empty parentheses. In a call laid out one argument per line, the
/// new argument gets its own line with the same indentation.
pub fn add_keyword(facts: &FileFacts, call: &Call, text: &str) -> Edit {
    let args = facts.args(call);
    let Some(last) = args.last() else {
        return Edit {
            range: TextRange::empty(call.args_range.start + 1),
            new_text: text.to_owned(),
        };
    };
    let lines = &facts.line_index;
    let last_line = lines.line_of(last.range.start);
    let one_per_line = last_line != lines.line_of(call.args_range.start)
        && lines.line_of(call.args_range.end) != last_line;
    let new_text = if one_per_line {
        let indent = (last.range.start - lines.line_start(last_line)) as usize;
        format!(",\n{}{text}", " ".repeat(indent))
    } else {
        format!(", {text}")
    };
    Edit {
        range: TextRange::empty(last.range.end),
        new_text,
    }
}

/// Replaces the expression at `range` by `text`.
pub fn replace(range: TextRange, text: &str) -> Edit {
    Edit {
        range,
        new_text: text.to_owned(),
    }
}

/// Removes the argument at `range` together with the comma that separates it from its neighbour.
pub fn remove_argument(facts: &FileFacts, call: &Call, range: TextRange) -> Edit {
    let args = facts.args(call);
    let index = args.iter().position(|arg| arg.range == range);
    let Some(index) = index else {
        return replace(range, "");
    };
    let removed = if let Some(next) = args.get(index + 1) {
        TextRange::new(range.start, next.range.start)
    } else if let Some(previous) = index.checked_sub(1).map(|i| &args[i]) {
        TextRange::new(previous.range.end, range.end)
    } else if call.trailing_comma {
        // The only argument, followed by a comma: remove up to the closing parenthesis.
        TextRange::new(
            range.start,
            call.args_range.end.saturating_sub(1).max(range.end),
        )
    } else {
        range
    };
    replace(removed, "")
}

/// The range of the last name of an attribute callee (`load` in `yaml.load`).
pub fn attribute_name_range(facts: &FileFacts, call: &Call, attr: &str) -> TextRange {
    let callee = facts.expr_range(call.callee);
    TextRange::new(callee.end - attr.len() as u32, callee.end)
}

/// `torch.load(p, ...)` -> `safetensors.torch.load_file(p)`, plus `import safetensors.torch` before the
/// file's first import (or at its start). Empty when the call has no path argument to keep.
pub fn switch_to_safetensors(facts: &FileFacts, call: &Call) -> Vec<Edit> {
    let args = facts.args(call);
    let Some(path) = args
        .first()
        .filter(|arg| arg.kind == brine_facts::ArgKind::Positional)
    else {
        return Vec::new();
    };
    let mut edits = vec![replace(
        facts.expr_range(call.callee),
        "safetensors.torch.load_file",
    )];
    if let Some(last) = args.last().filter(|last| last.range != path.range) {
        edits.push(replace(TextRange::new(path.range.end, last.range.end), ""));
    }
    let first_import = facts
        .scope_names(FileFacts::MODULE_SCOPE)
        .values()
        .flatten()
        .map(|&binding| facts.binding(binding))
        .filter(|binding| matches!(binding.kind, brine_facts::BindingKind::Import(_)))
        .map(|binding| {
            facts
                .line_index
                .line_start(facts.line_index.line_of(binding.range.start))
        })
        .min()
        .unwrap_or(0);
    edits.push(Edit {
        range: TextRange::empty(first_import),
        new_text: "import safetensors.torch\n".to_owned(),
    });
    edits
}

/// A "pin `revision`" fix waiting for its sha: the analysis knows where to write it, the workspace
/// layer reads the sha from the local Hugging Face cache (the analysis never does I/O).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinRequest {
    /// `model` or `dataset`.
    pub repo_type: &'static str,
    pub repo_id: String,
    /// The branch or tag whose commit to pin (`main` when no revision was given).
    pub reference: String,
    /// The edit, with `{sha}` where the commit goes.
    pub edit: Edit,
}

impl PinRequest {
    /// The safe fix once the commit is known.
    pub fn fix(&self, sha: &str) -> Fix {
        Fix::new(
            format!("Pin `revision=\"{sha}\"` (the commit `{}` points to in the local Hugging Face cache)", self.reference),
            Applicability::Safe,
            vec![Edit {
                range: self.edit.range,
                new_text: self.edit.new_text.replace("{sha}", sha),
            }],
        )
    }
}
