//! Statement lowering: bindings (imports, assignments, definitions, loop and `with` targets),
//! scopes for functions and classes, returns, and `global`/`nonlocal` declarations.

use brine_syntax::{field, Field, Node, NodeKind};

use super::reuse::Reuse;
use super::{code_children, code_range, first_code_child, range_of, BindingSite, Lowerer};
use crate::facts::*;

/// A statement waiting to be lowered, with the scope it runs in.
pub(super) struct Work<'t> {
    pub(super) node: Node<'t>,
    pub(super) scope: ScopeId,
    /// True inside `if`/`for`/`while`/`try`/`match` bodies.
    conditional: bool,
    /// True for a statement of the body of a class defined at module level: its facts are a
    /// chunk of their own, which a later lowering can copy (see `reuse.rs`).
    pub(super) class_member: bool,
}

/// What a binding target receives; see [`Lowerer::bind_target`].
#[derive(Clone, Copy)]
enum TargetSource {
    Value(ExprId),
    Element { value: ExprId, index: u32 },
    Iteration(ExprId),
    With(ExprId),
    Augmented(ExprId),
    Unknown,
}

/// Nesting of unpacking targets (`(a, (b, (c, ...)))`) beyond which targets are ignored.
const MAX_TARGET_DEPTH: u32 = 32;

fn push_block<'t>(stack: &mut Vec<Work<'t>>, block: Node<'t>, scope: ScopeId, conditional: bool) {
    push_statements(stack, block, scope, conditional, false);
}

fn push_statements<'t>(
    stack: &mut Vec<Work<'t>>,
    block: Node<'t>,
    scope: ScopeId,
    conditional: bool,
    class_member: bool,
) {
    let mut cursor = block.walk();
    let children: Vec<Node<'t>> = code_children(block, &mut cursor).collect();
    stack.extend(children.into_iter().rev().map(|node| Work {
        node,
        scope,
        conditional,
        class_member,
    }));
}

fn is_statement_kind(kind: &str) -> bool {
    kind.ends_with("_statement")
        || kind.ends_with("_clause")
        || matches!(
            kind,
            "function_definition" | "class_definition" | "decorated_definition" | "block" | "ERROR"
        )
}

impl<'a> Lowerer<'a> {
    /// Lowers one top-level statement of the module and everything nested in it. With `reuse`,
    /// the statements of a class body are chunks of their own (see `reuse.rs`).
    pub(super) fn lower_statement_tree(&mut self, statement: Node, mut reuse: Option<&mut Reuse>) {
        let mut stack = vec![Work {
            node: statement,
            scope: FileFacts::MODULE_SCOPE,
            conditional: false,
            class_member: false,
        }];
        while let Some(work) = stack.pop() {
            match reuse.as_deref_mut() {
                Some(reuse) if work.class_member => {
                    self.lower_class_member(work, &mut stack, reuse)
                }
                _ => self.lower_statement(work, &mut stack),
            }
        }
    }

