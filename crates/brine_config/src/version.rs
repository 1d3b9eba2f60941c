//! The `torch-version` setting: a version specifier whose lower bound decides `torch.load`'s default.

/// The lower bound of the project's torch requirement, e.g. `>=2.6` gives (2, 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TorchVersion {
    pub major: u32,
    pub minor: u32,
}

impl TorchVersion {
    /// Parses a PEP 440 specifier set (`">=2.6,<3"`, `"~=2.7"`, `"2.6"`) and keeps its highest lower
    /// bound. `None` when the text names no lower bound (`"<3"`) or is not a specifier.
    pub fn lower_bound(specifier: &str) -> Result<Option<TorchVersion>, String> {
        let mut bound = None;
        for clause in specifier
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            let version = if let Some(rest) = clause.strip_prefix(">=") {
                Some(rest)
            } else if let Some(rest) = clause.strip_prefix("~=") {
                Some(rest)
            } else if let Some(rest) = clause.strip_prefix("===") {
                Some(rest)
            } else if let Some(rest) = clause.strip_prefix("==") {
                Some(rest)
            } else if let Some(rest) = clause.strip_prefix('>') {
                Some(rest)
            } else if clause.starts_with(['<', '!']) {
                None
            } else {
                Some(clause)
            };
            if let Some(version) = version {
                let parsed = parse_version(version.trim())
                    .ok_or_else(|| format!("`{clause}` is not a version specifier"))?;
                bound = bound.max(Some(parsed));
            }
        }
        Ok(bound)
    }

    /// torch 2.6 made `weights_only=True` the default of `torch.load`.
    pub fn loads_weights_only_by_default(self) -> bool {
        self >= TorchVersion { major: 2, minor: 6 }
    }
}

fn parse_version(text: &str) -> Option<TorchVersion> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(minor) => minor
            .trim_end_matches('*')
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0),
        None => 0,
    };
    Some(TorchVersion { major, minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bounds() {
        let safe = |s: &str| {
            TorchVersion::lower_bound(s)
                .unwrap()
                .is_some_and(TorchVersion::loads_weights_only_by_default)
        };
        assert!(safe(">=2.6"));
        assert!(safe(">=2.6,<3"));
        assert!(safe("~=2.7.1"));
        assert!(safe("2.6"));
        assert!(safe("==2.8.*"));
        assert!(!safe(">=2.5"));
        assert!(!safe("<3"));
        assert!(!safe(">=1.13"));
        assert!(TorchVersion::lower_bound(">=banana").is_err());
    }
}
