//! Expression lowering: names, attributes, calls with their arguments, literals and the few
//! operators that matter for resolving values (concatenation, choices, containers).

use brine_syntax::{field, Field, Node, NodeKind, TextRange};

use super::{
    code_children, first_code_child, range_of, BindingSite, FunctionLists, Lowerer, MAX_EXPR_DEPTH,
};
use crate::facts::*;

impl<'a> Lowerer<'a> {
    /// Lowers an expression and every call inside it. Beyond [`MAX_EXPR_DEPTH`] the rest of the
    /// expression is [`Expr::Unknown`], which bounds native stack use on hostile input.
    pub(super) fn lower_expr(&mut self, node: Node, scope: ScopeId, depth: u32) -> ExprId {
        let range = range_of(node);
        if depth > MAX_EXPR_DEPTH {
            self.facts.depth_limited = true;
            return self.add_expr(Expr::Unknown, range);
        }
        let depth = depth + 1;
        let expr = match node.kind_name() {
            "identifier" => Expr::Name {
                name: self.intern(self.node_text(node)),
                scope,
            },
            "attribute" => {
                let object = match field(node, Field::Object) {
                    Some(object) => self.lower_expr(object, scope, depth),
                    None => self.add_expr(Expr::Unknown, range),
                };
                match field(node, Field::Attribute) {
                    Some(attr) => Expr::Attribute {
                        object,
                        attr: self.intern(self.node_text(attr)),
                    },
                    None => Expr::Unknown,
                }
            }
            "call" => self.lower_call(node, scope, depth),
            "string" => self.lower_string(node, scope, depth),
            "concatenated_string" => self.lower_concatenated_string(node, scope, depth),
            "integer" => {
                parse_int(self.node_text(node)).map_or(Expr::Float, |value| Expr::Int(value.into()))
            }
            "float" => Expr::Float,
            "true" => Expr::Bool(true),
            "false" => Expr::Bool(false),
            "none" => Expr::NoneLit,
            // An annotation's `type` node wraps the annotation expression.
            "type" | "parenthesized_expression" => {
                return match first_code_child(node) {
                    Some(inner) => self.lower_expr(inner, scope, depth),
                    None => self.add_expr(Expr::Unknown, range),
                };
            }
            "binary_operator" => {
                let op = match field(node, Field::Operator).map(|op| op.kind_name()) {
                    Some("+") => BinOp::Add,
                    Some("%") => BinOp::Mod,
                    Some("/") => BinOp::Div,
                    _ => BinOp::Other,
                };
                let left = self.lower_field(node, Field::Left, scope, depth);
                let right = self.lower_field(node, Field::Right, scope, depth);
                Expr::BinOp { op, left, right }
            }
            "boolean_operator" => {
                let left = self.lower_field(node, Field::Left, scope, depth);
                let right = self.lower_field(node, Field::Right, scope, depth);
                Expr::Choice(self.expr_list(&[left, right]))
            }
            "conditional_expression" => {
                let parts = self.lower_children(node, scope, depth);
                // `body if condition else alternative`: the condition is not a possible value.
                match parts.as_slice() {
                    [body, _condition, alternative] => {
                        Expr::Choice(self.expr_list(&[*body, *alternative]))
                    }
                    _ => Expr::Choice(self.expr_list(&parts)),
                }
            }
            "not_operator" => Expr::Not(self.lower_field(node, Field::Argument, scope, depth)),
            "tuple" | "expression_list" => {
                let items = self.lower_children(node, scope, depth);
                Expr::Tuple(self.expr_list(&items))
            }
            "list" | "set" => {
                let items = self.lower_children(node, scope, depth);
                Expr::List(self.expr_list(&items))
            }
            "dictionary" => self.lower_dictionary(node, scope, depth),
            "subscript" => {
                let object = self.lower_field(node, Field::Value, scope, depth);
                let index = self.lower_field(node, Field::Subscript, scope, depth);
                Expr::Subscript { object, index }
            }
            "await" => match first_code_child(node) {
                Some(inner) => Expr::Await(self.lower_expr(inner, scope, depth)),
                None => Expr::Unknown,
            },
            "list_splat" | "dictionary_splat" => match first_code_child(node) {
                Some(inner) => Expr::Starred(self.lower_expr(inner, scope, depth)),
                None => Expr::Unknown,
            },
            "named_expression" => {
                let value = self.lower_field(node, Field::Value, scope, depth);
                if let Some(name) = field(node, Field::Name) {
                    let site = BindingSite {
                        offset: node.end_byte() as u32,
                        range: range_of(name),
                        unconditional: false,
                    };
                    let name = self.node_text(name);
                    self.bind(scope, name, BindingKind::Value(value), site);
                }
                Expr::Walrus(value)
            }
            "lambda" => self.lower_lambda(node, scope, depth),
            "list_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "dictionary_comprehension" => self.lower_comprehension(node, scope, depth),
            // Everything else (comparisons, unary operators, slices, ...) has no value brine can use,
            // but calls inside it still count.
            _ => {
                self.lower_children(node, scope, depth);
                Expr::Unknown
            }
        };
        self.add_expr(expr, range)
    }

