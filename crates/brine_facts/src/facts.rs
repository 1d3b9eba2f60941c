//! The data types of per-file facts. Everything is stored in flat vectors indexed by small ids.

use std::marker::PhantomData;

use brine_syntax::{LineIndex, TextRange};

use crate::{RangeTable, Suppressions};

pub use crate::names::Name;

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}
id_type!(ScopeId, BindingId, ExprId, CallId, FunctionId, ClassId, ImportId);

/// A run of items in one of the file's tables ([`FileFacts::expr_lists`], ...): expressions refer
/// to their lists this way rather than own a box, which keeps an [`Expr`] at 12 bytes.
pub struct Span<T> {
    pub start: u32,
    pub len: u32,
    item: PhantomData<fn() -> T>,
}

impl<T> Span<T> {
    /// The span of the items pushed onto `table` after it had `start` items.
    pub fn since(table: &[T], start: usize) -> Span<T> {
        Span {
            start: start as u32,
            len: (table.len() - start) as u32,
            item: PhantomData,
        }
    }

    /// Appends `items` to `table` and returns their span.
    pub fn push_all(table: &mut Vec<T>, items: impl IntoIterator<Item = T>) -> Span<T> {
        let start = table.len();
        table.extend(items);
        Span::since(table, start)
    }

    pub fn of(self, table: &[T]) -> &[T] {
        &table[self.range()]
    }

    /// The indexes of the items in their table.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

impl<T> Default for Span<T> {
    fn default() -> Self {
        Span {
            start: 0,
            len: 0,
            item: PhantomData,
        }
    }
}

impl<T> Clone for Span<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Span<T> {}
impl<T> PartialEq for Span<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.start, self.len) == (other.start, other.len)
    }
}
impl<T> Eq for Span<T> {}
impl<T> std::fmt::Debug for Span<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..+{}", self.start, self.len)
    }
}

/// A dictionary display's entries: `None` keys are `**spread` entries.
pub type DictEntry = (Option<ExprId>, ExprId);

/// An integer literal's value in two 4-byte halves, so an [`Expr`] stays 4-byte aligned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IntValue([u32; 2]);

impl IntValue {
    pub fn get(self) -> i64 {
        ((u64::from(self.0[1]) << 32) | u64::from(self.0[0])) as i64
    }
}

impl From<i64> for IntValue {
    fn from(value: i64) -> IntValue {
        let bits = value as u64;
        IntValue([bits as u32, (bits >> 32) as u32])
    }
}

impl std::fmt::Debug for IntValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// Everything brine keeps about one file once its tree is gone.
#[derive(Clone, Debug, Default)]
pub struct FileFacts {
    pub scopes: Vec<Scope>,
    pub bindings: Vec<Binding>,
    /// For every scope's span ([`Scope::names`]), the names its bindings bind, sorted, and
    /// (indexed alike) the bindings: read through [`FileFacts::scope_names`].
    pub scope_name_keys: Vec<Name>,
    pub scope_name_bindings: Vec<BindingId>,
    pub exprs: Vec<Expr>,
    /// The source range of each expression, indexed like `exprs` (read through
    /// [`FileFacts::expr_range`]).
    pub expr_ranges: RangeTable,
    /// The items of tuple, list and choice expressions ([`Expr::Tuple`], ...), and the decorators
    /// and returned expressions of functions ([`Function::decorators`], [`Function::returns`]).
    pub expr_lists: Vec<ExprId>,
    /// The entries of dictionary displays ([`Expr::Dict`]).
    pub dict_entries: Vec<DictEntry>,
    /// The pieces of f-strings ([`Expr::FString`]).
    pub fstring_parts: Vec<FStringPart>,
    /// The values of the string literals ([`Expr::Str`]), one after the other (one allocation per
    /// file instead of one per literal).
    pub string_data: String,
    pub calls: Vec<Call>,
    /// The arguments of every call, each call's in order ([`Call::args`]).
    pub call_args: Vec<Arg>,
    pub functions: Vec<Function>,
    /// The parameters of every function, each function's in order ([`Function::params`]).
    pub params: Vec<Param>,
    /// The names each scope declares `global` or `nonlocal` ([`Scope::globals`], ...).
    pub declared_names: Vec<Name>,
    pub classes: Vec<Class>,
    /// `obj.attr = value` statements, for attributes written in one method and read in another.
    pub attribute_writes: Vec<AttributeWrite>,
    /// Digest checks that make a value verified (see [`Verification`]).
    pub verifications: Vec<Verification>,
    /// What each import binding names (see [`BindingKind::Import`]).
    pub imports: Vec<ImportTarget>,
    /// Modules named by `from x import *` at module level, in source order.
    pub star_imports: Vec<ImportTarget>,
    pub suppressions: Suppressions,
    pub line_index: LineIndex,
    pub has_syntax_errors: bool,
    /// True when some expression was nested deeper than `MAX_EXPR_DEPTH` and its inner part skipped.
    pub depth_limited: bool,
}

