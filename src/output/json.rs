//! The JSON format: an array with one object per finding.

use brine_analysis::fix::Applicability;
use serde_json::{json, Value};

use super::{Report, ReportedFix, Span};

pub fn render(report: &Report) -> String {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            json!({
                "code": finding.rule.code,
                "name": finding.rule.name,
                "severity": finding.severity.as_str(),
                "path": finding.path,
                "range": span(finding.span),
                "cell": finding.span.cell,
                "message": finding.message,
                "fix": finding.fixes.iter().find(|f| !f.edits.is_empty() && f.fix.applicability != Applicability::DisplayOnly).map(fix),
                "suggestions": finding.fixes.iter().filter(|f| f.fix.applicability == Applicability::DisplayOnly).map(|f| f.fix.title.clone()).collect::<Vec<_>>(),
                "imports": finding.imports.iter().map(|import| json!({
                    "name": import.name,
                    "offset": import.offset,
                    "member": import.member,
                    "dangerous": import.dangerous,
                })).collect::<Vec<_>>(),
                "flow": finding.flow.iter().map(|step| json!({
                    "path": step.path,
                    "range": span(step.span),
                    "message": step.message,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&findings).expect("JSON values serialize");
    text.push('\n');
    text
}

pub fn span(span: Span) -> Value {
    let mut value = json!({
        "start": { "line": span.start.line, "column": span.start.column },
        "end": { "line": span.end.line, "column": span.end.column },
    });
    if let Some(cell) = span.cell {
        // Notebooks: lines count inside the cell, `cell` indexes the notebook's `cells` array.
        value["cell"] = json!(cell);
    }
    value
}

fn fix(fix: &ReportedFix) -> Value {
    json!({
        "title": fix.fix.title,
        "applicability": fix.fix.applicability.as_str(),
        "edits": fix.edits.iter().map(|(range, content)| json!({ "range": span(*range), "content": content })).collect::<Vec<_>>(),
    })
}
