//! The analysis state: every file of the workspace (facts from disk or from the editor), and how a
//! change updates it. A change of one known file replaces its facts (`Workspace::replace_facts`);
//! files coming or going rebuild the workspace from the facts already read; new configuration or
//! folders walk the folders again, reading only files not read before.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use brine_analysis::{check_file_until, FactsChange, FileId, Workspace};
use brine_config::ConfigError;
use brine_facts::FileFacts;
use brine_syntax::TextRange;
use brine_workspace::artifacts::ArtifactScan;
use brine_workspace::{FileSettings, SettingsResolver};
use tower_lsp_server::ls_types::{Diagnostic, Location, Uri};

use crate::analysis::{Change, FileDiagnostics, FileKey, OpenFile};
use crate::convert::PositionEncoding;
use crate::diagnostics;
use crate::index::{self, DiskFile, IndexProgress};
use crate::settings::ClientSettings;
use crate::view::View;

/// A file read from disk with its settings.
pub(crate) struct DiskEntry {
    file: DiskFile,
    settings: FileSettings,
}

/// What checking one file gave.
#[derive(Default)]
pub(crate) struct Checked {
    /// Its diagnostics, per document it is shown in.
    pub(crate) files: Vec<FileDiagnostics>,
    /// The other files its diagnostics show positions of.
    pub(crate) mentions: Vec<FileId>,
}

/// One file of the current workspace (indexed by `FileId`).
pub(crate) struct Entry {
    /// Where its positions are shown: its document, an open notebook's cells, a notebook's JSON.
    pub(crate) view: View,
    pub(crate) settings: FileSettings,
    pub(crate) facts: Arc<FileFacts>,
    /// The open document's (or notebook's) version; `None` for a file read from disk.
    pub(crate) version: Option<i32>,
    /// For a pickle artifact that BRN401 flags: its finding.
    pub(crate) artifact: Option<Arc<ArtifactScan>>,
    /// The other files its last diagnostics show positions of (taint paths through them).
    pub(crate) mentions: Vec<FileId>,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) encoding: PositionEncoding,
    pub(crate) folders: Vec<PathBuf>,
    pub(crate) client: ClientSettings,
    pub(crate) resolver: Option<SettingsResolver>,
    /// Walked Python files and notebooks (not excluded) as read from disk.
    pub(crate) disk: BTreeMap<PathBuf, DiskEntry>,
    pub(crate) directories: Vec<PathBuf>,
    pub(crate) open: BTreeMap<FileKey, OpenFile>,
    /// Open documents left out of the workspace (excluded by configuration).
    pub(crate) skipped: HashSet<FileKey>,
    pub(crate) config_errors: BTreeMap<PathBuf, ConfigError>,
    /// Configuration files whose errors were last reported.
    pub(crate) published_config: BTreeSet<PathBuf>,
    /// Walked notebooks that could not be read (invalid JSON, no `cells`, a `source` that is not
    /// text, too large), with the reason: each is shown as one diagnostic on its file.
    pub(crate) notebook_errors: BTreeMap<PathBuf, String>,
    /// Notebooks whose error was last reported.
    pub(crate) published_notebook_errors: BTreeSet<PathBuf>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) ids: HashMap<FileKey, FileId>,
    pub(crate) workspace: Workspace,
    /// Files changed since the last check.
    pub(crate) dirty: BTreeSet<FileId>,
    /// True until a complete check of the workspace succeeds after a change.
    pub(crate) stale: bool,
    /// Since the last complete check, some change was more than a move of code (see
    /// [`FactsChange`]): every file must be checked again, not only those that mention `moved`.
    pub(crate) code_changed: bool,
    /// Files whose code only moved since the last complete check.
    pub(crate) moved: BTreeSet<FileId>,
    /// Configuration errors or unreadable notebooks changed: their diagnostics are published again.
    pub(crate) config_dirty: bool,
    /// URIs that left the workspace and still need their diagnostics cleared.
    pub(crate) pending_cleared: Vec<Uri>,
    /// Set when an update panicked half-way: the next run starts from scratch.
    pub(crate) broken: bool,
    /// Where the local Hugging Face cache may be (read at each index).
    pub(crate) hf_cache_dirs: Vec<PathBuf>,
}

/// What applying changes requires besides updating single files.
#[derive(Default)]
struct Effects {
    reindex: bool,
    rebuild: bool,
}

