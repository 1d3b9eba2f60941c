//! Which rule codes are enabled: `select` and `ignore` by code or prefix.

/// Codes or prefixes to select and to ignore. The most specific matching entry wins, and `ignore`
/// wins a tie, as in ruff: `select = ["BRN101"]`, `ignore = ["BRN1"]` keeps BRN101 only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSelection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Default for RuleSelection {
    fn default() -> Self {
        RuleSelection {
            select: vec!["BRN".into()],
            ignore: Vec::new(),
        }
    }
}

impl RuleSelection {
    pub fn is_enabled(&self, code: &str) -> bool {
        let longest = |prefixes: &[String]| {
            prefixes
                .iter()
                .filter(|prefix| code.starts_with(prefix.as_str()))
                .map(String::len)
                .max()
        };
        match (longest(&self.select), longest(&self.ignore)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(selected), Some(ignored)) => selected > ignored,
        }
    }

    /// Replaces `select` when the command line gives one, and adds its `ignore`s.
    pub fn overridden_by(&self, select: Option<&[String]>, ignore: &[String]) -> RuleSelection {
        RuleSelection {
            select: select.map_or_else(|| self.select.clone(), <[String]>::to_vec),
            ignore: self.ignore.iter().chain(ignore).cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_wins() {
        let selection = RuleSelection {
            select: vec!["BRN101".into(), "BRN2".into()],
            ignore: vec!["BRN1".into(), "BRN203".into()],
        };
        assert!(selection.is_enabled("BRN101"));
        assert!(!selection.is_enabled("BRN102"));
        assert!(selection.is_enabled("BRN201"));
        assert!(!selection.is_enabled("BRN203"));
        assert!(RuleSelection::default().is_enabled("BRN401"));
    }
}
