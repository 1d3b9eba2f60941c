//! Conversion between byte offsets and line/column positions.
//!
//! Kept separate from the text so that closed files can keep their line index (a few bytes per line)
//! without keeping the text or the tree.

/// A zero-based line and a zero-based column counted in the unit the caller asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// The byte offset at which each line starts. Cloning shares the offsets (the server keeps the index
/// of a file read from disk both in its facts and in the map that converts positions for LSP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: std::sync::Arc<[u32]>,
    len: u32,
}

impl Default for LineIndex {
    fn default() -> Self {
        LineIndex::new("")
    }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts
            .extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|newline| newline as u32 + 1));
        LineIndex {
            line_starts: line_starts.into(),
            len: text.len() as u32,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The zero-based line containing `offset` (offsets past the end clamp to the last line).
    pub fn line_of(&self, offset: u32) -> u32 {
        let offset = offset.min(self.len);
        (self.line_starts.partition_point(|&start| start <= offset) - 1) as u32
    }

    /// Byte offset of the start of `line` (clamped to the end of the text).
    pub fn line_start(&self, line: u32) -> u32 {
        self.line_starts
            .get(line as usize)
            .copied()
            .unwrap_or(self.len)
    }

    /// The byte range of `line` without its line terminator.
    pub fn line_range(&self, line: u32, text: &str) -> std::ops::Range<usize> {
        let start = self.line_start(line) as usize;
        let mut end = self.line_start(line + 1) as usize;
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        start..end.min(text.len())
    }

    /// Line and column where the column counts bytes (LSP's `utf-8` position encoding).
    pub fn line_col_utf8(&self, offset: u32) -> LineCol {
        let line = self.line_of(offset);
        LineCol {
            line,
            col: offset.min(self.len) - self.line_start(line),
        }
    }

    /// Line and column where the column counts Unicode scalar values (what humans and SARIF count).
    pub fn line_col_chars(&self, offset: u32, text: &str) -> LineCol {
        self.line_col_counted(offset, text, |_| 1)
    }

    /// Line and column where the column counts UTF-16 code units (LSP's default position encoding).
    pub fn line_col_utf16(&self, offset: u32, text: &str) -> LineCol {
        self.line_col_counted(offset, text, |c| c.len_utf16() as u32)
    }

    fn line_col_counted(&self, offset: u32, text: &str, width: impl Fn(char) -> u32) -> LineCol {
        let line = self.line_of(offset);
        let start = self.line_start(line) as usize;
        let end = (offset as usize).min(text.len());
        let col = text
            .get(start..end)
            .map(|prefix| prefix.chars().map(&width).sum())
            .unwrap_or(end.saturating_sub(start) as u32);
        LineCol { line, col }
    }

    /// The byte offset of a line and UTF-16 column, clamped into the text (never panics on
    /// positions past the end of a line or of the file).
    pub fn offset_utf16(&self, pos: LineCol, text: &str) -> u32 {
        self.offset_counted(pos, text, |c| c.len_utf16() as u32)
    }

    /// The byte offset of a line and UTF-8 column, clamped into the text and onto a char boundary.
    pub fn offset_utf8(&self, pos: LineCol, text: &str) -> u32 {
        self.offset_counted(pos, text, |c| c.len_utf8() as u32)
    }

    fn offset_counted(&self, pos: LineCol, text: &str, width: impl Fn(char) -> u32) -> u32 {
        if pos.line as usize >= self.line_starts.len() {
            return self.len;
        }
        let range = self.line_range(pos.line, text);
        let mut counted = 0;
        for (index, c) in text[range.clone()].char_indices() {
            if counted >= pos.col {
                return (range.start + index) as u32;
            }
            counted += width(c);
        }
        range.end as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "ab\ncé😀d\n\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let d = text.find('d').unwrap() as u32;
        assert_eq!(index.line_col_utf8(d), LineCol { line: 1, col: 7 });
        assert_eq!(index.line_col_chars(d, text), LineCol { line: 1, col: 3 });
        assert_eq!(index.line_col_utf16(d, text), LineCol { line: 1, col: 4 });
        assert_eq!(index.offset_utf16(LineCol { line: 1, col: 4 }, text), d);
        assert_eq!(
            index.offset_utf16(LineCol { line: 1, col: 99 }, text),
            d + 1
        );
        assert_eq!(
            index.offset_utf16(LineCol { line: 99, col: 0 }, text),
            text.len() as u32
        );
        assert_eq!(index.line_of(1000), 3);
    }
}
