//! The workspace's cache of resolution results, and how results are kept across edits.
//!
//! Every result records what it read: the facts of files, what a module or class body declares a
//! name to be, and the call index directly ([`Dep::File`], [`Dep::Declared`], [`Dep::CallsNamed`]),
//! and other cached results by name ([`Dep::Result`]). An edit marks the edited file, the names
//! whose declarations it changed (`brine_facts::DeclarationsChange`) and the callee names whose
//! number of calls changed as changed at a new revision, and visits nothing else. When a result is
//! read at a later revision, the resolver verifies it ("red-green", as salsa and rust-analyzer
//! do): its direct reads must be unchanged, and
//! every result it read must be unchanged too, which the resolver checks in the same way and, for a
//! result that did read the edit, by computing it again. A result computed again that comes out
//! equal keeps the revision it last *changed* at, so what was computed from it still holds. That
//! early cutoff is what stops an edit inside a method of `modeling_utils.py` from invalidating every
//! model class of transformers: they read `PreTrainedModel`'s members, which come out the same.
//!
//! Verification still visits everything a result read, down to the results that read the edit,
//! and a check of `modeling_utils.py` reads call targets all over the workspace. So, as salsa does
//! with durabilities, each result also records whether it is *durable*: whether everything it read,
//! through the results it read, comes from files never edited since the workspace was built. A file
//! leaves that set at its first edit, and that edit (or any change in the number of calls of a
//! name) counts as a change of durable inputs. A durable result verified since the last such change
//! holds without visiting anything: typing in one file again and again only verifies what read it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use brine_facts::{DeclarationsChange, FunctionId, Name, ScopeId};
use dashmap::mapref::entry::Entry as Slot;
use dashmap::DashMap;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::resolve::{CallSite, Key};
use crate::value::{StoredValues, ValueSet};
use crate::workspace::{CallTarget, CallTargetParts, FileId};

/// Something a cached result was computed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Dep {
    /// The facts of a file.
    File(FileId),
    /// The declarations of a name in the module or a class body of a file, and the file's
    /// declared shape (see `brine_facts::DeclarationsChange`): what that scope binds the name to.
    /// An edit inside a function body leaves them unchanged.
    Declared(FileId, ScopeId, Name),
    /// The set of calls whose callee's last name is this (the call-site index).
    CallsNamed(Name),
    /// Another cached result: this one holds while that one comes out the same.
    Result(Node),
    /// Too many things to list: recomputed at every revision (its result may still come out the
    /// same, and then what read it holds).
    Anything,
}

impl Dep {
    /// The file a list of dependencies names, when it names nothing else.
    pub fn only_file(deps: &[Dep]) -> Option<FileId> {
        match deps {
            [Dep::File(file)] => Some(*file),
            _ => None,
        }
    }
}

/// A cached result, by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    /// The values of a [`Key`], in shallow mode or not.
    Resolved(Key, bool),
    /// The call sites of a function.
    CallSites(FileId, FunctionId),
    /// Every call of a name with its callee's values.
    CallTargets(Name),
    /// The calls of a name in one file with their callees' values.
    CallTargetsIn(Name, FileId),
}

/// What a cached result read, when it was last seen to hold, and whether it was durable then.
#[derive(Clone, Debug)]
pub(crate) struct Stamp {
    pub deps: Arc<[Dep]>,
    pub verified_at: u32,
    /// Whether everything it read, through the results it read, comes from files never edited.
    pub durable: bool,
}

/// A cache entry: the result and what is known of it ([`Meta`]).
#[derive(Debug)]
struct Stored<T> {
    value: T,
    meta: Meta,
}

/// What a cache entry records besides its value, alike for every kind of result: what it was
/// computed from, the last revision at which it was known to hold, and the revision at which its
/// value last changed.
#[derive(Debug)]
struct Meta {
    deps: Arc<[Dep]>,
    verified: Verified,
    changed_at: u32,
}

impl Meta {
    /// When it last changed and whether it is durable, if it was verified at revision `now`.
    fn current_change(&self, now: u32) -> Option<(u32, bool)> {
        let (verified_at, durable) = self.verified.load();
        (verified_at == now).then_some((self.changed_at, durable))
    }

