//! Lowering a file again after an edit, reusing the facts of the top-level statements whose text
//! did not change.
//!
//! Lowering walks every node of the tree: about 7 ms for transformers' `modeling_utils.py`, more
//! than an editor keystroke's whole budget. A keystroke changes one top-level statement (a
//! function, a class, an import), and in a class one statement of its body (a method); every other
//! statement lowers to the facts it had before, with its ids and positions shifted. Two properties
//! of the lowering make those facts cheap to copy:
//! - it lowers a statement and everything nested in it before the next statement, and pushes onto
//!   each table of the file in order, so one statement's facts are one run of each table (its
//!   *chunk*), between two [`Checkpoint`]s;
//! - the facts of a top-level statement refer only to its own chunk and to the module scope, and
//!   those of a statement of a module-level class's body (a *member*) only to its own chunk, the
//!   class and its scope, and the module scope: names are resolved later, by name.
//!
//! So a statement whose text is the one of a chunk of the previous lowering (of the same kind:
//! top-level or member) is *replayed*, when neither file has a syntax error (error recovery can
//! give the same text another tree in another context, even a statement without an error of its
//! own): its chunk is copied through the lowerer with every id rebased onto the current
//! table lengths (and the class's ids onto the new class's) and every position moved by the
//! distance the statement moved. A replayed class keeps its members' chunks, rebased alike.
//!
//! The lowerer's end-of-file steps (sorting each scope's names, storing parameters and
//! declarations, moving `global` bindings) then run as for a full lowering, so the result is equal
//! to [`lower`](super::lower) of the new text. Two things depend on other statements and are kept
//! apart: the bindings a `global` elsewhere made conditional (restored before replay) and the
//! depth-limit flag (per chunk). `tests/moved.rs` checks the equality after every edit of every
//! fixture, and the `incremental_edits` fuzz target after random ones.

use std::hash::{Hash, Hasher};

use brine_syntax::Node;
use rustc_hash::FxHashMap;

use super::statements::Work;
use super::{Declarations, FunctionLists, Lowerer};
use crate::facts::*;
use crate::positions::map_range;

/// The length of each of the lowerer's tables at one point of the lowering (see the module doc).
#[derive(Clone, Copy, Debug, Default)]
struct Checkpoint {
    scopes: u32,
    bindings: u32,
    exprs: u32,
    expr_lists: u32,
    dict_entries: u32,
    fstring_parts: u32,
    string_data: u32,
    calls: u32,
    call_args: u32,
    functions: u32,
    classes: u32,
    attribute_writes: u32,
    verifications: u32,
    imports: u32,
    star_imports: u32,
    /// Names declared `global` and `nonlocal` in the scope the statement runs in (the module's, or
    /// the class's for a member): the only state of that scope that its statements add to.
    outer_globals: u32,
    outer_nonlocals: u32,
}

/// One statement's facts (a top-level statement's or a member's): where its text was, and its run
/// of each table.
#[derive(Clone, Debug)]
struct Chunk {
    text: TextKey,
    /// Where the statement started in the text its facts were lowered from.
    start: u32,
    /// False when the statement has a syntax error: it is always lowered again.
    reusable: bool,
    /// True when some expression of the statement was too deep and cut ([`FileFacts::depth_limited`]).
    depth_limited: bool,
    from: Checkpoint,
    to: Checkpoint,
    /// For a member, the class and its scope (ids of the lowering that made the chunk).
    class: Option<(ClassId, ScopeId)>,
    /// For a top-level statement, the chunks of the members of the module-level classes in it.
    members: Vec<Chunk>,
}

/// What finds a statement's chunk among the previous lowering's: the node's kind (the same text
/// can be a statement in one place and a stray node of a half-typed file in another), the text's
/// length and a hash of its first and last bytes. Hashing whole statements cost more than the rest
/// of a keystroke's lowering; a candidate found by its key is compared with the previous text in
/// full (a memory comparison), so two texts with one key cost a lowering, never a wrong fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TextKey {
    kind: u16,
    len: u32,
    edges: u64,
}

