//! The human format: `path:line:col: CODE message`, a short code frame, then a summary.

use std::fmt::Write;

use brine_analysis::fix::Applicability;
use brine_analysis::Severity;
use brine_workspace::CheckOutcome;

use super::Report;

pub fn render(report: &Report, outcome: &CheckOutcome) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let start = finding.span.start;
        let _ = writeln!(
            out,
            "{}:{}{}:{}: {} {}",
            finding.path,
            cell_prefix(finding.span.cell),
            start.line,
            start.column,
            finding.rule.code,
            finding.message
        );
        let gutter = start.line.to_string().len();
        let line = finding.line_text.replace('\t', " ");
        let width = if finding.span.end.line == start.line {
            finding.span.end.column.saturating_sub(start.column).max(1)
        } else {
            (line.chars().count() as u32 + 1)
                .saturating_sub(start.column)
                .max(1)
        };
        if !finding.imports.is_empty() {
            // A binary artifact: list what it imports instead of a code frame.
            for import in &finding.imports {
                let place = import
                    .member
                    .as_deref()
                    .map(|m| format!("{m}, "))
                    .unwrap_or_default();
                let kind = if import.dangerous {
                    "dangerous"
                } else {
                    "unknown"
                };
                let _ = writeln!(
                    out,
                    "  = imports `{}` ({place}byte {}, {kind})",
                    import.name, import.offset
                );
            }
            out.push('\n');
            continue;
        }
        let _ = writeln!(out, "{:gutter$} |", "");
        let _ = writeln!(out, "{} | {}", start.line, line);
        let _ = writeln!(
            out,
            "{:gutter$} | {}{} {}",
            "",
            " ".repeat(start.column as usize - 1),
            "^".repeat(width as usize),
            finding.severity.as_str()
        );
        if !finding.flow.is_empty() {
            let _ = writeln!(out, "{:gutter$} = path:", "");
            for (index, step) in finding.flow.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:gutter$}   {}. {}:{}{}:{}: {}",
                    "",
                    index + 1,
                    step.path,
                    cell_prefix(step.span.cell),
                    step.span.start.line,
                    step.span.start.column,
                    step.message
                );
            }
        }
        for fix in &finding.fixes {
            let note = match fix.fix.applicability {
                Applicability::Safe => "fix",
                Applicability::Unsafe => "fix (unsafe)",
                Applicability::DisplayOnly => "help",
            };
            let _ = writeln!(out, "{:gutter$} = {note}: {}", "", fix.fix.title);
        }
        out.push('\n');
    }
    let total = report.findings.len();
    let files_with_findings = outcome.reports.len();
    if total == 0 {
        let _ = writeln!(
            out,
            "No findings in {} checked files.",
            report.files_checked
        );
    } else {
        let _ = writeln!(
            out,
            "Found {total} finding{} ({} error{}, {} warning{}, {} info) in {files_with_findings} of {} checked files.",
            plural(total),
            report.count(Severity::Error),
            plural(report.count(Severity::Error)),
            report.count(Severity::Warning),
            plural(report.count(Severity::Warning)),
            report.count(Severity::Info),
            report.files_checked,
        );
        let _ = writeln!(
            out,
            "Run `brine rule CODE` for what a rule finds and how to fix it."
        );
    }
    out
}

/// `cell 5:` for a position in a notebook's fifth cell (counting every cell, markdown included).
fn cell_prefix(cell: Option<usize>) -> String {
    cell.map(|index| format!("cell {}:", index + 1))
        .unwrap_or_default()
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}