impl State {
    /// Applies the changes in order, then reads the folders again or rebuilds the workspace if
    /// some change needs it.
    pub(crate) fn apply_all(
        &mut self,
        changes: Vec<Change>,
        progress: &IndexProgress,
        logs: &mut Vec<String>,
    ) {
        let mut effects = Effects::default();
        if self.broken {
            self.broken = false;
            self.disk.clear();
            self.entries.clear();
            self.ids.clear();
            self.workspace = Workspace::default();
            effects.reindex = true;
        }
        for change in changes {
            self.apply(change, &mut effects, logs);
        }
        if effects.reindex {
            self.reindex(progress, logs);
            effects.rebuild = true;
        }
        if effects.rebuild {
            self.rebuild();
        }
    }

    fn apply(&mut self, change: Change, effects: &mut Effects, logs: &mut Vec<String>) {
        match change {
            Change::Initialize {
                encoding,
                folders,
                settings,
            } => {
                self.encoding = encoding;
                self.folders = folders;
                self.client = settings;
            }
            Change::Index => effects.reindex = true,
            Change::Folders(folders) => {
                self.folders = folders;
                effects.reindex = true;
            }
            Change::Settings(settings) => {
                self.client = settings;
                effects.reindex = true;
            }
            Change::Open { key, file } => {
                if let Some(&id) = self.ids.get(&key) {
                    self.replace_entry(
                        id,
                        file.view.clone(),
                        file.facts.clone(),
                        Some(file.version),
                    );
                } else if !self.skipped.contains(&key) {
                    effects.rebuild = true;
                }
                self.open.insert(key, file);
            }
            Change::Close { key } => {
                if self.open.remove(&key).is_none() {
                    return;
                }
                if self.skipped.remove(&key) {
                    return;
                }
                match &key {
                    FileKey::Path(path) if self.disk.contains_key(path) => {
                        self.reread(path, effects, logs);
                    }
                    _ => effects.rebuild = true,
                }
            }
            Change::Disk { path, deleted } => {
                if index::is_config_file(&path) {
                    effects.reindex = true;
                } else if index::is_source_file(&path) {
                    let known = self.disk.contains_key(&path);
                    if deleted {
                        self.set_notebook_error(&path, None);
                        if self.disk.remove(&path).is_some()
                            && !self.open.contains_key(&FileKey::Path(path))
                        {
                            effects.rebuild = true;
                        }
                    } else if known {
                        self.reread(&path, effects, logs);
                    } else if self
                        .folders
                        .iter()
                        .any(|folder| index::may_be_walked(folder, &path))
                    {
                        // A new file: the walk decides whether it belongs (gitignore, exclude).
                        effects.reindex = true;
                    }
                }
            }
        }
    }

    /// Reads a known file from disk again; its facts replace the old ones unless the editor has
    /// it open.
    fn reread(&mut self, path: &Path, effects: &mut Effects, logs: &mut Vec<String>) {
        let key = FileKey::Path(path.to_path_buf());
        let read = index::read_file(path);
        self.set_notebook_error(path, read.as_ref().err());
        match read {
            // An artifact's finding lives in its entry, made by a rebuild.
            Ok(file) if brine_workspace::is_artifact(path) => {
                if let Some(entry) = self.disk.get_mut(path) {
                    entry.file = file;
                }
                effects.rebuild = true;
            }
            Ok(file) => {
                let facts = file.facts.clone();
                let view = file.view.clone();
                if let Some(entry) = self.disk.get_mut(path) {
                    entry.file = file;
                }
                if self.open.contains_key(&key) {
                    return;
                }
                if let Some(&id) = self.ids.get(&key) {
                    self.replace_entry(id, view, facts, None);
                } else {
                    effects.rebuild = true;
                }
            }
            Err(message) => {
                logs.push(format!("brine: {}: {message}", path.display()));
                self.disk.remove(path);
                effects.rebuild = true;
            }
        }
    }