impl TextKey {
    /// Bytes hashed at each end of the text.
    const EDGE: usize = 32;

    fn of(node: Node, text: &str) -> TextKey {
        let bytes = text.as_bytes();
        let mut hasher = rustc_hash::FxHasher::default();
        bytes[..bytes.len().min(Self::EDGE)].hash(&mut hasher);
        bytes[bytes.len().saturating_sub(Self::EDGE)..].hash(&mut hasher);
        TextKey {
            kind: node.kind_id(),
            len: text.len() as u32,
            edges: hasher.finish(),
        }
    }
}

/// What [`lower_reusing`](super::lower_reusing) needs of a file's previous lowering besides its
/// facts: the chunk of each top-level statement and class member, and the text. Kept for open
/// documents only (the text, and about 100 bytes per statement).
#[derive(Clone, Debug, Default)]
pub struct StatementChunks {
    /// The text these chunks were lowered from, to compare statements with.
    text: String,
    chunks: Vec<Chunk>,
    /// The bindings that moving `global` and `nonlocal` bindings made conditional, sorted: a flag
    /// that depends on another statement, so a replayed binding gets its own flag back first.
    made_conditional: Vec<BindingId>,
    replayed: usize,
}

impl StatementChunks {
    /// The number of top-level statements.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// How many statements (top-level ones and class members) the lowering that made these chunks
    /// copied from the previous lowering instead of lowering them from the tree (a figure for
    /// tests and benchmarks).
    pub fn replayed(&self) -> usize {
        self.replayed
    }
}

/// The reuse state of one lowering: the previous facts and their chunks by text, and the chunks
/// being recorded for the next lowering.
pub(super) struct Reuse<'p> {
    previous: Option<Previous<'p>>,
    /// False for a plain [`lower`](super::lower): no chunk is kept, and no text hashed.
    record: bool,
    recorded: Vec<Chunk>,
    /// The member chunks of the top-level statement being lowered.
    members: Vec<Chunk>,
    made_conditional: Vec<BindingId>,
    replayed: usize,
}

/// The previous lowering: its facts, its reusable chunks by text (top-level statements and
/// members apart: a `def` lowers differently in a class), and its conditional bindings.
struct Previous<'p> {
    facts: &'p FileFacts,
    text: &'p str,
    top_level: FxHashMap<TextKey, &'p Chunk>,
    members: FxHashMap<TextKey, &'p Chunk>,
    made_conditional: &'p [BindingId],
}

impl<'p> Reuse<'p> {
    pub(super) fn new(
        previous: Option<(&'p FileFacts, &'p StatementChunks)>,
        record: bool,
    ) -> Self {
        let by_text = |chunks: &'p [Chunk]| {
            (chunks.iter())
                .filter(|chunk| chunk.reusable)
                .map(|chunk| (chunk.text, chunk))
                .collect()
        };
        let previous = previous.map(|(facts, chunks)| Previous {
            facts,
            text: &chunks.text,
            top_level: by_text(&chunks.chunks),
            // Members of every class, also of one with an error elsewhere in its body.
            members: (chunks.chunks.iter())
                .flat_map(|chunk| by_text(&chunk.members))
                .collect(),
            made_conditional: &chunks.made_conditional,
        });
        Reuse {
            previous,
            record,
            recorded: Vec::new(),
            members: Vec::new(),
            made_conditional: Vec::new(),
            replayed: 0,
        }
    }

    pub(super) fn keep_made_conditional(&mut self, bindings: Vec<BindingId>) {
        self.made_conditional = bindings;
    }

    pub(super) fn into_chunks(self, text: &str) -> StatementChunks {
        StatementChunks {
            text: text.to_owned(),
            chunks: self.recorded,
            made_conditional: self.made_conditional,
            replayed: self.replayed,
        }
    }
}

