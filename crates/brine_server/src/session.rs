//! The state shared by every handler: open documents, the analyzer, the diagnostics last published
//! per file, and what the client supports. Also the async half of an analysis run: running its
//! phases on blocking threads, reporting indexing progress, and publishing.
//!
//! Publishing is serialized and checks, right before each notification, that the run is still the
//! newest and that an open document is still at the version the diagnostics were computed for, so
//! diagnostics of an outdated version are never sent after newer ones.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use dashmap::DashMap;
use tower_lsp_server::ls_types::{Diagnostic, MessageType, NumberOrString, Uri};
use tower_lsp_server::{Bounded, Client, NotCancellable, OngoingProgress};

use brine_analysis::FileId;

use crate::analysis::{Analyzer, Batch, Change, FileDiagnostics};
use crate::convert::PositionEncoding;
use crate::documents::Documents;
use crate::index::IndexProgress;
use crate::notebooks::Notebooks;

/// What `initialize` negotiated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Negotiated {
    pub encoding: PositionEncoding,
    /// `window.workDoneProgress`: the client accepts server-initiated progress.
    pub progress: bool,
    /// `workspace.didChangeWatchedFiles.dynamicRegistration`.
    pub watch_registration: bool,
    /// `workspace.configuration`: the client answers `workspace/configuration`.
    pub configuration: bool,
}

/// Diagnostics as last published for one file.
#[derive(Debug, Clone)]
pub struct Published {
    /// The document version they belong to (`None` for a closed file).
    pub version: Option<i32>,
    pub diagnostics: Vec<Diagnostic>,
}

pub struct Session {
    pub client: Client,
    /// Open documents, notebook cells included.
    pub documents: Documents,
    pub notebooks: Notebooks,
    pub analyzer: Arc<Analyzer>,
    pub published: DashMap<Uri, Published>,
    pub negotiated: OnceLock<Negotiated>,
    /// Workspace folders, kept for `didChangeWorkspaceFolders`.
    pub folders: Mutex<Vec<PathBuf>>,
    initialized: AtomicBool,
    shutdown: AtomicBool,
    publish_lock: tokio::sync::Mutex<()>,
    progress_tokens: AtomicU64,
}

impl Session {
    pub fn new(client: Client) -> Self {
        Session {
            client,
            documents: Documents::default(),
            notebooks: Notebooks::default(),
            analyzer: Arc::new(Analyzer::new()),
            published: DashMap::new(),
            negotiated: OnceLock::new(),
            folders: Mutex::new(Vec::new()),
            initialized: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            publish_lock: tokio::sync::Mutex::new(()),
            progress_tokens: AtomicU64::new(0),
        }
    }

    pub fn negotiated(&self) -> Negotiated {
        self.negotiated.get().copied().unwrap_or_default()
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.negotiated().encoding
    }