    fn stamp(&self) -> Stamp {
        let (verified_at, durable) = self.verified.load();
        Stamp {
            deps: self.deps.clone(),
            verified_at,
            durable,
        }
    }
}

/// The revision a result was last verified at, and whether it was durable then (set again at each
/// verification: a result it read may have stopped being durable), in one word. A flag of its own
/// made every entry 8 bytes larger; revisions stay far below 2^31.
#[derive(Debug)]
struct Verified(AtomicU32);

impl Verified {
    const DURABLE: u32 = 1 << 31;

    fn new(at: u32, durable: bool) -> Self {
        Verified(AtomicU32::new(Self::word(at, durable)))
    }

    fn word(at: u32, durable: bool) -> u32 {
        debug_assert!(at < Self::DURABLE);
        if durable {
            at | Self::DURABLE
        } else {
            at
        }
    }

    fn load(&self) -> (u32, bool) {
        let word = self.0.load(Ordering::Acquire);
        (word & !Self::DURABLE, word & Self::DURABLE != 0)
    }

    /// Records a verification at `now`, unless another thread recorded a later one.
    fn mark(&self, now: u32, durable: bool) {
        let word = Self::word(now, durable);
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |old| {
                (old & !Self::DURABLE <= now).then_some(word)
            });
    }
}

/// One kind of cached result, by key. Every kind is stored, read, verified and swept the same way.
#[derive(Debug)]
struct Table<K: std::hash::Hash + Eq, T>(DashMap<K, Stored<T>, FxBuildHasher>);

impl<K, T> Default for Table<K, T>
where
    K: std::hash::Hash + Eq,
{
    fn default() -> Self {
        Table(DashMap::default())
    }
}

impl<K: std::hash::Hash + Eq, T: PartialEq> Table<K, T> {
    /// `read` of what is known of the entry under `key`, if there is one.
    fn meta<R>(&self, key: &K, read: impl FnOnce(&Meta) -> R) -> Option<R> {
        self.0.get(key).map(|entry| read(&entry.meta))
    }

    /// `read` of the entry under `key`, if it was verified at revision `now`.
    fn current<U>(&self, key: &K, now: u32, read: impl FnOnce(&Stored<T>) -> U) -> Option<U> {
        let entry = self.0.get(key)?;
        (entry.meta.verified.load().0 == now).then(|| read(&entry))
    }

    /// Stores a result computed at revision `now`. When it equals the result it replaces, it keeps
    /// the revision that one last changed at (the early cutoff: what read the old result holds).
    fn store(&self, key: K, value: T, deps: Arc<[Dep]>, now: u32, durable: bool) {
        // One lookup: stores happen at every computation that misses the cache.
        let slot = self.0.entry(key);
        let changed_at = match &slot {
            Slot::Occupied(old) if old.get().value == value => old.get().meta.changed_at,
            _ => now,
        };
        slot.insert(Stored {
            value,
            meta: Meta {
                deps,
                verified: Verified::new(now, durable),
                changed_at,
            },
        });
    }

    fn sweep(&mut self, revisions: &Revisions) {
        self.0.retain(|_, entry| {
            let stamp = entry.meta.stamp();
            revisions.direct_reads_hold(&stamp) || revisions.recently_verified(&stamp)
        });
    }

    fn holding(&self, revisions: &Revisions) -> usize {
        self.0
            .iter()
            .filter(|entry| revisions.direct_reads_hold(&entry.meta.stamp()))
            .count()
    }
}

/// When each direct dependency last changed, in revisions of the workspace (one per change of code).
#[derive(Debug, Default)]
struct Revisions {
    current: u32,
    /// Per file, the revision of its last change of code.
    files: Vec<u32>,
    /// Per callee name, the revision at which some file's number of calls of it last changed.
    calls_named: FxHashMap<Name, u32>,
    /// Per file, whether it was ever edited (durable results read none of these).
    edited: Vec<bool>,
    /// Per file, the revision of the last change of its declared shape, and whether it ever
    /// changed (a result that read only declarations stays durable until they change).
    shapes: Vec<u32>,
    shape_edited: Vec<bool>,
    /// Per declared name of a file's scope, the revision of its last change, for the names that
    /// ever changed.
    declared_names: FxHashMap<(FileId, ScopeId, Name), u32>,
    /// The last revision at which something a durable result may read changed: a file edited
    /// for the first time, or the number of calls of a name.
    durable_changed_at: u32,
}