impl FileFacts {
    pub const MODULE_SCOPE: ScopeId = ScopeId(0);

    /// Gives back the spare capacity of the growing vectors: facts live as long as the workspace,
    /// and vectors grown by doubling are a third empty on average.
    pub fn shrink_to_fit(&mut self) {
        self.scopes.shrink_to_fit();
        self.bindings.shrink_to_fit();
        self.scope_name_keys.shrink_to_fit();
        self.scope_name_bindings.shrink_to_fit();
        self.imports.shrink_to_fit();
        self.exprs.shrink_to_fit();
        self.expr_ranges.shrink_to_fit();
        self.expr_lists.shrink_to_fit();
        self.dict_entries.shrink_to_fit();
        self.fstring_parts.shrink_to_fit();
        self.string_data.shrink_to_fit();
        self.calls.shrink_to_fit();
        self.call_args.shrink_to_fit();
        self.functions.shrink_to_fit();
        self.params.shrink_to_fit();
        self.declared_names.shrink_to_fit();
        self.classes.shrink_to_fit();
        self.attribute_writes.shrink_to_fit();
        self.verifications.shrink_to_fit();
    }

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.index()]
    }
    /// The names bound in `scope` with their bindings.
    pub fn scope_names(&self, scope: ScopeId) -> ScopeNames<'_> {
        let span = self.scope(scope).names;
        ScopeNames {
            names: span.of(&self.scope_name_keys),
            bindings: &self.scope_name_bindings[span.range()],
        }
    }
    /// The names `scope` declares `global`.
    pub fn globals(&self, scope: &Scope) -> &[Name] {
        scope.globals.of(&self.declared_names)
    }
    /// The names `scope` declares `nonlocal`.
    pub fn nonlocals(&self, scope: &Scope) -> &[Name] {
        scope.nonlocals.of(&self.declared_names)
    }
    pub fn params(&self, function: &Function) -> &[Param] {
        function.params.of(&self.params)
    }
    pub fn decorators(&self, function: &Function) -> &[ExprId] {
        function.decorators.of(&self.expr_lists)
    }
    pub fn returns(&self, function: &Function) -> &[ExprId] {
        function.returns.of(&self.expr_lists)
    }
    pub fn binding(&self, id: BindingId) -> &Binding {
        &self.bindings[id.index()]
    }
    pub fn import(&self, id: ImportId) -> &ImportTarget {
        &self.imports[id.index()]
    }
    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id.index()]
    }
    pub fn expr_range(&self, id: ExprId) -> TextRange {
        self.expr_ranges.get(id.index())
    }
    pub fn list(&self, items: Span<ExprId>) -> &[ExprId] {
        items.of(&self.expr_lists)
    }
    pub fn dict(&self, entries: Span<DictEntry>) -> &[DictEntry] {
        entries.of(&self.dict_entries)
    }
    pub fn fstring(&self, parts: Span<FStringPart>) -> &[FStringPart] {
        parts.of(&self.fstring_parts)
    }
    pub fn string(&self, value: Span<u8>) -> &str {
        self.string_data.get(value.range()).unwrap_or_default()
    }
    pub fn call(&self, id: CallId) -> &Call {
        &self.calls[id.index()]
    }
    /// The arguments of a call of this file.
    pub fn args(&self, call: &Call) -> Args<'_> {
        Args(call.args.of(&self.call_args))
    }
    pub fn function(&self, id: FunctionId) -> &Function {
        &self.functions[id.index()]
    }
    pub fn class(&self, id: ClassId) -> &Class {
        &self.classes[id.index()]
    }

    pub fn call_ids(&self) -> impl Iterator<Item = CallId> {
        (0..self.calls.len() as u32).map(CallId)
    }

    /// The last name of a callee (`load` for `torch.load`), if it is a name or attribute.
    pub fn callee_name(&self, call: CallId) -> Option<&str> {
        match self.expr(self.call(call).callee) {
            Expr::Name { name, .. } => Some(name),
            Expr::Attribute { attr, .. } => Some(attr),
            _ => None,
        }
    }

    /// `self.attr = value` statements in the methods of `class` (`self` being each method's first
    /// parameter): where an attribute read on an instance gets its values.
    pub fn self_attribute_writes<'a>(
        &'a self,
        class: ClassId,
        attr: &'a str,
    ) -> impl Iterator<Item = &'a AttributeWrite> + 'a {
        self.attribute_writes.iter().filter(move |write| {
            let Expr::Name { name, .. } = self.expr(write.object) else {
                return false;
            };
            let Some(function) = self.enclosing_function(write.scope) else {
                return false;
            };
            let function = self.function(function);
            &*write.attr == attr
                && function.class == Some(class)
                && self
                    .params(function)
                    .first()
                    .is_some_and(|p| p.name == *name)
        })
    }

    /// The innermost function whose body contains `scope`, if any.
    pub fn enclosing_function(&self, mut scope: ScopeId) -> Option<FunctionId> {
        loop {
            let data = self.scope(scope);
            if let ScopeKind::Function(function) = data.kind {
                return Some(function);
            }
            scope = data.parent?;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function(FunctionId),
    Class(ClassId),
    Comprehension,
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    /// The names bound in this scope: a span of the file's scope-name tables (see
    /// [`FileFacts::scope_names`]).
    pub names: Span<Name>,
    /// Names declared `global` here: their bindings were moved to the module scope (a span of
    /// [`FileFacts::declared_names`]).
    pub globals: Span<Name>,
    /// Names declared `nonlocal` here: their bindings were moved to the enclosing function scope.
    pub nonlocals: Span<Name>,
}

/// The bindings of one name in a scope, in source order (most names have one or two).
pub type NameBindings = smallvec::SmallVec<[BindingId; 2]>;

/// The names bound in one scope with their bindings, read from the file's tables
/// ([`FileFacts::scope_names`]): one entry per binding, sorted by the names' ids, a name's bindings
/// in source order. A lookup is a binary search over 4-byte ids: sorted by their strings, lookups
/// compared strings, which took a tenth of the check of a file after an edit. Ids are fixed within
/// a process but not across runs, so iterating gives an order no output may depend on.
#[derive(Clone, Copy)]
pub struct ScopeNames<'f> {
    names: &'f [Name],
    bindings: &'f [BindingId],
}