impl<'a> Lowerer<'a> {
    /// Lowers one top-level statement, or replays its facts from the previous lowering when its
    /// text is the text of a reusable chunk there; records its chunk either way.
    pub(super) fn lower_top_level(&mut self, statement: Node, reuse: &mut Reuse) {
        if !reuse.record {
            return self.lower_statement_tree(statement, None);
        }
        let chunk = self.lower_chunk(statement, None, reuse, |lowerer, reuse| {
            lowerer.lower_statement_tree(statement, Some(reuse));
        });
        reuse.recorded.push(chunk);
    }

    /// Lowers (or replays) a statement of the body of a module-level class with what it nests,
    /// and records its chunk among the current top-level statement's members.
    pub(super) fn lower_class_member<'t>(
        &mut self,
        work: Work<'t>,
        stack: &mut Vec<Work<'t>>,
        reuse: &mut Reuse,
    ) {
        let ScopeKind::Class(class) = self.facts.scope(work.scope).kind else {
            return self.lower_statement_fully(work, stack);
        };
        let statement = work.node;
        let chunk = self.lower_chunk(statement, Some((class, work.scope)), reuse, |lowerer, _| {
            lowerer.lower_statement_fully(work, stack);
        });
        reuse.members.push(chunk);
    }

    /// The chunk of `statement`, lowered by `lower` or replayed from the previous lowering. `class`
    /// is the class and class scope of a member, `None` for a top-level statement.
    fn lower_chunk(
        &mut self,
        statement: Node,
        class: Option<(ClassId, ScopeId)>,
        reuse: &mut Reuse,
        lower: impl FnOnce(&mut Self, &mut Reuse),
    ) -> Chunk {
        let statement_text = self.node_text(statement);
        let text = TextKey::of(statement, statement_text);
        let start = statement.start_byte() as u32;
        let reusable = !statement.is_error() && !statement.has_error();
        let outer = class.map_or(FileFacts::MODULE_SCOPE, |(_, scope)| scope);
        let from = self.checkpoint(outer);
        let limited_before = std::mem::replace(&mut self.facts.depth_limited, false);
        let old = (reuse.previous.as_ref())
            .filter(|_| reusable)
            .and_then(|previous| {
                let chunks = match class {
                    Some(_) => &previous.members,
                    None => &previous.top_level,
                };
                let chunk = *chunks.get(&text)?;
                let old_text = previous.text.get(chunk.start as usize..)?;
                old_text
                    .get(..statement_text.len())
                    .is_some_and(|old_text| old_text == statement_text)
                    .then_some((previous, chunk))
            });
        let members = match old {
            Some((previous, chunk)) => {
                let to = self.checkpoint(outer);
                self.replay(previous, chunk, start, &to, class);
                reuse.replayed += 1;
                // A replayed class keeps its members' chunks, moved and rebased like its facts.
                let ids = Rebase::new(chunk, &to, class);
                let shift = i64::from(start) - i64::from(chunk.start);
                (chunk.members.iter())
                    .map(|member| Chunk {
                        text: member.text,
                        start: (i64::from(member.start) + shift) as u32,
                        reusable: member.reusable,
                        depth_limited: member.depth_limited,
                        from: ids.checkpoint(&member.from),
                        to: ids.checkpoint(&member.to),
                        class: member
                            .class
                            .map(|(c, scope)| (ids.class(c), ids.scope(scope))),
                        members: Vec::new(),
                    })
                    .collect()
            }
            None => {
                lower(self, reuse);
                match class {
                    Some(_) => Vec::new(),
                    None => std::mem::take(&mut reuse.members),
                }
            }
        };
        let depth_limited = self.facts.depth_limited;
        self.facts.depth_limited |= limited_before;
        Chunk {
            text,
            start,
            reusable,
            depth_limited,
            from,
            to: self.checkpoint(outer),
            class,
            members,
        }
    }

    /// The lengths of the tables now; `outer` is the scope whose declarations the statement adds
    /// to (see [`Checkpoint::outer_globals`]).
    fn checkpoint(&self, outer: ScopeId) -> Checkpoint {
        let facts = &self.facts;
        let outer = &self.declarations[outer.index()];
        let len = |n: usize| n as u32;
        Checkpoint {
            scopes: len(facts.scopes.len()),
            bindings: len(facts.bindings.len()),
            exprs: len(facts.exprs.len()),
            expr_lists: len(facts.expr_lists.len()),
            dict_entries: len(facts.dict_entries.len()),
            fstring_parts: len(facts.fstring_parts.len()),
            string_data: len(facts.string_data.len()),
            calls: len(facts.calls.len()),
            call_args: len(facts.call_args.len()),
            functions: len(facts.functions.len()),
            classes: len(facts.classes.len()),
            attribute_writes: len(facts.attribute_writes.len()),
            verifications: len(facts.verifications.len()),
            imports: len(facts.imports.len()),
            star_imports: len(facts.star_imports.len()),
            outer_globals: len(outer.globals.len()),
            outer_nonlocals: len(outer.nonlocals.len()),
        }
    }

    /// Copies `chunk` of the previous facts into the lowerer as if the statement now at `start`
    /// had been lowered: ids rebased, positions moved, and the lowerer's per-scope and
    /// per-function state (names, declarations, parameters, returns) rebuilt. `to` is the
    /// checkpoint of now, and `class` the class and class scope of a member now.
    fn replay(
        &mut self,
        previous: &Previous,
        chunk: &Chunk,
        start: u32,
        to: &Checkpoint,
        class: Option<(ClassId, ScopeId)>,
    ) {
        let old = previous.facts;
        let (from, old_end) = (&chunk.from, &chunk.to);
        let ids = Rebase::new(chunk, to, class);
        let shift = i64::from(start) - i64::from(chunk.start);
        // An open end (`u32::MAX`, "to the end of the scope") stays open.
        let pos = |offset: u32| match offset {
            u32::MAX => offset,
            _ => (i64::from(offset) + shift) as u32,
        };
        let run = |from: u32, to: u32| from as usize..to as usize;

        for old_scope in &old.scopes[run(from.scopes, old_end.scopes)] {
            let kind = match old_scope.kind {
                ScopeKind::Function(f) => ScopeKind::Function(ids.function(f)),
                ScopeKind::Class(c) => ScopeKind::Class(ids.class(c)),
                kind => kind,
            };
            self.scope_names.push(FxHashMap::default());
            self.declarations.push(Declarations {
                globals: old.globals(old_scope).to_vec(),
                nonlocals: old.nonlocals(old_scope).to_vec(),
            });
            self.facts.scopes.push(Scope {
                kind,
                parent: old_scope.parent.map(|p| ids.scope(p)),
                names: Span::default(),
                globals: Span::default(),
                nonlocals: Span::default(),
            });
        }
        let old_outer = chunk
            .class
            .map_or(FileFacts::MODULE_SCOPE, |(_, scope)| scope);
        let old_outer = &old.scopes[old_outer.index()];
        let outer = class.map_or(FileFacts::MODULE_SCOPE, |(_, scope)| scope);
        let declared = &mut self.declarations[outer.index()];
        (declared.globals).extend_from_slice(
            &old.globals(old_outer)[run(from.outer_globals, old_end.outer_globals)],
        );
        (declared.nonlocals).extend_from_slice(
            &old.nonlocals(old_outer)[run(from.outer_nonlocals, old_end.outer_nonlocals)],
        );

        for index in run(from.bindings, old_end.bindings) {
            let binding = &old.bindings[index];
            let index = BindingId(index as u32);
            let id = BindingId(self.facts.bindings.len() as u32);
            let kind = match &binding.kind {
                BindingKind::Import(import) => BindingKind::Import(ids.import(*import)),
                BindingKind::Value(e) => BindingKind::Value(ids.expr(*e)),
                BindingKind::Unpacked { value, index } => BindingKind::Unpacked {
                    value: ids.expr(*value),
                    index: *index,
                },
                BindingKind::Iteration(e) => BindingKind::Iteration(ids.expr(*e)),
                BindingKind::With(e) => BindingKind::With(ids.expr(*e)),
                BindingKind::Augmented(e) => BindingKind::Augmented(ids.expr(*e)),
                BindingKind::Param { function, index } => BindingKind::Param {
                    function: ids.function(*function),
                    index: *index,
                },
                BindingKind::Function(f) => BindingKind::Function(ids.function(*f)),
                BindingKind::Class(c) => BindingKind::Class(ids.class(*c)),
                BindingKind::Unknown => BindingKind::Unknown,
            };
            let origin = ids.scope(binding.origin);
            let mut replayed = Binding {
                kind,
                origin,
                unconditional: binding.unconditional
                    || previous.made_conditional.binary_search(&index).is_ok(),
                ..binding.clone()
            };
            replayed.move_positions(&pos);
            self.facts.bindings.push(replayed);
            // Before `global` bindings move, a binding belongs to the scope whose code binds it.
            self.scope_names[origin.index()]
                .entry(binding.name)
                .or_default()
                .push(id);
        }

        for index in run(from.exprs, old_end.exprs) {
            let expr = ids.rebase_expr(&old.exprs[index]);
            self.facts.exprs.push(expr);
            let range = old.expr_range(ExprId(index as u32));
            self.facts.expr_ranges.push(map_range(range, &pos));
        }
        let lists = &old.expr_lists[run(from.expr_lists, old_end.expr_lists)];
        (self.facts.expr_lists).extend(lists.iter().map(|&e| ids.expr(e)));
        let entries = &old.dict_entries[run(from.dict_entries, old_end.dict_entries)];
        (self.facts.dict_entries).extend(
            (entries.iter()).map(|&(key, value)| (key.map(|k| ids.expr(k)), ids.expr(value))),
        );
        let parts = &old.fstring_parts[run(from.fstring_parts, old_end.fstring_parts)];
        (self.facts.fstring_parts).extend(parts.iter().map(|part| match part {
            FStringPart::Literal(text) => FStringPart::Literal(text.clone()),
            FStringPart::Interpolation(e) => FStringPart::Interpolation(ids.expr(*e)),
        }));
        (self.facts.string_data)
            .push_str(&old.string_data[run(from.string_data, old_end.string_data)]);

        for call in &old.calls[run(from.calls, old_end.calls)] {
            let mut call = Call {
                callee: ids.expr(call.callee),
                args: ids.span(call.args, from.call_args, to.call_args),
                scope: ids.scope(call.scope),
                ..call.clone()
            };
            call.move_positions(&pos);
            self.facts.calls.push(call);
        }
        for arg in &old.call_args[run(from.call_args, old_end.call_args)] {
            let mut arg = Arg {
                value: ids.expr(arg.value),
                ..arg.clone()
            };
            arg.move_positions(&pos);
            self.facts.call_args.push(arg);
        }

        for function in &old.functions[run(from.functions, old_end.functions)] {
            let exprs = |list: &[ExprId]| list.iter().map(|&e| ids.expr(e)).collect();
            self.function_lists.push(FunctionLists {
                params: (old.params(function).iter())
                    .map(|param| Param {
                        name: param.name,
                        kind: param.kind,
                        default: param.default.map(|e| ids.expr(e)),
                        annotation: param.annotation.map(|e| ids.expr(e)),
                    })
                    .collect(),
                decorators: exprs(old.decorators(function)),
                returns: exprs(old.returns(function)),
            });
            // Its parameters, decorators and returns are stored at the end, as when lowering.
            let mut function = Function {
                scope: ids.scope(function.scope),
                parent_scope: ids.scope(function.parent_scope),
                params: Span::default(),
                class: function.class.map(|c| ids.class(c)),
                decorators: Span::default(),
                returns: Span::default(),
                ..function.clone()
            };
            function.move_positions(&pos);
            self.facts.functions.push(function);
        }
        for class in &old.classes[run(from.classes, old_end.classes)] {
            let mut class = Class {
                name: class.name,
                scope: ids.scope(class.scope),
                parent_scope: ids.scope(class.parent_scope),
                bases: class.bases.iter().map(|&e| ids.expr(e)).collect(),
                name_range: class.name_range,
            };
            class.move_positions(&pos);
            self.facts.classes.push(class);
        }
        let writes = &old.attribute_writes[run(from.attribute_writes, old_end.attribute_writes)];
        for write in writes {
            let mut write = AttributeWrite {
                object: ids.expr(write.object),
                value: ids.expr(write.value),
                scope: ids.scope(write.scope),
                ..write.clone()
            };
            write.move_positions(&pos);
            self.facts.attribute_writes.push(write);
        }
        let checks = &old.verifications[run(from.verifications, old_end.verifications)];
        for check in checks {
            let mut check = Verification {
                scope: ids.scope(check.scope),
                ..check.clone()
            };
            check.move_positions(&pos);
            self.facts.verifications.push(check);
        }
        (self.facts.imports).extend_from_slice(&old.imports[run(from.imports, old_end.imports)]);
        (self.facts.star_imports)
            .extend_from_slice(&old.star_imports[run(from.star_imports, old_end.star_imports)]);
        self.facts.depth_limited = chunk.depth_limited;
    }
}