impl Revisions {
    /// False when `dep`, read directly, changed after revision `at`; results are not judged here.
    fn unchanged_since(&self, dep: &Dep, at: u32) -> bool {
        let changed_at = match dep {
            Dep::File(file) => self.files.get(file.index()).copied().unwrap_or(0),
            Dep::Declared(file, scope, name) => {
                let shape = self.shapes.get(file.index()).copied().unwrap_or(0);
                let declared = self.declared_names.get(&(*file, *scope, *name));
                shape.max(declared.copied().unwrap_or(0))
            }
            Dep::CallsNamed(name) => self.calls_named.get(name).copied().unwrap_or(0),
            Dep::Result(_) => 0,
            // Any change of code at all.
            Dep::Anything => self.current,
        };
        changed_at <= at
    }

    /// Whether a result that read `dep` directly can be durable, as far as that read goes (a
    /// result read is judged by its own stamp).
    fn durable_read(&self, dep: &Dep) -> bool {
        match dep {
            Dep::File(file) => !self.edited.get(file.index()).copied().unwrap_or(false),
            Dep::Declared(file, scope, name) => {
                !self
                    .shape_edited
                    .get(file.index())
                    .copied()
                    .unwrap_or(false)
                    && !self.declared_names.contains_key(&(*file, *scope, *name))
            }
            Dep::CallsNamed(_) | Dep::Result(_) => true,
            Dep::Anything => false,
        }
    }

    /// True when `stamp` was verified within the last [`SWEEP_EVERY`] revisions: it is still in
    /// use, and when it is computed again, equal, what read it holds (the early cutoff needs the
    /// old value). Sweeping right after an edit dropped every result of the file being typed in,
    /// and the next check computed them and everything that read them from scratch.
    fn recently_verified(&self, stamp: &Stamp) -> bool {
        stamp.verified_at + SWEEP_EVERY > self.current
    }

    /// True when nothing `stamp` read directly changed since it was last verified.
    fn direct_reads_hold(&self, stamp: &Stamp) -> bool {
        stamp
            .deps
            .iter()
            .all(|dep| self.unchanged_since(dep, stamp.verified_at))
    }
}

/// Records that `file` changed at revision `now` in `revisions` (per file) and `edited`; returns
/// whether this was its first change.
fn mark_changed(revisions: &mut Vec<u32>, edited: &mut Vec<bool>, file: FileId, now: u32) -> bool {
    let index = file.index();
    if revisions.len() <= index {
        revisions.resize(index + 1, 0);
        edited.resize(index + 1, false);
    }
    revisions[index] = now;
    !std::mem::replace(&mut edited[index], true)
}

/// After this many changes of code, results whose direct reads changed and that were not verified
/// during as many changes are swept from the caches (they are otherwise only replaced when their
/// key is computed again).
pub(crate) const SWEEP_EVERY: u32 = 64;

/// After this many changes of code without a sweep, a change sweeps (see
/// [`ResultCache::sweep_if_due`]).
pub(crate) const SWEEP_OVERDUE: u32 = 4 * SWEEP_EVERY;

/// The cached results of one workspace, shared by every resolver and thread.
#[derive(Debug, Default)]
pub(crate) struct ResultCache {
    revisions: Revisions,
    /// The revision of the last sweep.
    swept_at: u32,
    resolved: Table<(Key, bool), StoredValues>,
    call_sites: Table<(FileId, FunctionId), Arc<Vec<CallSite>>>,
    call_targets: Table<Name, CallTargetParts>,
    call_targets_in: Table<(Name, FileId), Arc<[CallTarget]>>,
}

