//! Locating cells' `source` values in a notebook's JSON text, and rewriting one without touching the
//! bytes around it. A small scanner, because a JSON library parses values but forgets where they were.

use std::ops::Range;

use crate::NotebookError;

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn skip_ws(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Skips a string starting at the current position; returns its span including the quotes.
    fn string(&mut self) -> Option<Range<usize>> {
        self.skip_ws();
        let start = self.at;
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        self.at += 1;
        loop {
            match self.bytes.get(self.at)? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return Some(start..self.at);
                }
                _ => self.at += 1,
            }
        }
    }

    /// Skips any value without recursion; returns its span.
    fn value(&mut self) -> Option<Range<usize>> {
        self.skip_ws();
        let start = self.at;
        match *self.bytes.get(self.at)? {
            b'"' => self.string(),
            b'[' | b'{' => {
                let mut depth = 0usize;
                loop {
                    match *self.bytes.get(self.at)? {
                        b'"' => {
                            self.string()?;
                        }
                        b'[' | b'{' => {
                            depth += 1;
                            self.at += 1;
                        }
                        b']' | b'}' => {
                            depth -= 1;
                            self.at += 1;
                            if depth == 0 {
                                return Some(start..self.at);
                            }
                        }
                        _ => self.at += 1,
                    }
                }
            }
            // Numbers, `true`, `false`, `null`.
            _ => {
                while let Some(&byte) = self.bytes.get(self.at) {
                    if matches!(byte, b',' | b'}' | b']') || byte.is_ascii_whitespace() {
                        break;
                    }
                    self.at += 1;
                }
                Some(start..self.at)
            }
        }
    }

    /// Calls `each(key, scanner)` for every key of the object at the current position; `each` must
    /// consume the value.
    fn object(&mut self, mut each: impl FnMut(&str, &mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            let key = std::str::from_utf8(&self.bytes[key.start + 1..key.end - 1])
                .ok()?
                .to_owned();
            self.expect(b':')?;
            each(&key, self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Calls `each(scanner)` for every element of the array at the current position.
    fn array(&mut self, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            each(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// The span of every cell's `source` value, by index in the `cells` array (`None` for a cell without one).
pub fn cell_source_spans(json: &str) -> Option<Vec<Option<Range<usize>>>> {
    let mut scanner = Scanner {
        bytes: json.as_bytes(),
        at: 0,
    };
    let mut spans = None;
    scanner.object(|key, scanner| {
        if key != "cells" {
            return scanner.value().map(|_| ());
        }
        let mut cells = Vec::new();
        scanner.array(|scanner| {
            let mut source = None;
            scanner.object(|key, scanner| {
                let span = scanner.value()?;
                if key == "source" {
                    source = Some(span);
                }
                Some(())
            })?;
            cells.push(source);
            Some(())
        })?;
        spans = Some(cells);
        Some(())
    })?;
    spans
}

/// Maps byte offsets in a cell's source (as decoded from JSON) to byte offsets in the notebook's JSON
/// text, so that a position in a cell can be shown in the `.ipynb` file itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceLocator {
    /// Runs of the decoded source in order: where each starts in the source and in the JSON text,
    /// and whether it was copied verbatim (an escape maps every offset inside it to its start).
    runs: Vec<Run>,
    /// Where the source ends in the JSON text: before the closing quote of its last string.
    end: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    decoded: u32,
    raw: u32,
    verbatim: bool,
}

impl SourceLocator {
    /// The JSON offset of a byte offset in the decoded source (clamped to the source's end).
    pub fn json_offset(&self, offset: u32) -> u32 {
        if offset >= self.len {
            return self.end;
        }
        let at = self
            .runs
            .partition_point(|run| run.decoded <= offset)
            .saturating_sub(1);
        match self.runs.get(at) {
            Some(run) if run.verbatim => run.raw + (offset - run.decoded),
            Some(run) => run.raw,
            None => self.end,
        }
    }

    /// The decoded length of the source.
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The locator of the `source` value at `span` (a JSON string or a list of strings, as found by
/// [`cell_source_spans`]); `None` when it is neither.
pub fn source_locator(json: &str, span: &Range<usize>) -> Option<SourceLocator> {
    let bytes = json.as_bytes();
    let mut strings = Vec::new();
    if json.get(span.clone())?.starts_with('[') {
        let mut scanner = Scanner {
            bytes,
            at: span.start,
        };
        scanner.array(|scanner| {
            strings.push(scanner.string()?);
            Some(())
        })?;
    } else {
        let mut scanner = Scanner {
            bytes,
            at: span.start,
        };
        strings.push(scanner.string()?);
    }
    let mut locator = SourceLocator {
        end: (span.start + 1) as u32,
        ..SourceLocator::default()
    };
    for string in strings {
        // Inside the quotes.
        let (start, end) = (string.start + 1, string.end - 1);
        let mut at = start;
        let mut in_run = false;
        while at < end {
            if bytes[at] != b'\\' {
                if !in_run {
                    in_run = true;
                    locator.runs.push(Run {
                        decoded: locator.len,
                        raw: at as u32,
                        verbatim: true,
                    });
                }
                locator.len += 1;
                at += 1;
                continue;
            }
            in_run = false;
            let (decoded, raw) = decode_escape(&bytes[at..end]);
            locator.runs.push(Run {
                decoded: locator.len,
                raw: at as u32,
                verbatim: false,
            });
            locator.len += decoded;
            at += raw.max(1);
        }
        locator.end = end as u32;
    }
    Some(locator)
}

/// The decoded UTF-8 length and the raw length of the escape at the start of `raw` (which starts
/// with a backslash). A surrogate pair (`\ud83d\ude00`) is one escape of twelve bytes.
fn decode_escape(raw: &[u8]) -> (u32, usize) {
    let hex = |from: usize| -> Option<u32> {
        let digits = std::str::from_utf8(raw.get(from..from + 4)?).ok()?;
        u32::from_str_radix(digits, 16).ok()
    };
    match raw.get(1) {
        Some(b'u') => match hex(2) {
            Some(0xD800..=0xDBFF)
                if raw.get(6..8) == Some(b"\\u".as_slice())
                    && matches!(hex(8), Some(0xDC00..=0xDFFF)) =>
            {
                (4, 12)
            }
            Some(code) => (char::from_u32(code).map_or(3, |c| c.len_utf8() as u32), 6),
            None => (1, 2),
        },
        Some(_) => (1, 2),
        None => (0, 1),
    }
}

/// The replacement that turns the `source` value at `span` into `new_source`, touching only the
/// array elements (lines) that differ.
pub fn source_replacement(
    json: &str,
    span: &Range<usize>,
    new_source: &str,
) -> Result<(Range<usize>, String), NotebookError> {
    let encode = |text: &str| serde_json::to_string(text).expect("strings always encode");
    let value = &json[span.clone()];
    if !value.starts_with('[') {
        return Ok((span.clone(), encode(new_source)));
    }
    let mut scanner = Scanner {
        bytes: json.as_bytes(),
        at: span.start,
    };
    let mut elements: Vec<Range<usize>> = Vec::new();
    scanner
        .array(|scanner| {
            elements.push(scanner.string()?);
            Some(())
        })
        .ok_or_else(|| {
            NotebookError("a cell's `source` list holds something other than strings".into())
        })?;
    let decode = |range: &Range<usize>| {
        serde_json::from_str::<String>(&json[range.clone()]).unwrap_or_default()
    };
    let old_lines: Vec<String> = elements.iter().map(decode).collect();
    let new_lines: Vec<&str> = new_source.split_inclusive('\n').collect();
    if old_lines.is_empty() {
        let body: Vec<String> = new_lines.iter().map(|line| encode(line)).collect();
        return Ok((span.clone(), format!("[{}]", body.join(", "))));
    }
    let prefix = old_lines
        .iter()
        .zip(&new_lines)
        .take_while(|(a, b)| a == *b)
        .count();
    let max_suffix = old_lines.len().min(new_lines.len()) - prefix;
    let suffix = old_lines
        .iter()
        .rev()
        .zip(new_lines.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == *b)
        .count();
    let separator = if elements.len() > 1 {
        json[elements[0].end..elements[1].start].to_owned()
    } else {
        ", ".to_owned()
    };
    let inserted: Vec<String> = new_lines[prefix..new_lines.len() - suffix]
        .iter()
        .map(|line| encode(line))
        .collect();
    let removed = prefix..old_lines.len() - suffix;
    let joined = inserted.join(&separator);
    Ok(match (removed.is_empty(), inserted.is_empty()) {
        (true, true) => (span.start..span.start, String::new()),
        (false, false) => (
            elements[removed.start].start..elements[removed.end - 1].end,
            joined,
        ),
        // Only new lines: insert them before the first kept line, or after the last line.
        (true, false) if removed.start < elements.len() => {
            let at = elements[removed.start].start;
            (at..at, format!("{joined}{separator}"))
        }
        (true, false) => {
            let at = elements[elements.len() - 1].end;
            (at..at, format!("{separator}{joined}"))
        }
        // Only removed lines: take a separator with them.
        (false, true) if removed.start > 0 => (
            elements[removed.start - 1].end..elements[removed.end - 1].end,
            String::new(),
        ),
        (false, true) if removed.end < elements.len() => (
            elements[0].start..elements[removed.end].start,
            String::new(),
        ),
        (false, true) => (span.clone(), "[]".to_owned()),
    })
}
