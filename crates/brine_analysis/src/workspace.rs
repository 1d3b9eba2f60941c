//! The set of files analysed together: their facts, their module names, and indexes across files.
//!
//! Built from inputs the caller already has (paths and facts); no file is read here.

use std::sync::Arc;

use brine_facts::{CallId, FileFacts, Name};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::cache::{Dep, ResultCache};
use crate::demand::Demand;
use crate::value::ValueSet;

/// Index of a file in its [`Workspace`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

impl FileId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One Python file of the workspace.
#[derive(Debug)]
pub struct WorkspaceFile {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// Dotted module name (`pkg.sub.mod`), derived from the enclosing packages.
    pub module: String,
    /// True for a package's `__init__.py`.
    pub is_package: bool,
    pub facts: Arc<FileFacts>,
    /// For a notebook: the first line of each code cell in the facts' text and the cell's index in
    /// the notebook, so locations can be named `notebook.ipynb:cell 3:2`.
    pub cells: Option<Vec<(u32, usize)>>,
    /// For a pickle artifact that BRN401 flags (its facts are empty): what it is, for taint messages.
    pub artifact: Option<String>,
}

impl WorkspaceFile {
    /// `path:line` for a byte offset, or `path:cell N:line` in a notebook (1-based).
    pub fn location(&self, offset: u32) -> String {
        let line = self.facts.line_index.line_of(offset);
        match &self.cells {
            Some(cells) => {
                let at = cells
                    .partition_point(|&(start, _)| start <= line)
                    .saturating_sub(1);
                let (start, index) = cells.get(at).copied().unwrap_or((0, 0));
                format!("{}:cell {}:{}", self.path, index + 1, line - start + 1)
            }
            None => format!("{}:{}", self.path, line + 1),
        }
    }
}

/// All files analysed together, and the cross-file indexes resolution needs.
#[derive(Debug, Default)]
pub struct Workspace {
    files: Vec<WorkspaceFile>,
    modules: FxHashMap<String, FileId>,
    /// Directories of the workspace, relative to the root with `/` separators (for local model paths).
    directories: FxHashSet<String>,
    /// Calls by the last name of their callee, for finding the call sites of a function. A file's
    /// calls of a name are next to each other (they are added a file at a time).
    calls_by_name: FxHashMap<Box<str>, Vec<(FileId, CallId)>>,
    /// First components of every module name, to skip workspace lookups for library names quickly.
    top_levels: FxHashSet<String>,
    /// Resolution results shared by every resolver on this workspace, with when they last held.
    cache: ResultCache,
    /// `[Dep::File(id)]` for every file, shared: most results depend on exactly one file, and one
    /// allocation per result would be a tenth of the cache's memory.
    single_file_deps: Vec<Arc<[Dep]>>,
    no_deps: Arc<[Dep]>,
    /// Reads by name, when a caller measures them (see [`crate::demand`]).
    demands: Option<std::sync::Mutex<Vec<Demand>>>,
}

/// What [`Workspace::replace_facts`] found had changed in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactsChange {
    /// Only positions moved, in order: every resolved value is unchanged, and findings of other
    /// files can differ only where they show a position of this file (a taint path through it).
    Moved,
    /// Something else changed: cached results that read it were dropped.
    Changed,
}

/// The calls of a name in the workspace, one part per file (the parts are cached results of their
/// own, shared rather than copied).
pub(crate) type CallTargetParts = Arc<[Arc<[CallTarget]>]>;

/// A call of some name, with the values its callee resolves to (in shallow mode).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CallTarget {
    pub file: FileId,
    pub call: CallId,
    pub callees: ValueSet,
    /// The callee is `obj.method` with `obj` an instance, a class or `super()`: a method it calls
    /// gets its first parameter implicitly.
    pub bound: bool,
}

