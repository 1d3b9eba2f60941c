//! Parsing with tree-sitter-python, from scratch or incrementally after an edit.

use std::sync::OnceLock;

use tree_sitter::{InputEdit, Parser, Point, Tree};

use crate::moves::{as_move, Move};
use crate::{LineIndex, TextRange};

/// A document's text together with its syntax tree. Open documents keep one of these and apply edits
/// to it; closed files are lowered to facts and dropped.
pub struct ParsedFile {
    text: String,
    tree: Tree,
    /// The edits since the last [`ParsedFile::take_moves`] while each of them only moved code;
    /// `None` once one changed it.
    moves: Option<Vec<Move>>,
    /// The line index of `text`, built at the first use after a change: an open document needs it
    /// to convert the next edit's positions, to publish, and to lower, once per version.
    line_index: OnceLock<LineIndex>,
}

/// A replacement of the bytes in `range` by `new_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

thread_local! {
    // A parser is cheap to reuse and not `Sync`; one per thread serves rayon workers and the server alike.
    static PARSER: std::cell::RefCell<Parser> = std::cell::RefCell::new(new_parser());
}

fn new_parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("tree-sitter-python is compatible with the linked tree-sitter");
    parser
}

fn parse_with(text: &str, old_tree: Option<&Tree>) -> Tree {
    PARSER.with(|parser| {
        parser
            .borrow_mut()
            .parse(text, old_tree)
            // Without a timeout or cancellation flag tree-sitter always returns a tree.
            .expect("tree-sitter returns a tree when no cancellation is set")
    })
}

