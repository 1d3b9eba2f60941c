//! Open documents: each keeps its text, syntax tree and line index, and applies the client's
//! incremental changes in order with `ParsedFile::apply_edit` (an incremental reparse).
//!
//! Invariants: a document's version only moves forward (a change that does not advance it is
//! dropped); every position from the client is clamped into the text, so no edit can panic.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use brine_facts::{FileFacts, StatementChunks};
use brine_syntax::{ParsedFile, TextEdit};
use dashmap::DashMap;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use crate::convert::{self, LineMap, PositionEncoding};

/// All open documents, by the URI the client uses for them.
pub type Documents = DashMap<Uri, Document>;

/// One open document.
pub struct Document {
    pub version: i32,
    pub parsed: ParsedFile,
    /// Line index (and non-ASCII lines) of the current text.
    pub lines: Arc<LineMap>,
    /// The facts of the last [`Document::facts`]: when the edits since then only moved code (a
    /// keystroke in a comment, a blank line), the next facts are these moved, not lowered again.
    last_facts: Option<Arc<FileFacts>>,
    /// The last facts lowered from the tree, with the chunks of their top-level statements: a
    /// lowering copies the facts of the statements whose text is unchanged from them
    /// ([`brine_facts::lower_reusing`]). Facts moved since are no base for that: their
    /// statements' texts are not the ones the chunks remember.
    last_lowered: Option<(Arc<FileFacts>, StatementChunks)>,
}

/// Why a change notification was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeRejected {
    /// The change's version does not move past the document's.
    StaleVersion { current: i32, received: i32 },
}

impl Document {
    pub fn new(version: i32, text: String) -> Self {
        let parsed = ParsedFile::parse(text);
        let lines = Arc::new(LineMap::with_index(
            parsed.line_index().clone(),
            parsed.text(),
        ));
        Document {
            version,
            parsed,
            lines,
            last_facts: None,
            last_lowered: None,
        }
    }

    pub fn text(&self) -> &str {
        self.parsed.text()
    }

    /// Applies the changes of one `didChange` notification, in order. Ranged changes are incremental
    /// edits of the tree; a change without a range replaces the whole text.
    pub fn apply_changes(
        &mut self,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: PositionEncoding,
    ) -> Result<(), ChangeRejected> {
        if version <= self.version {
            return Err(ChangeRejected::StaleVersion {
                current: self.version,
                received: version,
            });
        }
        // Each change's positions refer to the text after the previous change.
        for change in changes {
            match change.range {
                None => self.parsed = ParsedFile::parse(change.text),
                Some(range) => {
                    let index = self.parsed.line_index();
                    let range = convert::text_range(index, self.parsed.text(), range, encoding);
                    self.parsed.apply_edit(&TextEdit {
                        range,
                        new_text: change.text,
                    });
                }
            }
        }
        let index = self.parsed.line_index().clone();
        self.lines = Arc::new(LineMap::with_index(index, self.parsed.text()));
        self.version = version;
        Ok(())
    }

    /// The facts of the current text: the previous facts moved when every edit since only moved
    /// code, otherwise the tree lowered again, reusing the facts of the top-level statements the
    /// edits did not touch. A panic in lowering is caught and reported; the file then counts as
    /// empty until its next change, and its next lowering starts from scratch.
    pub fn facts(&mut self) -> Result<Arc<FileFacts>, String> {
        let moves = self.parsed.take_moves();
        let previous = self.last_facts.take();
        let last_lowered = self.last_lowered.take();
        let parsed = &self.parsed;
        let lowered = catch_unwind(AssertUnwindSafe(|| match (previous, moves) {
            (Some(old), Some(moves)) => (
                Arc::new(brine_facts::lower_moved(&old, parsed, &moves)),
                last_lowered,
            ),
            _ => {
                let base = last_lowered
                    .as_ref()
                    .map(|(facts, chunks)| (&**facts, chunks));
                let (facts, chunks) = brine_facts::lower_reusing(parsed, base);
                let facts = Arc::new(facts);
                (facts.clone(), Some((facts, chunks)))
            }
        }))
        .map_err(|payload| crate::panic_message(payload.as_ref()))?;
        let (facts, last_lowered) = lowered;
        self.last_facts = Some(facts.clone());
        self.last_lowered = last_lowered;
        Ok(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((l1, c1), (l2, c2))| {
                Range::new(Position::new(l1, c1), Position::new(l2, c2))
            }),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn changes_apply_in_order_and_match_a_fresh_parse() {
        let mut doc = Document::new(1, "import torch\ntorch.load(p)\n".into());
        doc.apply_changes(
            2,
            vec![
                change(Some(((1, 12), (1, 12))), ", weights_only=True"),
                change(Some(((0, 0), (0, 0))), "# é\n"),
            ],
            PositionEncoding::Utf16,
        )
        .unwrap();
        assert_eq!(
            doc.text(),
            "# é\nimport torch\ntorch.load(p, weights_only=True)\n"
        );
        let fresh = ParsedFile::parse(doc.text().to_owned());
        assert_eq!(
            doc.parsed.tree().root_node().to_sexp(),
            fresh.tree().root_node().to_sexp()
        );
        // UTF-16 column 3 on line 0 is after `é`.
        doc.apply_changes(
            3,
            vec![change(Some(((0, 3), (0, 3))), "!")],
            PositionEncoding::Utf16,
        )
        .unwrap();
        assert!(doc.text().starts_with("# é!\n"));
        // The same column in UTF-8 counts bytes: `é` is two.
        doc.apply_changes(
            4,
            vec![change(Some(((0, 4), (0, 5))), "?")],
            PositionEncoding::Utf8,
        )
        .unwrap();
        assert!(doc.text().starts_with("# é?\n"), "{:?}", doc.text());
    }

    #[test]
    fn stale_versions_and_wild_ranges_are_harmless() {
        let mut doc = Document::new(5, "a\n".into());
        assert_eq!(
            doc.apply_changes(5, vec![change(None, "b")], PositionEncoding::Utf16),
            Err(ChangeRejected::StaleVersion {
                current: 5,
                received: 5
            })
        );
        assert_eq!(doc.text(), "a\n");
        doc.apply_changes(
            6,
            vec![change(Some(((40, 3), (2, 0))), "z")],
            PositionEncoding::Utf16,
        )
        .unwrap();
        assert_eq!(doc.text(), "a\nz");
        doc.apply_changes(7, vec![change(None, "whole")], PositionEncoding::Utf16)
            .unwrap();
        assert_eq!(doc.text(), "whole");
        assert_eq!(doc.version, 7);
        assert!(doc.facts().is_ok());
    }
}