impl ResultCache {
    /// The current revision.
    pub fn revision(&self) -> u32 {
        self.revisions.current
    }

    /// Marks a file, the declarations of it that changed, and the callee names whose calls in it
    /// changed in number, as changed at a new revision. Nothing else is visited: results are
    /// verified when read.
    pub fn file_changed(
        &mut self,
        file: FileId,
        declarations: &DeclarationsChange,
        names: impl IntoIterator<Item = Name>,
    ) {
        let revisions = &mut self.revisions;
        revisions.current += 1;
        let now = revisions.current;
        let first_edit = mark_changed(&mut revisions.files, &mut revisions.edited, file, now);
        let first_declarations_change = match declarations {
            DeclarationsChange::Same => false,
            DeclarationsChange::Everything => mark_changed(
                &mut revisions.shapes,
                &mut revisions.shape_edited,
                file,
                now,
            ),
            DeclarationsChange::Names(declared) => {
                let mut first = false;
                for &(scope, name) in declared {
                    first |= (revisions.declared_names)
                        .insert((file, scope, name), now)
                        .is_none();
                }
                first
            }
        };
        let mut calls_changed = false;
        for name in names {
            revisions.calls_named.insert(name, now);
            calls_changed = true;
        }
        if first_edit || first_declarations_change || calls_changed {
            revisions.durable_changed_at = now;
        }
        // The caller sweeps when it is idle (`sweep_if_due`); one that never does still gets
        // its memory back, with a sweep in the middle of a change now and then.
        if now - self.swept_at >= SWEEP_OVERDUE {
            self.sweep();
        }
    }

    /// Sweeps (see `sweep`) when [`SWEEP_EVERY`] changes of code were made since the last sweep;
    /// returns whether it did. A sweep of a big workspace takes milliseconds: the server calls
    /// this when the user pauses, not on a keystroke's path.
    pub fn sweep_if_due(&mut self) -> bool {
        let due = self.revisions.current - self.swept_at >= SWEEP_EVERY;
        if due {
            self.sweep();
        }
        due
    }

    /// True when a durable result verified at revision `at` holds now, unvisited: nothing a
    /// durable result can read changed since.
    pub fn durable_holds(&self, stamp: &Stamp) -> bool {
        stamp.durable && stamp.verified_at >= self.revisions.durable_changed_at
    }

    /// Whether `file` was ever edited.
    pub fn edited(&self, file: FileId) -> bool {
        self.revisions
            .edited
            .get(file.index())
            .copied()
            .unwrap_or(false)
    }

    /// Whether a result that read `dep` directly can be durable, as far as that read goes.
    pub fn durable_read(&self, dep: &Dep) -> bool {
        self.revisions.durable_read(dep)
    }

    /// Whether a result computed from `deps` now is durable: it read no edited file, and every
    /// result it read is durable.
    fn durable(&self, deps: &[Dep]) -> bool {
        if self.revisions.durable_changed_at == 0 {
            // Nothing was ever edited: every result that did not read `Anything` is durable
            // (checked without looking up the results read, which a cold check stores by the
            // hundred thousand).
            return !deps.contains(&Dep::Anything);
        }
        deps.iter().all(|dep| match dep {
            Dep::Result(node) => self
                .meta(node, |meta| meta.verified.load().1)
                .unwrap_or(false),
            _ => self.revisions.durable_read(dep),
        })
    }

    /// False when a direct dependency changed after revision `at` (results are the resolver's to judge).
    pub fn unchanged_since(&self, dep: &Dep, at: u32) -> bool {
        self.revisions.unchanged_since(dep, at)
    }

    /// Drops the results whose direct reads changed since they were last verified, unless they
    /// were verified recently.
    fn sweep(&mut self) {
        self.swept_at = self.revisions.current;
        let revisions = &self.revisions;
        self.resolved.sweep(revisions);
        self.call_sites.sweep(revisions);
        self.call_targets.sweep(revisions);
        self.call_targets_in.sweep(revisions);
    }