    /// Lowers `work` and everything it pushes onto `stack`, and nothing else.
    pub(super) fn lower_statement_fully<'t>(&mut self, work: Work<'t>, stack: &mut Vec<Work<'t>>) {
        let depth = stack.len();
        self.lower_statement(work, stack);
        while stack.len() > depth {
            let Some(nested) = stack.pop() else { break };
            self.lower_statement(nested, stack);
        }
    }

    fn lower_statement<'t>(&mut self, work: Work<'t>, stack: &mut Vec<Work<'t>>) {
        let Work {
            node,
            scope,
            conditional,
            ..
        } = work;
        if node.kind_name() != "block" {
            self.statement_start = node.start_byte() as u32;
        }
        let range = code_range(node, self.text);
        let site = BindingSite {
            offset: range.end,
            range,
            unconditional: !conditional,
        };
        let mut cursor = node.walk();
        match node.kind_name() {
            "pass_statement"
            | "break_statement"
            | "continue_statement"
            | "future_import_statement"
            | "type_alias_statement" => {}
            "expression_statement" => {
                for child in code_children(node, &mut cursor) {
                    match child.kind_name() {
                        "assignment" => self.lower_assignment(child, scope, site),
                        "augmented_assignment" => self.lower_augmented(child, scope, site),
                        // Docstrings and other bare strings do nothing; keeping them would hold
                        // a copy of every docstring (a quarter of transformers' text).
                        _ if is_plain_string(child) => {}
                        _ => {
                            self.lower_expr(child, scope, 0);
                        }
                    }
                }
            }
            "import_statement" => self.lower_import(node, scope, site),
            "import_from_statement" => self.lower_import_from(node, scope, site),
            "function_definition" => self.lower_function(node, Vec::new(), scope, site, stack),
            "class_definition" => self.lower_class(node, scope, site, stack),
            "decorated_definition" => {
                let decorators: Vec<ExprId> = code_children(node, &mut cursor)
                    .filter(|child| child.kind_name() == "decorator")
                    .filter_map(|decorator| first_code_child(decorator))
                    .map(|expr| self.lower_expr(expr, scope, 0))
                    .collect();
                if let Some(definition) = field(node, Field::Definition) {
                    match definition.kind_name() {
                        "function_definition" => {
                            self.lower_function(definition, decorators, scope, site, stack)
                        }
                        _ => self.lower_class(definition, scope, site, stack),
                    }
                }
            }
            "for_statement" => {
                let iterated =
                    field(node, Field::Right).map(|right| self.lower_expr(right, scope, 0));
                if let Some(left) = field(node, Field::Left) {
                    let source = iterated.map_or(TargetSource::Unknown, TargetSource::Iteration);
                    let loop_site = BindingSite {
                        unconditional: false,
                        offset: node.start_byte() as u32,
                        ..site
                    };
                    self.bind_target(left, source, scope, loop_site, 0);
                }
                self.push_bodies(node, scope, stack);
            }
            "with_statement" => {
                for child in code_children(node, &mut cursor) {
                    if child.kind_name() == "with_clause" {
                        // The names are bound before the body runs.
                        let clause_site = BindingSite {
                            offset: child.end_byte() as u32,
                            ..site
                        };
                        self.lower_with_clause(child, scope, clause_site);
                    }
                }
                if let Some(body) = field(node, Field::Body) {
                    push_block(stack, body, scope, conditional);
                }
            }
            "return_statement" => {
                if let Some(value) = first_code_child(node) {
                    let value = self.lower_expr(value, scope, 0);
                    if let ScopeKind::Function(function) = self.facts.scope(scope).kind {
                        self.function_lists[function.index()].returns.push(value);
                    }
                }
            }
            "global_statement" | "nonlocal_statement" => {
                let texts: Vec<&str> = code_children(node, &mut cursor)
                    .filter(|child| child.kind_name() == "identifier")
                    .map(|child| self.node_text(child))
                    .collect();
                let names: Vec<Name> = texts.into_iter().map(|text| self.intern(text)).collect();
                let declared = &mut self.declarations[scope.index()];
                if node.kind_name() == "global_statement" {
                    declared.globals.extend(names);
                } else {
                    declared.nonlocals.extend(names);
                }
            }
            "except_clause" | "except_group_clause" => {
                let alias = field(node, Field::Alias);
                let site = BindingSite {
                    offset: node.start_byte() as u32,
                    ..site
                };
                for child in code_children(node, &mut cursor) {
                    match child.kind_name() {
                        "block" => push_block(stack, child, scope, true),
                        "as_pattern" => {
                            if let Some(value) = first_code_child(child) {
                                self.lower_expr(value, scope, 0);
                            }
                            if let Some(target) = field(child, Field::Alias) {
                                self.bind_target(target, TargetSource::Unknown, scope, site, 0);
                            }
                        }
                        _ if Some(child) == alias => {
                            self.bind_target(child, TargetSource::Unknown, scope, site, 0);
                        }
                        _ => {
                            self.lower_expr(child, scope, 0);
                        }
                    }
                }
            }
            "if_statement" | "elif_clause" | "while_statement" | "try_statement"
            | "else_clause" | "finally_clause" | "match_statement" | "case_clause" => {
                if matches!(node.kind_name(), "if_statement" | "elif_clause") {
                    self.record_verification(node, scope);
                }
                let mut nested = Vec::new();
                for child in code_children(node, &mut cursor) {
                    match child.kind_name() {
                        "block" => push_block(&mut nested, child, scope, true),
                        "case_pattern" => {}
                        kind if is_statement_kind(kind) => nested.push(Work {
                            node: child,
                            scope,
                            conditional: true,
                            class_member: false,
                        }),
                        _ => {
                            self.lower_expr(child, scope, 0);
                        }
                    }
                }
                // `push_block` reversed each block; restore source order, then reverse once for the stack.
                nested = in_source_order(nested);
                stack.extend(nested.into_iter().rev());
            }
            "block" => push_block(stack, node, scope, conditional),
            "assert_statement" => {
                self.record_verification(node, scope);
                for child in code_children(node, &mut cursor) {
                    self.lower_expr(child, scope, 0);
                }
            }
            // `ERROR` nodes of half-typed code and anything unforeseen: keep every statement and call.
            _ => {
                let children: Vec<Node<'t>> = code_children(node, &mut cursor).collect();
                for child in children.into_iter().rev() {
                    if is_statement_kind(child.kind_name()) {
                        stack.push(Work {
                            node: child,
                            scope,
                            conditional,
                            class_member: false,
                        });
                    }
                }
                let mut cursor = node.walk();
                for child in code_children(node, &mut cursor) {
                    if !is_statement_kind(child.kind_name()) {
                        match child.kind_name() {
                            "assignment" => self.lower_assignment(child, scope, site),
                            _ => {
                                self.lower_expr(child, scope, 0);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Pushes the body and `else` of a `for` loop, in source order.
    fn push_bodies<'t>(&mut self, node: Node<'t>, scope: ScopeId, stack: &mut Vec<Work<'t>>) {
        if let Some(alternative) = field(node, Field::Alternative) {
            stack.push(Work {
                node: alternative,
                scope,
                conditional: true,
                class_member: false,
            });
        }
        if let Some(body) = field(node, Field::Body) {
            push_block(stack, body, scope, true);
        }
    }

    fn lower_assignment(&mut self, node: Node, scope: ScopeId, site: BindingSite) {
        let mut targets = Vec::new();
        let mut current = node;
        let value = loop {
            if let Some(left) = field(current, Field::Left) {
                targets.push(left);
            }
            match field(current, Field::Right) {
                Some(right) if right.kind_name() == "assignment" => current = right,
                Some(right) => break Some(self.lower_expr(right, scope, 0)),
                // `x: int` annotates without binding.
                None => break None,
            }
        };
        let Some(value) = value else { return };
        for target in targets {
            self.bind_target(target, TargetSource::Value(value), scope, site, 0);
        }
    }

    fn lower_augmented(&mut self, node: Node, scope: ScopeId, site: BindingSite) {
        let value = field(node, Field::Right).map(|right| self.lower_expr(right, scope, 0));
        if let Some(left) = field(node, Field::Left) {
            let source = value.map_or(TargetSource::Unknown, TargetSource::Augmented);
            self.bind_target(left, source, scope, site, 0);
        }
    }

    fn lower_with_clause(&mut self, clause: Node, scope: ScopeId, site: BindingSite) {
        let mut cursor = clause.walk();
        for item in code_children(clause, &mut cursor) {
            let Some(value) = field(item, Field::Value) else {
                continue;
            };
            if value.kind_name() == "as_pattern" {
                let context = value
                    .named_child(0)
                    .map(|expr| self.lower_expr(expr, scope, 0));
                if let Some(target) = field(value, Field::Alias) {
                    let target = if target.kind_name() == "as_pattern_target" {
                        first_code_child(target).unwrap_or(target)
                    } else {
                        target
                    };
                    let source = context.map_or(TargetSource::Unknown, TargetSource::With);
                    self.bind_target(target, source, scope, site, 0);
                }
            } else {
                self.lower_expr(value, scope, 0);
            }
        }
    }

    fn bind_target(
        &mut self,
        target: Node,
        source: TargetSource,
        scope: ScopeId,
        site: BindingSite,
        depth: u32,
    ) {
        if depth > MAX_TARGET_DEPTH {
            return;
        }
        let site = BindingSite {
            range: range_of(target),
            ..site
        };
        match target.kind_name() {
            "identifier" => {
                let kind = match source {
                    TargetSource::Value(value) => BindingKind::Value(value),
                    TargetSource::Element { value, index } => {
                        BindingKind::Unpacked { value, index }
                    }
                    TargetSource::Iteration(value) => BindingKind::Iteration(value),
                    TargetSource::With(value) => BindingKind::With(value),
                    TargetSource::Augmented(value) => BindingKind::Augmented(value),
                    TargetSource::Unknown => BindingKind::Unknown,
                };
                let name = self.node_text(target);
                self.bind(scope, name, kind, site);
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list"
            | "expression_list" => {
                let mut cursor = target.walk();
                let elements: Vec<Node> = code_children(target, &mut cursor).collect();
                for (index, element) in elements.into_iter().enumerate() {
                    let element_source = match source {
                        TargetSource::Value(value) => TargetSource::Element {
                            value,
                            index: index as u32,
                        },
                        _ => TargetSource::Unknown,
                    };
                    self.bind_target(element, element_source, scope, site, depth + 1);
                }
            }
            "parenthesized_expression" | "list_splat_pattern" | "list_splat" => {
                if let Some(inner) = first_code_child(target) {
                    let inner_source = if target.kind_name() == "parenthesized_expression" {
                        source
                    } else {
                        TargetSource::Unknown
                    };
                    self.bind_target(inner, inner_source, scope, site, depth + 1);
                }
            }
            "attribute" => {
                let object =
                    field(target, Field::Object).map(|object| self.lower_expr(object, scope, 0));
                let attr = field(target, Field::Attribute);
                if let (Some(object), Some(attr), TargetSource::Value(value)) =
                    (object, attr, source)
                {
                    let attr = self.intern(self.node_text(attr));
                    self.facts.attribute_writes.push(AttributeWrite {
                        object,
                        attr,
                        value,
                        scope,
                        offset: site.offset,
                    });
                }
            }
            _ => {
                self.lower_expr(target, scope, 0);
            }
        }
    }

    fn lower_import(&mut self, node: Node, scope: ScopeId, site: BindingSite) {
        let mut cursor = node.walk();
        for child in node.children_by_field_id(Field::Name.id(), &mut cursor) {
            match child.kind_name() {
                "dotted_name" => {
                    let path = self.node_text(child);
                    let top = path.split('.').next().unwrap_or(path).trim();
                    let target = ImportTarget {
                        level: 0,
                        module: self.intern(top),
                        member: None,
                    };
                    let import = self.add_import(target);
                    self.bind(scope, top, BindingKind::Import(import), site);
                }
                "aliased_import" => {
                    let (Some(name), Some(alias)) =
                        (field(child, Field::Name), field(child, Field::Alias))
                    else {
                        continue;
                    };
                    let module = dotted(self.node_text(name));
                    let target = ImportTarget {
                        level: 0,
                        module: self.intern(&module),
                        member: None,
                    };
                    let alias = self.node_text(alias);
                    let import = self.add_import(target);
                    self.bind(scope, alias, BindingKind::Import(import), site);
                }
                _ => {}
            }
        }
    }

    fn lower_import_from(&mut self, node: Node, scope: ScopeId, site: BindingSite) {
        let Some(module_node) = field(node, Field::ModuleName) else {
            return;
        };
        let (level, module) = if module_node.kind_name() == "relative_import" {
            let text = self.node_text(module_node);
            let level = text.chars().take_while(|&c| c == '.').count() as u32;
            (level, dotted(text.trim_start_matches('.')))
        } else {
            (0, dotted(self.node_text(module_node)))
        };
        let module = self.intern(&module);
        let mut cursor = node.walk();
        let is_star =
            code_children(node, &mut cursor).any(|child| child.kind_name() == "wildcard_import");
        if is_star {
            if scope == FileFacts::MODULE_SCOPE {
                self.facts.star_imports.push(ImportTarget {
                    level,
                    module,
                    member: None,
                });
            }
            return;
        }
        let mut cursor = node.walk();
        for child in node.children_by_field_id(Field::Name.id(), &mut cursor) {
            let (name, alias) = match child.kind_name() {
                "aliased_import" => (field(child, Field::Name), field(child, Field::Alias)),
                _ => (Some(child), Some(child)),
            };
            let (Some(name), Some(alias)) = (name, alias) else {
                continue;
            };
            let target = ImportTarget {
                level,
                module,
                member: Some(self.intern(&dotted(self.node_text(name)))),
            };
            let alias = self.node_text(alias);
            let import = self.add_import(target);
            self.bind(scope, alias, BindingKind::Import(import), site);
        }
    }

    fn lower_function<'t>(
        &mut self,
        node: Node<'t>,
        decorators: Vec<ExprId>,
        scope: ScopeId,
        site: BindingSite,
        stack: &mut Vec<Work<'t>>,
    ) {
        let name_node = field(node, Field::Name);
        let name: Name = self.intern(name_node.map_or("", |n| self.node_text(n)));
        let is_async = node
            .child(0)
            .is_some_and(|first| first.kind_name() == "async");
        let function = self.new_function(
            name,
            scope,
            decorators,
            is_async,
            name_node.map_or(range_of(node), range_of),
        );
        if let Some(parameters) = field(node, Field::Parameters) {
            self.lower_parameters(parameters, function, scope);
        }
        if !name.is_empty() {
            self.bind(scope, &name, BindingKind::Function(function), site);
        }
        if let Some(body) = field(node, Field::Body) {
            let body_scope = self.facts.function(function).scope;
            push_block(stack, body, body_scope, false);
        }
    }

    fn lower_class<'t>(
        &mut self,
        node: Node<'t>,
        scope: ScopeId,
        site: BindingSite,
        stack: &mut Vec<Work<'t>>,
    ) {
        let name_node = field(node, Field::Name);
        let name: Name = self.intern(name_node.map_or("", |n| self.node_text(n)));
        let mut bases = Vec::new();
        if let Some(superclasses) = field(node, Field::Superclasses) {
            let mut cursor = superclasses.walk();
            for base in code_children(superclasses, &mut cursor) {
                match base.kind_name() {
                    "keyword_argument" => {}
                    _ => bases.push(self.lower_expr(base, scope, 0)),
                }
            }
        }
        let class = ClassId(self.facts.classes.len() as u32);
        let body_scope = self.new_scope(ScopeKind::Class(class), Some(scope));
        self.facts.classes.push(Class {
            name,
            scope: body_scope,
            parent_scope: scope,
            bases,
            name_range: name_node.map_or(range_of(node), range_of),
        });
        if !name.is_empty() {
            self.bind(scope, &name, BindingKind::Class(class), site);
        }
        if let Some(body) = field(node, Field::Body) {
            let module_level = scope == FileFacts::MODULE_SCOPE;
            push_statements(stack, body, body_scope, false, module_level);
        }
    }
}

fn in_source_order(mut work: Vec<Work>) -> Vec<Work> {
    work.sort_by_key(|item| item.node.start_byte());
    work
}

/// A dotted name with the whitespace and comments tree-sitter allows inside it removed.
fn dotted(text: &str) -> String {
    text.split('.').map(str::trim).collect::<Vec<_>>().join(".")
}

/// A string literal (or concatenation of them) without interpolations: evaluating it has no effect.
fn is_plain_string(node: Node) -> bool {
    let mut cursor = node.walk();
    match node.kind_name() {
        "string" => !node
            .children(&mut cursor)
            .any(|child| child.kind_name() == "interpolation"),
        "concatenated_string" => code_children(node, &mut cursor).all(is_plain_string),
        _ => false,
    }
}
