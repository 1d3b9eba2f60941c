//! Resolution: what values an expression can take, following names through scopes, imports
//! (across workspace modules), constants, attributes, calls and parameters.
//!
//! The resolver is flow-insensitive with one refinement: inside the scope that binds a name, only
//! bindings textually before the use count, and an unconditional binding hides the ones before it.
//! That is what makes `import pickle; pickle = Codec(); pickle.loads(x)` not the library while
//! `try: import cPickle as pickle / except ImportError: import pickle` is both.
//!
//! Recursion through the workspace (re-exports, parameters that reach their own call sites) is cut by
//! an in-progress set and a depth bound, so resolution always terminates.

use brine_facts::{
    BinOp, BindingId, BindingKind, CallId, ClassId, Expr, ExprId, FStringPart, FileFacts,
    FunctionId, ImportTarget, Name, ParamKind, ScopeId, ScopeKind,
};
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use crate::cache::{Dep, Node, ResultCache};
use crate::demand::Demand;
use crate::value::{Value, ValueSet};
use crate::workspace::{CallTarget, CallTargetParts, FileId, Workspace};

/// Dependencies recorded per computation before it collapses to [`Dep::Anything`] (a safety
/// bound: transformers' largest computations read a few hundred things).
const MAX_DEPS: usize = 4096;

/// A result cut short by the depth bound, with what it read.
type DepthCut = (ValueSet, Arc<[Dep]>);

/// What one computation in progress has read, each thing once.
#[derive(Default)]
struct DepFrame {
    list: Vec<Dep>,
    /// The same things, for finding repeats once the list is too long to scan.
    seen: FxHashSet<Dep>,
}

impl DepFrame {
    /// Lists beyond this length are searched through `seen`.
    const SCAN: usize = 12;

    fn has(&self, dep: &Dep) -> bool {
        if self.seen.is_empty() {
            self.list.contains(dep)
        } else {
            self.seen.contains(dep)
        }
    }

    fn note(&mut self, dep: Dep) {
        if self.list.first() == Some(&Dep::Anything) {
            return;
        }
        let known = if self.list.len() <= Self::SCAN {
            self.list.contains(&dep)
        } else {
            if self.seen.is_empty() {
                self.seen.extend(self.list.iter().cloned());
            }
            !self.seen.insert(dep.clone())
        };
        if known {
            return;
        }
        if dep == Dep::Anything || self.list.len() >= MAX_DEPS {
            self.list.clear();
            self.seen.clear();
            self.list.push(Dep::Anything);
        } else {
            self.list.push(dep);
        }
    }
}

/// A call of a function: where it is, and whether Python passes the first parameter implicitly
/// (`obj.method(...)`, `Class(...)` for `__init__`).
pub type CallSite = (FileId, CallId, bool);

/// Parameters with at least this many call sites gather their values from per-site cached parts
/// ([`Resolver::site_argument`]); fewer are quicker to evaluate again than to keep. On transformers
/// the parts of every parameter took 2.4 MB; those of parameters with 32 sites or more (about
/// 2,500 parts) do not show in the resident memory.
const MANY_CALL_SITES: usize = 32;

/// The position and keyword a [`Key::Argument`] stands for.
fn argument_slot(position: u16, keyword: Name) -> (Option<usize>, Option<Name>) {
    let position = (position != u16::MAX).then_some(usize::from(position));
    let keyword = (!keyword.is_empty()).then_some(keyword);
    (position, keyword)
}

/// How deep resolution may chain (binding -> import -> module member -> ...) before giving up.
const MAX_DEPTH: u32 = 40;

/// How deep verification may follow cached results that read cached results before it computes
/// the result in hand again instead. It bounds the stack: verification nests inside computations
/// (a result computed again verifies what it reads), so without it a chain of thousands of
/// re-exports verified thousands of frames deep.
const MAX_VERIFY_DEPTH: u32 = 64;

/// What the resolver computes and caches: the values of an expression, binding, parameter, return or
/// module member.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Expr(FileId, ExprId),
    Binding(FileId, BindingId),
    Param(FileId, FunctionId, u32),
    Return(FileId, FunctionId),
    Member(FileId, Name),
    /// `class.attr`, on the class itself or on an instance (which adds `self.attr = ...` writes).
    ClassMember(FileId, ClassId, Name, bool),
    /// What a call passes for a parameter, by position (`u16::MAX`: none) and keyword (the empty
    /// name: none); see [`Resolver::site_argument`].
    Argument(FileId, CallId, u16, Name),
}

impl Key {
    /// Whether a complete result for this key goes into the workspace's shared cache. An
    /// expression's values are quick to compute again from the cached values of the bindings,
    /// members, parameters and returns it reads, and expressions are most keys: sharing them held
    /// 150,000 results (about 42 MiB) on transformers and saved no time.
    fn is_shared(&self) -> bool {
        !matches!(self, Key::Expr(..))
    }
}

/// Resolves expressions to [`ValueSet`]s within one workspace.
pub struct Resolver<'w> {
    workspace: &'w Workspace,
    in_progress: FxHashSet<(Key, bool)>,
    depth: u32,
    /// In shallow mode parameters are not followed to their call sites (used while looking for call
    /// sites themselves, so that finding callers never fans out into finding callers of callers).
    shallow: bool,
    /// What each computation in progress has read so far (innermost last), so cached results can be
    /// dropped exactly when a file they depend on changes.
    deps: RefCell<Vec<DepFrame>>,
    /// Frames popped from `deps`, emptied, kept for their allocations: a check opens a frame for
    /// every result it computes or verifies (tens of thousands after an edit).
    spare_frames: RefCell<Vec<DepFrame>>,
    /// How many times a cycle or the depth bound cut resolution short. A result computed without a
    /// cut does not depend on evaluation order, so only those go into the workspace's shared cache;
    /// that keeps results deterministic however threads interleave.
    cuts: u64,
    /// How many of those cuts were cycles (a key already in progress).
    cycle_cuts: u64,
    /// Results cut short by the depth bound alone, by key and the depth they were computed at.
    /// Such a result is the same whenever its key is computed at that depth, so it is computed once
    /// per resolver: without this, code that reads a name twice per line (`h = h + f(h)`) down a
    /// chain deeper than the bound was recomputed exponentially (33 such lines took 50 s).
    depth_cut: FxHashMap<((Key, bool), u32), DepthCut>,
    /// `builtins.<name>` by name, built once per resolver: most unbound names are builtins
    /// (`len`, `isinstance`), read thousands of times in the check of a big file.
    builtins: FxHashMap<Name, Arc<str>>,
    /// Cached results whose dependencies are being verified, innermost last; meeting one again
    /// (results that read each other) counts as a change.
    verifying: FxHashSet<Node>,
    /// How many verifications are in progress, nested (bounded by [`MAX_VERIFY_DEPTH`]).
    verify_depth: u32,
    /// Cached results found not to hold at this revision. A result that cannot be stored again
    /// (computing it is cut short) stays stale, and without this every reader verified it again,
    /// down everything it read: exponential in a chain of re-exports longer than the depth bound.
    stale: FxHashSet<Node>,
    /// How many cached results this resolver verified by visiting what they read (for tests).
    pub(crate) deep_verifications: u64,
    /// Asked before every computation that misses the cache; `true` unwinds with [`Cancelled`]
    /// (see [`crate::check_file_until`]).
    is_cancelled: &'w (dyn Fn() -> bool + Sync),
}

