//! Settings the editor sends (`initializationOptions`, `workspace/didChangeConfiguration`, or the
//! `brine` section of `workspace/configuration`): the same overrides as `brine check --select/--ignore`,
//! plus the threat model.

use brine_config::ThreatModel;
use serde_json::Value;

/// Editor-level overrides, applied on top of each file's configuration like command-line options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSettings {
    /// Replaces the configuration's `select` when given.
    pub select: Option<Vec<String>>,
    /// Added to the configuration's `ignore`.
    pub ignore: Vec<String>,
    /// Overrides the configuration's `threat-model` when given.
    pub threat_model: Option<ThreatModel>,
}

impl ClientSettings {
    /// Reads settings from JSON: either the settings object itself or an object with a `brine` key
    /// holding it. Returns `None` when the value holds no brine settings at all, plus a message for
    /// every value that was present but malformed (and ignored).
    pub fn from_json(value: &Value) -> (Option<ClientSettings>, Vec<String>) {
        let (object, mut found) = match value.get("brine") {
            Some(inner) if inner.is_object() => (inner, true),
            _ => (value, false),
        };
        let Some(object) = object.as_object() else {
            return (None, Vec::new());
        };
        let mut warnings = Vec::new();
        let mut settings = ClientSettings::default();
        if let Some(select) = object.get("select") {
            found = true;
            match codes(select) {
                Some(codes) => settings.select = Some(codes),
                None if select.is_null() => {}
                None => warnings.push(format!(
                    "setting `select`: expected a list of rule codes, got {select}"
                )),
            }
        }
        if let Some(ignore) = object.get("ignore") {
            found = true;
            match codes(ignore) {
                Some(codes) => settings.ignore = codes,
                None if ignore.is_null() => {}
                None => warnings.push(format!(
                    "setting `ignore`: expected a list of rule codes, got {ignore}"
                )),
            }
        }
        if let Some(model) = object
            .get("threatModel")
            .or_else(|| object.get("threat-model"))
        {
            found = true;
            match model.as_str() {
                Some("remote") => settings.threat_model = Some(ThreatModel::Remote),
                Some("local") => settings.threat_model = Some(ThreatModel::Local),
                _ if model.is_null() => {}
                _ => warnings.push(format!(
                    "setting `threatModel`: expected \"remote\" or \"local\", got {model}"
                )),
            }
        }
        (found.then_some(settings), warnings)
    }
}

/// A list of codes, as a JSON array of strings or one comma-separated string.
fn codes(value: &Value) -> Option<Vec<String>> {
    let split = |text: &str| -> Vec<String> {
        text.split(',')
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect()
    };
    match value {
        Value::String(text) => Some(split(text)),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(split))
            .collect::<Option<Vec<_>>>()
            .map(|lists| lists.concat()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_flat_and_nested_settings() {
        let (settings, warnings) = ClientSettings::from_json(
            &json!({"select": ["BRN1"], "ignore": "BRN102, BRN104", "threatModel": "local"}),
        );
        assert!(warnings.is_empty());
        assert_eq!(
            settings,
            Some(ClientSettings {
                select: Some(vec!["BRN1".into()]),
                ignore: vec!["BRN102".into(), "BRN104".into()],
                threat_model: Some(ThreatModel::Local),
            })
        );
        let (nested, _) = ClientSettings::from_json(&json!({"brine": {"ignore": ["BRN2"]}}));
        assert_eq!(nested.unwrap().ignore, vec!["BRN2".to_owned()]);
    }

    #[test]
    fn malformed_values_are_reported_and_ignored() {
        let (settings, warnings) =
            ClientSettings::from_json(&json!({"select": 3, "threatModel": "lan"}));
        assert_eq!(settings, Some(ClientSettings::default()));
        assert_eq!(warnings.len(), 2);
        assert_eq!(ClientSettings::from_json(&json!(null)).0, None);
        assert_eq!(ClientSettings::from_json(&json!({"other": 1})).0, None);
        // An empty `brine` section means "back to the defaults".
        assert_eq!(
            ClientSettings::from_json(&json!({"brine": {}})).0,
            Some(ClientSettings::default())
        );
    }
}
