//! Code actions, built from the diagnostics last published for a document (their `data` holds the
//! fixes), never by analysing again:
//! - one `quickfix` per fix with edits (display-only suggestions without edits are not actions);
//! - "Ignore BRNxxx on this line", which appends `  # brine: ignore[CODE]` to the finding's line or
//!   extends the `# brine: ignore[...]` comment already there;
//! - `source.fixAll.brine`, every safe fix in the file (non-overlapping).

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic, Range, TextEdit,
    Uri, WorkspaceEdit,
};

use crate::convert::{self, PositionEncoding};
use crate::diagnostics::{DiagnosticData, SOURCE};
use crate::documents::Document;

/// The kind of the fix-all source action.
pub const FIX_ALL_KIND: &str = "source.fixAll.brine";

/// The code actions for `params` on `doc`, given the diagnostics published for its current version.
pub fn code_actions(
    uri: &Uri,
    doc: &Document,
    published: &[Diagnostic],
    params: &CodeActionParams,
    encoding: PositionEncoding,
) -> Vec<CodeActionOrCommand> {
    let only = params.context.only.as_deref();
    let mut actions = Vec::new();
    if wanted(only, CodeActionKind::QUICKFIX.as_str()) {
        let requested: Vec<&Diagnostic> = params
            .context
            .diagnostics
            .iter()
            .filter(|d| d.source.as_deref() == Some(SOURCE))
            .collect();
        let targets = published.iter().filter(|diagnostic| {
            if requested.is_empty() {
                convert::overlaps(&diagnostic.range, &params.range)
            } else {
                requested
                    .iter()
                    .any(|r| r.range == diagnostic.range && r.code == diagnostic.code)
            }
        });
        for diagnostic in targets {
            let Some(data) = DiagnosticData::of(diagnostic) else {
                continue;
            };
            for fix in data.fixes.iter().filter(|fix| !fix.edits.is_empty()) {
                actions.push(action(
                    uri,
                    fix.title.clone(),
                    CodeActionKind::QUICKFIX,
                    Some(diagnostic),
                    fix.edits.clone(),
                    fix.is_safe(),
                ));
            }
            if let Some(edit) = ignore_edit(doc, &data.code, &data.suppress_lines, encoding) {
                actions.push(action(
                    uri,
                    format!("Ignore {} on this line", data.code),
                    CodeActionKind::QUICKFIX,
                    Some(diagnostic),
                    vec![edit],
                    false,
                ));
            }
        }
    }
    if wanted(only, FIX_ALL_KIND) {
        let edits = safe_edits(published);
        if !edits.is_empty() {
            actions.push(action(
                uri,
                "Fix all safe brine issues".to_owned(),
                CodeActionKind::new(FIX_ALL_KIND),
                None,
                edits,
                false,
            ));
        }
    }
    actions
}

/// Whether the client's `only` filter admits `kind` (kinds are hierarchical: `source` admits
/// `source.fixAll.brine`).
fn wanted(only: Option<&[CodeActionKind]>, kind: &str) -> bool {
    only.is_none_or(|kinds| {
        kinds.iter().any(|wanted| {
            let wanted = wanted.as_str();
            kind == wanted
                || kind
                    .strip_prefix(wanted)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    })
}

fn action(
    uri: &Uri,
    title: String,
    kind: CodeActionKind,
    diagnostic: Option<&Diagnostic>,
    edits: Vec<TextEdit>,
    preferred: bool,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(kind),
        diagnostics: diagnostic.map(|d| vec![d.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..WorkspaceEdit::default()
        }),
        command: None,
        is_preferred: preferred.then_some(true),
        disabled: None,
        data: None,
    })
}

/// Every safe fix's edits; a fix that overlaps one already taken is left out whole.
fn safe_edits(published: &[Diagnostic]) -> Vec<TextEdit> {
    let mut taken: Vec<TextEdit> = Vec::new();
    for data in published.iter().filter_map(DiagnosticData::of) {
        for fix in data.fixes.iter().filter(|fix| fix.is_safe()) {
            let conflicts = fix
                .edits
                .iter()
                .any(|edit| taken.iter().any(|t| conflict(&t.range, &edit.range)));
            if !conflicts {
                taken.extend(fix.edits.iter().cloned());
            }
        }
    }
    taken.sort_by_key(|edit| (edit.range.start.line, edit.range.start.character));
    taken
}

/// Two edits conflict when their ranges overlap or both insert at the same place.
fn conflict(a: &Range, b: &Range) -> bool {
    let key = |p: tower_lsp_server::ls_types::Position| (p.line, p.character);
    (key(a.start) < key(b.end) && key(b.start) < key(a.end)) || a.start == b.start
}

/// The edit that silences `code` on the first of `lines` where a comment can go: extends an
/// existing `# brine: ignore[...]` there, else appends `  # brine: ignore[CODE]` at the end of the
/// line (a line ending inside a multi-line string or with a `\` continuation cannot take a comment).
pub fn ignore_edit(
    doc: &Document,
    code: &str,
    lines: &[u32],
    encoding: PositionEncoding,
) -> Option<TextEdit> {
    let text = doc.text();
    let index = doc.lines.index();
    for &line in lines {
        if line as usize >= index.line_count() {
            continue;
        }
        let range = index.line_range(line, text);
        if let Some(comment) = comment_start(doc, range.clone()) {
            match extend_ignore(&text[comment..range.end], code) {
                Extend::At(offset, insert) => {
                    let at = doc.lines.position((comment + offset) as u32, encoding);
                    return Some(TextEdit {
                        range: Range::new(at, at),
                        new_text: insert,
                    });
                }
                Extend::AlreadySuppressed => return None,
                Extend::NoIgnore => {}
            }
        }
        let line_text = &text[range.clone()];
        if line_text.trim_end().ends_with('\\') || ends_inside_string(doc, range.end) {
            continue;
        }
        let at = doc.lines.position(range.end as u32, encoding);
        let separator = if line_text.ends_with([' ', '\t']) {
            " "
        } else {
            "  "
        };
        return Some(TextEdit {
            range: Range::new(at, at),
            new_text: format!("{separator}# brine: ignore[{code}]"),
        });
    }
    None
}