/// Rebases the ids of a chunk of the previous facts onto the tables being built: an id inside
/// the chunk moves with it; the class of a member and its scope become the new class's; any other
/// id before the chunk (only the module scope: see the module doc) stays.
struct Rebase<'c> {
    old: &'c Checkpoint,
    new: &'c Checkpoint,
    /// A member's class and class scope, in the previous lowering and now.
    class: Option<((ClassId, ScopeId), (ClassId, ScopeId))>,
}

impl<'c> Rebase<'c> {
    fn new(chunk: &'c Chunk, now: &'c Checkpoint, class: Option<(ClassId, ScopeId)>) -> Self {
        Rebase {
            old: &chunk.from,
            new: now,
            class: chunk.class.zip(class),
        }
    }

    fn id(old_start: u32, new_start: u32, id: u32) -> u32 {
        if id >= old_start {
            id - old_start + new_start
        } else {
            id
        }
    }

    fn scope(&self, id: ScopeId) -> ScopeId {
        match self.class {
            Some(((_, old), (_, new))) if id == old => new,
            _ => ScopeId(Self::id(self.old.scopes, self.new.scopes, id.0)),
        }
    }
    fn expr(&self, id: ExprId) -> ExprId {
        ExprId(Self::id(self.old.exprs, self.new.exprs, id.0))
    }
    fn call(&self, id: CallId) -> CallId {
        CallId(Self::id(self.old.calls, self.new.calls, id.0))
    }
    fn function(&self, id: FunctionId) -> FunctionId {
        FunctionId(Self::id(self.old.functions, self.new.functions, id.0))
    }
    fn class(&self, id: ClassId) -> ClassId {
        match self.class {
            Some(((old, _), (new, _))) if id == old => new,
            _ => ClassId(Self::id(self.old.classes, self.new.classes, id.0)),
        }
    }

