//! The rule catalog: code, name, default severity and documentation of every rule.
//!
//! Each rule's documentation lives in one place, `docs/rules/<CODE>.md`, and is compiled in here, so
//! `brine rule`, SARIF descriptions and the editor's hover all show the same text.

use serde::Serialize;

/// How serious a finding is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule of the catalog.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    /// The rule's Markdown documentation.
    pub doc: &'static str,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Rule {
    /// The one-line summary: the documentation's first `> ` line.
    pub fn short_description(&self) -> &'static str {
        self.doc
            .lines()
            .find_map(|line| line.strip_prefix("> "))
            .unwrap_or(self.name)
    }

    /// The "What it does" section as one paragraph.
    pub fn full_description(&self) -> String {
        let mut lines = self
            .doc
            .lines()
            .skip_while(|line| !line.starts_with("## What it does"))
            .skip(1);
        let mut text = String::new();
        for line in lines.by_ref() {
            if line.starts_with("## ") {
                break;
            }
            let line = line.trim();
            if !line.is_empty() {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(line);
            }
        }
        if text.is_empty() {
            self.short_description().to_owned()
        } else {
            text
        }
    }
}

macro_rules! rule {
    ($code:literal, $name:literal, $severity:ident) => {
        Rule {
            code: $code,
            name: $name,
            default_severity: Severity::$severity,
            doc: include_str!(concat!("../../../../docs/rules/", $code, ".md")),
        }
    };
}

pub static RULES: &[Rule] = &[
    rule!("BRN101", "pickle-deserialization", Warning),
    rule!("BRN102", "torch-load-without-weights-only", Warning),
    rule!("BRN103", "numpy-allow-pickle", Warning),
    rule!("BRN104", "yaml-unsafe-load", Warning),
    rule!("BRN105", "keras-unsafe-load", Warning),
    rule!("BRN201", "unpinned-hub-download", Warning),
    rule!("BRN202", "trust-remote-code", Warning),
    rule!("BRN203", "torch-hub-load", Warning),
    rule!("BRN401", "unsafe-pickle-file", Error),
];

/// Looks a rule up by code (`BRN101`) or name (`pickle-deserialization`), case-insensitively.
pub fn rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| {
        rule.code.eq_ignore_ascii_case(code_or_name) || rule.name.eq_ignore_ascii_case(code_or_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_doc_starts_with_its_code_and_name() {
        for rule in RULES {
            let heading = rule.doc.lines().next().unwrap();
            assert_eq!(heading, format!("# {} {}", rule.code, rule.name));
            assert!(rule.short_description().len() > 20, "{}", rule.code);
            assert!(rule.full_description().len() > 40, "{}", rule.code);
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
                "## Fix safety",
            ] {
                assert!(rule.doc.contains(section), "{} lacks {section}", rule.code);
            }
        }
    }
}
