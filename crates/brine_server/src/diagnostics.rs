//! Findings as LSP diagnostics. Each diagnostic's `data` carries everything its code actions need
//! (the rule code, every fix's edits in LSP positions, the lines a suppression comment may go on),
//! so answering a code action request never re-runs the analysis.

use brine_analysis::fix::Applicability;
use brine_analysis::{FileId, Finding, Severity};
use brine_config::ConfigError;
use brine_facts::FileFacts;
use brine_syntax::TextRange;
use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, Range, TextEdit,
};

use crate::convert::{LineMap, PositionEncoding};
use crate::view::View;

/// The `source` of every brine diagnostic.
pub const SOURCE: &str = "brine";

/// What a diagnostic's code actions need, stored in `Diagnostic.data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticData {
    pub code: String,
    pub fixes: Vec<FixData>,
    /// Zero-based lines where `# brine: ignore[CODE]` silences the finding, most natural first: the
    /// finding's own line, then the first line of its statement.
    pub suppress_lines: Vec<u32>,
}

/// One fix with its edits converted to the session's position encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixData {
    pub title: String,
    /// `safe`, `unsafe` or `display-only`.
    pub applicability: String,
    pub edits: Vec<TextEdit>,
}

impl FixData {
    pub fn is_safe(&self) -> bool {
        self.applicability == Applicability::Safe.as_str()
    }
}

impl DiagnosticData {
    /// The data of a brine diagnostic, if it is one and its data is intact.
    pub fn of(diagnostic: &Diagnostic) -> Option<DiagnosticData> {
        if diagnostic.source.as_deref() != Some(SOURCE) {
            return None;
        }
        serde_json::from_value(diagnostic.data.clone()?).ok()
    }
}

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// Converts one finding of a file whose facts and view are given; returns the diagnostic with the
/// target (index into `view.targets`) it belongs to. `locate` turns a range in any workspace file
/// into a location, for the steps of a taint flow (`relatedInformation`: the source first, the sink
/// last). Fixes whose edits leave the diagnostic's document are left out, and so are all edits when
/// the document is not edited as text (a notebook's JSON).
pub fn to_diagnostic(
    finding: &Finding,
    facts: &FileFacts,
    view: &View,
    encoding: PositionEncoding,
    locate: &dyn Fn(FileId, TextRange) -> Option<Location>,
) -> Option<(usize, Diagnostic)> {
    let (target, range) = view.range(finding.range, encoding)?;
    let editable = view.editable();
    let fixes = finding
        .fixes
        .iter()
        .filter(|_| editable)
        .filter_map(|fix| {
            let edits = fix
                .edits
                .iter()
                .map(|edit| {
                    let (edit_target, range) = view.range(edit.range, encoding)?;
                    (edit_target == target).then(|| TextEdit {
                        range,
                        new_text: edit.new_text.clone(),
                    })
                })
                .collect::<Option<Vec<TextEdit>>>()?;
            Some(FixData {
                title: fix.title.clone(),
                applicability: fix.applicability.as_str().to_owned(),
                edits,
            })
        })
        .collect();
    let mut suppress_lines = Vec::new();
    if let Some((line_target, line)) = view.line(finding.range.start) {
        if line_target == target {
            suppress_lines.push(line);
            let statement_line = facts
                .calls
                .iter()
                .filter(|call| call.range.contains_range(finding.range))
                .filter_map(|call| view.line(call.statement_start))
                .filter(|(statement_target, _)| *statement_target == target)
                .map(|(_, line)| line)
                .min();
            if let Some(statement_line) = statement_line.filter(|&l| l != line) {
                suppress_lines.push(statement_line);
            }
        }
    }
    let data = DiagnosticData {
        code: finding.code().to_owned(),
        fixes,
        suppress_lines,
    };
    let diagnostic = Diagnostic {
        range,
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(finding.code().to_owned())),
        code_description: None,
        source: Some(SOURCE.to_owned()),
        message: finding.message.clone(),
        related_information: finding.flow.as_ref().map(|flow| {
            flow.steps
                .iter()
                .filter_map(|step| {
                    Some(DiagnosticRelatedInformation {
                        location: locate(step.file, step.range)?,
                        message: step.message.clone(),
                    })
                })
                .collect()
        }),
        tags: None,
        data: serde_json::to_value(data).ok(),
    };
    Some((target, diagnostic))
}