impl<'f> ScopeNames<'f> {
    pub fn get(&self, name: Name) -> Option<&'f [BindingId]> {
        let id = name.id();
        let start = self.names.partition_point(|bound| bound.id() < id);
        let len = self.names[start..].partition_point(|bound| bound.id() == id);
        (len > 0).then(|| &self.bindings[start..start + len])
    }

    pub fn contains_key(&self, name: Name) -> bool {
        self.get(name).is_some()
    }

    /// The names with their bindings, in an order fixed within the process (see above).
    pub fn iter(&self) -> impl Iterator<Item = (Name, &'f [BindingId])> + 'f {
        let bindings = self.bindings;
        let mut start = 0;
        self.names.chunk_by(|a, b| a == b).map(move |run| {
            let first = start;
            start += run.len();
            (run[0], &bindings[first..start])
        })
    }

    pub fn keys(&self) -> impl Iterator<Item = Name> + 'f {
        self.iter().map(|(name, _)| name)
    }

    pub fn values(&self) -> impl Iterator<Item = &'f [BindingId]> + 'f {
        self.iter().map(|(_, bindings)| bindings)
    }
}

impl<'f> std::ops::Index<&str> for ScopeNames<'f> {
    type Output = [BindingId];
    fn index(&self, name: &str) -> &[BindingId] {
        crate::names::interned(name)
            .and_then(|name| self.get(name))
            .unwrap_or_else(|| panic!("no binding of {name:?} in this scope"))
    }
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub name: Name,
    pub kind: BindingKind,
    /// The scope whose code performs the binding (differs from the owning scope for `global`).
    pub origin: ScopeId,
    /// Where the name is bound: the end of the binding statement, so `x = f(x)` reads the old `x`.
    pub offset: u32,
    /// The binding target's range, for messages and paths.
    pub range: TextRange,
    /// True when the statement runs whenever its scope's body runs to that point (not inside
    /// `if`/`for`/`while`/`try`/`match`, nor rebound through `global` from another scope).
    pub unconditional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingKind {
    /// `import a.b` (binds `a` to module `a`), `import a.b as c`, `from m import x as y`; the
    /// target is in [`FileFacts::imports`] (kept apart so a binding stays 48 bytes).
    Import(ImportId),
    /// `name = value`
    Value(ExprId),
    /// The `index`-th element of an unpacked value: `a, b = value`.
    Unpacked {
        value: ExprId,
        index: u32,
    },
    /// An element of an iterated value: `for x in value`, comprehensions.
    Iteration(ExprId),
    /// `with value as name`
    With(ExprId),
    /// `name += value` (and other augmented operators).
    Augmented(ExprId),
    /// A parameter of a function or lambda.
    Param {
        function: FunctionId,
        index: u32,
    },
    Function(FunctionId),
    Class(ClassId),
    /// `except E as name`, `del name`, match captures, star targets: nothing is known.
    Unknown,
}

/// What an import statement names, before resolution against the importing module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportTarget {
    /// Number of leading dots of a relative import (`from ..x import y` has level 2).
    pub level: u32,
    /// The dotted module path after the dots (may be empty: `from . import x`).
    pub module: Name,
    /// The imported member for `from m import member`; `None` for `import m`.
    pub member: Option<Name>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Name {
        name: Name,
        scope: ScopeId,
    },
    Attribute {
        object: ExprId,
        attr: Name,
    },
    Call(CallId),
    /// A string literal; its value is in [`FileFacts::string_data`] (see [`FileFacts::string`]).
    Str(Span<u8>),
    /// An f-string: literal pieces and interpolated expressions, in order.
    FString(Span<FStringPart>),
    Bytes,
    Int(IntValue),
    Float,
    Bool(bool),
    NoneLit,
    BinOp {
        op: BinOp,
        left: ExprId,
        right: ExprId,
    },
    /// One of several values: `a if c else b`, `a or b`, `a and b`.
    Choice(Span<ExprId>),
    Not(ExprId),
    Tuple(Span<ExprId>),
    List(Span<ExprId>),
    /// Dictionary display: `None` keys are `**spread` entries.
    Dict(Span<DictEntry>),
    Subscript {
        object: ExprId,
        index: ExprId,
    },
    Await(ExprId),
    Starred(ExprId),
    Lambda(FunctionId),
    /// `(name := value)`: the value, also bound to a name.
    Walrus(ExprId),
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FStringPart {
    Literal(Box<str>),
    Interpolation(ExprId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Mod,
    Div,
    Other,
}

#[derive(Clone, Debug)]
pub struct Call {
    pub callee: ExprId,
    /// The arguments: a span of [`FileFacts::call_args`], read through [`FileFacts::args`].
    pub args: Span<Arg>,
    pub scope: ScopeId,
    /// The whole call, callee to closing parenthesis.
    pub range: TextRange,
    /// The argument list including its parentheses.
    pub args_range: TextRange,
    /// True when the last argument is followed by a comma.
    pub trailing_comma: bool,
    /// Start of the statement that contains the call (for suppressions on its first line).
    pub statement_start: u32,
}

/// A call's arguments, read from the file's table ([`FileFacts::args`]).
#[derive(Clone, Copy, Debug)]
pub struct Args<'f>(&'f [Arg]);

impl<'f> std::ops::Deref for Args<'f> {
    type Target = [Arg];
    fn deref(&self) -> &[Arg] {
        self.0
    }
}

impl<'f> Args<'f> {
    /// The `index`-th positional argument, unless a `*args` comes before it.
    pub fn positional(self, index: usize) -> Option<&'f Arg> {
        let mut seen = 0;
        for arg in self.0 {
            match arg.kind {
                ArgKind::Positional => {
                    if seen == index {
                        return Some(arg);
                    }
                    seen += 1;
                }
                ArgKind::Star => return None,
                _ => {}
            }
        }
        None
    }