    fn lower_field(&mut self, node: Node, name: Field, scope: ScopeId, depth: u32) -> ExprId {
        match field(node, name) {
            Some(child) => self.lower_expr(child, scope, depth),
            None => self.add_expr(Expr::Unknown, range_of(node)),
        }
    }

    fn lower_children(&mut self, node: Node, scope: ScopeId, depth: u32) -> Vec<ExprId> {
        let mut cursor = node.walk();
        let children: Vec<Node> = code_children(node, &mut cursor).collect();
        children
            .into_iter()
            .map(|child| self.lower_expr(child, scope, depth))
            .collect()
    }

    fn lower_call(&mut self, node: Node, scope: ScopeId, depth: u32) -> Expr {
        let callee = self.lower_field(node, Field::Function, scope, depth);
        let statement_start = self.statement_start;
        // Arguments gather on a stack shared by nested calls (whose arguments are lowered in between)
        // and then move, in one run, to the file's table of arguments.
        let args_start = self.arg_stack.len();
        let mut trailing_comma = false;
        let args_range = match field(node, Field::Arguments) {
            Some(arguments) if arguments.kind_name() == "argument_list" => {
                let mut cursor = arguments.walk();
                let children: Vec<Node> = arguments.children(&mut cursor).collect();
                for child in &children {
                    if let Some(arg) = self.lower_argument(*child, scope, depth) {
                        self.arg_stack.push(arg);
                    }
                }
                trailing_comma = children
                    .iter()
                    .rev()
                    .find(|child| !matches!(child.kind_name(), ")" | "comment"))
                    .is_some_and(|child| child.kind_name() == ",");
                range_of(arguments)
            }
            // `f(x for x in y)`: a generator is the only argument.
            Some(generator) => {
                let value = self.lower_expr(generator, scope, depth);
                self.arg_stack.push(Arg {
                    kind: ArgKind::Positional,
                    value,
                    range: range_of(generator),
                });
                range_of(generator)
            }
            None => TextRange::empty(node.end_byte() as u32),
        };
        let call = CallId(self.facts.calls.len() as u32);
        let args = Span::push_all(
            &mut self.facts.call_args,
            self.arg_stack.drain(args_start..),
        );
        self.facts.calls.push(Call {
            callee,
            args,
            scope,
            range: range_of(node),
            args_range,
            trailing_comma,
            statement_start,
        });
        Expr::Call(call)
    }

    fn lower_argument(&mut self, child: Node, scope: ScopeId, depth: u32) -> Option<Arg> {
        if !child.is_named() || child.kind_name() == "comment" {
            return None;
        }
        let range = range_of(child);
        let (kind, value) = match child.kind_name() {
            "keyword_argument" => {
                let name = field(child, Field::Name)?;
                let name = self.intern(self.node_text(name));
                let value = self.lower_field(child, Field::Value, scope, depth);
                (ArgKind::Keyword(name), value)
            }
            "list_splat" | "dictionary_splat" => {
                let kind = if child.kind_name() == "list_splat" {
                    ArgKind::Star
                } else {
                    ArgKind::DoubleStar
                };
                let value = match first_code_child(child) {
                    Some(inner) => self.lower_expr(inner, scope, depth),
                    None => self.add_expr(Expr::Unknown, range),
                };
                (kind, value)
            }
            _ => (ArgKind::Positional, self.lower_expr(child, scope, depth)),
        };
        Some(Arg { kind, value, range })
    }

