//! Parsing `[tool.brine]` / `brine.toml` into [`Config`], key by key, with errors that name the key.

use std::fmt;

use toml::{Table, Value};

use crate::{RuleSelection, TorchVersion};

/// Where untrusted data is assumed to come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThreatModel {
    /// Network and web request data (the default).
    #[default]
    Remote,
    /// Also argv, environment variables and stdin.
    Local,
}

/// A user-declared library model: a qualified name and, for sinks and sanitizers, the argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserModel {
    pub name: String,
    /// Positional index or keyword name of the argument that matters, if given.
    pub arg: Option<String>,
}

/// One configuration file's settings. Paths in `exclude` and `per-file-ignores` are globs relative
/// to the folder holding the configuration file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub selection: RuleSelection,
    pub exclude: Vec<String>,
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    pub torch_version: Option<TorchVersion>,
    pub threat_model: ThreatModel,
    pub sources: Vec<UserModel>,
    pub sinks: Vec<UserModel>,
    pub sanitizers: Vec<UserModel>,
    pub propagators: Vec<UserModel>,
}

/// A configuration problem: which key, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key path, e.g. `tool.brine.select`; empty for a TOML syntax error.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.key, self.message)
        }
    }
}

impl Config {
    /// Parses a `pyproject.toml`; `Ok(None)` when it has no `[tool.brine]` table.
    pub fn from_pyproject(text: &str) -> Result<Option<Config>, ConfigError> {
        let table = parse_toml(text)?;
        let Some(tool) = table.get("tool") else {
            return Ok(None);
        };
        let Some(brine) = tool.get("brine") else {
            return Ok(None);
        };
        let brine = brine.as_table().ok_or_else(|| ConfigError {
            key: "tool.brine".into(),
            message: "expected a table".into(),
        })?;
        Config::from_table(brine, "tool.brine.").map(Some)
    }

    /// Parses a `brine.toml`, whose top level is the configuration itself.
    pub fn from_brine_toml(text: &str) -> Result<Config, ConfigError> {
        Config::from_table(&parse_toml(text)?, "")
    }

    fn from_table(table: &Table, prefix: &str) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        for (key, value) in table {
            let path = format!("{prefix}{key}");
            match key.as_str() {
                "select" => config.selection.select = codes(value, &path)?,
                "ignore" => config.selection.ignore = codes(value, &path)?,
                "exclude" => config.exclude = strings(value, &path)?,
                "per-file-ignores" => {
                    let table = value.as_table().ok_or_else(|| error(&path, "expected a table of glob = [codes]"))?;
                    for (glob, codes_value) in table {
                        let glob_path = format!("{path}.\"{glob}\"");
                        globset::Glob::new(glob)
                            .map_err(|e| error(&glob_path, &format!("invalid glob: {e}")))?;
                        config.per_file_ignores.push((glob.clone(), codes(codes_value, &glob_path)?));
                    }
                }
                "torch-version" => {
                    let text = value.as_str().ok_or_else(|| error(&path, "expected a version specifier string such as \">=2.6\""))?;
                    config.torch_version = TorchVersion::lower_bound(text).map_err(|m| error(&path, &m))?;
                }
                "threat-model" => {
                    config.threat_model = match value.as_str() {
                        Some("remote") => ThreatModel::Remote,
                        Some("local") => ThreatModel::Local,
                        _ => return Err(error(&path, "expected \"remote\" or \"local\"")),
                    }
                }
                "sources" => config.sources = models(value, &path)?,
                "sinks" => config.sinks = models(value, &path)?,
                "sanitizers" => config.sanitizers = models(value, &path)?,
                "propagators" => config.propagators = models(value, &path)?,
                _ => {
                    return Err(error(
                        &path,
                        "unknown key (expected select, ignore, exclude, per-file-ignores, torch-version, threat-model, sources, sinks, sanitizers or propagators)",
                    ))
                }
            }
        }
        Ok(config)
    }
}