    /// `read` of what is known of the cached result of `node`, if there is one.
    fn meta<R>(&self, node: &Node, read: impl FnOnce(&Meta) -> R) -> Option<R> {
        match node {
            Node::Resolved(key, shallow) => self.resolved.meta(&(key.clone(), *shallow), read),
            Node::CallSites(file, function) => self.call_sites.meta(&(*file, *function), read),
            Node::CallTargets(name) => self.call_targets.meta(name, read),
            Node::CallTargetsIn(name, file) => self.call_targets_in.meta(&(*name, *file), read),
        }
    }

    /// What `node` was computed from, when it was verified and whether it was durable then, if it
    /// is cached.
    pub fn stamp(&self, node: &Node) -> Option<Stamp> {
        self.meta(node, Meta::stamp)
    }

    /// When the result of `node` last changed and whether it is durable, if it was verified at the
    /// current revision: what most reads during a verification need, without copying the
    /// dependency list of a full [`Stamp`].
    pub fn current_change(&self, node: &Node) -> Option<(u32, bool)> {
        let now = self.revisions.current;
        self.meta(node, |meta| meta.current_change(now)).flatten()
    }

    /// Records that `node` holds at the current revision, and whether it is durable now.
    pub fn mark_verified(&self, node: &Node, durable: bool) {
        let now = self.revisions.current;
        self.meta(node, |meta| meta.verified.mark(now, durable));
    }

    // Values, if they were verified at the current revision (the resolver verifies the others
    // with `stamp` first).

    /// With the values, the file the result read if that is all it read.
    pub fn resolved(&self, key: &(Key, bool)) -> Option<(ValueSet, Option<FileId>)> {
        self.resolved.current(key, self.revision(), |entry| {
            (entry.value.to_set(), Dep::only_file(&entry.meta.deps))
        })
    }

    pub fn call_sites(&self, file: FileId, function: FunctionId) -> Option<Arc<Vec<CallSite>>> {
        let now = self.revision();
        self.call_sites
            .current(&(file, function), now, |entry| entry.value.clone())
    }

    pub fn call_targets(&self, name: Name) -> Option<CallTargetParts> {
        let now = self.revision();
        self.call_targets
            .current(&name, now, |entry| entry.value.clone())
    }

    pub fn call_targets_in(&self, name: Name, file: FileId) -> Option<Arc<[CallTarget]>> {
        let now = self.revision();
        self.call_targets_in
            .current(&(name, file), now, |entry| entry.value.clone())
    }

    pub fn store_resolved(&self, key: (Key, bool), values: ValueSet, deps: Arc<[Dep]>) {
        let durable = self.durable(&deps);
        self.resolved
            .store(key, values.into(), deps, self.revision(), durable);
    }

    pub fn store_call_sites(
        &self,
        at: (FileId, FunctionId),
        sites: Arc<Vec<CallSite>>,
        deps: Arc<[Dep]>,
    ) {
        let durable = self.durable(&deps);
        self.call_sites
            .store(at, sites, deps, self.revision(), durable);
    }

    pub fn store_call_targets(&self, name: Name, targets: CallTargetParts, deps: Arc<[Dep]>) {
        let durable = self.durable(&deps);
        self.call_targets
            .store(name, targets, deps, self.revision(), durable);
    }

    pub fn store_call_targets_in(
        &self,
        at: (Name, FileId),
        targets: Arc<[CallTarget]>,
        deps: Arc<[Dep]>,
    ) {
        let durable = self.durable(&deps);
        self.call_targets_in
            .store(at, targets, deps, self.revision(), durable);
    }

    /// How many results are cached whose direct reads still hold (for tests and statistics).
    pub fn len(&self) -> usize {
        let revisions = &self.revisions;
        self.resolved.holding(revisions)
            + self.call_sites.holding(revisions)
            + self.call_targets.holding(revisions)
            + self.call_targets_in.holding(revisions)
    }

    /// How many results are stored, holding or not (for tests).
    #[cfg(test)]
    pub fn stored(&self) -> usize {
        self.resolved.0.len()
            + self.call_sites.0.len()
            + self.call_targets.0.len()
            + self.call_targets_in.0.len()
    }
}