    pub fn keyword(self, name: &str) -> Option<&'f Arg> {
        self.0
            .iter()
            .find(|arg| matches!(&arg.kind, ArgKind::Keyword(k) if &**k == name))
    }

    pub fn has_star_args(self) -> bool {
        self.0.iter().any(|arg| arg.kind == ArgKind::Star)
    }

    pub fn double_star_args(self) -> impl Iterator<Item = &'f Arg> {
        self.0.iter().filter(|arg| arg.kind == ArgKind::DoubleStar)
    }
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub kind: ArgKind,
    pub value: ExprId,
    /// The whole argument, `name=value` for keywords.
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgKind {
    Positional,
    Keyword(Name),
    Star,
    DoubleStar,
}

#[derive(Clone, Debug)]
pub struct Function {
    pub name: Name,
    /// The scope that holds the parameters and the body.
    pub scope: ScopeId,
    /// The scope the `def` statement is in.
    pub parent_scope: ScopeId,
    /// A span of [`FileFacts::params`], read through [`FileFacts::params`].
    pub params: Span<Param>,
    /// The class whose body defines this function directly (a method).
    pub class: Option<ClassId>,
    /// A span of [`FileFacts::expr_lists`], read through [`FileFacts::decorators`].
    pub decorators: Span<ExprId>,
    /// Returned expressions (for a lambda, its body): a span of [`FileFacts::expr_lists`], read
    /// through [`FileFacts::returns`].
    pub returns: Span<ExprId>,
    pub is_async: bool,
    /// The function's name (or the `lambda` keyword).
    pub name_range: TextRange,
}

