//! Conversion between byte offsets and line/column positions.
//!
//! Kept separate from the text so that closed files can keep their line index (a few bytes per line)
//! without keeping the text or the tree.

use std::sync::Arc;

/// A zero-based line and a zero-based column counted in the unit the caller asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Lines per block of [`LineIndex`]: a block keeps its first line's start in full and each of its
/// lines' starts as a 16-bit offset from it (2.25 bytes per line instead of 4).
const BLOCK: usize = 16;

/// The byte offset at which each line starts. Cloning shares the offsets (the server keeps the index
/// of a file read from disk both in its facts and in the map that converts positions for LSP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// The start of every `BLOCK`-th line, from line 0.
    block_starts: Arc<[u32]>,
    /// Per line, its start minus its block's start (0 for the lines of wide blocks).
    offsets: Arc<[u16]>,
    /// Blocks that span 64 KiB or more (very long lines), with their lines' starts in full, in
    /// order of block.
    wide: Arc<[(u32, [u32; BLOCK])]>,
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
        let mut block_starts = Vec::with_capacity(line_starts.len().div_ceil(BLOCK));
        let mut offsets = Vec::with_capacity(line_starts.len());
        let mut wide = Vec::new();
        for (block, starts) in line_starts.chunks(BLOCK).enumerate() {
            let first = starts[0];
            block_starts.push(first);
            let fits = starts
                .iter()
                .all(|&start| start - first <= u32::from(u16::MAX));
            if fits {
                offsets.extend(starts.iter().map(|&start| (start - first) as u16));
            } else {
                offsets.extend(starts.iter().map(|_| 0));
                let mut full = [0; BLOCK];
                full[..starts.len()].copy_from_slice(starts);
                wide.push((block as u32, full));
            }
        }
        LineIndex {
            block_starts: block_starts.into(),
            offsets: offsets.into(),
            wide: wide.into(),
            len: text.len() as u32,
        }
    }

    pub fn line_count(&self) -> usize {
        self.offsets.len()
    }

    /// The zero-based line containing `offset` (offsets past the end clamp to the last line).
    pub fn line_of(&self, offset: u32) -> u32 {
        let offset = offset.min(self.len);
        // Line 0 starts at 0, so some block starts at or before any offset.
        let block = self.block_starts.partition_point(|&start| start <= offset) - 1;
        let first = block * BLOCK;
        let lines = first..(first + BLOCK).min(self.line_count());
        let in_block = lines
            .map(|line| self.line_start(line as u32))
            .take_while(|&start| start <= offset)
            .count();
        (first + in_block - 1) as u32
    }

    /// Byte offset of the start of `line` (clamped to the end of the text).
    pub fn line_start(&self, line: u32) -> u32 {
        let line = line as usize;
        if line >= self.line_count() {
            return self.len;
        }
        let block = line / BLOCK;
        if !self.wide.is_empty() {
            if let Ok(found) = self
                .wide
                .binary_search_by_key(&(block as u32), |(at, _)| *at)
            {
                return self.wide[found].1[line % BLOCK];
            }
        }
        self.block_starts[block] + u32::from(self.offsets[line])
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
        if pos.line as usize >= self.line_count() {
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

    /// Every line's start and every offset's line, against a plain list of line starts.
    fn check_against_plain(text: &str) {
        let index = LineIndex::new(text);
        let mut starts = vec![0u32];
        starts.extend(text.match_indices('\n').map(|(at, _)| at as u32 + 1));
        assert_eq!(index.line_count(), starts.len());
        for (line, &start) in starts.iter().enumerate() {
            assert_eq!(index.line_start(line as u32), start, "line {line}");
        }
        for offset in 0..=text.len() as u32 + 2 {
            let line = starts.partition_point(|&start| start <= offset.min(text.len() as u32)) - 1;
            assert_eq!(index.line_of(offset), line as u32, "offset {offset}");
        }
    }

    #[test]
    fn blocks_of_lines_agree_with_a_plain_list() {
        let short: String = (0..100).map(|n| "x".repeat(n % 7) + "\n").collect();
        check_against_plain(&short);
        check_against_plain("");
        check_against_plain("\n\n\n");
        // Blocks spanning 64 KiB or more keep their starts in full: a long line in the middle, at
        // a block's start, at its end, and as the last line.
        let long = "y".repeat(70_000);
        for at in [0, 15, 16, 40, 99] {
            let lines: String = (0..100)
                .map(|n| {
                    if n == at {
                        format!("{long}\n")
                    } else {
                        "ab\n".to_owned()
                    }
                })
                .collect();
            check_against_plain(&lines);
        }
        check_against_plain(&format!("a\nb\n{long}"));
        check_against_plain(&format!("{long}\n{long}\n{long}"));
    }
}