/// A configuration error as a diagnostic on the configuration file: on the line of the key it names
/// when that key can be found in the text, else on the first line.
pub fn config_error_diagnostic(
    error: &ConfigError,
    text: &str,
    encoding: PositionEncoding,
) -> Diagnostic {
    let lines = LineMap::new(text);
    let range = key_range(&error.key, text)
        .map(|range| lines.range(range, encoding))
        .unwrap_or_else(|| Range::new(Position::new(0, 0), Position::new(0, 0)));
    Diagnostic {
        range,
        severity: Some(DiagnosticSeverity::ERROR),
        code: None,
        code_description: None,
        source: Some(SOURCE.to_owned()),
        message: format!(
            "invalid brine configuration: {error}; files it governs are checked with default settings"
        ),
        related_information: None,
        tags: None,
        data: None,
    }
}

/// The one diagnostic of a notebook on disk that cannot be read (`malformed notebook: invalid JSON:
/// ...`, as `brine check` says it), at the start of the file.
pub fn file_error_diagnostic(message: &str) -> Diagnostic {
    Diagnostic {
        range: Range::new(Position::new(0, 0), Position::new(0, 0)),
        severity: Some(DiagnosticSeverity::WARNING),
        code: None,
        code_description: None,
        source: Some(SOURCE.to_owned()),
        message: format!("{message}; brine cannot check this notebook"),
        related_information: None,
        tags: None,
        data: None,
    }
}

/// The range of the last component of a dotted key (`tool.brine.select` -> `select`) where it starts
/// a line, as TOML keys do.
fn key_range(key: &str, text: &str) -> Option<TextRange> {
    let last = key.rsplit('.').next()?.trim_matches('"');
    if last.is_empty() {
        return None;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let bare = trimmed.trim_start_matches('"');
        let quote = trimmed.len() - bare.len();
        if let Some(rest) = bare.strip_prefix(last) {
            if rest.trim_start().starts_with(['=', '"']) {
                let start = (offset + indent + quote) as u32;
                return Some(TextRange::new(start, start + last.len() as u32));
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use brine_analysis::{check_file, CheckOptions, Workspace};

    #[test]
    fn a_finding_becomes_a_diagnostic_with_its_fixes_in_data() {
        let text = "import torch\nx = \"é\"; m = torch.load(\n    p)\n";
        let facts = brine_facts::lower_text(text);
        let workspace = Workspace::single("a.py", brine_facts::lower_text(text));
        let findings = check_file(
            &workspace,
            workspace.file_id("a.py").unwrap(),
            &CheckOptions::default(),
        );
        let finding = findings.iter().find(|f| f.code() == "BRN102").unwrap();
        let view = View::File {
            uri: Some("file:///w/a.py".parse().unwrap()),
            lines: std::sync::Arc::new(LineMap::new(text)),
        };
        let (target, diagnostic) =
            to_diagnostic(finding, &facts, &view, PositionEncoding::Utf16, &|_, _| {
                None
            })
            .unwrap();
        assert_eq!(target, 0);
        assert_eq!(
            diagnostic.code,
            Some(NumberOrString::String("BRN102".into()))
        );
        assert_eq!(diagnostic.source.as_deref(), Some("brine"));
        assert_eq!(diagnostic.severity, Some(DiagnosticSeverity::WARNING));
        assert_eq!(diagnostic.range.start, Position::new(1, 13));
        let data = DiagnosticData::of(&diagnostic).unwrap();
        assert_eq!(data.code, "BRN102");
        assert_eq!(data.suppress_lines, vec![1]);
        let add = data
            .fixes
            .iter()
            .find(|fix| fix.title == "Add `weights_only=True`")
            .unwrap();
        assert_eq!(add.applicability, "unsafe");
        assert_eq!(add.edits[0].new_text, ", weights_only=True");
        assert_eq!(add.edits[0].range.start, Position::new(2, 5));
    }

    #[test]
    fn config_errors_point_at_their_key() {
        let text = "[tool.brine]\nselect = 3\n";
        let error = ConfigError {
            key: "tool.brine.select".into(),
            message: "expected a list".into(),
        };
        let diagnostic = config_error_diagnostic(&error, text, PositionEncoding::Utf8);
        assert_eq!(
            diagnostic.range,
            Range::new(Position::new(1, 0), Position::new(1, 6))
        );
        assert!(diagnostic.message.contains("select"));
        let syntax = ConfigError {
            key: String::new(),
            message: "bad".into(),
        };
        assert_eq!(
            config_error_diagnostic(&syntax, text, PositionEncoding::Utf8)
                .range
                .start,
            Position::new(0, 0)
        );
    }
}