impl Function {
    /// True when decorated with `@staticmethod` (no implicit first argument).
    pub fn is_static(&self, facts: &FileFacts) -> bool {
        facts
            .decorators(self)
            .iter()
            .any(|&d| matches!(facts.expr(d), Expr::Name { name, .. } if &**name == "staticmethod"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Name,
    pub kind: ParamKind,
    pub default: Option<ExprId>,
    /// The type annotation (`file: UploadFile`), evaluated in the enclosing scope.
    pub annotation: Option<ExprId>,
}

/// A digest comparison that verifies the names it hashes: `if sha256(data).hexdigest() != EXPECTED:
/// raise ...` verifies `data` after the `if`; `if hmac.compare_digest(...):` verifies inside its body.
#[derive(Debug, Clone)]
pub struct Verification {
    pub scope: ScopeId,
    /// The names whose bytes are hashed or compared.
    pub names: Vec<Name>,
    /// Where the names count as verified: after the check (early exit) or inside its body.
    pub verified: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    PositionalOnly,
    Normal,
    KeywordOnly,
    VarArgs,
    VarKeywords,
}

#[derive(Clone, Debug)]
pub struct Class {
    pub name: Name,
    pub scope: ScopeId,
    pub parent_scope: ScopeId,
    pub bases: Vec<ExprId>,
    pub name_range: TextRange,
}

#[derive(Clone, Debug)]
pub struct AttributeWrite {
    pub object: ExprId,
    pub attr: Name,
    pub value: ExprId,
    pub scope: ScopeId,
    pub offset: u32,
}
