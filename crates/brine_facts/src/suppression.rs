//! `# brine: ignore[...]` comments, found while lowering so that closed files keep them.
//!
//! Syntax (see the spec's "Suppression and configuration"): `# brine: ignore[BRN101, BRN2]` or
//! `# brine: ignore` on a line; `# brine: ignore-file[...]` or `# brine: ignore-file` anywhere.
//! Codes may be prefixes (`BRN1` covers every BRN1xx).

use rustc_hash::FxHashMap;

/// Which codes a suppression covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeFilter {
    All,
    Codes(Vec<Box<str>>),
}

impl CodeFilter {
    pub fn matches(&self, code: &str) -> bool {
        match self {
            CodeFilter::All => true,
            CodeFilter::Codes(codes) => codes.iter().any(|c| code.starts_with(&**c)),
        }
    }

    fn merge(&mut self, other: CodeFilter) {
        match (self, other) {
            (CodeFilter::All, _) => {}
            (this, CodeFilter::All) => *this = CodeFilter::All,
            (CodeFilter::Codes(mine), CodeFilter::Codes(theirs)) => mine.extend(theirs),
        }
    }
}

/// All suppression comments of a file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Suppressions {
    /// Zero-based line -> codes suppressed on that line.
    pub lines: FxHashMap<u32, CodeFilter>,
    /// Codes suppressed in the whole file.
    pub file: Option<CodeFilter>,
}

impl Suppressions {
    /// Finds suppression comments: lines mentioning `brine:` are scanned for a `#` that
    /// `is_comment_at` confirms starts a comment (the lowering asks the tree), so a string literal
    /// that spells a suppression does not suppress anything.
    pub fn scan(text: &str, is_comment_at: impl Fn(usize) -> bool) -> Self {
        let mut suppressions = Suppressions::default();
        // Most files have no suppression at all: one fast search instead of one per line.
        if memchr::memmem::find(text.as_bytes(), b"brine:").is_none() {
            return suppressions;
        }
        let mut line_start = 0;
        for (line_number, line) in text.split('\n').enumerate() {
            let this_line_start = line_start;
            line_start += line.len() + 1;
            if !line.contains("brine:") {
                continue;
            }
            // The first `#` that starts a real comment (not one inside a string literal).
            let Some(hash) = line
                .match_indices('#')
                .map(|(index, _)| index)
                .find(|&index| is_comment_at(this_line_start + index))
            else {
                continue;
            };
            let mut rest = &line[hash..];
            while let Some(found) = rest.find("brine:") {
                rest = rest[found + "brine:".len()..].trim_start();
                if let Some(after) = rest.strip_prefix("ignore-file") {
                    let filter = parse_codes(after);
                    match &mut suppressions.file {
                        Some(existing) => existing.merge(filter),
                        None => suppressions.file = Some(filter),
                    }
                } else if let Some(after) = rest.strip_prefix("ignore") {
                    let filter = parse_codes(after);
                    suppressions
                        .lines
                        .entry(line_number as u32)
                        .and_modify(|existing| existing.merge(filter.clone()))
                        .or_insert(filter);
                }
            }
        }
        suppressions
    }

    pub fn is_suppressed(&self, code: &str, lines: &[u32]) -> bool {
        self.file.as_ref().is_some_and(|f| f.matches(code))
            || lines
                .iter()
                .any(|line| self.lines.get(line).is_some_and(|f| f.matches(code)))
    }
}

fn parse_codes(after_keyword: &str) -> CodeFilter {
    let Some(list) = after_keyword.strip_prefix('[') else {
        return CodeFilter::All;
    };
    let list = list.split(']').next().unwrap_or_default();
    let codes: Vec<Box<str>> = list
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(Into::into)
        .collect();
    if codes.is_empty() {
        CodeFilter::All
    } else {
        CodeFilter::Codes(codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_file_suppressions() {
        let text =
            "a  # brine: ignore[BRN101, BRN2]\nb # brine: ignore\n# brine: ignore-file[BRN104]\n";
        let s = Suppressions::scan(text, |_| true);
        assert!(s.is_suppressed("BRN101", &[0]));
        assert!(s.is_suppressed("BRN203", &[0]));
        assert!(!s.is_suppressed("BRN102", &[0]));
        assert!(s.is_suppressed("BRN102", &[1]));
        assert!(s.is_suppressed("BRN104", &[7]));
        assert!(!s.is_suppressed("BRN105", &[7]));
    }
}
