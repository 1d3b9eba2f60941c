//! Lowering: one pass over a tree-sitter tree that records scopes, bindings, calls and expressions.
//!
//! Statements are visited in source order from an explicit stack, so nesting depth never grows the
//! native stack. Expressions are lowered recursively up to [`MAX_EXPR_DEPTH`] (see `expr.rs`).
//! Unknown node kinds, including tree-sitter's `ERROR` nodes in half-typed code, are searched for
//! statements and calls rather than skipped, so a syntax error costs as little analysis as possible.

mod expr;
mod reuse;
mod statements;
mod verify;

use reuse::Reuse;
pub use reuse::StatementChunks;

use brine_syntax::{Node, NodeKind, ParsedFile, TextRange};
use rustc_hash::FxHashMap;

use crate::facts::*;
use crate::Suppressions;

/// Expressions nested deeper than this are recorded as [`Expr::Unknown`]; no real code comes close.
pub const MAX_EXPR_DEPTH: u32 = 200;

/// Lowers a parsed file to facts.
pub fn lower(file: &ParsedFile) -> FileFacts {
    let mut reuse = Reuse::new(None, false);
    Lowerer::new(file).lower_file(file, &mut reuse)
}

/// Lowers a parsed file to facts like [`lower`], and also returns the chunks of its top-level
/// statements, with which the next lowering of the file can copy the facts of the statements an
/// edit did not touch (see `reuse.rs`). `previous` is the last lowering of the file and its
/// chunks, if any. The result is equal to [`lower`]'s.
pub fn lower_reusing(
    file: &ParsedFile,
    previous: Option<(&FileFacts, &StatementChunks)>,
) -> (FileFacts, StatementChunks) {
    // In a file with a syntax error, error recovery can give a statement another tree for the
    // same text (an `incremental_edits` fuzz case: a comma typed two lines below changed it), so
    // nothing is copied from or into a lowering of such a file.
    let previous = previous.filter(|(facts, _)| !facts.has_syntax_errors && !file.has_errors());
    let mut reuse = Reuse::new(previous, true);
    let mut lowerer = Lowerer::new(file);
    if let Some((previous, _)) = previous {
        // The new facts are about as large as the previous ones: growing the tables by doubling
        // would copy them several times over.
        lowerer.reserve_like(previous);
    }
    let facts = lowerer.lower_file(file, &mut reuse);
    (facts, reuse.into_chunks(file.text()))
}

/// The facts of `file` after `moves` (edits that only moved code, from
/// [`ParsedFile::take_moves`]), given `old`, the facts of the text before them: `old` with its
/// positions moved, and the line index and suppressions of the new text. Equal to [`lower`] of
/// `file`, at a fraction of its cost.
pub fn lower_moved(old: &FileFacts, file: &ParsedFile, moves: &[brine_syntax::Move]) -> FileFacts {
    let mut facts = old.clone();
    facts.map_positions(|offset| moves.iter().fold(offset, |offset, moved| moved.map(offset)));
    facts.line_index = file.line_index().clone();
    facts.suppressions = Suppressions::scan(file.text(), |offset| is_comment_at(file, offset));
    facts
}

fn is_comment_at(file: &ParsedFile, offset: usize) -> bool {
    file.tree()
        .root_node()
        .descendant_for_byte_range(offset, offset + 1)
        .is_some_and(|node| node.kind_name() == "comment" && node.start_byte() == offset)
}

/// Parses and lowers `text` in one step (the tree is dropped).
pub fn lower_text(text: &str) -> FileFacts {
    lower(&ParsedFile::parse(text.to_owned()))
}

struct Lowerer<'a> {
    text: &'a str,
    facts: FileFacts,
    /// Start of the statement being lowered, recorded on its calls.
    statement_start: u32,
    /// Names interned so far (see [`Lowerer::intern`]).
    names: FxHashMap<&'static str, Name>,
    /// The names bound in each scope while lowering (indexed like the scopes); they become each
    /// scope's sorted [`ScopeNames`] at the end.
    scope_names: Vec<FxHashMap<Name, NameBindings>>,
    /// The `global` and `nonlocal` names of each scope while lowering (indexed like the scopes).
    declarations: Vec<Declarations>,
    /// The parameters, decorators and returns of each function while lowering (indexed like the
    /// functions): a nested function's come in the middle of its parent's, so they are stored in
    /// the file's tables at the end.
    function_lists: Vec<FunctionLists>,
    /// Arguments of the calls being lowered (see `lower_call`).
    arg_stack: Vec<Arg>,
    /// Bindings that `relocate_declared_bindings` made conditional, in increasing order: a
    /// statement replayed from these facts gets its own flags back (see `reuse.rs`).
    made_conditional: Vec<BindingId>,
}