    /// True once `shutdown` was received (the process then exits with 0 on `exit`).
    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    pub fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Release);
    }

    /// Stops every analysis and any further publishing.
    pub fn shut_down(&self) {
        self.shutdown.store(true, Ordering::Release);
        self.analyzer.cancel();
    }

    /// Queues a change (synchronously, keeping the client's order) and starts a run for it.
    pub fn submit(self: &Arc<Self>, change: Change) {
        self.analyzer.submit(change);
        self.schedule();
    }

    /// Starts a run for the current generation (once `initialized` has been received; changes
    /// before that wait in the queue).
    pub fn schedule(self: &Arc<Self>) {
        if !self.initialized.load(Ordering::Acquire) || self.is_shut_down() {
            return;
        }
        let generation = self.analyzer.generation();
        let session = self.clone();
        tokio::spawn(async move { session.run(generation).await });
    }

    pub async fn log(&self, typ: MessageType, message: impl std::fmt::Display) {
        self.client.log_message(typ, message).await;
    }

    /// One analysis run: phase 1 (apply changes, check changed and open files), publish, phase 2
    /// (check the rest), publish.
    async fn run(self: Arc<Self>, generation: u64) {
        let timer = Timer::from_env(generation);
        let progress = Arc::new(IndexProgress::default());
        let mut reporter = ProgressReporter::new(&self);
        let analyzer = self.analyzer.clone();
        let counter = progress.clone();
        let mut task = tokio::task::spawn_blocking(move || analyzer.run(generation, &counter));
        let joined = loop {
            tokio::select! {
                joined = &mut task => break joined,
                () = tokio::time::sleep(Duration::from_millis(50)) => {
                    reporter.update(progress.snapshot()).await;
                }
            }
        };
        reporter.update(progress.snapshot()).await;
        timer.phase("phase 1 (apply changes, check changed and open files)");
        let completed = match self.handle(joined, generation).await {
            Some(rest) if !rest.is_empty() && self.analyzer.is_current(generation) => {
                // Phase 2 takes both cores for a fraction of a second. While the user types, the
                // next keystroke would cancel it, and its reparse, lowering and check would share
                // the cores with the files still being checked: wait for a pause in typing first.
                tokio::time::sleep(PHASE_2_PAUSE).await;
                if self.analyzer.is_current(generation) {
                    let analyzer = self.analyzer.clone();
                    let joined =
                        tokio::task::spawn_blocking(move || analyzer.run_rest(generation, &rest))
                            .await;
                    timer.phase("phase 2 (check the other files)");
                    self.handle(joined, generation).await.is_some()
                } else {
                    false
                }
            }
            Some(_) => true,
            None => false,
        };
        reporter
            .finish(completed, progress.files.load(Ordering::Acquire))
            .await;
        timer.phase(if completed { "published" } else { "superseded" });
    }

    /// Logs and publishes what a phase produced; returns the files left for phase 2 when the phase
    /// completed.
    async fn handle(
        &self,
        joined: Result<Option<Batch>, tokio::task::JoinError>,
        generation: u64,
    ) -> Option<Vec<FileId>> {
        let batch = match joined {
            Ok(Some(batch)) => batch,
            Ok(None) => return None,
            Err(error) => {
                let reason = if error.is_panic() {
                    crate::panic_message(error.into_panic().as_ref())
                } else {
                    error.to_string()
                };
                self.log(
                    MessageType::ERROR,
                    format!("brine: analysis failed: {reason}"),
                )
                .await;
                return None;
            }
        };
        for message in batch.logs {
            self.log(MessageType::WARNING, message).await;
        }
        self.publish(generation, batch.files, batch.cleared).await;
        Some(batch.rest)
    }

    /// Publishes the diagnostics that changed: for open documents whenever their version moved, for
    /// other files only when the list differs from the last one published (an empty list clears).
    async fn publish(&self, generation: u64, files: Vec<FileDiagnostics>, cleared: Vec<Uri>) {
        let _serialized = self.publish_lock.lock().await;
        for uri in cleared {
            if !self.analyzer.is_current(generation) || self.is_shut_down() {
                return;
            }
            if let Some((uri, previous)) = self.published.remove(&uri) {
                if !previous.diagnostics.is_empty() {
                    self.client.publish_diagnostics(uri, Vec::new(), None).await;
                }
            }
        }
        for file in files {
            if !self.analyzer.is_current(generation) || self.is_shut_down() {
                return;
            }
            let open_version = self.documents.get(&file.uri).map(|doc| doc.version);
            if open_version != file.version {
                // Computed for another version than the editor has now: a newer run follows.
                continue;
            }
            let changed = match self.published.get(&file.uri) {
                Some(previous) => {
                    previous.diagnostics != file.diagnostics
                        || (file.version.is_some() && previous.version != file.version)
                }
                None => !file.diagnostics.is_empty() || file.version.is_some(),
            };
            self.published.insert(
                file.uri.clone(),
                Published {
                    version: file.version,
                    diagnostics: file.diagnostics.clone(),
                },
            );
            if changed {
                self.client
                    .publish_diagnostics(file.uri, file.diagnostics, file.version)
                    .await;
            }
        }
    }

    /// The diagnostics published for `uri`, if they belong to the document's current version (or
    /// the file is not open).
    pub fn current_diagnostics(&self, uri: &Uri) -> Option<Vec<Diagnostic>> {
        let version = self.documents.get(uri).map(|doc| doc.version);
        let published = self.published.get(uri)?;
        (published.version == version).then(|| published.diagnostics.clone())
    }

    fn next_progress_token(&self) -> NumberOrString {
        let n = self.progress_tokens.fetch_add(1, Ordering::AcqRel);
        NumberOrString::String(format!("brine/index/{n}"))
    }
}

