//! Positions at the protocol edge: brine works in byte offsets, LSP in lines and columns counted in
//! the negotiated encoding (UTF-8 when the client offers it, else UTF-16).
//!
//! Closed files do not keep their text, so [`LineMap`] keeps just enough of it to convert: line
//! starts, plus the text of the (usually few) lines that are not ASCII, where byte and UTF-16
//! columns differ.

use std::collections::HashMap;

use brine_syntax::{LineCol, LineIndex, TextRange};
use tower_lsp_server::ls_types::{ClientCapabilities, Position, PositionEncodingKind, Range};

/// How columns are counted in `Position.character`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
}

impl PositionEncoding {
    /// UTF-8 when the client lists it in `general.positionEncodings`, else UTF-16 (the protocol's
    /// mandatory default).
    pub fn negotiate(capabilities: &ClientCapabilities) -> Self {
        let offered = capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_ref());
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
            _ => PositionEncoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// Converts byte offsets of one version of a file to LSP positions without keeping the file's text.
#[derive(Debug, Clone, Default)]
pub struct LineMap {
    index: LineIndex,
    /// Zero-based line number -> the line's text (without its line break), for non-ASCII lines only.
    non_ascii: HashMap<u32, Box<str>>,
}

impl LineMap {
    pub fn new(text: &str) -> Self {
        LineMap::with_index(LineIndex::new(text), text)
    }

    /// The map of `text`, whose line index is `index` (shared, for example with the text's facts).
    pub fn with_index(index: LineIndex, text: &str) -> Self {
        // Runs at every keystroke: lines are cut at the index's line starts (splitting the text
        // again took a third of a millisecond on a 5,000-line file), and most files are all ASCII.
        let non_ascii = if text.is_ascii() {
            HashMap::new()
        } else {
            (0..index.line_count() as u32)
                .filter_map(|line| {
                    let start = index.line_start(line) as usize;
                    let end = index.line_start(line + 1) as usize;
                    let line_text = &text[start..end];
                    let line_text = line_text.strip_suffix('\n').unwrap_or(line_text);
                    (!line_text.is_ascii()).then(|| (line, line_text.into()))
                })
                .collect()
        };
        LineMap { index, non_ascii }
    }

    pub fn index(&self) -> &LineIndex {
        &self.index
    }

    /// The position of a byte offset (clamped to the end of the text).
    pub fn position(&self, offset: u32, encoding: PositionEncoding) -> Position {
        let LineCol { line, col } = self.index.line_col_utf8(offset);
        let character = match (encoding, self.non_ascii.get(&line)) {
            (PositionEncoding::Utf16, Some(text)) => {
                let mut end = (col as usize).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text[..end].chars().map(|c| c.len_utf16() as u32).sum()
            }
            _ => col,
        };
        Position { line, character }
    }

    pub fn range(&self, range: TextRange, encoding: PositionEncoding) -> Range {
        Range {
            start: self.position(range.start, encoding),
            end: self.position(range.end, encoding),
        }
    }
}

/// The byte offset of an LSP position in `text`, clamped into the text: a column past the end of its
/// line is the end of the line, a line past the end of the file is the end of the file.
pub fn offset(
    index: &LineIndex,
    text: &str,
    position: Position,
    encoding: PositionEncoding,
) -> u32 {
    let pos = LineCol {
        line: position.line,
        col: position.character,
    };
    match encoding {
        PositionEncoding::Utf8 => index.offset_utf8(pos, text),
        PositionEncoding::Utf16 => index.offset_utf16(pos, text),
    }
}

/// The byte range of an LSP range in `text`, clamped, with `start <= end`.
pub fn text_range(
    index: &LineIndex,
    text: &str,
    range: Range,
    encoding: PositionEncoding,
) -> TextRange {
    let start = offset(index, text, range.start, encoding);
    let end = offset(index, text, range.end, encoding);
    TextRange::new(start.min(end), end.max(start))
}

/// True when `position` lies inside `range` (both ends included, so a cursor just after a flagged
/// name still counts).
pub fn contains(range: &Range, position: Position) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(range.start) <= key(position) && key(position) <= key(range.end)
}

/// True when two ranges share at least one position.
pub fn overlaps(a: &Range, b: &Range) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_utf8_columns_differ_on_non_ascii_lines() {
        let text = "x = 1\ns = \"é😀\"; torch.load(p)\n";
        let map = LineMap::new(text);
        let at = text.find("torch").unwrap() as u32;
        assert_eq!(
            map.position(at, PositionEncoding::Utf8),
            Position::new(1, 14)
        );
        assert_eq!(
            map.position(at, PositionEncoding::Utf16),
            Position::new(1, 11)
        );
        let index = LineIndex::new(text);
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            let position = map.position(at, encoding);
            assert_eq!(offset(&index, text, position, encoding), at);
        }
        // ASCII lines need no text.
        assert_eq!(
            map.position(4, PositionEncoding::Utf16),
            Position::new(0, 4)
        );
    }

    #[test]
    fn only_non_ascii_lines_keep_their_text() {
        let text = "a\r\né = 1\r\nb\n\n# ü\nlast é";
        let map = LineMap::new(text);
        let mut kept: Vec<(u32, &str)> = map
            .non_ascii
            .iter()
            .map(|(line, text)| (*line, &**text))
            .collect();
        kept.sort();
        assert_eq!(kept, [(1, "é = 1\r"), (4, "# ü"), (5, "last é")]);
        assert!(LineMap::new("ascii\nonly\n").non_ascii.is_empty());
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        let clamp = |line, character| {
            offset(
                &index,
                text,
                Position { line, character },
                PositionEncoding::Utf16,
            )
        };
        assert_eq!(clamp(0, 99), 2);
        assert_eq!(clamp(9, 0), 5);
        let map = LineMap::new(text);
        assert_eq!(
            map.position(99, PositionEncoding::Utf8),
            Position::new(1, 2)
        );
        let reversed = Range::new(Position::new(1, 1), Position::new(0, 0));
        assert_eq!(
            text_range(&index, text, reversed, PositionEncoding::Utf8),
            TextRange::new(0, 4)
        );
    }

    #[test]
    fn negotiation_prefers_utf8_when_offered() {
        let mut capabilities = ClientCapabilities::default();
        assert_eq!(
            PositionEncoding::negotiate(&capabilities),
            PositionEncoding::Utf16
        );
        capabilities.general = Some(tower_lsp_server::ls_types::GeneralClientCapabilities {
            position_encodings: Some(vec![
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8,
            ]),
            ..Default::default()
        });
        assert_eq!(
            PositionEncoding::negotiate(&capabilities),
            PositionEncoding::Utf8
        );
    }
}
