//! Report formats. A [`Report`] turns findings (byte ranges) into positions people and tools read:
//! 1-based lines and 1-based columns counted in Unicode code points.

pub mod json;
pub mod sarif;
pub mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use brine_analysis::fix::Fix;
use brine_analysis::{Finding, Rule, Severity};
use brine_syntax::{LineIndex, TextRange};
use brine_workspace::CheckOutcome;

/// A 1-based line and column (Unicode code points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A range in 1-based positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

/// A fix with its edits in positions.
#[derive(Debug, Clone)]
pub struct ReportedFix {
    pub fix: Fix,
    pub edits: Vec<(Span, String)>,
}

/// One step of a taint path, in positions.
#[derive(Debug, Clone)]
pub struct ReportedStep {
    pub path: String,
    pub span: Span,
    pub message: String,
}

/// One finding ready to print.
#[derive(Debug, Clone)]
pub struct ReportedFinding {
    pub path: String,
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub fixes: Vec<ReportedFix>,
    /// The source line of the finding, for code frames.
    pub line_text: String,
    /// For tainted findings: source first, sink last.
    pub flow: Vec<ReportedStep>,
}

/// All findings of a check, in path and position order.
pub struct Report {
    pub findings: Vec<ReportedFinding>,
    pub files_checked: usize,
}

impl Report {
    pub fn new(outcome: &CheckOutcome) -> Self {
        let mut findings = Vec::new();
        // Only files with findings or on a taint path are read again, for columns and code frames.
        let mut texts: HashMap<PathBuf, String> = HashMap::new();
        let mut text_of = |path: &Path| -> String {
            texts
                .entry(path.to_path_buf())
                .or_insert_with(|| {
                    std::fs::read(path)
                        .map(|bytes| brine_syntax::decode_source(&bytes).text)
                        .unwrap_or_default()
                })
                .clone()
        };
        for report in &outcome.reports {
            let text = text_of(&report.path);
            let lines = &report.facts.line_index;
            let path = display_path(&report.path);
            for finding in &report.findings {
                let mut reported = reported(&path, finding, lines, &text);
                if let Some(flow) = &finding.flow {
                    for step in &flow.steps {
                        let Some((step_path, facts)) = outcome.files.get(step.file.index()) else {
                            continue;
                        };
                        let step_text = text_of(step_path);
                        reported.flow.push(ReportedStep {
                            path: display_path(step_path),
                            span: span(step.range, &facts.line_index, &step_text),
                            message: step.message.clone(),
                        });
                    }
                }
                findings.push(reported);
            }
        }
        Report {
            findings,
            files_checked: outcome.files_checked,
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

fn reported(path: &str, finding: &Finding, lines: &LineIndex, text: &str) -> ReportedFinding {
    let span = span(finding.range, lines, text);
    let line_range = lines.line_range(span.start.line - 1, text);
    let fixes = finding
        .fixes
        .iter()
        .map(|fix| ReportedFix {
            fix: fix.clone(),
            edits: fix
                .edits
                .iter()
                .map(|edit| (self::span(edit.range, lines, text), edit.new_text.clone()))
                .collect(),
        })
        .collect();
    ReportedFinding {
        path: path.to_owned(),
        rule: finding.rule,
        severity: finding.severity,
        message: finding.message.clone(),
        span,
        fixes,
        line_text: text.get(line_range).unwrap_or_default().to_owned(),
        flow: Vec::new(),
    }
}

fn span(range: TextRange, lines: &LineIndex, text: &str) -> Span {
    let position = |offset| {
        let at = lines.line_col_chars(offset, text);
        Position {
            line: at.line + 1,
            column: at.col + 1,
        }
    };
    Span {
        start: position(range.start),
        end: position(range.end),
    }
}

/// The path relative to the current folder when it is inside it, with `/` separators.
pub fn display_path(path: &Path) -> String {
    let relative: PathBuf = match (std::path::absolute(path), std::env::current_dir()) {
        (Ok(absolute), Ok(cwd)) => absolute
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    };
    let text = relative.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_owned()
}
