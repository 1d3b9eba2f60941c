//! The analysis side of the server: the queue of changes, generations, and analysis runs over the
//! workspace [`State`].
//!
//! Handlers only [`Analyzer::submit`] changes (synchronously, so they are queued in the order the
//! client sent them) and start a run. Every submit bumps a generation counter; a run belongs to one
//! generation and stops as soon as a newer one exists, so a newer edit supersedes an older pending
//! analysis. Runs are serialized by the state lock, and only the run of the current generation
//! drains the queue, so changes are applied to the workspace exactly once and in order.
//!
//! A run has two phases: phase 1 applies the queued changes and checks the changed and open files;
//! phase 2 checks the rest of the workspace (resolution crosses files, so an edit can change any
//! file's findings), or, when the changes only moved code (a keystroke in a comment), only the
//! files whose diagnostics show a position of a moved file. Both run in blocking threads, the checks in parallel on a pool with large
//! stacks; a panic while checking one file is caught and reported, and the file keeps its previous
//! diagnostics.

use std::collections::{BTreeSet, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use brine_analysis::FileId;
use brine_facts::FileFacts;
use rayon::prelude::*;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

use crate::convert::PositionEncoding;
use crate::index::{self, IndexProgress};
use crate::settings::ClientSettings;
use crate::state::{Checked, State};
use crate::view::View;

/// How the analysis names a file: by path for `file:` URIs (so the editor's URI spelling and the
/// walk's paths agree), by URI for anything else (unsaved buffers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKey {
    Path(PathBuf),
    Uri(String),
}

impl FileKey {
    pub fn of(uri: &Uri) -> FileKey {
        match index::uri_to_path(uri) {
            Some(path) => FileKey::Path(path),
            None => FileKey::Uri(uri.as_str().to_owned()),
        }
    }
}

/// The facts of an open document (or notebook) at one version.
#[derive(Clone)]
pub struct OpenFile {
    /// The document's version (a notebook's own version; its cells carry theirs in the view).
    pub version: i32,
    pub facts: Arc<FileFacts>,
    pub view: View,
}

/// One thing that changed, in the order the client reported it.
pub enum Change {
    /// Position encoding, workspace folders and editor settings from `initialize`.
    Initialize {
        encoding: PositionEncoding,
        folders: Vec<PathBuf>,
        settings: ClientSettings,
    },
    /// Walk and read the workspace folders.
    Index,
    /// A document or notebook was opened or edited: the editor's text wins over the disk.
    Open {
        key: FileKey,
        file: OpenFile,
    },
    /// A document or notebook was closed: the file is read from disk again (or leaves the
    /// workspace).
    Close {
        key: FileKey,
    },
    /// A file changed on disk (`workspace/didChangeWatchedFiles`).
    Disk {
        path: PathBuf,
        deleted: bool,
    },
    Folders(Vec<PathBuf>),
    Settings(ClientSettings),
}

/// The diagnostics of one file as computed by a run.
#[derive(Debug, Clone)]
pub struct FileDiagnostics {
    pub uri: Uri,
    /// The document version they were computed for; `None` for a file read from disk.
    pub version: Option<i32>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What a run phase produced.
#[derive(Debug, Default)]
pub struct Batch {
    pub files: Vec<FileDiagnostics>,
    /// Files that left the workspace: their diagnostics are to be cleared.
    pub cleared: Vec<Uri>,
    /// Files still to check in phase 2.
    pub rest: Vec<FileId>,
    /// Messages for `window/logMessage`.
    pub logs: Vec<String>,
}

/// What checking several files gave.
#[derive(Default)]
struct CheckedFiles {
    files: Vec<FileDiagnostics>,
    logs: Vec<String>,
    /// For each file checked, the other files its diagnostics show positions of.
    mentions: Vec<(FileId, Vec<FileId>)>,
}

/// The analysis state, the change queue and the generation counter.
pub struct Analyzer {
    state: Mutex<State>,
    pending: Mutex<Vec<Change>>,
    generation: AtomicU64,
    pool: rayon::ThreadPool,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

impl Analyzer {
    pub fn new() -> Self {
        let pool = rayon::ThreadPoolBuilder::new()
            .stack_size(crate::STACK_SIZE)
            .thread_name(|index| format!("brine-analysis-{index}"))
            .build()
            .expect("creating the analysis thread pool");
        Analyzer {
            state: Mutex::new(State::default()),
            pending: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            pool,
        }
    }