    /// Gives a file of the workspace new facts and view (an edit, a change on disk, a notebook opened
    /// or closed); the documents it no longer shows get their diagnostics cleared.
    fn replace_entry(
        &mut self,
        id: FileId,
        view: View,
        facts: Arc<FileFacts>,
        version: Option<i32>,
    ) {
        let entry = &mut self.entries[id.index()];
        let new_uris: HashSet<Uri> = view.uris().into_iter().collect();
        self.pending_cleared.extend(
            entry
                .view
                .uris()
                .into_iter()
                .filter(|uri| !new_uris.contains(uri)),
        );
        let cells = view.workspace_cells(&facts);
        entry.view = view;
        entry.version = version;
        entry.facts = facts.clone();
        match self.workspace.replace_facts(id, facts) {
            FactsChange::Moved => {
                self.moved.insert(id);
            }
            FactsChange::Changed => self.code_changed = true,
        }
        if let Some(cells) = cells {
            self.workspace.set_cells(id, cells);
        }
        self.dirty.insert(id);
        self.stale = true;
    }

    /// Walks the folders again with fresh configuration; files already read keep their facts.
    fn reindex(&mut self, progress: &IndexProgress, logs: &mut Vec<String>) {
        progress
            .started
            .store(true, std::sync::atomic::Ordering::Release);
        let resolver = index::resolver(&self.client);
        let walk = index::walk(&self.folders, &resolver, &self.client);
        let mut disk = std::mem::take(&mut self.disk);
        let mut to_read = Vec::new();
        for (path, settings) in walk.files {
            match disk.remove(&path) {
                Some(entry) => {
                    self.disk.insert(
                        path,
                        DiskEntry {
                            file: entry.file,
                            settings,
                        },
                    );
                }
                None => to_read.push((path, settings)),
            }
        }
        let mut settings_of: HashMap<PathBuf, FileSettings> = HashMap::new();
        let paths = to_read
            .into_iter()
            .map(|(path, settings)| {
                settings_of.insert(path.clone(), settings);
                path
            })
            .collect();
        let notebook_errors = self.notebook_errors.clone();
        self.notebook_errors
            .retain(|path, _| settings_of.contains_key(path));
        for (path, result) in index::read_files(paths, progress) {
            self.set_notebook_error(&path, result.as_ref().err());
            match result {
                Ok(file) => {
                    let settings = settings_of
                        .remove(&path)
                        .unwrap_or_else(|| index::default_settings(&self.client));
                    self.disk.insert(path, DiskEntry { file, settings });
                }
                Err(message) => logs.push(format!("brine: {}: {message}", path.display())),
            }
        }
        self.directories = walk.directories;
        if walk.config_errors != self.config_errors
            || !walk.config_errors.is_empty()
            || notebook_errors != self.notebook_errors
        {
            self.config_dirty = true;
        }
        self.config_errors = walk.config_errors;
        progress
            .files
            .store(self.disk.len(), std::sync::atomic::Ordering::Release);
        self.resolver = Some(resolver);
        self.hf_cache_dirs = brine_workspace::hf_cache::cache_dirs();
    }

    /// Records why a notebook on disk could not be read (`None`: it can be, or it is gone); a change
    /// makes the diagnostics of configuration and notebook errors be published again.
    fn set_notebook_error(&mut self, path: &Path, error: Option<&String>) {
        let changed = match error {
            Some(message) if index::is_notebook(path) => {
                self.notebook_errors
                    .insert(path.to_path_buf(), message.clone())
                    != Some(message.clone())
            }
            _ => self.notebook_errors.remove(path).is_some(),
        };
        self.config_dirty |= changed;
    }