/// The payload a [`Resolver`] unwinds with when its caller asked it to stop. Nothing is cached from
/// a computation it interrupts (results are stored when they complete), so the workspace stays
/// as it was; the caller that asked catches it ([`crate::check_file_until`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// An argument of a call, as far as a rule needs to judge it.
#[derive(Debug)]
pub enum ArgValue {
    /// Not passed, and no `**kwargs` could carry it.
    Absent,
    /// Passed (or found in a `**{...}` dictionary display), with its values.
    Passed {
        values: ValueSet,
        arg: Option<brine_facts::Arg>,
    },
    /// Not passed explicitly, but an unresolvable `**kwargs` may carry it.
    MaybeInKwargs,
}

impl<'w> Resolver<'w> {
    pub fn new(workspace: &'w Workspace) -> Self {
        Resolver::until(workspace, &|| false)
    }

    /// A resolver that stops, unwinding with [`Cancelled`], once `is_cancelled` says so.
    pub fn until(workspace: &'w Workspace, is_cancelled: &'w (dyn Fn() -> bool + Sync)) -> Self {
        Resolver {
            is_cancelled,
            workspace,
            in_progress: FxHashSet::default(),
            depth: 0,
            shallow: false,
            deps: RefCell::new(Vec::new()),
            spare_frames: RefCell::new(Vec::new()),
            cuts: 0,
            cycle_cuts: 0,
            depth_cut: FxHashMap::default(),
            builtins: FxHashMap::default(),
            verifying: FxHashSet::default(),
            verify_depth: 0,
            stale: FxHashSet::default(),
            deep_verifications: 0,
        }
    }

