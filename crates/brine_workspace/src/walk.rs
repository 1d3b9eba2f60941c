//! Finding the Python files of a workspace with the `ignore` crate (.gitignore, hidden folders).

use std::path::{Path, PathBuf};

/// Python files and directories found under the requested paths.
#[derive(Debug, Default)]
pub struct WalkedFiles {
    pub files: Vec<PathBuf>,
    /// Files whose extension says they may be pickles (BRN401).
    pub artifacts: Vec<PathBuf>,
    pub directories: Vec<PathBuf>,
    /// Paths that could not be walked, with the reason.
    pub errors: Vec<(PathBuf, String)>,
}

/// Extensions of files that may hold pickle streams (the spec's BRN401 list).
pub const ARTIFACT_EXTENSIONS: &[&str] = &[
    "pkl", "pickle", "joblib", "dill", "pt", "pth", "bin", "ckpt", "npy", "npz",
];

pub fn is_artifact(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ARTIFACT_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Folders that hold installed or generated code rather than the project's own.
fn is_environment_dir(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    matches!(
        name,
        "site-packages" | "node_modules" | "__pycache__" | "__pypackages__"
    ) || path.join("pyvenv.cfg").is_file()
}

/// Walks `paths`: directories recursively (respecting .gitignore and skipping hidden folders and
/// virtual environments), files as given. Results are sorted so output is deterministic.
pub fn collect_python_files(paths: &[PathBuf]) -> WalkedFiles {
    let mut walked = WalkedFiles::default();
    for path in paths {
        if path.is_file() {
            if is_artifact(path) {
                walked.artifacts.push(path.clone());
            } else {
                walked.files.push(path.clone());
            }
            continue;
        }
        if !path.is_dir() {
            walked
                .errors
                .push((path.clone(), "no such file or directory".into()));
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(true)
            .require_git(false)
            .filter_entry(|entry| {
                !(entry.file_type().is_some_and(|t| t.is_dir()) && is_environment_dir(entry.path()))
            })
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                    let path = entry.into_path();
                    if is_dir {
                        walked.directories.push(path);
                    } else if path
                        .extension()
                        .is_some_and(|ext| ext == "py" || ext == "ipynb")
                    {
                        walked.files.push(path);
                    } else if is_artifact(&path) {
                        walked.artifacts.push(path);
                    }
                }
                Err(error) => {
                    let path = error_path(&error).unwrap_or_else(|| path.clone());
                    walked.errors.push((path, error.to_string()));
                }
            }
        }
    }
    walked.files.sort();
    walked.files.dedup();
    walked.artifacts.sort();
    walked.artifacts.dedup();
    walked.directories.sort();
    walked
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}