    /// A checkpoint inside the chunk (a member's of a replayed class): its table lengths move
    /// with the chunk; its declaration counts are the class scope's own, which do not.
    fn checkpoint(&self, inner: &Checkpoint) -> Checkpoint {
        let (old, new) = (self.old, self.new);
        let at = |inner: u32, old: u32, new: u32| inner - old + new;
        Checkpoint {
            scopes: at(inner.scopes, old.scopes, new.scopes),
            bindings: at(inner.bindings, old.bindings, new.bindings),
            exprs: at(inner.exprs, old.exprs, new.exprs),
            expr_lists: at(inner.expr_lists, old.expr_lists, new.expr_lists),
            dict_entries: at(inner.dict_entries, old.dict_entries, new.dict_entries),
            fstring_parts: at(inner.fstring_parts, old.fstring_parts, new.fstring_parts),
            string_data: at(inner.string_data, old.string_data, new.string_data),
            calls: at(inner.calls, old.calls, new.calls),
            call_args: at(inner.call_args, old.call_args, new.call_args),
            functions: at(inner.functions, old.functions, new.functions),
            classes: at(inner.classes, old.classes, new.classes),
            attribute_writes: at(
                inner.attribute_writes,
                old.attribute_writes,
                new.attribute_writes,
            ),
            verifications: at(inner.verifications, old.verifications, new.verifications),
            imports: at(inner.imports, old.imports, new.imports),
            star_imports: at(inner.star_imports, old.star_imports, new.star_imports),
            outer_globals: inner.outer_globals,
            outer_nonlocals: inner.outer_nonlocals,
        }
    }
    fn import(&self, id: ImportId) -> ImportId {
        ImportId(Self::id(self.old.imports, self.new.imports, id.0))
    }