    /// Queues a change and returns the new generation. Call it synchronously from the handler, before
    /// any `.await`, so that changes are queued in the order the client sent them.
    pub fn submit(&self, change: Change) -> u64 {
        lock(&self.pending).push(change);
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Makes every run in flight stop at its next check: on shutdown, and when a document changes
    /// (the run for the version before is no longer wanted; its work is redone with the change's).
    pub fn cancel(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn is_current(&self, generation: u64) -> bool {
        self.generation() == generation
    }

    /// Phase 1: applies every queued change and checks the changed and open files. `None` when a
    /// newer generation exists (its own run does the work).
    pub fn run(&self, generation: u64, progress: &IndexProgress) -> Option<Batch> {
        let mut state = lock(&self.state);
        if !self.is_current(generation) {
            return None;
        }
        let changes = std::mem::take(&mut *lock(&self.pending));
        let mut batch = Batch::default();
        // In the pool, so that reading files in parallel gets its large stacks too. A panic half-way
        // leaves the state inconsistent: it is then rebuilt from scratch, once.
        let state_ref: &mut State = &mut state;
        let logs = &mut batch.logs;
        let applied = self.pool.install(|| {
            let mut applied = catch_unwind(AssertUnwindSafe(|| {
                state_ref.apply_all(changes, progress, logs)
            }));
            if let Err(payload) = &applied {
                logs.push(format!(
                    "brine: updating the workspace panicked ({}); reading it again",
                    crate::panic_message(payload.as_ref())
                ));
                state_ref.broken = true;
                applied = catch_unwind(AssertUnwindSafe(|| {
                    state_ref.apply_all(Vec::new(), progress, logs)
                }));
            }
            applied
        });
        match applied {
            Ok(()) => {}
            Err(payload) => {
                *state = State {
                    broken: true,
                    encoding: state.encoding,
                    folders: std::mem::take(&mut state.folders),
                    client: std::mem::take(&mut state.client),
                    open: std::mem::take(&mut state.open),
                    ..State::default()
                };
                batch.logs.push(format!(
                    "brine: reading the workspace panicked ({}); it will be read again on the next change",
                    crate::panic_message(payload.as_ref())
                ));
                return Some(batch);
            }
        }
        if !state.stale && state.pending_cleared.is_empty() && !state.config_dirty {
            return Some(batch);
        }
        let open: Vec<FileId> = state
            .entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.version.is_some())
            .map(|(index, _)| FileId(index as u32))
            .collect();
        let priority: BTreeSet<FileId> = state.dirty.iter().copied().chain(open).collect();
        let priority: Vec<FileId> = priority.into_iter().collect();
        let checked = self.check(&state, &priority, generation)?;
        batch.files = checked.files;
        batch.logs.extend(checked.logs);
        state.record_mentions(checked.mentions);
        batch.cleared = std::mem::take(&mut state.pending_cleared);
        if state.config_dirty {
            state.config_dirty = false;
            let (files, cleared) = state.config_diagnostics();
            batch.files.extend(files);
            batch.cleared.extend(cleared);
        }
        state.dirty.clear();
        let priority: HashSet<FileId> = priority.into_iter().collect();
        batch.rest = state.rest_to_check(&priority);
        if batch.rest.is_empty() {
            state.checked_everything();
        }
        Some(batch)
    }

    /// Phase 2: checks the files phase 1 left, if the workspace is still the one phase 1 saw.
    pub fn run_rest(&self, generation: u64, rest: &[FileId]) -> Option<Batch> {
        let mut state = lock(&self.state);
        if !self.is_current(generation) {
            return None;
        }
        // Phase 2 starts after a pause in typing: the time to drop stale cached results.
        state.workspace.sweep_if_due();
        let checked = self.check(&state, rest, generation)?;
        state.record_mentions(checked.mentions);
        state.checked_everything();
        Some(Batch {
            files: checked.files,
            logs: checked.logs,
            ..Batch::default()
        })
    }

    /// Checks `ids` in parallel; `None` when cancelled by a newer generation (which also stops the
    /// files being checked at that moment, within microseconds).
    fn check(&self, state: &State, ids: &[FileId], generation: u64) -> Option<CheckedFiles> {
        let is_cancelled = || !self.is_current(generation);
        let results: Vec<Option<Result<Checked, String>>> = self.pool.install(|| {
            ids.par_iter()
                .map(|&id| {
                    self.is_current(generation)
                        .then(|| state.check_one(id, &is_cancelled))
                })
                .collect()
        });
        let mut checked = CheckedFiles::default();
        for (&id, result) in ids.iter().zip(results) {
            match result? {
                Ok(one) => {
                    checked.files.extend(one.files);
                    checked.mentions.push((id, one.mentions));
                }
                Err(message) => checked.logs.push(message),
            }
        }
        self.is_current(generation).then_some(checked)
    }
}

/// Locks a mutex even if a panicking thread poisoned it: the state stays usable (a panic while
/// updating it sets `broken`, which makes the next run read everything again).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