fn parse_toml(text: &str) -> Result<Table, ConfigError> {
    text.parse::<Table>().map_err(|e| ConfigError {
        key: String::new(),
        message: format!("invalid TOML: {}", e.message()),
    })
}

fn error(key: &str, message: &str) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        message: message.to_owned(),
    }
}

fn strings(value: &Value, path: &str) -> Result<Vec<String>, ConfigError> {
    let array = value
        .as_array()
        .ok_or_else(|| error(path, "expected an array of strings"))?;
    array
        .iter()
        .map(|item| {
            item.as_str()
                .map(str::to_owned)
                .ok_or_else(|| error(path, "expected an array of strings"))
        })
        .collect()
}

fn codes(value: &Value, path: &str) -> Result<Vec<String>, ConfigError> {
    let codes = strings(value, path)?;
    for code in &codes {
        let valid = code.starts_with("BRN")
            && code[3..].chars().all(|c| c.is_ascii_digit())
            && code.len() <= 6;
        if !valid && code != "ALL" {
            return Err(error(
                path,
                &format!("`{code}` is not a rule code or prefix (like BRN101 or BRN1)"),
            ));
        }
    }
    Ok(codes
        .into_iter()
        .map(|c| if c == "ALL" { "BRN".into() } else { c })
        .collect())
}

fn models(value: &Value, path: &str) -> Result<Vec<UserModel>, ConfigError> {
    let array = value.as_array().ok_or_else(|| {
        error(
            path,
            "expected an array of tables like { name = \"pkg.func\", arg = 0 }",
        )
    })?;
    array
        .iter()
        .map(|item| {
            let table = item.as_table().ok_or_else(|| {
                error(
                    path,
                    "expected a table like { name = \"pkg.func\", arg = 0 }",
                )
            })?;
            let name = table.get("name").and_then(Value::as_str).ok_or_else(|| {
                error(&format!("{path}.name"), "expected a qualified name string")
            })?;
            let arg = match table.get("arg") {
                None => None,
                Some(Value::Integer(index)) => Some(index.to_string()),
                Some(Value::String(keyword)) => Some(keyword.clone()),
                Some(_) => {
                    return Err(error(
                        &format!("{path}.arg"),
                        "expected an argument index or keyword name",
                    ))
                }
            };
            Ok(UserModel {
                name: name.to_owned(),
                arg,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let config = Config::from_pyproject(
            r#"
[project]
name = "x"
[tool.brine]
select = ["BRN1", "BRN201"]
ignore = ["BRN104"]
exclude = ["legacy"]
per-file-ignores = { "tests/*.py" = ["BRN101"] }
torch-version = ">=2.6"
threat-model = "local"
sources = [{ name = "mylib.fetch" }]
"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(config.selection.select, ["BRN1", "BRN201"]);
        assert_eq!(
            config.per_file_ignores,
            [("tests/*.py".to_owned(), vec!["BRN101".to_owned()])]
        );
        assert!(config
            .torch_version
            .unwrap()
            .loads_weights_only_by_default());
        assert_eq!(config.threat_model, ThreatModel::Local);
        assert_eq!(config.sources[0].name, "mylib.fetch");
    }

    #[test]
    fn no_table_is_no_config() {
        assert_eq!(
            Config::from_pyproject("[project]\nname='x'\n").unwrap(),
            None
        );
    }

    #[test]
    fn errors_name_the_key() {
        let err = Config::from_pyproject("[tool.brine]\nselect = \"BRN1\"\n").unwrap_err();
        assert_eq!(err.key, "tool.brine.select");
        let err = Config::from_brine_toml("ignroe = []\n").unwrap_err();
        assert_eq!(err.key, "ignroe");
        let err = Config::from_brine_toml("select = [\"E501\"]\n").unwrap_err();
        assert!(err.to_string().contains("E501"));
        let err = Config::from_brine_toml("select = [\n").unwrap_err();
        assert!(err.message.starts_with("invalid TOML"));
    }
}
