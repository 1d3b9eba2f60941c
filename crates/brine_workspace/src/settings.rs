//! Each file's settings: the nearest `brine.toml` or `pyproject.toml` with `[tool.brine]`, combined
//! with command-line overrides.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use brine_analysis::CheckOptions;
use brine_config::{Config, ConfigError, RuleSelection};
use globset::{Glob, GlobMatcher};

/// A configuration file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub file: PathBuf,
    pub error: ConfigError,
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.error)
    }
}

/// The settings that apply to one file.
#[derive(Debug, Clone)]
pub struct FileSettings {
    pub selection: RuleSelection,
    pub options: CheckOptions,
    /// Codes ignored for this file by `per-file-ignores`.
    pub ignored_codes: Vec<String>,
    /// True when `exclude` matches the file.
    pub excluded: bool,
}

impl FileSettings {
    pub fn is_enabled(&self, code: &str) -> bool {
        self.selection.is_enabled(code)
            && !self
                .ignored_codes
                .iter()
                .any(|c| code.starts_with(c.as_str()))
    }
}

/// A configuration file found on disk, with globs compiled.
#[derive(Debug)]
struct LoadedConfig {
    dir: PathBuf,
    config: Config,
    exclude: Vec<GlobMatcher>,
    per_file_ignores: Vec<(GlobMatcher, Vec<String>)>,
}

/// Finds and caches configuration per directory.
pub struct SettingsResolver {
    cli_select: Option<Vec<String>>,
    cli_ignore: Vec<String>,
    cache: Mutex<HashMap<PathBuf, Option<std::sync::Arc<LoadedConfig>>>>,
}

impl SettingsResolver {
    pub fn new(cli_select: Option<Vec<String>>, cli_ignore: Vec<String>) -> Self {
        SettingsResolver {
            cli_select,
            cli_ignore,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The settings for `file` (an absolute or relative path).
    pub fn settings_for(&self, file: &Path) -> Result<FileSettings, SettingsError> {
        let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let dir = absolute.parent().unwrap_or(Path::new("/"));
        let loaded = self.config_for_dir(dir)?;
        let defaults = Config::default();
        let config = loaded.as_ref().map_or(&defaults, |l| &l.config);
        let selection = config
            .selection
            .overridden_by(self.cli_select.as_deref(), &self.cli_ignore);
        let mut settings = FileSettings {
            selection,
            options: CheckOptions {
                torch_version: config.torch_version,
                threat_model: config.threat_model,
                user_sources: config.sources.clone(),
                user_sinks: config.sinks.clone(),
                user_sanitizers: config.sanitizers.clone(),
                user_propagators: config.propagators.clone(),
            },
            ignored_codes: Vec::new(),
            excluded: false,
        };
        if let Some(loaded) = loaded {
            let relative = absolute.strip_prefix(&loaded.dir).unwrap_or(&absolute);
            settings.excluded = loaded
                .exclude
                .iter()
                .any(|glob| matches_path(glob, relative));
            for (glob, codes) in &loaded.per_file_ignores {
                if matches_path(glob, relative) {
                    settings.ignored_codes.extend(codes.iter().cloned());
                }
            }
        }
        Ok(settings)
    }

    fn config_for_dir(
        &self,
        dir: &Path,
    ) -> Result<Option<std::sync::Arc<LoadedConfig>>, SettingsError> {
        if let Some(cached) = self.cache.lock().expect("settings cache lock").get(dir) {
            return Ok(cached.clone());
        }
        let found = match load_config_in(dir)? {
            Some(loaded) => Some(std::sync::Arc::new(loaded)),
            None => match dir.parent() {
                Some(parent) => self.config_for_dir(parent)?,
                None => None,
            },
        };
        self.cache
            .lock()
            .expect("settings cache lock")
            .insert(dir.to_path_buf(), found.clone());
        Ok(found)
    }
}

/// A glob matches the path relative to the configuration's folder, or (without a `/`) any
/// component of it, so `exclude = ["legacy"]` excludes every `legacy` folder.
fn matches_path(glob: &GlobMatcher, relative: &Path) -> bool {
    glob.is_match(relative)
        || (!glob.glob().glob().contains('/')
            && relative.components().any(|c| glob.is_match(c.as_os_str())))
}

/// Reads `brine.toml` (preferred) or `pyproject.toml` with `[tool.brine]` in `dir`.
fn load_config_in(dir: &Path) -> Result<Option<LoadedConfig>, SettingsError> {
    let brine_toml = dir.join("brine.toml");
    let pyproject = dir.join("pyproject.toml");
    let (file, parsed) = if let Ok(text) = std::fs::read_to_string(&brine_toml) {
        (brine_toml.clone(), Config::from_brine_toml(&text).map(Some))
    } else if let Ok(text) = std::fs::read_to_string(&pyproject) {
        (pyproject.clone(), Config::from_pyproject(&text))
    } else {
        return Ok(None);
    };
    let config = parsed.map_err(|error| SettingsError {
        file: file.clone(),
        error,
    })?;
    let Some(config) = config else {
        return Ok(None);
    };
    let compile = |glob: &str, key: &str| {
        Glob::new(glob)
            .map(|g| g.compile_matcher())
            .map_err(|e| SettingsError {
                file: file.clone(),
                error: ConfigError {
                    key: key.into(),
                    message: format!("invalid glob `{glob}`: {e}"),
                },
            })
    };
    let exclude = config
        .exclude
        .iter()
        .map(|glob| compile(glob, "exclude"))
        .collect::<Result<_, _>>()?;
    let per_file_ignores = config
        .per_file_ignores
        .iter()
        .map(|(glob, codes)| Ok((compile(glob, "per-file-ignores")?, codes.clone())))
        .collect::<Result<_, SettingsError>>()?;
    Ok(Some(LoadedConfig {
        dir: dir.to_path_buf(),
        config,
        exclude,
        per_file_ignores,
    }))
}
