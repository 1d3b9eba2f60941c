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