enum Extend {
    /// Insert this text at this offset into the comment.
    At(usize, String),
    AlreadySuppressed,
    NoIgnore,
}

/// How to add `code` to a comment's `brine: ignore[...]` list.
fn extend_ignore(comment: &str, code: &str) -> Extend {
    let mut searched = 0;
    while let Some(found) = comment[searched..].find("brine:") {
        let after_marker = searched + found + "brine:".len();
        let rest = &comment[after_marker..];
        let directive = rest.trim_start();
        let directive_at = after_marker + (rest.len() - directive.len());
        searched = after_marker;
        if directive.starts_with("ignore-file") {
            continue;
        }
        let Some(after) = directive.strip_prefix("ignore") else {
            continue;
        };
        let Some(list) = after.strip_prefix('[') else {
            return Extend::AlreadySuppressed;
        };
        let Some(close) = list.find(']') else {
            continue;
        };
        let codes = &list[..close];
        if codes
            .split(',')
            .map(str::trim)
            .any(|existing| !existing.is_empty() && code.starts_with(existing))
        {
            return Extend::AlreadySuppressed;
        }
        let close_at = directive_at + "ignore[".len() + close;
        let insert = if codes.trim().is_empty() {
            code.to_owned()
        } else {
            format!(", {code}")
        };
        return Extend::At(close_at, insert);
    }
    Extend::NoIgnore
}

/// The byte offset of the comment on the line `range`, if any (asks the tree, so a `#` inside a
/// string does not count).
fn comment_start(doc: &Document, range: std::ops::Range<usize>) -> Option<usize> {
    let root = doc.parsed.tree().root_node();
    doc.text()[range.clone()]
        .match_indices('#')
        .map(|(index, _)| range.start + index)
        .find(|&offset| {
            root.descendant_for_byte_range(offset, offset + 1)
                .is_some_and(|node| node.kind() == "comment" && node.start_byte() == offset)
        })
}

/// True when the end of a line lies inside a string that continues on the next line.
fn ends_inside_string(doc: &Document, line_end: usize) -> bool {
    if line_end == 0 {
        return false;
    }
    let root = doc.parsed.tree().root_node();
    let mut node = root.descendant_for_byte_range(line_end - 1, line_end);
    while let Some(current) = node {
        if current.kind().starts_with("string") && current.end_byte() > line_end {
            return true;
        }
        node = current.parent();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Position;

    fn doc(text: &str) -> Document {
        Document::new(1, text.to_owned())
    }

    fn apply(text: &str, edit: &TextEdit) -> String {
        let d = doc(text);
        let range = convert::text_range(d.lines.index(), text, edit.range, PositionEncoding::Utf16);
        let mut out = text.to_owned();
        out.replace_range(range.as_usize(), &edit.new_text);
        out
    }

    #[test]
    fn ignore_appends_or_extends() {
        let text = "import torch\nm = torch.load(p)\n";
        let edit = ignore_edit(&doc(text), "BRN102", &[1], PositionEncoding::Utf16).unwrap();
        assert_eq!(
            apply(text, &edit),
            "import torch\nm = torch.load(p)  # brine: ignore[BRN102]\n"
        );
        let text = "m = pickle.loads(torch.load(p))  # brine: ignore[BRN101]\n";
        let edit = ignore_edit(&doc(text), "BRN102", &[0], PositionEncoding::Utf16).unwrap();
        assert_eq!(
            apply(text, &edit),
            "m = pickle.loads(torch.load(p))  # brine: ignore[BRN101, BRN102]\n"
        );
        let text = "m = torch.load(p)  # keep é\n";
        let edit = ignore_edit(&doc(text), "BRN102", &[0], PositionEncoding::Utf16).unwrap();
        assert_eq!(edit.range.start, Position::new(0, 27));
        assert_eq!(
            apply(text, &edit),
            "m = torch.load(p)  # keep é  # brine: ignore[BRN102]\n"
        );
        let text = "m = torch.load(p)  # brine: ignore[BRN1]\n";
        assert_eq!(
            ignore_edit(&doc(text), "BRN102", &[0], PositionEncoding::Utf16),
            None
        );
    }

    #[test]
    fn ignore_skips_lines_ending_inside_strings() {
        let text = "m = torch.load(\"\"\"a\nb\"\"\")\n";
        let edit = ignore_edit(&doc(text), "BRN102", &[0, 1], PositionEncoding::Utf16).unwrap();
        assert_eq!(edit.range.start, Position::new(1, 5));
        let text = "s = '#' ; m = torch.load(p)\n";
        let edit = ignore_edit(&doc(text), "BRN102", &[0], PositionEncoding::Utf16).unwrap();
        assert_eq!(
            apply(text, &edit),
            "s = '#' ; m = torch.load(p)  # brine: ignore[BRN102]\n"
        );
    }

    #[test]
    fn kinds_are_hierarchical() {
        let source = [CodeActionKind::SOURCE];
        assert!(wanted(Some(&source), FIX_ALL_KIND));
        assert!(!wanted(Some(&source), "quickfix"));
        assert!(wanted(None, "quickfix"));
        assert!(!wanted(
            Some(&[CodeActionKind::new("source.fix")]),
            FIX_ALL_KIND
        ));
    }
}