impl Workspace {
    /// Builds a workspace from `(relative path, facts)` pairs and the workspace's directories.
    pub fn new(
        files: Vec<(String, Arc<FileFacts>)>,
        directories: impl IntoIterator<Item = String>,
    ) -> Self {
        let mut directories: FxHashSet<String> = directories.into_iter().collect();
        let paths: FxHashSet<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
        for (path, _) in &files {
            let mut dir = parent_dir(path);
            while let Some(d) = dir {
                if !directories.insert(d.to_owned()) {
                    break;
                }
                dir = parent_dir(d);
            }
        }
        let named: Vec<(String, bool)> = files
            .iter()
            .map(|(path, _)| module_name(path, &paths))
            .collect();
        let mut workspace = Workspace {
            directories,
            single_file_deps: (0..files.len() as u32)
                .map(|id| Arc::from([Dep::File(FileId(id))]))
                .collect(),
            ..Workspace::default()
        };
        for ((path, facts), (module, is_package)) in files.into_iter().zip(named) {
            let id = FileId(workspace.files.len() as u32);
            for call in facts.call_ids() {
                if let Some(name) = facts.callee_name(call) {
                    workspace
                        .calls_by_name
                        .entry(name.into())
                        .or_default()
                        .push((id, call));
                }
            }
            // The first file claiming a module name wins; duplicates (two `setup.py`) stay reachable by path.
            workspace.modules.entry(module.clone()).or_insert(id);
            // Folders without `__init__.py` are namespace packages: also name files by their full path.
            workspace.modules.entry(dotted_path(&path)).or_insert(id);
            let first_component =
                |name: &str| name.split('.').next().unwrap_or_default().to_owned();
            workspace.top_levels.insert(first_component(&module));
            workspace
                .top_levels
                .insert(first_component(&dotted_path(&path)));
            workspace.files.push(WorkspaceFile {
                path,
                module,
                is_package,
                facts,
                cells: None,
                artifact: None,
            });
        }
        workspace
    }

    /// Replaces the facts of an existing file (an edit in the editor, a change on disk). Module names
    /// do not change; the call index is updated, and exactly the cached results that read this file,
    /// or the calls of a name this file now calls a different number of times, stop holding: the
    /// file and those names are marked changed at a new revision, which costs the same however many
    /// results there are (results are checked when read, and swept now and then). Adding or removing
    /// files needs [`Workspace::new`].
    ///
    /// When the new facts are the old ones with positions moved in order (a keystroke in a comment,
    /// blank lines), ids, names and the call index are unchanged and every cached result still
    /// holds (see [`FileFacts::same_up_to_positions`]): nothing is dropped.
    pub fn replace_facts(&mut self, id: FileId, facts: Arc<FileFacts>) -> FactsChange {
        let old = std::mem::replace(&mut self.files[id.index()].facts, facts);
        if old.same_up_to_positions(&self.files[id.index()].facts) {
            return FactsChange::Moved;
        }
        let new = self.files[id.index()].facts.clone();
        let declarations = old.declarations_change(&new);
        // Most changes of code keep every call with its callee's name (a keystroke in a name that
        // is not called, in a string, in an argument): the index of calls by name, whose lists
        // of common names run long, stays as it is.
        let same_callees = old.calls.len() == new.calls.len()
            && old
                .call_ids()
                .all(|call| old.callee_name(call) == new.callee_name(call));
        if same_callees {
            self.cache.file_changed(id, &declarations, []);
            return FactsChange::Changed;
        }
        let old_counts = call_counts(&old);
        for name in old_counts.keys() {
            if let Some(calls) = self.calls_by_name.get_mut(*name) {
                calls.retain(|&(file, _)| file != id);
            }
        }
        for call in new.call_ids() {
            if let Some(name) = new.callee_name(call) {
                self.calls_by_name
                    .entry(name.into())
                    .or_default()
                    .push((id, call));
            }
        }
        // A result that looked at this file's calls of a name read its facts (`Dep::File`); one
        // that found none here did not, and goes stale only if the number of such calls changes.
        let new_counts = call_counts(&new);
        let renamed: Vec<Name> = old_counts
            .keys()
            .chain(new_counts.keys())
            .filter(|name| old_counts.get(*name) != new_counts.get(*name))
            .map(|name| brine_facts::intern(name))
            .collect();
        self.cache.file_changed(id, &declarations, renamed);
        FactsChange::Changed
    }

    /// From now on, resolution notes what it reads by name (for [`Workspace::take_demands`]).
    pub fn log_demands(&mut self) {
        self.demands = Some(Default::default());
    }