impl ParsedFile {
    /// Parses `text` from scratch. Never fails: syntax errors become `ERROR` nodes.
    pub fn parse(text: String) -> Self {
        let tree = parse_with(&text, None);
        ParsedFile {
            text,
            tree,
            moves: None,
            line_index: OnceLock::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line index of the current text (built once per text).
    pub fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| LineIndex::new(&self.text))
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    pub fn into_text(self) -> String {
        self.text
    }

    /// Applies one edit and reparses incrementally, reusing the unchanged parts of the old tree.
    /// Ranges are clamped into the text and onto character boundaries, so an impossible range from
    /// a client never panics.
    pub fn apply_edit(&mut self, edit: &TextEdit) {
        let len = self.text.len();
        let mut start = (edit.range.start as usize).min(len);
        let mut end = (edit.range.end as usize).clamp(start, len);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        // Open documents have the index of the text before the edit already (positions were
        // converted with it); the text changes, so it goes.
        let index = self
            .line_index
            .take()
            .unwrap_or_else(|| LineIndex::new(&self.text));
        let start_position = point_in(&index, start);
        let old_end_position = point_in(&index, end);
        let new_end_position = point_after(start_position, &edit.new_text);
        self.text.replace_range(start..end, &edit.new_text);
        let new_end = start + edit.new_text.len();
        let before = self.tree.clone();
        self.tree.edit(&InputEdit {
            start_byte: start,
            old_end_byte: end,
            new_end_byte: new_end,
            start_position,
            old_end_position,
            new_end_position,
        });
        let after = parse_with(&self.text, Some(&self.tree));
        let edited = std::mem::replace(&mut self.tree, after);
        if let Some(moves) = &mut self.moves {
            match as_move(&before, &edited, &self.tree, (start, end, new_end)) {
                Some(moved) => moves.push(moved),
                None => self.moves = None,
            }
        }
        if self.tree.root_node().has_error() {
            // tree-sitter's error recovery depends on the old tree: on broken code an incremental
            // parse can differ from a fresh parse of the same text (found by the incremental_edits
            // fuzz target). Analysis must not depend on the edit history, so broken code is parsed
            // again from scratch; valid code keeps the incremental tree, which then equals it.
            self.tree = parse_with(&self.text, None);
        }
    }

    /// The edits since the previous call (or since the first call started tracking them), if each
    /// of them only moved code (see [`Move`]); `None` when one changed code, or on the first call.
    /// Derived data of the text at the previous call can then be moved instead of recomputed.
    pub fn take_moves(&mut self) -> Option<Vec<Move>> {
        self.moves.replace(Vec::new())
    }

    /// True when the tree contains syntax errors (the analysis still runs on such a tree).
    pub fn has_errors(&self) -> bool {
        self.tree.root_node().has_error()
    }
}

/// The point of `offset` from the text's line index.
fn point_in(index: &LineIndex, offset: usize) -> Point {
    let row = index.line_of(offset as u32);
    Point {
        row: row as usize,
        column: offset - index.line_start(row) as usize,
    }
}

/// The point after `inserted`, inserted at `start`.
fn point_after(start: Point, inserted: &str) -> Point {
    match memchr::memrchr(b'\n', inserted.as_bytes()) {
        None => Point {
            row: start.row,
            column: start.column + inserted.len(),
        },
        Some(last_newline) => Point {
            row: start.row + memchr::memchr_iter(b'\n', inserted.as_bytes()).count(),
            column: inserted.len() - last_newline - 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The point of `offset`, counting lines: what the index must agree with.
    fn point_at(text: &str, offset: usize) -> Point {
        let before = &text.as_bytes()[..offset];
        let row = memchr::memchr_iter(b'\n', before).count();
        let column = offset - memchr::memrchr(b'\n', before).map_or(0, |newline| newline + 1);
        Point { row, column }
    }

    #[test]
    fn broken_code_still_parses() {
        let file = ParsedFile::parse("def f(:\n    pass\nimport pickle\npickle.loads(x)\n".into());
        assert!(file.has_errors());
        assert_eq!(file.tree().root_node().kind(), "module");
    }

    #[test]
    fn incremental_edit_matches_fresh_parse() {
        let mut file = ParsedFile::parse("import torch\ntorch.load(p)\n".into());
        let at = file.text().find(')').unwrap() as u32;
        file.apply_edit(&TextEdit {
            range: TextRange::empty(at),
            new_text: ", weights_only=True".into(),
        });
        assert_eq!(
            file.text(),
            "import torch\ntorch.load(p, weights_only=True)\n"
        );
        let fresh = ParsedFile::parse(file.text().to_owned());
        assert_eq!(
            file.tree().root_node().to_sexp(),
            fresh.tree().root_node().to_sexp()
        );
    }

    #[test]
    fn points_from_the_line_index_equal_points_counted() {
        let text = "a = 1\n\nclass C:\r\n    def f(self):\n        return 'é'\n";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() {
            assert_eq!(
                point_in(&index, offset),
                point_at(text, offset),
                "at {offset}"
            );
        }
        for inserted in ["", "x", "x\n", "\n\nyz", "é\nabc"] {
            for start in (0..=text.len()).filter(|&at| text.is_char_boundary(at)) {
                let after = format!("{}{inserted}", &text[..start]);
                assert_eq!(
                    point_after(point_at(text, start), inserted),
                    point_at(&after, after.len())
                );
            }
        }
    }

    #[test]
    fn edits_with_the_line_index_built_match_a_fresh_parse() {
        let mut file = ParsedFile::parse("def f(a):\n    return a\n\nx = f(1)\n".into());
        let edits = [
            (14, 20, "\n    b = a\n    return"),
            (0, 0, "import os\n"),
            (30, 31, ""),
        ];
        for (start, end, new_text) in edits {
            file.line_index();
            file.apply_edit(&TextEdit {
                range: TextRange::new(start, end),
                new_text: new_text.into(),
            });
            assert_eq!(file.line_index(), &LineIndex::new(file.text()));
            let fresh = ParsedFile::parse(file.text().to_owned());
            // Nodes the reparse reused keep the positions the edit gave them: they must be right.
            assert_eq!(nodes(file.tree()), nodes(fresh.tree()));
        }
    }

    /// Every node with its kind, bytes and points, in order.
    fn nodes(tree: &Tree) -> Vec<(&'static str, usize, usize, Point, Point)> {
        let mut all = Vec::new();
        let mut cursor = tree.walk();
        'walk: loop {
            let node = cursor.node();
            all.push((
                node.kind(),
                node.start_byte(),
                node.end_byte(),
                node.start_position(),
                node.end_position(),
            ));
            if cursor.goto_first_child() || cursor.goto_next_sibling() {
                continue;
            }
            while cursor.goto_parent() {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
            }
            return all;
        }
    }

    #[test]
    fn impossible_ranges_are_clamped() {
        let mut file = ParsedFile::parse("é = 1\n".into());
        file.apply_edit(&TextEdit {
            range: TextRange::new(1, 500),
            new_text: "x".into(),
        });
        assert_eq!(file.text(), "x");
    }
}