    fn lower_string(&mut self, node: Node, scope: ScopeId, depth: u32) -> Expr {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut is_bytes = false;
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            match child.kind_name() {
                "string_start" => {
                    let prefix = self.node_text(child);
                    is_bytes = prefix.contains(['b', 'B']);
                }
                "string_content" | "escape_sequence" => literal.push_str(self.node_text(child)),
                "interpolation" => {
                    if !literal.is_empty() {
                        parts.push(FStringPart::Literal(std::mem::take(&mut literal).into()));
                    }
                    let value = self.lower_field(child, Field::Expression, scope, depth);
                    parts.push(FStringPart::Interpolation(value));
                }
                _ => {}
            }
        }
        if is_bytes {
            Expr::Bytes
        } else if parts.is_empty() {
            Expr::Str(self.string(&literal))
        } else {
            if !literal.is_empty() {
                parts.push(FStringPart::Literal(literal.into()));
            }
            Expr::FString(Span::push_all(&mut self.facts.fstring_parts, parts))
        }
    }

    /// `"a" "b"` and `"a" f"{b}"`: one string (or f-string) made of the pieces.
    fn lower_concatenated_string(&mut self, node: Node, scope: ScopeId, depth: u32) -> Expr {
        let pieces = self.lower_children(node, scope, depth);
        let mut parts = Vec::new();
        for piece in pieces {
            match *self.facts.expr(piece) {
                Expr::Str(text) => parts.push(FStringPart::Literal(self.facts.string(text).into())),
                Expr::FString(more) => parts.extend_from_slice(self.facts.fstring(more)),
                _ => return Expr::Bytes,
            }
        }
        if parts
            .iter()
            .all(|part| matches!(part, FStringPart::Literal(_)))
        {
            let joined: String = parts
                .iter()
                .map(|part| match part {
                    FStringPart::Literal(text) => &**text,
                    FStringPart::Interpolation(_) => "",
                })
                .collect();
            Expr::Str(self.string(&joined))
        } else {
            Expr::FString(Span::push_all(&mut self.facts.fstring_parts, parts))
        }
    }

    fn lower_dictionary(&mut self, node: Node, scope: ScopeId, depth: u32) -> Expr {
        let mut entries = Vec::new();
        let mut cursor = node.walk();
        let children: Vec<Node> = code_children(node, &mut cursor).collect();
        for child in children {
            match child.kind_name() {
                "pair" => {
                    let key = self.lower_field(child, Field::Key, scope, depth);
                    let value = self.lower_field(child, Field::Value, scope, depth);
                    entries.push((Some(key), value));
                }
                "dictionary_splat" => {
                    let value = match first_code_child(child) {
                        Some(inner) => self.lower_expr(inner, scope, depth),
                        None => self.add_expr(Expr::Unknown, range_of(child)),
                    };
                    entries.push((None, value));
                }
                _ => {
                    self.lower_expr(child, scope, depth);
                }
            }
        }
        Expr::Dict(Span::push_all(&mut self.facts.dict_entries, entries))
    }

    fn lower_lambda(&mut self, node: Node, scope: ScopeId, depth: u32) -> Expr {
        let function = self.new_function(
            "<lambda>".into(),
            scope,
            Vec::new(),
            false,
            TextRange::new(node.start_byte() as u32, node.start_byte() as u32 + 6),
        );
        if let Some(parameters) = field(node, Field::Parameters) {
            self.lower_parameters(parameters, function, scope);
        }
        let body_scope = self.facts.function(function).scope;
        let body = self.lower_field(node, Field::Body, body_scope, depth);
        self.function_lists[function.index()].returns.push(body);
        Expr::Lambda(function)
    }

    /// Comprehensions get their own scope; the loop variables are bound in it. The value is a list of
    /// the element expression, which is enough to carry taint through `[x for x in data]`.
    fn lower_comprehension(&mut self, node: Node, scope: ScopeId, depth: u32) -> Expr {
        let inner = self.new_scope(ScopeKind::Comprehension, Some(scope));
        let mut cursor = node.walk();
        let children: Vec<Node> = code_children(node, &mut cursor).collect();
        let mut element = None;
        for child in children {
            match child.kind_name() {
                "for_in_clause" => {
                    let iterated = self.lower_field(child, Field::Right, inner, depth);
                    if let Some(left) = field(child, Field::Left) {
                        self.bind_comprehension_target(left, iterated, inner);
                    }
                }
                "if_clause" => {
                    self.lower_children(child, inner, depth);
                }
                "pair" => {
                    self.lower_field(child, Field::Key, inner, depth);
                    element = Some(self.lower_field(child, Field::Value, inner, depth));
                }
                _ => element = Some(self.lower_expr(child, inner, depth)),
            }
        }
        let element: Vec<ExprId> = element.into_iter().collect();
        Expr::List(self.expr_list(&element))
    }

    fn bind_comprehension_target(&mut self, target: Node, iterated: ExprId, scope: ScopeId) {
        let mut stack = vec![target];
        while let Some(node) = stack.pop() {
            if node.kind_name() == "identifier" {
                let site = BindingSite {
                    offset: node.start_byte() as u32,
                    range: range_of(node),
                    unconditional: false,
                };
                let name = self.node_text(node);
                self.bind(scope, name, BindingKind::Iteration(iterated), site);
            } else {
                let mut cursor = node.walk();
                stack.extend(code_children(node, &mut cursor));
            }
        }
    }

    pub(super) fn new_function(
        &mut self,
        name: Name,
        parent_scope: ScopeId,
        decorators: Vec<ExprId>,
        is_async: bool,
        name_range: TextRange,
    ) -> FunctionId {
        let function = FunctionId(self.facts.functions.len() as u32);
        let scope = self.new_scope(ScopeKind::Function(function), Some(parent_scope));
        let class = match self.facts.scope(parent_scope).kind {
            ScopeKind::Class(class) => Some(class),
            _ => None,
        };
        self.function_lists.push(FunctionLists {
            decorators,
            ..FunctionLists::default()
        });
        self.facts.functions.push(Function {
            name,
            scope,
            parent_scope,
            params: Span::default(),
            class,
            decorators: Span::default(),
            returns: Span::default(),
            is_async,
            name_range,
        });
        function
    }

    /// Records parameters (defaults are evaluated in the enclosing scope) and binds them in the
    /// function's own scope.
    pub(super) fn lower_parameters(
        &mut self,
        parameters: Node,
        function: FunctionId,
        outer: ScopeId,
    ) {
        let body_scope = self.facts.function(function).scope;
        let mut keyword_only = false;
        let mut cursor = parameters.walk();
        let children: Vec<Node> = code_children(parameters, &mut cursor).collect();
        for child in children {
            let annotation = field(child, Field::Type);
            let (name_node, default, kind) = match child.kind_name() {
                "identifier" => (Some(child), None, None),
                "default_parameter" | "typed_default_parameter" => {
                    (field(child, Field::Name), field(child, Field::Value), None)
                }
                "typed_parameter" => match first_code_child(child) {
                    Some(inner) if inner.kind_name() == "list_splat_pattern" => {
                        (first_code_child(inner), None, Some(ParamKind::VarArgs))
                    }
                    Some(inner) if inner.kind_name() == "dictionary_splat_pattern" => {
                        (first_code_child(inner), None, Some(ParamKind::VarKeywords))
                    }
                    inner => (inner, None, None),
                },
                "list_splat_pattern" => (first_code_child(child), None, Some(ParamKind::VarArgs)),
                "dictionary_splat_pattern" => {
                    (first_code_child(child), None, Some(ParamKind::VarKeywords))
                }
                "keyword_separator" => {
                    keyword_only = true;
                    continue;
                }
                "positional_separator" => {
                    for param in &mut self.function_lists[function.index()].params {
                        param.kind = ParamKind::PositionalOnly;
                    }
                    continue;
                }
                _ => continue,
            };
            let Some(name_node) = name_node else { continue };
            let kind = kind.unwrap_or(if keyword_only {
                ParamKind::KeywordOnly
            } else {
                ParamKind::Normal
            });
            if kind == ParamKind::VarArgs {
                keyword_only = true;
            }
            let default = default.map(|value| self.lower_expr(value, outer, 0));
            let annotation = annotation.map(|value| self.lower_expr(value, outer, 0));
            let name: Name = self.intern(self.node_text(name_node));
            let index = self.function_lists[function.index()].params.len() as u32;
            self.function_lists[function.index()].params.push(Param {
                name,
                kind,
                default,
                annotation,
            });
            let site = BindingSite {
                offset: 0,
                range: range_of(name_node),
                unconditional: true,
            };
            self.bind(
                body_scope,
                &name,
                BindingKind::Param { function, index },
                site,
            );
        }
    }
}

/// Parses a Python integer literal (`10`, `0x1F`, `1_000`); `None` when it does not fit an `i64`.
fn parse_int(text: &str) -> Option<i64> {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    let (digits, radix) = if let Some(rest) = lower.strip_prefix("0x") {
        (rest, 16)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (rest, 8)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (rest, 2)
    } else {
        (lower.trim_end_matches(['l', 'j']), 10)
    };
    i64::from_str_radix(digits, radix).ok()
}