    /// Builds the workspace again from the disk files and the open documents.
    fn rebuild(&mut self) {
        let root = index::common_root(&self.folders);
        let old_uris: HashSet<Uri> = self
            .entries
            .drain(..)
            .flat_map(|entry| entry.view.uris())
            .collect();
        self.ids.clear();
        self.skipped.clear();
        let mut relative_paths = Vec::new();
        for (path, disk) in &self.disk {
            let key = FileKey::Path(path.clone());
            let entry = match self.open.get(&key) {
                Some(open) => Entry {
                    view: open.view.clone(),
                    settings: disk.settings.clone(),
                    facts: open.facts.clone(),
                    version: Some(open.version),
                    artifact: None,
                    mentions: Vec::new(),
                },
                None => Entry {
                    view: disk.file.view.clone(),
                    settings: disk.settings.clone(),
                    facts: disk.file.facts.clone(),
                    version: None,
                    artifact: disk.file.artifact.clone(),
                    mentions: Vec::new(),
                },
            };
            relative_paths.push(index::relative_path(root.as_deref(), path));
            self.ids.insert(key, FileId(self.entries.len() as u32));
            self.entries.push(entry);
        }
        let mut untitled = 0;
        for (key, open) in &self.open {
            if self.ids.contains_key(key) {
                continue;
            }
            let (relative, settings) = match key {
                FileKey::Path(path) => {
                    let settings = match &self.resolver {
                        Some(resolver) => {
                            let mut errors = BTreeMap::new();
                            index::settings_for(resolver, &self.client, path, &mut errors)
                        }
                        None => index::default_settings(&self.client),
                    };
                    if settings.excluded {
                        self.skipped.insert(key.clone());
                        continue;
                    }
                    (index::relative_path(root.as_deref(), path), settings)
                }
                FileKey::Uri(_) => {
                    untitled += 1;
                    (
                        format!("__untitled__/{untitled}/untitled{untitled}.py"),
                        index::default_settings(&self.client),
                    )
                }
            };
            relative_paths.push(relative);
            self.ids
                .insert(key.clone(), FileId(self.entries.len() as u32));
            self.entries.push(Entry {
                view: open.view.clone(),
                settings,
                facts: open.facts.clone(),
                version: Some(open.version),
                artifact: None,
                mentions: Vec::new(),
            });
        }
        let directories: Vec<String> = self
            .directories
            .iter()
            .map(|dir| index::relative_path(root.as_deref(), dir))
            .filter(|dir| !dir.starts_with("__external__/"))
            .collect();
        self.workspace = Workspace::new(
            relative_paths
                .into_iter()
                .zip(self.entries.iter().map(|entry| entry.facts.clone()))
                .collect(),
            directories,
        );
        for (index, entry) in self.entries.iter().enumerate() {
            let id = FileId(index as u32);
            if let Some(cells) = entry.view.workspace_cells(&entry.facts) {
                self.workspace.set_cells(id, cells);
            }
            if let Some(artifact) = &entry.artifact {
                let path = self.workspace.file(id).path.clone();
                let description =
                    brine_analysis::artifact::artifact_description(&path, &artifact.imports);
                self.workspace.set_artifact(id, description);
            }
        }
        let new_uris: HashSet<Uri> = self
            .entries
            .iter()
            .flat_map(|entry| entry.view.uris())
            .collect();
        self.pending_cleared
            .extend(old_uris.into_iter().filter(|uri| !new_uris.contains(uri)));
        self.dirty.clear();
        self.stale = true;
        self.code_changed = true;
    }

    /// The files a run must check after its changed and open files (`checked`): all of them after
    /// a change of code; after moves only, those whose diagnostics show positions of a moved file
    /// (nothing else can have changed, since every resolved value is the same).
    pub(crate) fn rest_to_check(&self, checked: &HashSet<FileId>) -> Vec<FileId> {
        (0..self.entries.len() as u32)
            .map(FileId)
            .filter(|id| !checked.contains(id))
            .filter(|id| {
                self.code_changed
                    || self.entries[id.index()]
                        .mentions
                        .iter()
                        .any(|mentioned| self.moved.contains(mentioned))
            })
            .collect()
    }

    /// Records that every file that needed it was checked after the last change.
    pub(crate) fn checked_everything(&mut self) {
        self.stale = false;
        self.code_changed = false;
        self.moved.clear();
    }

    /// Records which other files the diagnostics of each checked file show positions of.
    pub(crate) fn record_mentions(&mut self, mentions: Vec<(FileId, Vec<FileId>)>) {
        for (id, files) in mentions {
            if let Some(entry) = self.entries.get_mut(id.index()) {
                entry.mentions = files;
            }
        }
    }

