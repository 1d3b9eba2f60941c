//! Edits that only move code: typing in a comment, adding a blank line, re-spacing a line.
//!
//! After such an edit every token other than comments is the same token, with the same ancestors,
//! at a new offset. Whoever derived data from the old tree (brine's facts) can then shift its
//! offsets with [`Move::map`] instead of walking the whole tree again, which is what makes a
//! keystroke in a big file cheap. The check is conservative: anything it cannot prove to be only
//! comments and whitespace counts as a real change.

use tree_sitter::{Node, Tree};

/// One edit that moved code without changing it: the bytes `start..old_end` of the old text became
/// `start..new_end`, and they held, and now hold, only comments and whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub start: u32,
    pub old_end: u32,
    pub new_end: u32,
    /// For an insertion between two tokens that touch: whether the offset `start` belongs to the
    /// token after the insertion (and moves with it) rather than to the one before (and stays).
    starts_at_insertion: bool,
}

impl Move {
    /// Where an offset of a token boundary in the old text is in the new text.
    /// `u32::MAX` (used for "to the end of the file") stays.
    pub fn map(&self, offset: u32) -> u32 {
        let before = offset < self.start || (offset == self.start && !self.starts_at_insertion);
        if before || offset == u32::MAX {
            offset
        } else if offset >= self.old_end {
            offset - self.old_end + self.new_end
        } else {
            // Inside the replaced comments and whitespace: no token boundary can be there.
            self.start
        }
    }
}

/// The edit `start..old_end -> start..new_end` as a [`Move`], if it only moved code. `before` is
/// the tree of the old text, `edited` the same tree after `Tree::edit`, `after` the new tree.
pub(crate) fn as_move(
    before: &Tree,
    edited: &Tree,
    after: &Tree,
    (start, old_end, new_end): (usize, usize, usize),
) -> Option<Move> {
    if before.root_node().has_error() || after.root_node().has_error() {
        return None;
    }
    let mut starts_at_insertion = false;
    if start == old_end {
        // A pure insertion: an offset equal to `start` is the end of the token before it or the
        // start of the token after it. If tokens touch there, which one an offset meant is unknown.
        let root = before.root_node();
        let token_ends =
            start > 0 && token_boundary(root, start - 1, |node| node.end_byte()) == Some(start);
        let token_starts = token_boundary(root, start, |node| node.start_byte()) == Some(start);
        if token_ends && token_starts {
            return None;
        }
        starts_at_insertion = token_starts;
    }
    let mut new_regions = vec![(start, new_end)];
    let mut old_regions = vec![(start, old_end)];
    // Characters outside the changed ranges have the same ancestors in both trees.
    let to_old = |offset: usize| {
        if offset <= start {
            offset
        } else if offset >= new_end {
            offset - new_end + old_end
        } else {
            old_end
        }
    };
    for range in edited.changed_ranges(after) {
        new_regions.push((range.start_byte, range.end_byte));
        old_regions.push((to_old(range.start_byte), to_old(range.end_byte)));
    }
    let only_comments = |tree: &Tree, regions: &[(usize, usize)]| {
        regions
            .iter()
            .all(|&(from, to)| only_comments_in(tree.root_node(), from, to))
    };
    (only_comments(after, &new_regions) && only_comments(before, &old_regions)).then_some(Move {
        start: start as u32,
        old_end: old_end as u32,
        new_end: new_end as u32,
        starts_at_insertion,
    })
}

/// The boundary (`edge` of the node) of the smallest non-comment node holding byte `at`, if any.
fn token_boundary(root: Node, at: usize, edge: impl Fn(&Node) -> usize) -> Option<usize> {
    root.descendant_for_byte_range(at, at + 1)
        .filter(|node| node.kind() != "comment" && node.start_byte() <= at && at < node.end_byte())
        .map(|node| edge(&node))
}

/// True when every token overlapping `from..to` is a comment (an empty range holds nothing). Walks
/// with a cursor, not recursion: trees can be as deep as the input is nested.
fn only_comments_in(root: Node, from: usize, to: usize) -> bool {
    if from >= to {
        return true;
    }
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.start_byte() < to && node.end_byte() > from && node.kind() != "comment" {
            // A string's text is not all in its child nodes (its content is hidden tokens between
            // escape sequences), so any edit touching a string is a change.
            if node.child_count() == 0 || node.kind() == "string" {
                return false;
            }
            if cursor.goto_first_child() {
                continue;
            }
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{ParsedFile, TextEdit, TextRange};

    /// Applies `new_text` at `at` (replacing `len` bytes) and returns the move, if it was one.
    fn edit(text: &str, at: usize, len: usize, new_text: &str) -> Option<Vec<super::Move>> {
        let mut file = ParsedFile::parse(text.to_owned());
        file.take_moves();
        file.apply_edit(&TextEdit {
            range: TextRange::new(at as u32, (at + len) as u32),
            new_text: new_text.into(),
        });
        file.take_moves()
    }

    #[test]
    fn comments_blank_lines_and_spacing_move_code() {
        let text = "x = f(a, b)  # note\ny = 2\n";
        let end_of_first = text.find('\n').unwrap();
        assert!(
            edit(text, end_of_first, 0, "!").is_some(),
            "typing in a comment"
        );
        assert!(edit(text, end_of_first, 0, "\n\n").is_some(), "blank lines");
        assert!(
            edit(text, text.find(" b").unwrap(), 0, "  ").is_some(),
            "spaces between tokens"
        );
        let hash = text.find('#').unwrap();
        assert!(
            edit(text, hash, end_of_first - hash, "").is_some(),
            "deleting a comment"
        );
        let moves = edit(text, 0, 0, "# header\n").expect("a comment line above");
        assert_eq!(moves[0].map(0), 9, "the first token moves down");
    }

    #[test]
    fn code_strings_and_touching_tokens_do_not() {
        let text = "x = f(a, b)\ns = 'text'\n";
        assert!(edit(text, 0, 0, "#").is_none(), "commenting code out");
        assert!(
            edit(text, text.find('a').unwrap(), 0, "z").is_none(),
            "typing in a name"
        );
        assert!(
            edit(text, text.find("text").unwrap(), 0, " ").is_none(),
            "typing in a string"
        );
        // Between `f` and `(`: an offset there could be the end of one or the start of the other.
        assert!(edit(text, text.find('(').unwrap(), 0, " ").is_none());
        assert!(
            edit("def f(:\n", 0, 0, "# x\n").is_none(),
            "code with syntax errors"
        );
    }
}
