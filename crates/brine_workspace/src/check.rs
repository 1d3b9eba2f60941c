//! `check_paths`: walk, read, lower and analyse a set of paths as one workspace.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use brine_analysis::artifact::ArtifactImport;
use brine_analysis::{check_file, Finding, Workspace};
use brine_facts::FileFacts;
use brine_notebook::Notebook;
use rayon::prelude::*;

use crate::settings::{FileSettings, SettingsError, SettingsResolver};
use crate::walk::collect_python_files;

/// What to check and with which command-line overrides.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    pub paths: Vec<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    /// Files larger than this are skipped with a message (`None`: [`DEFAULT_MAX_FILE_BYTES`]).
    pub max_file_bytes: Option<u64>,
}

/// Python files larger than this are generated data, not code anyone reviews: skipped by default.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 20 << 20;

/// The findings of one file.
#[derive(Debug)]
pub struct FileReport {
    /// The path as walked (relative when the requested path was relative).
    pub path: PathBuf,
    pub findings: Vec<Finding>,
    pub facts: Arc<FileFacts>,
    /// For a notebook: its cells; finding ranges are offsets in their virtual text.
    pub notebook: Option<Arc<Notebook>>,
}

/// A path that could not be walked, read or decoded cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    pub message: String,
}

/// Everything `check_paths` found.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    /// Files with at least one finding, in path order.
    pub reports: Vec<FileReport>,
    pub files_checked: usize,
    /// Requested paths that do not exist.
    pub missing: Vec<PathBuf>,
    /// Files that could not be read, or were read with replacements.
    pub errors: Vec<FileError>,
    /// Every checked file's path and facts, indexed by the analysis' `FileId` (taint paths cross
    /// files, so reports need positions in files without findings too).
    pub files: Vec<CheckedFile>,
}

pub(crate) struct LoadedFile {
    pub(crate) path: PathBuf,
    pub(crate) settings: FileSettings,
    pub(crate) facts: Arc<FileFacts>,
    pub(crate) notebook: Option<Arc<Notebook>>,
    /// For a pickle artifact: its BRN401 finding and how taint paths describe it.
    pub(crate) artifact: Option<(Finding, Vec<ArtifactImport>)>,
}

/// A checked file: its path, facts and, for a notebook, its cells (facts are of the cells' virtual text).
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub path: PathBuf,
    /// Its path in the analysis' workspace: relative to the checked paths' common folder, with `/`
    /// separators (what a [`brine_analysis::Workspace`] of these facts names it).
    pub workspace_path: String,
    pub facts: Arc<FileFacts>,
    pub notebook: Option<Arc<Notebook>>,
    /// True for a pickle artifact (binary; its findings sit at the start of the file).
    pub artifact: bool,
}

/// Checks every Python file under `request.paths` as one workspace. Fails only on configuration
/// errors; unreadable files are reported in [`CheckOutcome::errors`].
pub fn check_paths(request: &CheckRequest) -> Result<CheckOutcome, SettingsError> {
    analysis_pool().install(|| check_paths_in_pool(request))
}

/// Threads with generous stacks: resolution recurses (with a depth bound) and must not overflow the
/// 2 MiB default on pathological code.
fn analysis_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .stack_size(ANALYSIS_STACK_SIZE)
        .build()
        .expect("creating the analysis thread pool")
}

/// Stack size of analysis threads.
pub const ANALYSIS_STACK_SIZE: usize = 32 << 20;

fn check_paths_in_pool(request: &CheckRequest) -> Result<CheckOutcome, SettingsError> {
    let timer = PhaseTimer::from_env();
    let walked = collect_python_files(&request.paths);
    timer.phase("walk");
    let resolver = SettingsResolver::new(request.select.clone(), request.ignore.clone());
    let mut outcome = CheckOutcome::default();
    for (path, message) in walked.errors {
        if request.paths.contains(&path) {
            outcome.missing.push(path);
        } else {
            outcome.errors.push(FileError { path, message });
        }
    }
    let mut selected = Vec::new();
    for path in walked.files {
        let settings = resolver.settings_for(&path)?;
        let explicitly_requested = request.paths.contains(&path);
        if !settings.excluded || explicitly_requested {
            selected.push((path, settings));
        }
    }
    let loaded: Vec<Result<(LoadedFile, Option<FileError>), FileError>> = selected
        .into_par_iter()
        .map(|(path, settings)| {
            load_file(
                path,
                settings,
                request.max_file_bytes.unwrap_or(DEFAULT_MAX_FILE_BYTES),
            )
        })
        .collect();
    let mut artifacts_selected = Vec::new();
    for path in walked.artifacts {
        let settings = resolver.settings_for(&path)?;
        if !settings.excluded || request.paths.contains(&path) {
            artifacts_selected.push((path, settings));
        }
    }
    let scanned: Vec<Result<Option<LoadedFile>, FileError>> = artifacts_selected
        .into_par_iter()
        .map(|(path, settings)| crate::artifacts::scan_artifact(path, settings))
        .collect();
    let mut files = Vec::new();
    for result in scanned {
        match result {
            Ok(artifact) => files.extend(artifact),
            Err(error) => outcome.errors.push(error),
        }
    }
    for result in loaded {
        match result {
            Ok((file, note)) => {
                files.push(file);
                outcome.errors.extend(note);
            }
            Err(error) => outcome.errors.push(error),
        }
    }
    timer.phase("read, parse and lower");
    let root = common_root(&request.paths);
    let directories = walked
        .directories
        .iter()
        .filter_map(|dir| relative_to(&root, dir))
        .filter(|dir| !dir.is_empty());
    let mut workspace = Workspace::new(
        files
            .iter()
            .map(|file| {
                (
                    relative_to(&root, &file.path).unwrap_or_else(|| slash_path(&file.path)),
                    file.facts.clone(),
                )
            })
            .collect(),
        directories,
    );
    for (index, file) in files.iter().enumerate() {
        let id = brine_analysis::FileId(index as u32);
        if let Some((_, imports)) = &file.artifact {
            let path = workspace.file(id).path.clone();
            workspace.set_artifact(
                id,
                brine_analysis::artifact::artifact_description(&path, imports),
            );
        }
        if let Some(notebook) = &file.notebook {
            let cells = notebook
                .cells
                .iter()
                .map(|cell| (file.facts.line_index.line_of(cell.start), cell.index))
                .collect();
            workspace.set_cells(brine_analysis::FileId(index as u32), cells);
        }
    }
    outcome.files_checked = files.len();
    timer.phase("index workspace");
    let hf_cache_dirs = crate::hf_cache::cache_dirs();
    let mut reports: Vec<FileReport> = workspace
        .files()
        .collect::<Vec<_>>()
        .into_par_iter()
        .filter_map(|(id, _)| {
            let file = &files[id.index()];
            let mut findings = match &file.artifact {
                Some((finding, _)) => vec![finding.clone()],
                None => check_file(&workspace, id, &file.settings.options),
            };
            findings.retain(|finding| file.settings.is_enabled(finding.code()));
            for finding in &mut findings {
                let pin = finding.pin.as_ref().and_then(|request| {
                    crate::hf_cache::resolve_pin(request, &hf_cache_dirs)
                        .map(|sha| request.fix(&sha))
                });
                finding.fixes.extend(pin);
            }
            (!findings.is_empty()).then(|| FileReport {
                path: file.path.clone(),
                findings,
                facts: file.facts.clone(),
                notebook: file.notebook.clone(),
            })
        })
        .collect();
    timer.phase("check");
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    outcome.reports = reports;
    outcome.files = files
        .into_iter()
        .zip(workspace.files())
        .map(|(file, (_, in_workspace))| CheckedFile {
            workspace_path: in_workspace.path.clone(),
            path: file.path,
            facts: file.facts,
            notebook: file.notebook,
            artifact: file.artifact.is_some(),
        })
        .collect();
    Ok(outcome)
}