    pub fn workspace(&self) -> &'w Workspace {
        self.workspace
    }

    /// A file's facts; reading them makes the computation in progress depend on that file.
    fn facts(&self, file: FileId) -> &'w FileFacts {
        self.note(Dep::File(file));
        &self.workspace.file(file).facts
    }

    /// A file's facts, of which the computation in progress reads only what `scope` (the module
    /// or a class body) declares `name` to be (see `brine_facts::DeclarationsChange`). That read
    /// holds across an edit inside a function body: the importers of `PreTrainedModel` are not
    /// verified again at every keystroke in `modeling_utils.py`.
    ///
    /// Until a file's first edit, the read is recorded as one of the whole file: the same thing
    /// then, and a list of its own per result (1.8 MB of the cache on transformers) is spared for
    /// the files nobody edits. The first edit computes again what read the file; what is computed
    /// then records its reads name by name.
    fn declared(&self, file: FileId, scope: ScopeId, name: Name) -> &'w FileFacts {
        if !self.workspace.cache().edited(file) {
            return self.facts(file);
        }
        self.note(Dep::Declared(file, scope, name));
        &self.workspace.file(file).facts
    }

    /// A file's facts, for evaluating `binding`: what a `class`, `def` or `import` of the module
    /// or a class body binds is one of the file's declarations (see [`Self::declared`]); any
    /// other binding is read from the code. Files never edited skip the lookup of the binding's
    /// scope: their reads are of the whole file anyway.
    fn binding_facts(&self, file: FileId, binding: BindingId) -> &'w FileFacts {
        let facts = &self.workspace.file(file).facts;
        if self.workspace.cache().edited(file) {
            if let Some(scope) = facts.declaring_scope(binding) {
                return self.declared(file, scope, facts.binding(binding).name);
            }
        }
        self.facts(file)
    }

    /// Records that the computation in progress depends on `dep`.
    fn note(&self, dep: Dep) {
        if let Some(frame) = self.deps.borrow_mut().last_mut() {
            frame.note(dep);
        }
    }

    /// Records that the computation in progress read the cached result `node`, which read only the
    /// facts of `only_file` if that is given. When the computation read those facts itself, the
    /// result adds nothing it could change without (and is not listed: the lists are much of the
    /// cache's memory).
    fn note_result(&self, node: Node, only_file: Option<FileId>) {
        if let Some(frame) = self.deps.borrow_mut().last_mut() {
            if only_file.is_some_and(|file| frame.has(&Dep::File(file))) {
                return;
            }
            frame.note(Dep::Result(node));
        }
    }

    fn note_all(&self, deps: &[Dep]) {
        for dep in deps {
            self.note(dep.clone());
        }
    }

    /// Runs `compute` in a dependency frame of its own; returns its result and what it depended
    /// on. The caller notes either the result itself (when it is cached) or these dependencies in
    /// the enclosing frame.
    fn tracked<T>(&mut self, compute: impl FnOnce(&mut Self) -> T) -> (T, Arc<[Dep]>) {
        self.open_frame();
        let result = compute(self);
        let frame = self.deps.borrow_mut().pop().unwrap_or_default();
        let deps = self.workspace.shared_deps(&frame.list);
        self.recycle(frame);
        (result, deps)
    }

    /// Opens a dependency frame for a computation (or verification) that begins.
    fn open_frame(&self) {
        let frame = self.spare_frames.borrow_mut().pop().unwrap_or_default();
        self.deps.borrow_mut().push(frame);
    }

    /// Closes the innermost dependency frame, dropping what it recorded.
    fn close_frame(&self) {
        if let Some(frame) = self.deps.borrow_mut().pop() {
            self.recycle(frame);
        }
    }

    fn recycle(&self, mut frame: DepFrame) {
        frame.list.clear();
        frame.seen.clear();
        self.spare_frames.borrow_mut().push(frame);
    }

    /// Runs `compute` with nothing in progress, at depth 0 and in shallow mode: call-site searches
    /// run so, which makes their answers the same wherever they are asked from (always cached).
    fn isolated<T>(&mut self, compute: impl FnOnce(&mut Self) -> T) -> T {
        let outer_progress = std::mem::take(&mut self.in_progress);
        let outer_depth = std::mem::replace(&mut self.depth, 0);
        let (outer_cuts, outer_cycle_cuts) = (self.cuts, self.cycle_cuts);
        let was_shallow = std::mem::replace(&mut self.shallow, true);
        let result = compute(self);
        self.shallow = was_shallow;
        self.in_progress = outer_progress;
        self.depth = outer_depth;
        self.cuts = outer_cuts;
        self.cycle_cuts = outer_cycle_cuts;
        result
    }

    // ---- verifying cached results (see `crate::cache`) -------------------------------------------

    /// True when the cached result `node` holds at the current revision: nothing it read directly
    /// changed since it was last verified, and every result it read is unchanged since then
    /// (verified in turn, or computed again and found equal).
    fn holds_now(&mut self, node: &Node) -> bool {
        let cache = self.workspace.cache();
        let Some(stamp) = cache.stamp(node) else {
            return false;
        };
        if stamp.verified_at == cache.revision() {
            return true;
        }
        if cache.durable_holds(&stamp) {
            cache.mark_verified(node, true);
            return true;
        }
        if self.stale.contains(node) {
            return false;
        }
        if self.verify_depth >= MAX_VERIFY_DEPTH
            || stamp
                .deps
                .iter()
                .any(|dep| !cache.unchanged_since(dep, stamp.verified_at))
        {
            self.stale.insert(node.clone());
            return false;
        }
        if !self.verifying.insert(node.clone()) {
            return false;
        }
        // What verification computes again is not read by the computation in progress.
        self.open_frame();
        self.verify_depth += 1;
        self.deep_verifications += 1;
        let mut durable = true;
        let holds = stamp.deps.iter().all(|dep| match dep {
            Dep::Result(read) => self
                .refreshed(read)
                .is_some_and(|(changed_at, read_durable)| {
                    durable &= read_durable;
                    changed_at <= stamp.verified_at
                }),
            _ => {
                durable &= cache.durable_read(dep);
                true
            }
        });
        self.verify_depth -= 1;
        self.close_frame();
        self.verifying.remove(node);
        if holds {
            cache.mark_verified(node, durable);
        } else {
            self.stale.insert(node.clone());
        }
        holds
    }

    /// `read` of the cache when it gives the result of `node` at the current revision, verifying
    /// that result first when it was last verified earlier.
    fn current<T>(&mut self, node: &Node, read: impl Fn(&ResultCache) -> Option<T>) -> Option<T> {
        let cache = self.workspace.cache();
        read(cache).or_else(|| self.holds_now(node).then(|| read(cache)).flatten())
    }

    /// Brings the cached result `node` up to date (verifying it, or computing it again) and returns
    /// the revision its value last changed at and whether it is durable; `None` when it cannot be
    /// cached now (a cycle).
    fn refreshed(&mut self, node: &Node) -> Option<(u32, bool)> {
        if self.verifying.contains(node) {
            return None;
        }
        if let Node::Resolved(key, shallow) = node {
            if self.in_progress.contains(&(key.clone(), *shallow)) {
                return None;
            }
        }
        // Most results read during a verification were verified already at this revision.
        let cache = self.workspace.cache();
        if let Some(current) = cache.current_change(node) {
            return Some(current);
        }
        if !self.holds_now(node) {
            self.recompute(node);
        }
        self.workspace.cache().current_change(node)
    }

    /// Computes the cached result `node` again (storing it, unless a cycle cuts it short).
    fn recompute(&mut self, node: &Node) {
        match node.clone() {
            Node::Resolved(key, shallow) => {
                let was_shallow = std::mem::replace(&mut self.shallow, shallow);
                match key {
                    Key::Binding(file, binding) => drop(self.eval_binding(file, binding)),
                    Key::Param(file, function, index) => {
                        drop(self.param_values(file, function, index))
                    }
                    Key::Return(file, function) => drop(self.function_returns(file, function)),
                    Key::Member(file, name) => drop(self.module_member(file, name)),
                    Key::ClassMember(file, class, name, on_instance) => {
                        drop(self.class_member(file, class, name, on_instance))
                    }
                    Key::Argument(file, call, position, keyword) => {
                        let (position, keyword) = argument_slot(position, keyword);
                        drop(self.site_argument(file, call, position, keyword, true))
                    }
                    Key::Expr(..) => {}
                }
                self.shallow = was_shallow;
            }
            Node::CallSites(file, function) => drop(self.call_sites(file, function)),
            Node::CallTargets(name) => drop(self.isolated(|this| this.call_targets(name))),
            Node::CallTargetsIn(name, file) => {
                let workspace = self.workspace;
                let calls = workspace
                    .calls_named_by_file(&name)
                    .find(|&(with_calls, _)| with_calls == file)
                    .map_or(&[][..], |(_, calls)| calls);
                drop(self.isolated(|this| this.call_targets_in(name, file, calls)))
            }
        }
    }

    /// Runs `compute` unless `key` is cached, already being computed (a cycle) or the chain is too deep.
    fn guarded(&mut self, key: Key, compute: impl FnOnce(&mut Self) -> ValueSet) -> ValueSet {
        let key = (key, self.shallow);
        if key.0.is_shared() {
            let node = Node::Resolved(key.0.clone(), key.1);
            if let Some((values, only_file)) = self.current(&node, |cache| cache.resolved(&key)) {
                self.note_result(node, only_file);
                return values;
            }
        }
        if self.depth >= MAX_DEPTH {
            self.cuts += 1;
            return ValueSet::unknown();
        }
        let at_depth = (key, self.depth);
        if let Some((cut, deps)) = self.depth_cut.get(&at_depth) {
            let cut = cut.clone();
            let deps = deps.clone();
            self.note_all(&deps);
            self.cuts += 1;
            return cut;
        }
        let (key, depth) = at_depth;
        if (self.is_cancelled)() {
            std::panic::resume_unwind(Box::new(Cancelled));
        }
        if !self.in_progress.insert(key.clone()) {
            self.cuts += 1;
            self.cycle_cuts += 1;
            return ValueSet::default();
        }
        let (cuts_before, cycle_cuts_before) = (self.cuts, self.cycle_cuts);
        self.depth += 1;
        let (result, deps) = self.tracked(compute);
        self.depth -= 1;
        self.in_progress.remove(&key);
        if self.cuts == cuts_before && key.0.is_shared() {
            let node = Node::Resolved(key.0.clone(), key.1);
            let only_file = Dep::only_file(&deps);
            self.workspace
                .cache()
                .store_resolved(key, result.clone(), deps);
            self.note_result(node, only_file);
            return result;
        }
        self.note_all(&deps);
        if self.cuts != cuts_before && self.cycle_cuts == cycle_cuts_before {
            self.depth_cut.insert((key, depth), (result.clone(), deps));
        }
        result
    }

    /// Every value `expr` (in `file`) can take.
    pub fn eval(&mut self, file: FileId, expr: ExprId) -> ValueSet {
        self.guarded(Key::Expr(file, expr), |this| this.eval_uncached(file, expr))
    }

    fn eval_uncached(&mut self, file: FileId, expr: ExprId) -> ValueSet {
        let facts = self.facts(file);
        match facts.expr(expr) {
            Expr::Name { name, scope } => {
                let offset = facts.expr_range(expr).start;
                self.eval_name(file, *name, *scope, offset)
            }
            Expr::Attribute { object, attr } => {
                let objects = self.eval(file, *object).or_unknown();
                let mut values = ValueSet::default();
                for object in objects {
                    values.extend(self.attribute(&object, *attr));
                }
                values
            }
            Expr::Call(call) => self.call_result(file, *call),
            Expr::Str(text) => ValueSet::one(Value::Str(facts.string(*text).into())),
            Expr::FString(parts) => self.eval_fstring(file, facts.fstring(*parts)),
            Expr::Int(i) => ValueSet::one(Value::Int(i.get())),
            Expr::Bool(b) => ValueSet::one(Value::Bool(*b)),
            Expr::NoneLit => ValueSet::one(Value::None),
            Expr::BinOp { op, left, right } => self.eval_binop(file, *op, *left, *right),
            Expr::Choice(options) => {
                let mut values = ValueSet::default();
                for &option in facts.list(*options) {
                    values.extend(self.eval(file, option));
                }
                values
            }
            Expr::Not(inner) => self
                .eval(file, *inner)
                .or_unknown()
                .into_iter()
                .map(|value| {
                    value
                        .truthiness()
                        .map_or(Value::Unknown, |t| Value::Bool(!t))
                })
                .collect(),
            Expr::Dict(_) => ValueSet::one(Value::Dict(file, expr)),
            Expr::Tuple(_) | Expr::List(_) => ValueSet::one(Value::Sequence(file, expr)),
            Expr::Subscript { object, index } => self.eval_subscript(file, *object, *index),
            Expr::Await(inner) | Expr::Walrus(inner) => self.eval(file, *inner),
            Expr::Lambda(function) => ValueSet::one(Value::Function(file, *function)),
            Expr::Starred(_) | Expr::Bytes | Expr::Float | Expr::Unknown => ValueSet::unknown(),
        }
    }

    fn eval_fstring(&mut self, file: FileId, parts: &[FStringPart]) -> ValueSet {
        let mut text = String::new();
        for part in parts {
            match part {
                FStringPart::Literal(literal) => text.push_str(literal),
                FStringPart::Interpolation(expr) => {
                    let values = self.eval(file, *expr);
                    match values.iter().collect::<Vec<_>>().as_slice() {
                        [Value::Str(s)] => text.push_str(s),
                        _ if text.is_empty() => return ValueSet::unknown(),
                        _ => return ValueSet::one(Value::StrPrefix(text.into())),
                    }
                }
            }
        }
        ValueSet::one(Value::Str(text.into()))
    }

    fn eval_binop(&mut self, file: FileId, op: BinOp, left: ExprId, right: ExprId) -> ValueSet {
        let lefts = self.eval(file, left).or_unknown();
        match op {
            BinOp::Add => {
                let rights = self.eval(file, right).or_unknown();
                let mut values = ValueSet::default();
                for l in lefts.iter() {
                    for r in rights.iter() {
                        values.push(match (l, r) {
                            (Value::Str(a), Value::Str(b)) => Value::Str(format!("{a}{b}").into()),
                            (Value::Str(a) | Value::StrPrefix(a), _) => Value::StrPrefix(a.clone()),
                            (Value::Int(a), Value::Int(b)) => {
                                a.checked_add(*b).map_or(Value::Unknown, Value::Int)
                            }
                            _ => Value::Unknown,
                        });
                    }
                }
                values
            }
            // `Path(...) / "name"` stays a local path.
            BinOp::Div if lefts.iter().any(|v| *v == Value::LocalPath) => {
                ValueSet::one(Value::LocalPath)
            }
            _ => {
                self.eval(file, right);
                ValueSet::unknown()
            }
        }
    }

    fn eval_subscript(&mut self, file: FileId, object: ExprId, index: ExprId) -> ValueSet {
        let objects = self.eval(file, object).or_unknown();
        let keys = self.eval(file, index).or_unknown();
        let mut values = ValueSet::default();
        for object in objects {
            match object {
                Value::Dict(dict_file, dict) => {
                    for key in keys.iter() {
                        match key.as_str() {
                            Some(key) => values.extend(
                                self.dict_entry(dict_file, dict, key)
                                    .unwrap_or_else(ValueSet::unknown),
                            ),
                            None => values.push(Value::Unknown),
                        }
                    }
                }
                Value::Sequence(seq_file, seq) => {
                    for key in keys.iter() {
                        let element = match key {
                            Value::Int(i) => self.sequence_element(seq_file, seq, *i),
                            _ => None,
                        };
                        values.extend(element.unwrap_or_else(ValueSet::unknown));
                    }
                }
                _ => values.push(Value::Unknown),
            }
        }
        values
    }

    /// The values stored under a string key of a dictionary display, if the key is there.
    pub fn dict_entry(&mut self, file: FileId, dict: ExprId, key: &str) -> Option<ValueSet> {
        let facts = self.facts(file);
        let Expr::Dict(entries) = facts.expr(dict) else {
            return None;
        };
        let mut found = None;
        for &(entry_key, value) in facts.dict(*entries) {
            let Some(entry_key) = entry_key else { continue };
            let matches = self
                .eval(file, entry_key)
                .iter()
                .any(|k| k.as_str() == Some(key));
            if matches {
                found = Some(self.eval(file, value));
            }
        }
        found
    }

    fn sequence_element(&mut self, file: FileId, seq: ExprId, index: i64) -> Option<ValueSet> {
        let facts = self.facts(file);
        let (Expr::Tuple(items) | Expr::List(items)) = facts.expr(seq) else {
            return None;
        };
        let items = facts.list(*items);
        if items
            .iter()
            .any(|&item| matches!(self.facts(file).expr(item), Expr::Starred(_)))
        {
            return None;
        }
        let position = if index < 0 {
            items.len() as i64 + index
        } else {
            index
        };
        let item = *items.get(usize::try_from(position).ok()?)?;
        Some(self.eval(file, item))
    }

    // ---- names -------------------------------------------------------------------------------

    /// Resolves a name used at `offset` in `scope` with Python's scoping rules.
    fn eval_name(&mut self, file: FileId, name: Name, scope: ScopeId, offset: u32) -> ValueSet {
        let facts = self.facts(file);
        let owner = lookup_scope(facts, name, scope);
        crate::demand::note_lookup(self.workspace, facts, file, name, owner);
        let Some(owner) = owner else {
            return self.unbound_name(file, name);
        };
        let use_offset = (owner == scope).then_some(offset);
        let bindings = reaching_bindings(facts, owner, name, use_offset);
        if bindings.is_empty() {
            // Used before any binding in its own scope: Python would raise; nothing is known.
            return ValueSet::unknown();
        }
        let mut values = ValueSet::default();
        for binding in bindings {
            values.extend(self.eval_binding(file, binding));
        }
        values
    }

    /// A name bound nowhere in the file: a star import may provide it, else it is a builtin.
    fn unbound_name(&mut self, file: FileId, name: Name) -> ValueSet {
        let facts = self.facts(file);
        let mut values = ValueSet::default();
        for target in facts.star_imports.clone() {
            if let Some(module) = self.import_module_path(file, &target) {
                values.extend(self.resolve_qualified(&format!("{module}.{name}")));
            }
        }
        let builtin = self
            .builtins
            .entry(name)
            .or_insert_with(|| format!("builtins.{name}").into());
        values.push(Value::Qualified(builtin.clone()));
        values
    }

    pub(crate) fn eval_binding(&mut self, file: FileId, binding: BindingId) -> ValueSet {
        self.guarded(Key::Binding(file, binding), |this| {
            let facts = this.binding_facts(file, binding);
            match &facts.binding(binding).kind {
                BindingKind::Import(import) => this.resolve_import(file, facts.import(*import)),
                BindingKind::Value(expr) => this.eval(file, *expr),
                BindingKind::Unpacked { value, index } => this
                    .sequence_element(file, *value, i64::from(*index))
                    .unwrap_or_else(ValueSet::unknown),
                BindingKind::Param { function, index } => {
                    this.param_values(file, *function, *index)
                }
                BindingKind::Function(function) => ValueSet::one(Value::Function(file, *function)),
                BindingKind::Class(class) => ValueSet::one(Value::Class(file, *class)),
                BindingKind::Iteration(_)
                | BindingKind::With(_)
                | BindingKind::Augmented(_)
                | BindingKind::Unknown => ValueSet::unknown(),
            }
        })
    }

    // ---- imports and modules -----------------------------------------------------------------

    /// The absolute dotted module an import statement names (without its member).
    fn import_module_path(&self, file: FileId, target: &ImportTarget) -> Option<String> {
        if target.level == 0 {
            return Some(target.module.to_string());
        }
        let this = self.workspace.file(file);
        let mut package: Vec<&str> = this.module.split('.').collect();
        if !this.is_package {
            package.pop();
        }
        for _ in 1..target.level {
            package.pop()?;
        }
        if !target.module.is_empty() {
            package.push(&target.module);
        }
        Some(package.join(".")).filter(|p| !p.is_empty())
    }

    fn resolve_import(&mut self, file: FileId, target: &ImportTarget) -> ValueSet {
        let Some(module) = self.import_module_path(file, target) else {
            return ValueSet::unknown();
        };
        match &target.member {
            Some(member) => self.resolve_qualified(&format!("{module}.{member}")),
            None => self.resolve_qualified(&module),
        }
    }

    /// Resolves a dotted name: into the workspace when a workspace module is a prefix of it,
    /// otherwise it stays a library name.
    pub fn resolve_qualified(&mut self, name: &str) -> ValueSet {
        let first = name.split('.').next().unwrap_or(name);
        if !self.workspace.has_top_level(first) {
            return ValueSet::one(Value::Qualified(name.into()));
        }
        let parts: Vec<&str> = name.split('.').collect();
        for split in (1..=parts.len()).rev() {
            let Some(module) = self.workspace.module(&parts[..split].join(".")) else {
                continue;
            };
            let mut values = ValueSet::one(Value::Module(module));
            for &attr in &parts[split..] {
                let mut next = ValueSet::default();
                for value in values {
                    match value {
                        // Already outside the workspace: extend the name instead of resolving it again.
                        Value::Qualified(name) => {
                            next.push(Value::Qualified(format!("{name}.{attr}").into()))
                        }
                        other => next.extend(self.attribute(&other, brine_facts::intern(attr))),
                    }
                }
                values = next;
            }
            return values.or_unknown();
        }
        ValueSet::one(Value::Qualified(name.into()))
    }

    /// A module-level name of a workspace module, as another module importing it sees it.
    fn module_member(&mut self, file: FileId, name: Name) -> ValueSet {
        self.guarded(Key::Member(file, name), |this| {
            this.workspace.demand(|| Demand::InFile(file, name));
            let scope = FileFacts::MODULE_SCOPE;
            let facts = this.declared(file, scope, name);
            if facts.scope_names(scope).contains_key(name) {
                let mut values = ValueSet::default();
                for binding in reaching_bindings(facts, scope, name, None) {
                    values.extend(this.eval_binding(file, binding));
                }
                return values;
            }
            let this_file = this.workspace.file(file);
            let submodule = format!("{}.{name}", this_file.module);
            if let Some(sub) = this.workspace.module(&submodule) {
                return ValueSet::one(Value::Module(sub));
            }
            let mut values = ValueSet::default();
            for target in facts.star_imports.clone() {
                if let Some(module) = this.import_module_path(file, &target) {
                    values.extend(this.resolve_qualified(&format!("{module}.{name}")));
                }
            }
            if values.is_empty() {
                // Lazily populated packages (`_LazyModule`) and C extensions: keep the name.
                values.push(Value::Qualified(submodule.into()));
            }
            values
        })
    }

    // ---- attributes --------------------------------------------------------------------------

    /// The values of `value.attr`. `attr` is a [`Name`] because module members are cached by it;
    /// attribute names in the facts are interned already, so the usual caller interns nothing.
    pub fn attribute(&mut self, value: &Value, attr: Name) -> ValueSet {
        match value {
            Value::Qualified(name) => self.resolve_qualified(&format!("{name}.{attr}")),
            Value::Instance(class) => {
                ValueSet::one(Value::Qualified(format!("{class}.{attr}").into()))
            }
            Value::Module(file) => self.module_member(*file, attr),
            Value::Class(file, class) => self.class_member(*file, *class, attr, false),
            Value::InstanceOf(file, class) => self.class_member(*file, *class, attr, true),
            Value::Super(file, class) => {
                let mut values = ValueSet::default();
                for base in self.class_bases(*file, *class) {
                    values.extend(self.attribute(&base, attr));
                }
                values.or_unknown()
            }
            _ => ValueSet::unknown(),
        }
    }

    /// The values of the bases of a workspace class.
    pub fn class_bases(&mut self, file: FileId, class: ClassId) -> ValueSet {
        let mut values = ValueSet::default();
        for base in self.facts(file).class(class).bases.clone() {
            values.extend(self.eval(file, base));
        }
        values
    }

    fn class_member(
        &mut self,
        file: FileId,
        class: ClassId,
        attr: Name,
        on_instance: bool,
    ) -> ValueSet {
        // Cached: model classes read their bases' members, and an edit inside a method of the base
        // leaves them the same, so what read them holds (see `crate::cache`).
        self.guarded(Key::ClassMember(file, class, attr, on_instance), |this| {
            // What the class body declares `attr` to be; the writes to `self.attr` and the bases
            // read the code.
            let unread = &this.workspace.file(file).facts;
            let scope = unread.class(class).scope;
            let facts = this.declared(file, scope, attr);
            let at = || facts.class(class).name_range.start;
            this.workspace
                .demand(|| Demand::ClassMember(file, at(), attr));
            let mut values = ValueSet::default();
            if facts.scope_names(scope).contains_key(attr) {
                for binding in reaching_bindings(facts, scope, attr, None) {
                    values.extend(this.eval_binding(file, binding));
                }
            }
            if on_instance {
                values.extend(this.instance_attribute_writes(file, class, &attr));
            }
            if values.is_empty() {
                for base in this.class_bases(file, class) {
                    values.extend(this.attribute(&base, attr));
                }
            }
            values.or_unknown()
        })
    }

    /// Values assigned to `self.attr` in the methods of `class`.
    fn instance_attribute_writes(&mut self, file: FileId, class: ClassId, attr: &str) -> ValueSet {
        let facts = self.facts(file);
        self.workspace
            .demand(|| Demand::self_writes(facts, file, class, attr));
        let mut values = ValueSet::default();
        for write in facts.self_attribute_writes(class, attr) {
            values.extend(self.eval(file, write.value));
        }
        values
    }

    // ---- calls and parameters ----------------------------------------------------------------

    /// The values a call returns.
    pub fn call_result(&mut self, file: FileId, call: CallId) -> ValueSet {
        let facts = self.facts(file);
        let callee = facts.call(call).callee;
        let callees = self.eval(file, callee).or_unknown();
        let mut values = ValueSet::default();
        for callee in callees {
            match callee {
                Value::Qualified(name) => {
                    values.extend(self.library_call_result(file, call, &name))
                }
                Value::Class(class_file, class) => {
                    values.push(Value::InstanceOf(class_file, class))
                }
                Value::Function(function_file, function) => {
                    values.extend(self.function_returns(function_file, function))
                }
                _ => values.push(Value::Unknown),
            }
        }
        values
    }

    pub(crate) fn function_returns(&mut self, file: FileId, function: FunctionId) -> ValueSet {
        self.guarded(Key::Return(file, function), |this| {
            let facts = this.facts(file);
            let returns = facts.returns(facts.function(function));
            if returns.is_empty() {
                return ValueSet::one(Value::None);
            }
            let mut values = ValueSet::default();
            for &expr in returns {
                values.extend(this.eval(file, expr));
            }
            values
        })
    }

    /// What calling a library function returns, for the few functions that matter to resolution.
    fn library_call_result(&mut self, file: FileId, call: CallId, name: &str) -> ValueSet {
        let facts = self.facts(file);
        let data = facts.call(call);
        let args = facts.args(data);
        let arg = |index: usize| args.positional(index).map(|arg| arg.value);
        match name {
            "importlib.import_module" | "builtins.__import__" => match arg(0) {
                Some(module) => {
                    let names = self.eval(file, module);
                    let mut values = ValueSet::default();
                    for module in names {
                        match module {
                            Value::Str(module) => values.extend(self.resolve_qualified(&module)),
                            _ => values.push(Value::Unknown),
                        }
                    }
                    values
                }
                None => ValueSet::unknown(),
            },
            "builtins.getattr" => {
                let (Some(object), Some(attr)) = (arg(0), arg(1)) else {
                    return ValueSet::unknown();
                };
                let objects = self.eval(file, object).or_unknown();
                let attrs = self.eval(file, attr).or_unknown();
                let mut values = ValueSet::default();
                for object in objects.iter() {
                    for attr in attrs.iter() {
                        match attr.as_str() {
                            Some(attr) => {
                                values.extend(self.attribute(object, brine_facts::intern(attr)))
                            }
                            None => values.push(Value::Unknown),
                        }
                    }
                }
                if let Some(default) = arg(2) {
                    values.extend(self.eval(file, default));
                }
                values
            }
            "builtins.str" | "os.fspath" => match arg(0) {
                Some(value) => self.eval(file, value),
                None => ValueSet::one(Value::Str("".into())),
            },
            "builtins.super" => match facts
                .enclosing_function(data.scope)
                .and_then(|f| facts.function(f).class)
            {
                Some(class) => ValueSet::one(Value::Super(file, class)),
                None => ValueSet::unknown(),
            },
            "os.path.join" | "os.path.abspath" | "os.path.expanduser" | "os.path.realpath"
            | "os.path.normpath" | "os.path.dirname" | "os.getcwd" | "pathlib.Path"
            | "pathlib.PurePath" | "pathlib.PosixPath" | "pathlib.Path.home"
            | "pathlib.Path.cwd" => ValueSet::one(Value::LocalPath),
            // Factories whose result is an instance of a known class.
            "socket.socket"
            | "socket.create_connection"
            | "socket.create_server"
            | "socket.fromfd" => ValueSet::one(Value::Instance("socket.socket".into())),
            "requests.session" => ValueSet::one(Value::Instance("requests.Session".into())),
            _ if name.ends_with(".from_pretrained") => {
                // `AutoModel.from_pretrained(...)` returns a loaded model, not a model id.
                ValueSet::one(Value::Instance(
                    name.trim_end_matches(".from_pretrained").into(),
                ))
            }
            _ => {
                let last = name.rsplit('.').next().unwrap_or(name);
                if last.starts_with(|c: char| c.is_ascii_uppercase()) {
                    ValueSet::one(Value::Instance(name.into()))
                } else {
                    ValueSet::unknown()
                }
            }
        }
    }

    /// Values a parameter can take: its default and what the workspace's call sites pass.
    fn param_values(&mut self, file: FileId, function: FunctionId, index: u32) -> ValueSet {
        self.guarded(Key::Param(file, function, index), |this| {
            let facts = this.facts(file);
            let data = facts.function(function);
            let param = &facts.params(data)[index as usize];
            if matches!(param.kind, ParamKind::VarArgs | ParamKind::VarKeywords) {
                return ValueSet::unknown();
            }
            if index == 0 {
                if let Some(class) = data.class {
                    if !data.is_static(facts) {
                        let is_classmethod = facts.decorators(data).iter().any(|&d| {
                            matches!(facts.expr(d), Expr::Name { name, .. } if &**name == "classmethod")
                        });
                        return ValueSet::one(if is_classmethod {
                            Value::Class(file, class)
                        } else {
                            Value::InstanceOf(file, class)
                        });
                    }
                }
            }
            let default = param.default;
            let name = param.name;
            let kind = param.kind;
            if this.shallow {
                return match default {
                    Some(default) => this.eval(file, default),
                    None => ValueSet::unknown(),
                };
            }
            let sites = this.call_sites(file, function);
            if sites.is_empty() {
                return match default {
                    Some(default) => this.eval(file, default),
                    None => ValueSet::unknown(),
                };
            }
            let mut values = ValueSet::default();
            let cache_arguments = sites.len() >= MANY_CALL_SITES;
            for &(site_file, call, implicit_first) in sites.iter() {
                // What the remaining sites pass cannot change a full set: stopping here gives the
                // same values, and the result depends only on the sites read (a change of those
                // computes it again). A parameter of `PreTrainedModel` with 608 call sites is
                // full after a few dozen, and an edit of its file verified all of them.
                if values.is_full() {
                    break;
                }
                let position = (index as usize).checked_sub(usize::from(implicit_first));
                let position = position.filter(|_| kind != ParamKind::KeywordOnly);
                let keyword = (kind != ParamKind::PositionalOnly).then_some(name);
                match this.site_argument(site_file, call, position, keyword, cache_arguments) {
                    Some(passed) => values.extend(passed),
                    None => match default {
                        Some(default) => values.extend(this.eval(file, default)),
                        None => values.push(Value::Unknown),
                    },
                }
            }
            values
        })
    }

    /// The values a call passes for a parameter (`Unknown` when `**kwargs` may carry it), or `None`
    /// when it passes nothing. With `cached`, a result of its own per call site: a parameter's
    /// values are then gathered from parts that hold while only the function's own file changes,
    /// instead of evaluating every argument again (a parameter of `modeling_utils.py` with 1,000
    /// call sites took 3 ms).
    fn site_argument(
        &mut self,
        file: FileId,
        call: CallId,
        position: Option<usize>,
        keyword: Option<Name>,
        cached: bool,
    ) -> Option<ValueSet> {
        let passed =
            |this: &mut Self| match this.call_argument(file, call, position, keyword.as_deref()) {
                ArgValue::Passed { values, .. } => Some(values),
                ArgValue::MaybeInKwargs => Some(ValueSet::unknown()),
                ArgValue::Absent => None,
            };
        if !cached {
            return passed(self);
        }
        let slot_position = match position {
            None => u16::MAX,
            Some(position) => match u16::try_from(position) {
                Ok(position) if position != u16::MAX => position,
                _ => return passed(self),
            },
        };
        let slot_keyword = keyword.unwrap_or_else(|| brine_facts::intern(""));
        let key = Key::Argument(file, call, slot_position, slot_keyword);
        if self.in_progress.contains(&(key.clone(), self.shallow)) {
            // A cycle through another function called here: what the call passes is read
            // directly, as it was before arguments were cached (a cut would read as "not passed").
            return passed(self);
        }
        // The cached part is the values passed, empty when nothing is. An argument can be passed
        // with no values too, so an empty part is read again directly to tell the two apart.
        let values = self.guarded(key, |this| passed(this).unwrap_or_default());
        if values.is_empty() {
            return passed(self);
        }
        Some(values)
    }

    /// Calls in the workspace that call `function` (directly, as a method, or as a constructor
    /// for `__init__`), with whether the call supplies the first parameter implicitly.
    ///
    /// The search is a computation of its own: it starts from an empty in-progress set at depth 0
    /// and runs in shallow mode, whose keys are separate from the caller's, so no cut inside it
    /// depends on where it was asked from. Its answer is therefore always cached, even when cycles
    /// among the call sites cut parts of it short (as they would from any starting point).
    pub fn call_sites(&mut self, file: FileId, function: FunctionId) -> Arc<Vec<CallSite>> {
        let node = Node::CallSites(file, function);
        let cached = self.current(&node, |cache| cache.call_sites(file, function));
        let sites = cached.unwrap_or_else(|| {
            let (sites, deps) = self.isolated(|this| {
                this.tracked(|this| Arc::new(this.find_call_sites(file, function)))
            });
            self.workspace
                .cache()
                .store_call_sites((file, function), sites.clone(), deps);
            sites
        });
        self.note(Dep::Result(node));
        sites
    }

    fn find_call_sites(&mut self, file: FileId, function: FunctionId) -> Vec<CallSite> {
        let facts = self.facts(file);
        let data = facts.function(function);
        let is_method = data.class.is_some() && !data.is_static(facts);
        let (name, constructor_of) = match (data.class, &*data.name) {
            (Some(class), "__init__") => (facts.class(class).name, Some(class)),
            _ => (data.name, None),
        };
        let mut sites = Vec::new();
        for target in self.call_targets(name).iter().flat_map(|part| part.iter()) {
            let calls_it = target
                .callees
                .iter()
                .any(|value| match (value, constructor_of) {
                    (Value::Function(f, id), None) => *f == file && *id == function,
                    (Value::Class(f, class), Some(target)) => *f == file && *class == target,
                    _ => false,
                });
            if calls_it {
                let implicit_first = constructor_of.is_some() || (is_method && target.bound);
                sites.push((target.file, target.call, implicit_first));
            }
        }
        sites
    }

    /// Every call of `name` in the workspace with what its callee resolves to, computed once per
    /// name from the calls of each file (part of a call-site search, so isolated: always cached).
    /// It reads the index of calls and each file's part, nothing else, so an edit of one file
    /// computes that file's part again and, when the part comes out the same, nothing more.
    fn call_targets(&mut self, name: Name) -> CallTargetParts {
        debug_assert!(self.shallow && self.in_progress.is_empty());
        let node = Node::CallTargets(name);
        let cached = self.current(&node, |cache| cache.call_targets(name));
        let targets = cached.unwrap_or_else(|| {
            let workspace = self.workspace;
            workspace.demand(|| Demand::Everywhere(name));
            let mut parts = Vec::new();
            // Each part is read as a result of its own; a new call of this name anywhere changes
            // the list of parts. Listed in full: a gathering reads many parts, and a part that
            // comes out the same must not make the whole stale.
            let mut deps = vec![Dep::CallsNamed(name)];
            self.open_frame();
            for (file, calls) in workspace.calls_named_by_file(&name) {
                parts.push(self.call_targets_in(name, file, calls));
                deps.push(Dep::Result(Node::CallTargetsIn(name, file)));
            }
            self.close_frame();
            let parts = CallTargetParts::from(parts);
            self.workspace
                .cache()
                .store_call_targets(name, parts.clone(), deps.into());
            parts
        });
        self.note(Dep::Result(node));
        targets
    }

    /// The calls of `name` in one file with what their callees resolve to.
    fn call_targets_in(
        &mut self,
        name: Name,
        file: FileId,
        calls: &[(FileId, CallId)],
    ) -> Arc<[CallTarget]> {
        let node = Node::CallTargetsIn(name, file);
        let cached = self.current(&node, |cache| cache.call_targets_in(name, file));
        let targets = cached.unwrap_or_else(|| {
            let (targets, deps) = self.tracked(|this| {
                let facts = this.facts(file);
                let mut targets = Vec::with_capacity(calls.len());
                for &(_, call) in calls {
                    let callee = facts.call(call).callee;
                    targets.push(CallTarget {
                        file,
                        call,
                        callees: this.eval(file, callee),
                        bound: this.is_bound_method_call(file, callee),
                    });
                }
                Arc::<[CallTarget]>::from(targets)
            });
            self.workspace
                .cache()
                .store_call_targets_in((name, file), targets.clone(), deps);
            targets
        });
        self.note(Dep::Result(node));
        targets
    }

    /// True when `callee` is `obj.method` with `obj` an instance (or `cls`/`super()`), so Python
    /// passes `obj` as the first argument.
    fn is_bound_method_call(&mut self, file: FileId, callee: ExprId) -> bool {
        let Expr::Attribute { object, .. } = self.facts(file).expr(callee) else {
            return false;
        };
        let object = *object;
        self.eval(file, object).iter().any(|v| {
            matches!(
                v,
                Value::InstanceOf(..) | Value::Super(..) | Value::Class(..)
            )
        })
    }

    /// One argument of a call by position and/or keyword, reading `**{...}` displays.
    pub fn call_argument(
        &mut self,
        file: FileId,
        call: CallId,
        position: Option<usize>,
        keyword: Option<&str>,
    ) -> ArgValue {
        let facts = self.facts(file);
        let data = facts.args(facts.call(call));
        let explicit = keyword
            .and_then(|k| data.keyword(k))
            .or_else(|| position.and_then(|p| data.positional(p)))
            .cloned();
        if let Some(arg) = explicit {
            let values = self.eval(file, arg.value).or_unknown();
            return ArgValue::Passed {
                values,
                arg: Some(arg),
            };
        }
        if position.is_some() && data.has_star_args() {
            return ArgValue::MaybeInKwargs;
        }
        let Some(keyword) = keyword else {
            return ArgValue::Absent;
        };
        let spreads: Vec<ExprId> = data.double_star_args().map(|arg| arg.value).collect();
        let mut maybe = false;
        let mut found = ValueSet::default();
        for spread in spreads {
            for dict in self.eval(file, spread).or_unknown() {
                match dict {
                    Value::Dict(dict_file, dict) => {
                        if self.dict_has_spread(dict_file, dict) {
                            maybe = true;
                        }
                        if let Some(values) = self.dict_entry(dict_file, dict, keyword) {
                            found.extend(values);
                        }
                    }
                    _ => maybe = true,
                }
            }
        }
        if !found.is_empty() {
            ArgValue::Passed {
                values: found,
                arg: None,
            }
        } else if maybe {
            ArgValue::MaybeInKwargs
        } else {
            ArgValue::Absent
        }
    }

    fn dict_has_spread(&self, file: FileId, dict: ExprId) -> bool {
        let facts = self.facts(file);
        matches!(facts.expr(dict), Expr::Dict(entries) if facts.dict(*entries).iter().any(|(key, _)| key.is_none()))
    }

    /// The library name a callee value stands for: a library name, or a definition inside a
    /// workspace copy of a library package (when brine checks `transformers` itself).
    pub fn library_name<'v>(&self, value: &'v Value) -> Option<Cow<'v, str>> {
        match value {
            Value::Qualified(name) => Some(Cow::Borrowed(name)),
            Value::Function(file, function) => {
                let workspace_file = self.workspace.file(*file);
                let facts = &workspace_file.facts;
                let data = facts.function(*function);
                let owner = match data.class {
                    Some(class) => format!("{}.{}", workspace_file.module, facts.class(class).name),
                    None => workspace_file.module.clone(),
                };
                Some(Cow::Owned(format!("{owner}.{}", data.name)))
            }
            Value::Class(file, class) => {
                let workspace_file = self.workspace.file(*file);
                Some(Cow::Owned(format!(
                    "{}.{}",
                    workspace_file.module,
                    workspace_file.facts.class(*class).name
                )))
            }
            _ => None,
        }
    }

    /// The last part of [`Resolver::library_name`] of `value`, without building the whole name:
    /// enough to rule most callees out as sinks.
    pub fn library_last_name<'v>(&self, value: &'v Value) -> Option<&'v str>
    where
        'w: 'v,
    {
        match value {
            Value::Qualified(name) => name.rsplit('.').next(),
            Value::Function(file, function) => Some(
                self.workspace
                    .file(*file)
                    .facts
                    .function(*function)
                    .name
                    .as_str(),
            ),
            Value::Class(file, class) => {
                Some(self.workspace.file(*file).facts.class(*class).name.as_str())
            }
            _ => None,
        }
    }
}

