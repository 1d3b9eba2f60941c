//! Reading workspace folders from disk the way `brine check` does: the same walk (`.gitignore`,
//! hidden folders and virtual environments skipped), the same per-file configuration, the same
//! relative paths to the folders' common root (from which module names follow).
//!
//! A configuration error never stops indexing: the files it governs get the default settings and
//! the error is returned so that it can be shown on the configuration file.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use brine_analysis::CheckOptions;
use brine_config::{ConfigError, RuleSelection};
use brine_facts::FileFacts;
use brine_workspace::artifacts::ArtifactScan;
use brine_workspace::{FileSettings, SettingsResolver};
use rayon::prelude::*;
use tower_lsp_server::ls_types::Uri;

use crate::convert::LineMap;
use crate::settings::ClientSettings;
use crate::view::View;

/// A Python file or notebook read from disk.
pub struct DiskFile {
    pub facts: Arc<FileFacts>,
    pub view: View,
    /// For a pickle artifact that BRN401 flags: its finding (its facts are empty).
    pub artifact: Option<Arc<ArtifactScan>>,
}

/// Counts files read during an index, for progress reports.
#[derive(Debug, Default)]
pub struct IndexProgress {
    /// Set when an index starts.
    pub started: AtomicBool,
    pub total: AtomicUsize,
    pub done: AtomicUsize,
    /// Python files and notebooks in the workspace once the index is done.
    pub files: AtomicUsize,
}

impl IndexProgress {
    /// `(done, total)` once an index has started.
    pub fn snapshot(&self) -> Option<(usize, usize)> {
        self.started.load(Ordering::Acquire).then(|| {
            (
                self.done.load(Ordering::Acquire),
                self.total.load(Ordering::Acquire),
            )
        })
    }
}

/// The Python files and notebooks of the workspace folders and the settings of each.
#[derive(Default)]
pub struct Walk {
    pub files: BTreeMap<PathBuf, FileSettings>,
    pub directories: Vec<PathBuf>,
    /// Configuration files that could not be used, with their error.
    pub config_errors: BTreeMap<PathBuf, ConfigError>,
}

/// Walks `folders` and resolves each file's settings; excluded files are left out.
pub fn walk(folders: &[PathBuf], resolver: &SettingsResolver, client: &ClientSettings) -> Walk {
    let walked = brine_workspace::collect_python_files(folders);
    let mut walk = Walk {
        directories: walked.directories,
        ..Walk::default()
    };
    let files = walked.files.into_iter().chain(walked.artifacts);
    for path in files.filter(|path| is_source_file(path)) {
        let settings = settings_for(resolver, client, &path, &mut walk.config_errors);
        if !settings.excluded {
            walk.files.insert(path, settings);
        }
    }
    walk
}

/// The settings of one file; the defaults (with the editor's overrides) when its configuration is
/// broken, recording the error.
pub fn settings_for(
    resolver: &SettingsResolver,
    client: &ClientSettings,
    path: &Path,
    errors: &mut BTreeMap<PathBuf, ConfigError>,
) -> FileSettings {
    let mut settings = match resolver.settings_for(path) {
        Ok(settings) => settings,
        Err(error) => {
            errors.insert(error.file, error.error);
            default_settings(client)
        }
    };
    if let Some(model) = client.threat_model {
        settings.options.threat_model = model;
    }
    settings
}

/// The settings of a file without configuration.
pub fn default_settings(client: &ClientSettings) -> FileSettings {
    FileSettings {
        selection: RuleSelection::default().overridden_by(client.select.as_deref(), &client.ignore),
        options: CheckOptions {
            threat_model: client.threat_model.unwrap_or_default(),
            ..CheckOptions::default()
        },
        ignored_codes: Vec::new(),
        excluded: false,
    }
}

/// A settings resolver with the editor's overrides.
pub fn resolver(client: &ClientSettings) -> SettingsResolver {
    SettingsResolver::new(client.select.clone(), client.ignore.clone())
}

/// Reads, decodes and lowers one file. A notebook is lowered from its code cells' virtual text and
/// shown in its JSON text (as `brine check` reads it).
pub fn read_file(path: &Path) -> Result<DiskFile, String> {
    if brine_workspace::is_artifact(path) {
        // Pickle artifacts are scanned, never parsed; a file that is not a pickle has no findings.
        let artifact = brine_workspace::artifacts::scan_artifact_file(path)?;
        return Ok(DiskFile {
            facts: Arc::new(FileFacts::default()),
            view: View::File {
                uri: path_to_uri(path),
                lines: Arc::new(LineMap::new("")),
            },
            artifact: artifact.map(Arc::new),
        });
    }
    let size = std::fs::metadata(path)
        .map_err(|error| format!("cannot read file: {error}"))?
        .len();
    if size > brine_workspace::DEFAULT_MAX_FILE_BYTES {
        return Err(format!(
            "skipped: {:.1} MiB is larger than the {:.1} MiB limit",
            size as f64 / (1 << 20) as f64,
            brine_workspace::DEFAULT_MAX_FILE_BYTES as f64 / (1 << 20) as f64
        ));
    }
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read file: {error}"))?;
    if is_notebook(path) {
        let json = String::from_utf8(bytes)
            .map_err(|_| "malformed notebook: not UTF-8 JSON".to_owned())?;
        let (text, json) = crate::view::json_notebook(&json).map_err(|error| error.to_string())?;
        return Ok(DiskFile {
            facts: Arc::new(brine_facts::lower_text(&text)),
            view: View::Json {
                uri: path_to_uri(path),
                json: Arc::new(json),
            },
            artifact: None,
        });
    }
    let decoded = brine_syntax::decode_source(&bytes);
    let facts = brine_facts::lower_text(&decoded.text);
    let lines = LineMap::with_index(facts.line_index.clone(), &decoded.text);
    Ok(DiskFile {
        facts: Arc::new(facts),
        view: View::File {
            uri: path_to_uri(path),
            lines: Arc::new(lines),
        },
        artifact: None,
    })
}