#[derive(Default)]
struct Declarations {
    globals: Vec<Name>,
    nonlocals: Vec<Name>,
}

#[derive(Default)]
struct FunctionLists {
    params: Vec<Param>,
    decorators: Vec<ExprId>,
    returns: Vec<ExprId>,
}

impl<'a> Lowerer<'a> {
    fn new(file: &'a ParsedFile) -> Self {
        let text = file.text();
        Lowerer {
            text,
            facts: FileFacts {
                line_index: file.line_index().clone(),
                suppressions: Suppressions::scan(text, |offset| is_comment_at(file, offset)),
                has_syntax_errors: file.has_errors(),
                ..FileFacts::default()
            },
            statement_start: 0,
            names: Default::default(),
            scope_names: Vec::new(),
            declarations: Vec::new(),
            function_lists: Vec::new(),
            arg_stack: Vec::new(),
            made_conditional: Vec::new(),
        }
    }

    fn reserve_like(&mut self, previous: &FileFacts) {
        let facts = &mut self.facts;
        facts.scopes.reserve(previous.scopes.len());
        facts.bindings.reserve(previous.bindings.len());
        facts.exprs.reserve(previous.exprs.len());
        facts.expr_ranges.reserve(previous.expr_ranges.len());
        facts.expr_lists.reserve(previous.expr_lists.len());
        facts.calls.reserve(previous.calls.len());
        facts.call_args.reserve(previous.call_args.len());
        facts.functions.reserve(previous.functions.len());
        facts.string_data.reserve(previous.string_data.len());
        self.scope_names.reserve(previous.scopes.len());
        self.declarations.reserve(previous.scopes.len());
        self.function_lists.reserve(previous.functions.len());
    }

    /// Lowers every top-level statement (or replays it, see `reuse.rs`), then stores what is
    /// kept per scope and per function in the file's tables.
    fn lower_file(mut self, file: &ParsedFile, reuse: &mut Reuse) -> FileFacts {
        let module = self.new_scope(ScopeKind::Module, None);
        debug_assert_eq!(module, FileFacts::MODULE_SCOPE);
        let root = file.tree().root_node();
        let mut cursor = root.walk();
        let statements: Vec<Node> = code_children(root, &mut cursor).collect();
        for statement in statements {
            self.lower_top_level(statement, reuse);
        }
        self.relocate_declared_bindings();
        self.made_conditional.sort_unstable();
        reuse.keep_made_conditional(std::mem::take(&mut self.made_conditional));
        self.store_scope_names();
        self.store_declarations();
        self.store_function_lists();
        self.facts.shrink_to_fit();
        self.facts
    }

    /// The [`Name`] of `text` (see [`crate::intern`]); names repeat, so the file's own map answers
    /// most lookups without taking the shared table's lock.
    fn intern(&mut self, text: &str) -> Name {
        if let Some(&name) = self.names.get(text) {
            return name;
        }
        let name = crate::intern(text);
        self.names.insert(name.as_str(), name);
        name
    }

    /// Stores the items of a tuple, list or choice in the file's table.
    fn expr_list(&mut self, items: &[ExprId]) -> Span<ExprId> {
        Span::push_all(&mut self.facts.expr_lists, items.iter().copied())
    }

    fn string(&mut self, text: &str) -> Span<u8> {
        let start = self.facts.string_data.len();
        self.facts.string_data.push_str(text);
        Span::since(self.facts.string_data.as_bytes(), start)
    }