    /// A span of one of the chunk's runs (`old_start` and `new_start`: where that table's run
    /// starts in the previous facts and now).
    fn span<T>(&self, span: Span<T>, old_start: u32, new_start: u32) -> Span<T> {
        let mut rebased = span;
        rebased.start = Self::id(old_start, new_start, span.start);
        rebased
    }

    fn list(&self, span: Span<ExprId>) -> Span<ExprId> {
        self.span(span, self.old.expr_lists, self.new.expr_lists)
    }

    fn rebase_expr(&self, expr: &Expr) -> Expr {
        match expr {
            Expr::Name { name, scope } => Expr::Name {
                name: *name,
                scope: self.scope(*scope),
            },
            Expr::Attribute { object, attr } => Expr::Attribute {
                object: self.expr(*object),
                attr: *attr,
            },
            Expr::Call(call) => Expr::Call(self.call(*call)),
            Expr::Str(text) => {
                Expr::Str(self.span(*text, self.old.string_data, self.new.string_data))
            }
            Expr::FString(parts) => {
                Expr::FString(self.span(*parts, self.old.fstring_parts, self.new.fstring_parts))
            }
            Expr::BinOp { op, left, right } => Expr::BinOp {
                op: *op,
                left: self.expr(*left),
                right: self.expr(*right),
            },
            Expr::Choice(items) => Expr::Choice(self.list(*items)),
            Expr::Not(e) => Expr::Not(self.expr(*e)),
            Expr::Tuple(items) => Expr::Tuple(self.list(*items)),
            Expr::List(items) => Expr::List(self.list(*items)),
            Expr::Dict(entries) => {
                Expr::Dict(self.span(*entries, self.old.dict_entries, self.new.dict_entries))
            }
            Expr::Subscript { object, index } => Expr::Subscript {
                object: self.expr(*object),
                index: self.expr(*index),
            },
            Expr::Await(e) => Expr::Await(self.expr(*e)),
            Expr::Starred(e) => Expr::Starred(self.expr(*e)),
            Expr::Lambda(f) => Expr::Lambda(self.function(*f)),
            Expr::Walrus(e) => Expr::Walrus(self.expr(*e)),
            Expr::Bytes
            | Expr::Int(_)
            | Expr::Float
            | Expr::Bool(_)
            | Expr::NoneLit
            | Expr::Unknown => expr.clone(),
        }
    }
}