    /// The reads by name noted since the last call (in no particular order, with repeats).
    pub fn take_demands(&self) -> Vec<Demand> {
        match &self.demands {
            Some(log) => std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner())),
            None => Vec::new(),
        }
    }

    pub(crate) fn logs_demands(&self) -> bool {
        self.demands.is_some()
    }

    /// Notes a read by name when demands are logged (built only then: interning has a cost).
    pub(crate) fn demand(&self, demand: impl FnOnce() -> Demand) {
        if let Some(log) = &self.demands {
            log.lock().unwrap_or_else(|e| e.into_inner()).push(demand());
        }
    }

    pub(crate) fn cache(&self) -> &ResultCache {
        &self.cache
    }

    /// The dependencies of a computation as stored with its result, shared when they are common.
    pub(crate) fn shared_deps(&self, deps: &[Dep]) -> Arc<[Dep]> {
        match deps {
            [] => self.no_deps.clone(),
            [Dep::File(file)] => match self.single_file_deps.get(file.index()) {
                Some(shared) => shared.clone(),
                None => deps.into(),
            },
            _ => deps.into(),
        }
    }

    /// Marks a file as a notebook: `cells` holds each code cell's first line and index in the notebook.
    pub fn set_cells(&mut self, id: FileId, cells: Vec<(u32, usize)>) {
        self.files[id.index()].cells = Some(cells);
    }

    /// Marks a file as a flagged pickle artifact, described for taint messages.
    pub fn set_artifact(&mut self, id: FileId, description: String) {
        self.files[id.index()].artifact = Some(description);
    }

    /// The flagged artifact a path string in `from` names (relative to the workspace root or to the
    /// folder of `from`), if any.
    pub fn artifact_named(&self, from: FileId, text: &str) -> Option<FileId> {
        let text = text.strip_prefix("./").unwrap_or(text);
        if text.is_empty() || text.len() > 4096 {
            return None;
        }
        let from_path = &self.file(from).path;
        let folder = from_path.rfind('/').map(|slash| &from_path[..slash]);
        let candidates = [
            Some(text.to_owned()),
            folder.map(|folder| format!("{folder}/{text}")),
        ];
        candidates
            .into_iter()
            .flatten()
            .filter_map(|candidate| self.file_id(&normalize(&candidate)))
            .find(|&id| self.file(id).artifact.is_some())
    }

    /// The file with this workspace-relative path.
    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|file| file.path == path)
            .map(|index| FileId(index as u32))
    }

    /// A workspace of a single file, named `path`.
    pub fn single(path: &str, facts: FileFacts) -> Self {
        Workspace::new(vec![(path.to_owned(), Arc::new(facts))], [])
    }

    pub fn file(&self, id: FileId) -> &WorkspaceFile {
        &self.files[id.index()]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &WorkspaceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(index, file)| (FileId(index as u32), file))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn module(&self, name: &str) -> Option<FileId> {
        self.modules.get(name).copied()
    }

    /// True when some workspace module's name starts with `name` as its first component.
    pub fn has_top_level(&self, name: &str) -> bool {
        self.top_levels.contains(name)
    }

    pub fn has_directory(&self, relative: &str) -> bool {
        self.directories.contains(relative)
    }

    /// Drops cached results that stopped holding and were not verified lately, when 64 changes of
    /// code were made since the last time (a change does it itself after 256). Takes milliseconds
    /// on a big workspace, so the server calls it when the user pauses typing.
    pub fn sweep_if_due(&mut self) -> bool {
        self.cache.sweep_if_due()
    }

    /// How many resolution results are cached whose own reads still hold (for tests and statistics).
    pub fn cached_results(&self) -> usize {
        self.cache.len()
    }

    /// Calls anywhere in the workspace whose callee's last name is `name`.
    pub fn calls_named(&self, name: &str) -> &[(FileId, CallId)] {
        self.calls_by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// The calls of `name`, one run per file that has some.
    pub(crate) fn calls_named_by_file(
        &self,
        name: &str,
    ) -> impl Iterator<Item = (FileId, &[(FileId, CallId)])> {
        self.calls_named(name)
            .chunk_by(|a, b| a.0 == b.0)
            .map(|run| (run[0].0, run))
    }
}

/// How many calls of each callee name a file has.
fn call_counts(facts: &FileFacts) -> FxHashMap<&str, u32> {
    let mut counts: FxHashMap<&str, u32> = FxHashMap::default();
    for call in facts.call_ids() {
        if let Some(name) = facts.callee_name(call) {
            *counts.entry(name).or_default() += 1;
        }
    }
    counts
}

/// Resolves `.` and `..` components of a relative path with `/` separators.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

fn dotted_path(path: &str) -> String {
    let without_ext = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyi"))
        .unwrap_or(path);
    let without_init = without_ext.strip_suffix("/__init__").unwrap_or(without_ext);
    without_init.replace('/', ".")
}