    fn node_text(&self, node: Node) -> &'a str {
        self.text.get(node.byte_range()).unwrap_or_default()
    }

    fn new_scope(&mut self, kind: ScopeKind, parent: Option<ScopeId>) -> ScopeId {
        let id = ScopeId(self.facts.scopes.len() as u32);
        self.scope_names.push(FxHashMap::default());
        self.declarations.push(Declarations::default());
        self.facts.scopes.push(Scope {
            kind,
            parent,
            names: Span::default(),
            globals: Span::default(),
            nonlocals: Span::default(),
        });
        id
    }

    fn add_import(&mut self, target: ImportTarget) -> ImportId {
        let id = ImportId(self.facts.imports.len() as u32);
        self.facts.imports.push(target);
        id
    }

    fn add_expr(&mut self, expr: Expr, range: TextRange) -> ExprId {
        let id = ExprId(self.facts.exprs.len() as u32);
        self.facts.exprs.push(expr);
        self.facts.expr_ranges.push(range);
        id
    }

    fn bind(&mut self, scope: ScopeId, name: &str, kind: BindingKind, site: BindingSite) {
        let id = BindingId(self.facts.bindings.len() as u32);
        let name = self.intern(name);
        self.facts.bindings.push(Binding {
            name,
            kind,
            origin: scope,
            offset: site.offset,
            range: site.range,
            unconditional: site.unconditional,
        });
        self.scope_names[scope.index()]
            .entry(name)
            .or_default()
            .push(id);
    }

    /// Stores the names bound in each scope in the file's tables, sorted by id (see [`ScopeNames`]).
    fn store_scope_names(&mut self) {
        let facts = &mut self.facts;
        for (scope, names) in facts
            .scopes
            .iter_mut()
            .zip(std::mem::take(&mut self.scope_names))
        {
            let mut names: Vec<(Name, NameBindings)> = names.into_iter().collect();
            names.sort_unstable_by_key(|(name, _)| name.id());
            let start = facts.scope_name_keys.len();
            for (name, bindings) in names {
                facts.scope_name_keys.extend(bindings.iter().map(|_| name));
                facts.scope_name_bindings.extend(bindings);
            }
            scope.names = Span::since(&facts.scope_name_keys, start);
        }
    }

    /// Stores each scope's `global` and `nonlocal` names in the file's table.
    fn store_declarations(&mut self) {
        let facts = &mut self.facts;
        for (scope, declared) in facts.scopes.iter_mut().zip(&self.declarations) {
            scope.globals =
                Span::push_all(&mut facts.declared_names, declared.globals.iter().copied());
            scope.nonlocals = Span::push_all(
                &mut facts.declared_names,
                declared.nonlocals.iter().copied(),
            );
        }
    }

    /// Stores each function's parameters, decorators and returns in the file's tables.
    fn store_function_lists(&mut self) {
        let facts = &mut self.facts;
        for (function, lists) in facts
            .functions
            .iter_mut()
            .zip(std::mem::take(&mut self.function_lists))
        {
            function.params = Span::push_all(&mut facts.params, lists.params);
            function.decorators = Span::push_all(&mut facts.expr_lists, lists.decorators);
            function.returns = Span::push_all(&mut facts.expr_lists, lists.returns);
        }
    }

    /// Moves bindings of names declared `global`/`nonlocal` in a scope to the scope they refer to.
    /// Done after lowering so the order of declarations and assignments does not matter.
    fn relocate_declared_bindings(&mut self) {
        for scope_index in 0..self.facts.scopes.len() {
            let declared: Vec<(Name, bool)> = {
                let scope = &self.declarations[scope_index];
                scope
                    .globals
                    .iter()
                    .map(|n| (*n, true))
                    .chain(scope.nonlocals.iter().map(|n| (*n, false)))
                    .collect()
            };
            for (name, is_global) in declared {
                let Some(moved) = self.scope_names[scope_index].remove(&name) else {
                    continue;
                };
                let target = if is_global {
                    Some(FileFacts::MODULE_SCOPE)
                } else {
                    self.enclosing_function_scope(ScopeId(scope_index as u32))
                };
                let Some(target) = target else { continue };
                for &binding in &moved {
                    // Another scope rebinds the name at a time we cannot know.
                    let binding_data = &mut self.facts.bindings[binding.index()];
                    if std::mem::replace(&mut binding_data.unconditional, false) {
                        self.made_conditional.push(binding);
                    }
                }
                let names = &mut self.scope_names[target.index()];
                let list = names.entry(name).or_default();
                list.extend(moved);
                let bindings = &self.facts.bindings;
                list.sort_by_key(|b| bindings[b.index()].offset);
            }
        }
    }

    fn enclosing_function_scope(&self, scope: ScopeId) -> Option<ScopeId> {
        let mut current = self.facts.scope(scope).parent?;
        loop {
            let data = self.facts.scope(current);
            if matches!(data.kind, ScopeKind::Function(_)) {
                return Some(current);
            }
            current = data.parent?;
        }
    }
}

/// Where a binding happens, see [`Binding`].
#[derive(Clone, Copy)]
struct BindingSite {
    offset: u32,
    range: TextRange,
    unconditional: bool,
}

fn range_of(node: Node) -> TextRange {
    TextRange::from(node.byte_range())
}

/// The named children of `node` other than comments: tree-sitter makes a comment a child of the
/// node it sits in (an argument list, an `except` clause...), and facts must not depend on comments.
fn code_children<'t, 'c>(
    node: Node<'t>,
    cursor: &'c mut brine_syntax::TreeCursor<'t>,
) -> impl Iterator<Item = Node<'t>> + 'c {
    node.named_children(cursor)
        .filter(|child| child.kind_name() != "comment")
}

