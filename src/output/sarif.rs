//! SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
//!
//! Columns are Unicode code points (`columnKind: unicodeCodePoints`), lines and columns 1-based,
//! uris relative to the current folder.

use brine_analysis::{Severity, RULES};
use serde_json::{json, Value};

use super::Report;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.short_description() },
                "fullDescription": { "text": rule.full_description() },
                "help": { "text": rule.doc, "markdown": rule.doc },
                "defaultConfiguration": { "level": level(rule.default_severity) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let rule_index = RULES.iter().position(|rule| rule.code == finding.rule.code);
            let mut result = json!({
                "ruleId": finding.rule.code,
                "ruleIndex": rule_index,
                "level": level(finding.severity),
                "message": { "text": finding.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&finding.path) },
                        "region": region(finding.span),
                    },
                    "properties": cell_properties(finding.span),
                }],
            });
            let fixes: Vec<Value> = finding
                .fixes
                .iter()
                .filter(|fix| !fix.edits.is_empty())
                .map(|fix| {
                    json!({
                        "description": { "text": fix.fix.title },
                        "artifactChanges": [{
                            "artifactLocation": { "uri": uri(&finding.path) },
                            "replacements": fix.edits.iter().map(|(span, content)| json!({
                                "deletedRegion": {
                                    "startLine": span.start.line,
                                    "startColumn": span.start.column,
                                    "endLine": span.end.line,
                                    "endColumn": span.end.column,
                                },
                                "insertedContent": { "text": content },
                            })).collect::<Vec<_>>(),
                        }],
                    })
                })
                .collect();
            if !fixes.is_empty() {
                result["fixes"] = Value::Array(fixes);
            }
            if !finding.imports.is_empty() {
                result["properties"] = json!({
                    "imports": finding.imports.iter().map(|import| json!({
                        "name": import.name,
                        "byteOffset": import.offset,
                        "member": import.member,
                        "dangerous": import.dangerous,
                    })).collect::<Vec<_>>(),
                });
            }
            if !finding.flow.is_empty() {
                let locations: Vec<Value> = finding
                    .flow
                    .iter()
                    .map(|step| {
                        json!({
                            "location": {
                                "physicalLocation": {
                                    "artifactLocation": { "uri": uri(&step.path) },
                                    "region": region(step.span),
                                },
                                "properties": cell_properties(step.span),
                                "message": { "text": step.message },
                            }
                        })
                    })
                    .collect();
                result["codeFlows"] = json!([{ "threadFlows": [{ "locations": locations }] }]);
            }
            result
        })
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "brine",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&sarif).expect("JSON values serialize");
    text.push('\n');
    text
}

fn region(span: super::Span) -> Value {
    json!({
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
    })
}

/// In a notebook, regions count lines inside a cell; `notebookCell` says which (index in `cells`).
fn cell_properties(span: super::Span) -> Value {
    match span.cell {
        Some(cell) => json!({ "notebookCell": cell }),
        None => json!({}),
    }
}

/// A relative path as a URI reference: `/` separators, spaces and other reserved bytes percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