/// The scope that binds `name` for a use in `scope`, following Python's LEGB rule (class bodies are
/// not visible from functions nested in them).
pub fn lookup_scope(facts: &FileFacts, name: Name, scope: ScopeId) -> Option<ScopeId> {
    let start = facts.scope(scope);
    if facts.globals(start).contains(&name) {
        return facts
            .scope_names(FileFacts::MODULE_SCOPE)
            .contains_key(name)
            .then_some(FileFacts::MODULE_SCOPE);
    }
    let mut current = scope;
    loop {
        let data = facts.scope(current);
        let visible = current == scope || !matches!(data.kind, ScopeKind::Class(_));
        if visible && facts.scope_names(current).contains_key(name) {
            return Some(current);
        }
        current = data.parent?;
    }
}

/// The bindings of `name` in `scope` that can reach a use: at `use_offset` in the same scope, or
/// (`None`) from a nested scope or another module, where every binding of the scope may have run.
/// In both cases an unconditional binding hides the bindings before it.
pub(crate) fn reaching_bindings(
    facts: &FileFacts,
    scope: ScopeId,
    name: Name,
    use_offset: Option<u32>,
) -> Vec<BindingId> {
    let Some(all) = facts.scope_names(scope).get(name) else {
        return Vec::new();
    };
    let before: Vec<BindingId> = all
        .iter()
        .copied()
        .filter(|&b| use_offset.is_none_or(|offset| facts.binding(b).offset <= offset))
        .collect();
    let last_unconditional = before.iter().rposition(|&b| {
        let binding = facts.binding(b);
        binding.unconditional && binding.origin == scope
    });
    match (use_offset, last_unconditional) {
        (Some(_), Some(start)) => before[start..].to_vec(),
        // From outside, conditional bindings after the last unconditional one may also have run.
        (None, Some(start)) => before[start..].to_vec(),
        (_, None) => before,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use brine_facts::{lower_text, FunctionId};

    use super::*;

    /// A workspace of `lib.py`, whose first function's parameter is passed a distinct string by
    /// each of `sites` files.
    fn many_distinct_callers(sites: usize, first: &str) -> Workspace {
        let lib = "def load(path):\n    return path\n";
        let files = std::iter::once(("lib.py".to_owned(), lib.to_owned()))
            .chain((0..sites).map(|i| {
                let passed = if i == 0 {
                    first.to_owned()
                } else {
                    format!("'m{i}.pt'")
                };
                (
                    format!("m{i}.py"),
                    format!("from lib import load\nload({passed})\n"),
                )
            }))
            .map(|(path, text)| (path, Arc::new(lower_text(&text))))
            .collect();
        Workspace::new(files, [])
    }

    /// The values of `load`'s parameter, and how many call sites its cached result read.
    fn parameter_and_sites_read(workspace: &Workspace) -> (ValueSet, usize) {
        let lib = workspace.file_id("lib.py").expect("lib.py");
        let values = Resolver::new(workspace).param_values(lib, FunctionId(0), 0);
        let key = Node::Resolved(Key::Param(lib, FunctionId(0), 0), false);
        let stamp = workspace.cache().stamp(&key).expect("cached");
        let sites_read = stamp
            .deps
            .iter()
            .filter(|dep| matches!(dep, Dep::Result(Node::Resolved(Key::Argument(..), _))))
            .count();
        (values, sites_read)
    }

    /// Once a parameter's values are full (`ValueSet::MAX` of them and unknown), what further sites
    /// pass cannot change them: they are not read, and the result does not depend on them.
    #[test]
    fn a_full_parameter_reads_no_more_call_sites() {
        const SITES: usize = 60;
        let (values, sites_read) =
            parameter_and_sites_read(&many_distinct_callers(SITES, "'m0.pt'"));
        assert!(values.is_full());
        assert_eq!(values.iter().count(), ValueSet::MAX + 1);
        assert!(
            sites_read <= ValueSet::MAX + 1,
            "{sites_read} of {SITES} sites read"
        );

        // The same values as a gathering of every site: the first site decides what is kept.
        let (other, _) = parameter_and_sites_read(&many_distinct_callers(SITES, "'first.pt'"));
        assert!(other.iter().any(|v| v.as_str() == Some("first.pt")));
        assert!(!other.iter().any(|v| v.as_str() == Some("m0.pt")));
    }
}