/// `$/progress` for an index, when the client supports server-initiated progress.
struct ProgressReporter<'a> {
    session: &'a Session,
    ongoing: Option<OngoingProgress<Bounded, NotCancellable>>,
    attempted: bool,
    last: Option<(usize, usize)>,
}

impl<'a> ProgressReporter<'a> {
    fn new(session: &'a Session) -> Self {
        ProgressReporter {
            session,
            ongoing: None,
            attempted: false,
            last: None,
        }
    }

    async fn update(&mut self, snapshot: Option<(usize, usize)>) {
        let Some((done, total)) = snapshot else {
            return;
        };
        if self.ongoing.is_none() {
            if self.attempted || !self.session.negotiated().progress {
                return;
            }
            self.attempted = true;
            let token = self.session.next_progress_token();
            let created = tokio::time::timeout(
                Duration::from_secs(5),
                self.session.client.create_work_done_progress(token.clone()),
            )
            .await;
            if !matches!(created, Ok(Ok(()))) {
                return;
            }
            let progress = self
                .session
                .client
                .progress(token, "brine")
                .with_message(message(done, total))
                .with_percentage(percent(done, total))
                .begin()
                .await;
            self.ongoing = Some(progress);
            self.last = Some((done, total));
        }
        if self.last != Some((done, total)) {
            self.last = Some((done, total));
            if let Some(progress) = &self.ongoing {
                progress
                    .report_with_message(message(done, total), percent(done, total))
                    .await;
            }
        }
    }

    async fn finish(self, completed: bool, files: usize) {
        if let Some(progress) = self.ongoing {
            let message = if completed {
                format!("Indexed {files} files")
            } else {
                "Indexing superseded by a newer change".to_owned()
            };
            progress.finish_with_message(message).await;
        }
    }
}

/// How long phase 2 (checking the files phase 1 left) waits for another change before it starts:
/// longer than the time between two keystrokes of someone typing, so that typing is never slowed
/// by a check of the whole workspace it would cancel, and short enough that the other files'
/// diagnostics follow a pause without a visible delay.
const PHASE_2_PAUSE: Duration = Duration::from_millis(250);

/// Prints how long each phase of a run took to stderr when `BRINE_TIMINGS` is set (as
/// `brine check` does), for benchmarking the server.
struct Timer {
    generation: u64,
    start: Option<std::time::Instant>,
}

impl Timer {
    fn from_env(generation: u64) -> Self {
        Timer {
            generation,
            start: std::env::var_os("BRINE_TIMINGS").map(|_| std::time::Instant::now()),
        }
    }

    fn phase(&self, name: &str) {
        if let Some(start) = self.start {
            eprintln!(
                "brine server: run {}: {name} after {:.1} ms{}",
                self.generation,
                start.elapsed().as_secs_f64() * 1000.0,
                brine_workspace::resident_memory()
                    .map_or(String::new(), |rss| format!(", resident {rss}")),
            );
        }
    }
}

/// "Indexing 120/2912 files", or "Indexing" when no file needs reading (a configuration change).
fn message(done: usize, total: usize) -> String {
    if total == 0 {
        "Indexing".to_owned()
    } else {
        format!("Indexing {done}/{total} files")
    }
}

fn percent(done: usize, total: usize) -> u32 {
    (done * 100)
        .checked_div(total)
        .map_or(100, |p| p.min(100) as u32)
}