fn load_file(
    path: PathBuf,
    settings: FileSettings,
    max_bytes: u64,
) -> Result<(LoadedFile, Option<FileError>), FileError> {
    let error = |message: String| FileError {
        path: path.clone(),
        message,
    };
    let size = std::fs::metadata(&path)
        .map_err(|e| error(format!("cannot read file: {e}")))?
        .len();
    if size > max_bytes {
        return Err(error(format!(
            "skipped: {:.1} MiB is larger than the {:.1} MiB limit (--max-file-size)",
            size as f64 / (1 << 20) as f64,
            max_bytes as f64 / (1 << 20) as f64
        )));
    }
    let bytes = std::fs::read(&path).map_err(|e| error(format!("cannot read file: {e}")))?;
    let is_notebook = path.extension().is_some_and(|ext| ext == "ipynb");
    let (decoded, notebook) = if is_notebook {
        let json = String::from_utf8(bytes)
            .map_err(|_| error("malformed notebook: not UTF-8 JSON".into()))?;
        let notebook = Notebook::parse(&json).map_err(|e| error(e.to_string()))?;
        let text = notebook.virtual_text.clone();
        (
            brine_syntax::DecodedSource { text, lossy: None },
            Some(Arc::new(notebook)),
        )
    } else {
        (brine_syntax::decode_source(&bytes), None)
    };
    let facts = Arc::new(brine_facts::lower_text(&decoded.text));
    let mut notes: Vec<String> = decoded.lossy.into_iter().collect();
    if facts.depth_limited {
        notes.push(format!(
            "skipped the parts nested deeper than {} levels (too deep)",
            brine_facts::MAX_EXPR_DEPTH
        ));
    }
    let note = (!notes.is_empty()).then(|| error(notes.join("; ")));
    Ok((
        LoadedFile {
            path,
            settings,
            facts,
            notebook,
            artifact: None,
        },
        note,
    ))
}

/// The deepest directory containing every requested path (absolute).
fn common_root(paths: &[PathBuf]) -> PathBuf {
    let absolute: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            let p = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            if p.is_dir() {
                p
            } else {
                p.parent().map(Path::to_path_buf).unwrap_or(p)
            }
        })
        .collect();
    let Some(first) = absolute.first() else {
        return PathBuf::from(".");
    };
    let mut root = first.clone();
    for path in &absolute[1..] {
        while !path.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}

/// `path` relative to `root` with `/` separators, if it is inside it.
fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    let relative = absolute.strip_prefix(root).ok()?;
    Some(slash_path(relative))
}

fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Prints how long each phase took to stderr when `BRINE_TIMINGS` is set (for benchmarking), with
/// the resident memory at its end where the system tells it (Linux).
struct PhaseTimer {
    start: Option<std::cell::Cell<std::time::Instant>>,
}

/// This process's resident memory (`123456 kB`), from `/proc/self/status` where there is one.
pub fn resident_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    Some(line["VmRSS:".len()..].trim().to_owned())
}

impl PhaseTimer {
    fn from_env() -> Self {
        PhaseTimer {
            start: std::env::var_os("BRINE_TIMINGS")
                .map(|_| std::cell::Cell::new(std::time::Instant::now())),
        }
    }

    fn phase(&self, name: &str) {
        if let Some(start) = &self.start {
            let now = std::time::Instant::now();
            eprintln!(
                "brine: {name}: {:.1} ms{}",
                (now - start.get()).as_secs_f64() * 1000.0,
                resident_memory().map_or(String::new(), |rss| format!(", resident {rss}")),
            );
            start.set(now);
        }
    }
}