    /// Checks one file: the diagnostics of every document it is shown in (one per code cell of an
    /// open notebook, empty lists included, so that diagnostics that went away are cleared). A panic
    /// in the analysis is caught and returned as a message. Gives up with nothing as soon as
    /// `is_cancelled` says so (a newer version of the workspace will be checked instead).
    pub(crate) fn check_one(
        &self,
        id: FileId,
        is_cancelled: &(dyn Fn() -> bool + Sync),
    ) -> Result<Checked, String> {
        let entry = &self.entries[id.index()];
        let targets = entry.view.targets(entry.version);
        if targets.is_empty() {
            if let View::File { .. } = entry.view {
                return Err(format!(
                    "brine: {} has no URI",
                    self.workspace.file(id).path
                ));
            }
            return Ok(Checked::default());
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            #[cfg(test)]
            tests::maybe_panic(&self.workspace.file(id).path);
            let mut findings = match &entry.artifact {
                Some(artifact) => vec![artifact.finding.clone()],
                None => {
                    let options = &entry.settings.options;
                    match check_file_until(&self.workspace, id, options, is_cancelled) {
                        Ok(findings) => findings,
                        Err(brine_analysis::Cancelled) => return None,
                    }
                }
            };
            findings.retain(|finding| entry.settings.is_enabled(finding.code()));
            for finding in &mut findings {
                // "Pin `revision`" needs the commit from the local Hugging Face cache.
                let pin = finding.pin.as_ref().and_then(|request| {
                    brine_workspace::hf_cache::resolve_pin(request, &self.hf_cache_dirs)
                        .map(|sha| request.fix(&sha))
                });
                finding.fixes.extend(pin);
            }
            let locate = |file: FileId, range: TextRange| {
                let entry = self.entries.get(file.index())?;
                let (target, range) = entry.view.range(range, self.encoding)?;
                Some(Location {
                    uri: entry.view.uri(target)?.clone(),
                    range,
                })
            };
            let mut mentions: Vec<FileId> = findings
                .iter()
                .filter_map(|finding| finding.flow.as_ref())
                .flat_map(|flow| flow.steps.iter().map(|step| step.file))
                .filter(|&file| file != id)
                .collect();
            mentions.sort_unstable();
            mentions.dedup();
            let mut per_target: Vec<Vec<Diagnostic>> = vec![Vec::new(); targets.len()];
            for finding in &findings {
                if let Some((target, diagnostic)) = diagnostics::to_diagnostic(
                    finding,
                    &entry.facts,
                    &entry.view,
                    self.encoding,
                    &locate,
                ) {
                    if let Some(list) = per_target.get_mut(target) {
                        list.push(diagnostic);
                    }
                }
            }
            Some((per_target, mentions))
        }));
        match result {
            // Cancelled: what was checked is dropped with the stale generation.
            Ok(None) => Ok(Checked::default()),
            Ok(Some((per_target, mentions))) => Ok(Checked {
                files: targets
                    .into_iter()
                    .zip(per_target)
                    .map(|(target, diagnostics)| FileDiagnostics {
                        uri: target.uri,
                        version: target.version,
                        diagnostics,
                    })
                    .collect(),
                mentions,
            }),
            Err(payload) => Err(format!(
                "brine: analysis of {} panicked: {}",
                self.workspace.file(id).path,
                crate::panic_message(payload.as_ref())
            )),
        }
    }

    /// Diagnostics for configuration files with errors and for notebooks that could not be read, and
    /// the files whose errors went away.
    pub(crate) fn config_diagnostics(&mut self) -> (Vec<FileDiagnostics>, Vec<Uri>) {
        let mut files = Vec::new();
        for (path, error) in &self.config_errors {
            let Some(uri) = index::path_to_uri(path) else {
                continue;
            };
            let text = std::fs::read_to_string(path).unwrap_or_default();
            files.push(FileDiagnostics {
                uri,
                version: None,
                diagnostics: vec![diagnostics::config_error_diagnostic(
                    error,
                    &text,
                    self.encoding,
                )],
            });
        }
        let now: BTreeSet<PathBuf> = self.config_errors.keys().cloned().collect();
        let mut cleared: Vec<Uri> = self
            .published_config
            .difference(&now)
            .filter_map(|path| index::path_to_uri(path))
            .collect();
        self.published_config = now;
        for (path, message) in &self.notebook_errors {
            if let Some(uri) = index::path_to_uri(path) {
                files.push(FileDiagnostics {
                    uri,
                    version: None,
                    diagnostics: vec![diagnostics::file_error_diagnostic(message)],
                });
            }
        }
        let now: BTreeSet<PathBuf> = self.notebook_errors.keys().cloned().collect();
        cleared.extend(
            self.published_notebook_errors
                .difference(&now)
                .filter_map(|path| index::path_to_uri(path)),
        );
        self.published_notebook_errors = now;
        (files, cleared)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;

    /// A workspace path whose analysis panics, to test that panics are contained.
    pub static PANIC_ON: Mutex<Option<String>> = Mutex::new(None);

    pub fn maybe_panic(path: &str) {
        let target = PANIC_ON.lock().unwrap().clone();
        if target.is_some_and(|target| path.ends_with(&target)) {
            panic!("injected panic for {path}");
        }
    }
}