/// Reads `paths` in parallel, counting progress. Files that cannot be read are returned with the
/// reason; a panic while lowering one file is caught and reported the same way.
pub fn read_files(
    paths: Vec<PathBuf>,
    progress: &IndexProgress,
) -> Vec<(PathBuf, Result<DiskFile, String>)> {
    progress.total.store(paths.len(), Ordering::Release);
    let read = paths
        .into_par_iter()
        .map(|path| {
            let result = std::panic::catch_unwind(|| read_file(&path)).unwrap_or_else(|payload| {
                Err(format!(
                    "lowering panicked: {}",
                    crate::panic_message(payload.as_ref())
                ))
            });
            progress.done.fetch_add(1, Ordering::AcqRel);
            (path, result)
        })
        .collect();
    read
}

/// The deepest directory containing every folder (as `brine check` computes it for its paths).
pub fn common_root(folders: &[PathBuf]) -> Option<PathBuf> {
    let mut absolute = folders
        .iter()
        .map(|path| std::path::absolute(path).unwrap_or_else(|_| path.clone()));
    let mut root = absolute.next()?;
    for path in absolute {
        while !path.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    Some(root)
}

/// `path` relative to `root` with `/` separators; a file outside the root gets a path under
/// `__external__/` so that it still has a unique name (and its stem as module name).
pub fn relative_path(root: Option<&Path>, path: &Path) -> String {
    if let Some(relative) = root.and_then(|root| path.strip_prefix(root).ok()) {
        let relative = slash_path(relative);
        if !relative.is_empty() {
            return relative;
        }
    }
    format!("__external__/{}", slash_path(path))
}

fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|component| match component {
            Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The file path of a `file:` URI.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let is_file = uri.scheme().as_str().eq_ignore_ascii_case("file");
    if !is_file {
        return None;
    }
    uri.to_file_path().map(|path| path.into_owned())
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// False when a new file under `folder` sits where the walk never looks (hidden folders, virtual
/// environments, caches), so that installing packages into `.venv` does not walk the workspace again.
pub fn may_be_walked(folder: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(folder) else {
        return false;
    };
    let mut dir = folder.to_path_buf();
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        let Component::Normal(name) = component else {
            return false;
        };
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            return false;
        }
        if components.peek().is_some() {
            dir.push(&*name);
            let environment = matches!(
                &*name,
                "site-packages" | "node_modules" | "__pycache__" | "__pypackages__"
            ) || dir.join("pyvenv.cfg").is_file();
            if environment {
                return false;
            }
        }
    }
    true
}

/// True for the configuration files whose change calls for a new index.
pub fn is_config_file(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|name| name.to_str()),
        Some("pyproject.toml" | "brine.toml")
    )
}

/// Python files and notebooks: the files the workspace is made of.
pub fn is_source_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "py" || extension == "ipynb")
        || brine_workspace::is_artifact(path)
}

pub fn is_notebook(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "ipynb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_and_roots() {
        let root = common_root(&[PathBuf::from("/w/a"), PathBuf::from("/w/b/c")]).unwrap();
        assert_eq!(root, PathBuf::from("/w"));
        assert_eq!(
            relative_path(Some(&root), Path::new("/w/a/pkg/m.py")),
            "a/pkg/m.py"
        );
        assert_eq!(
            relative_path(Some(&root), Path::new("/elsewhere/x.py")),
            "__external__/elsewhere/x.py"
        );
        assert_eq!(relative_path(None, Path::new("/x.py")), "__external__/x.py");
        assert_eq!(common_root(&[]), None);
    }

    #[test]
    fn file_uris_round_trip() {
        let path = PathBuf::from("/tmp/some dir/é.py");
        let uri = path_to_uri(&path).unwrap();
        assert_eq!(uri_to_path(&uri).unwrap(), path);
        let untitled: Uri = "untitled:Untitled-1".parse().unwrap();
        assert!(may_be_walked(Path::new("/w"), Path::new("/w/pkg/a.py")));
        assert!(!may_be_walked(
            Path::new("/w"),
            Path::new("/w/.venv/lib/x.py")
        ));
        assert!(!may_be_walked(
            Path::new("/w"),
            Path::new("/w/lib/site-packages/x.py")
        ));
        assert!(!may_be_walked(
            Path::new("/w"),
            Path::new("/elsewhere/x.py")
        ));
        assert_eq!(uri_to_path(&untitled), None);
    }
}
