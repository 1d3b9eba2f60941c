//! Report formats. A [`Report`] turns findings (byte ranges) into positions people and tools read:
//! 1-based lines and 1-based columns counted in Unicode code points, and for notebooks the cell.

pub mod json;
pub mod sarif;
pub mod text;

mod source_view;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use brine_analysis::fix::Fix;
use brine_analysis::{Finding, Rule, Severity};
use brine_workspace::CheckOutcome;

use source_view::SourceView;

/// A 1-based line and column (Unicode code points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A range in 1-based positions; in a notebook, lines count inside the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Position,
    pub end: Position,
    /// For a notebook: the index of the cell in the notebook's `cells` array.
    pub cell: Option<usize>,
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
    /// For BRN401: the imports outside the allowlist.
    pub imports: Vec<brine_analysis::artifact::ArtifactImport>,
}

/// All findings of a check, in path and position order.
pub struct Report {
    pub findings: Vec<ReportedFinding>,
    pub files_checked: usize,
}

impl Report {
    pub fn new(outcome: &CheckOutcome) -> Self {
        // Only files with findings or on a taint path are read again, for columns and code frames.
        let mut views: HashMap<PathBuf, Arc<SourceView>> = HashMap::new();
        let mut view_of = |path: &Path, facts, notebook: &Option<Arc<brine_notebook::Notebook>>| {
            views
                .entry(path.to_path_buf())
                .or_insert_with(|| Arc::new(SourceView::load(path, facts, notebook.clone())))
                .clone()
        };
        let mut findings = Vec::new();
        for report in &outcome.reports {
            let view = view_of(&report.path, report.facts.clone(), &report.notebook);
            let path = display_path(&report.path);
            for finding in &report.findings {
                let mut reported = reported(&path, finding, &view);
                for step in finding.flow.iter().flat_map(|flow| &flow.steps) {
                    let Some(file) = outcome.files.get(step.file.index()) else {
                        continue;
                    };
                    let step_view = view_of(&file.path, file.facts.clone(), &file.notebook);
                    reported.flow.push(ReportedStep {
                        path: display_path(&file.path),
                        span: step_view.span(step.range),
                        message: step.message.clone(),
                    });
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

fn reported(path: &str, finding: &Finding, view: &SourceView) -> ReportedFinding {
    let span = view.span(finding.range);
    let fixes = finding
        .fixes
        .iter()
        .map(|fix| ReportedFix {
            fix: fix.clone(),
            edits: fix
                .edits
                .iter()
                .map(|edit| (view.span(edit.range), edit.new_text.clone()))
                .collect(),
        })
        .collect();
    ReportedFinding {
        path: path.to_owned(),
        rule: finding.rule,
        severity: finding.severity,
        message: finding.message.clone(),
        line_text: view.line_text(finding.range.start),
        span,
        fixes,
        flow: Vec::new(),
        imports: finding.artifact_imports.clone(),
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