/// The first named child of `node` that is not a comment.
fn first_code_child(node: Node) -> Option<Node> {
    let mut cursor = node.walk();
    let first = code_children(node, &mut cursor).next();
    first
}

/// The range of a statement or block without the comments it starts or ends with: tree-sitter
/// puts the comments after a block's last statement inside the block (and so inside the `def`
/// or `if` around it). Positions then depend on code only, which lets a comment typed at the end
/// of a function move nothing (see [`lower_moved`]).
///
/// The tree is walked only when the text shows that a comment may be at an edge: a comment
/// starts with `#` and runs to the end of its line, so a node that does not start with `#` does
/// not start with a comment, and one whose last line has no `#` before its end does not end with
/// one. Only statements, definitions and blocks without errors take these shortcuts, and an edge
/// on whitespace is walked too. (Finding the last leaf scans every level's children: a tenth of
/// lowering in files with long class bodies.)
fn code_range(node: Node, text: &str) -> TextRange {
    if !has_code_edges(node) {
        return TextRange::new(code_edge(node, false), code_edge(node, true));
    }
    let bytes = text.as_bytes();
    let (start, end) = (node.start_byte(), node.end_byte());
    // A node that spans whitespace around its code (as the module's does) is walked.
    let start = match bytes.get(start) {
        Some(first) if *first != b'#' && !first.is_ascii_whitespace() => start as u32,
        _ => code_edge(node, false),
    };
    let last_line = bytes.get(..end).map_or(&[][..], |before| {
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |newline| newline + 1);
        &before[line_start..]
    });
    let end = match last_line.last() {
        Some(last) if !last.is_ascii_whitespace() && memchr::memchr(b'#', last_line).is_none() => {
            end as u32
        }
        _ => code_edge(node, true),
    };
    TextRange::new(start, end)
}

/// True for statements and blocks, whose first and last leaves start and end where they do (an
/// `ERROR` node or a string's format specifier can hold text that no child covers).
fn has_code_edges(node: Node) -> bool {
    let kind = node.kind_name();
    !node.is_error()
        && !node.has_error()
        && (kind.ends_with("_statement") || kind.ends_with("_definition") || kind == "block")
}

/// The start (or end) of the first (or last) leaf of `node` that is not a comment, or of `node`
/// itself when it holds only comments.
fn code_edge(mut node: Node, end: bool) -> u32 {
    loop {
        let count = node.child_count();
        let edge_child = if end {
            count.checked_sub(1).and_then(|last| node.child(last))
        } else {
            node.child(0)
        };
        let Some(mut child) = edge_child else {
            break;
        };
        if child.kind_name() == "comment" {
            let mut cursor = node.walk();
            let mut code = node
                .children(&mut cursor)
                .filter(|c| c.kind_name() != "comment");
            let code = if end { code.last() } else { code.next() };
            match code {
                Some(code) => child = code,
                None => break,
            }
        }
        node = child;
    }
    (if end {
        node.end_byte()
    } else {
        node.start_byte()
    }) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text shortcuts of `code_range` must agree with walking the tree, for every node
    /// of tricky snippets and of the demo workspace.
    #[test]
    fn code_range_shortcuts_agree_with_the_tree() {
        let snippets = [
            "def f():\n    x = 1\n    # trailing\n\nclass C:\n    def g(self):\n        return '#'  # note\n    # end\n",
            "if a:\n    b = '#'\nelse:\n    # only a comment\n    pass\n",
            "x = [1,  # one\n     2]\n# last\n",
            "def broken(:\n    y = f(  # open\n",
            "#!/usr/bin/env python\n# header\nimport os\n",
            "s = \"\"\"\n# not a comment\n\"\"\"\nt = 1 # c\n",
            "",
        ];
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/demo");
        let mut texts: Vec<String> = snippets.iter().map(|s| s.to_string()).collect();
        // BRINE_CODE_RANGE_CORPUS=<folder> checks a corpus too.
        let mut folders = vec![std::path::PathBuf::from(demo)];
        folders.extend(std::env::var_os("BRINE_CODE_RANGE_CORPUS").map(std::path::PathBuf::from));
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|ext| ext == "py") {
                    texts.push(std::fs::read_to_string(path).unwrap_or_default());
                }
            }
        }
        for text in texts {
            let parsed = ParsedFile::parse(text.clone());
            let mut stack = vec![parsed.tree().root_node()];
            while let Some(node) = stack.pop() {
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
                if !has_code_edges(node) {
                    continue;
                }
                let walked = TextRange::new(code_edge(node, false), code_edge(node, true));
                assert_eq!(
                    code_range(node, &text),
                    walked,
                    "{} at {:?} in {text:?}",
                    node.kind_name(),
                    node.byte_range()
                );
            }
        }
    }
}