fn parent_dir(path: &str) -> Option<&str> {
    path.rfind('/').map(|slash| &path[..slash])
}

/// The module name of a file: its path from the outermost package that contains it, so
/// `src/pkg/sub/mod.py` with `pkg/__init__.py` and `pkg/sub/__init__.py` is `pkg.sub.mod`, and a
/// script outside any package is named by its file stem.
fn module_name(path: &str, paths: &FxHashSet<&str>) -> (String, bool) {
    let without_ext = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyi"))
        .unwrap_or(path);
    let mut parts: Vec<&str> = without_ext.split('/').collect();
    let is_package = parts.last() == Some(&"__init__");
    if is_package {
        parts.pop();
    }
    // Count how many enclosing directories are packages, innermost first.
    let file_dir_depth = path.matches('/').count();
    let mut package_depth = 0;
    for depth in (0..file_dir_depth).rev() {
        let dir: Vec<&str> = path.split('/').take(depth + 1).collect();
        let init = format!("{}/__init__.py", dir.join("/"));
        if paths.contains(init.as_str()) {
            package_depth += 1;
        } else {
            break;
        }
    }
    // A package's own `__init__` is named by its directory; a module keeps its stem plus its packages.
    let keep = if is_package {
        package_depth
    } else {
        package_depth + 1
    };
    let start = parts.len().saturating_sub(keep.max(1));
    (parts[start..].join("."), is_package)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The facts of a module whose `X` is `n`: each `n` is a change of code.
    fn numbered_module(n: u32) -> Arc<FileFacts> {
        let text = format!("import pickle\nX = {n}\ndef f(b):\n    return pickle.loads(b)\n");
        Arc::new(brine_facts::lower_text(&text))
    }

    #[test]
    fn results_that_stopped_holding_are_swept() {
        let mut workspace = Workspace::new(vec![("a.py".into(), numbered_module(0))], []);
        let stored = |workspace: &Workspace| workspace.cache.stored();
        crate::check_file(&workspace, FileId(0), &crate::CheckOptions::default());
        let before = workspace.cached_results();
        assert!(before > 1);
        workspace.replace_facts(FileId(0), numbered_module(1));
        assert!(
            workspace.cached_results() < before,
            "results that read the file stop holding"
        );
        assert_eq!(stored(&workspace), before, "and stay stored until swept");
        for n in 2..crate::cache::SWEEP_EVERY {
            workspace.replace_facts(FileId(0), numbered_module(n));
        }
        assert!(!workspace.sweep_if_due(), "not due before 64 changes");
        workspace.replace_facts(FileId(0), numbered_module(crate::cache::SWEEP_EVERY));
        assert_eq!(stored(&workspace), before, "changes do not sweep");
        assert!(workspace.sweep_if_due());
        assert_eq!(stored(&workspace), workspace.cached_results(), "swept");
        assert!(!workspace.sweep_if_due(), "due again after 64 more changes");
    }

    /// A caller that never sweeps still gets its memory back: the 256th change without a sweep
    /// sweeps.
    #[test]
    fn changes_sweep_when_a_sweep_is_long_overdue() {
        let mut workspace = Workspace::new(vec![("a.py".into(), numbered_module(0))], []);
        crate::check_file(&workspace, FileId(0), &crate::CheckOptions::default());
        let before = workspace.cache.stored();
        for n in 1..crate::cache::SWEEP_OVERDUE {
            workspace.replace_facts(FileId(0), numbered_module(n));
        }
        assert_eq!(workspace.cache.stored(), before);
        workspace.replace_facts(FileId(0), numbered_module(crate::cache::SWEEP_OVERDUE));
        assert_eq!(workspace.cache.stored(), workspace.cached_results());
    }

    /// A sweep due after 64 changes drops results nobody verified lately, not those
    /// of the file being typed in: their old values are what lets results computed again come out
    /// "unchanged" (a sweep that dropped them cost the next check its early cutoff: 3 -> 9 ms on
    /// `modeling_utils.py`).
    #[test]
    fn a_sweep_keeps_the_results_of_the_file_being_typed_in() {
        let mut workspace = Workspace::new(vec![("a.py".into(), numbered_module(0))], []);
        let options = crate::CheckOptions::default();
        crate::check_file(&workspace, FileId(0), &options);
        for n in 1..crate::cache::SWEEP_EVERY {
            workspace.replace_facts(FileId(0), numbered_module(n));
            crate::check_file(&workspace, FileId(0), &options);
        }
        let before = workspace.cache.stored();
        workspace.replace_facts(FileId(0), numbered_module(crate::cache::SWEEP_EVERY));
        assert!(workspace.sweep_if_due());
        assert_eq!(workspace.cache.stored(), before);
    }

    /// Typing in one file again and again: results that never read it (nor anything that read
    /// it) hold without being visited, and edits of the files they did read still reach them.
    #[test]
    fn durable_results_hold_unvisited_while_another_file_is_edited() {
        let hot = |n: usize| format!("X = {n}\ndef f():\n    return X\n");
        let unsafe_lib = "SAFE = False\n";
        let safe_lib = "SAFE = True\n";
        let mut texts = vec![hot(0), safe_lib.to_owned()];
        texts.extend((0..10).map(|i| {
            format!("import torch\nfrom lib import SAFE\ntorch.load(p{i}, weights_only=SAFE)\n")
        }));
        let names: Vec<String> = ["hot.py".to_owned(), "lib.py".to_owned()]
            .into_iter()
            .chain((0..10).map(|i| format!("user{i}.py")))
            .collect();
        let build = |texts: &[String]| {
            let files = names
                .iter()
                .zip(texts)
                .map(|(name, text)| (name.clone(), Arc::new(brine_facts::lower_text(text))))
                .collect();
            Workspace::new(files, [])
        };
        let findings = |workspace: &Workspace| -> Vec<usize> {
            let options = crate::CheckOptions::default();
            workspace
                .files()
                .map(|(id, _)| crate::check_file(workspace, id, &options).len())
                .collect()
        };
        // Evaluates every callee and argument of the users and counts the results verified by visiting.
        let visits = |workspace: &Workspace| {
            let mut resolver = crate::resolve::Resolver::new(workspace);
            for (id, file) in workspace.files().skip(2) {
                for call in file.facts.call_ids() {
                    let call = file.facts.call(call);
                    resolver.eval(id, call.callee);
                    for arg in file.facts.args(call).iter() {
                        resolver.eval(id, arg.value);
                    }
                }
            }
            resolver.deep_verifications
        };
        let mut live = build(&texts);
        // Edits the live workspace, counts the visits of the next evaluation of the users, and
        // checks that the findings then equal those of a fresh workspace.
        let mut edit = |live: &mut Workspace, index: usize, text: String| {
            live.replace_facts(
                FileId(index as u32),
                Arc::new(brine_facts::lower_text(&text)),
            );
            texts[index] = text;
            let visited = visits(live);
            let now = findings(live);
            assert_eq!(now, findings(&build(&texts)));
            (visited, now)
        };
        findings(&live);
        let (visited, _) = edit(&mut live, 0, hot(1));
        assert!(visited > 0, "a first edit changes what may be durable");
        let (visited, _) = edit(&mut live, 0, hot(2));
        assert_eq!(visited, 0, "a second edit of the same file does not");

        // The users read lib.py: editing it reaches them, at the first edit and at later ones.
        let (_, now) = edit(&mut live, 1, unsafe_lib.to_owned());
        assert_eq!(now[2..], [1; 10]);
        let (visited, now) = edit(&mut live, 1, safe_lib.to_owned());
        assert!(visited > 0);
        assert_eq!(now[2..], [0; 10]);
        edit(&mut live, 0, hot(3));
        let (_, now) = edit(&mut live, 1, unsafe_lib.to_owned());
        assert_eq!(now[2..], [1; 10]);
    }

    #[test]
    fn module_names_follow_packages() {
        let files = [
            "src/pkg/__init__.py",
            "src/pkg/sub/__init__.py",
            "src/pkg/sub/mod.py",
            "scripts/run.py",
            "pkg2/a.py",
        ];
        let paths: FxHashSet<&str> = files.iter().copied().collect();
        assert_eq!(
            module_name("src/pkg/sub/mod.py", &paths),
            ("pkg.sub.mod".into(), false)
        );
        assert_eq!(
            module_name("src/pkg/sub/__init__.py", &paths),
            ("pkg.sub".into(), true)
        );
        assert_eq!(
            module_name("src/pkg/__init__.py", &paths),
            ("pkg".into(), true)
        );
        assert_eq!(module_name("scripts/run.py", &paths), ("run".into(), false));
        assert_eq!(module_name("pkg2/a.py", &paths), ("a".into(), false));
    }
}
