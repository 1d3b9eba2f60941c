//! Taint: does untrusted data reach a sink's data argument, and along which path?
//!
//! The analysis runs backwards from the sink, on demand. `reaches(expr)` answers "which sources, and
//! which parameters of the enclosing function, flow into this expression", with the steps taken.
//! Parameters are symbolic, so a function's answer is its summary: its returns' reaches say which
//! sources it returns and which parameters flow to its return value; at a call site the parameters
//! are replaced by the caller's arguments. A sink whose data argument reaches a parameter is
//! followed to the function's call sites in the workspace, hop by hop (bounded), until a source is
//! found or the callers run out. Recursion (mutually recursive functions across modules) is cut by an
//! in-progress set, so the search always terminates.
//!
//! Each expression's reaches are computed once per search (`done`), so code that uses a value many
//! times (`x1 = (x0, x0)`, `x2 = (x1, x1)`, ...) costs linear, not exponential, time. Only answers
//! computed without a cut (a cycle, the depth bound or the work budget) are kept: a cut answer
//! depends on where the search came from, a complete one does not.

pub mod library;

use std::collections::{HashMap, HashSet};

use brine_facts::{
    BindingKind, CallId, Expr, ExprId, FStringPart, FileFacts, FunctionId, Name, ParamKind, ScopeId,
};
use brine_syntax::TextRange;

use crate::demand::Demand;
use crate::resolve::{lookup_scope, reaching_bindings, Resolver};
use crate::rules::CheckOptions;
use crate::value::Value;
use crate::workspace::FileId;
pub use library::SourceKind;

/// Expressions and parameters followed at most this deep / this many call-site hops.
const MAX_DEPTH: u32 = 48;
const MAX_HOPS: u32 = 6;
/// Reaches kept per expression.
const MAX_REACHES: usize = 8;
/// Expressions one search may visit; past it the search gives up on what is left (a cut), so even
/// pathological code finishes in bounded time.
const MAX_VISITS: u32 = 200_000;

/// One location on a taint path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStep {
    pub file: FileId,
    pub range: TextRange,
    pub message: String,
}

/// A path from an untrusted source to a sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaintFlow {
    pub kind: SourceKind,
    /// What the source is ("response of `requests.get`").
    pub description: String,
    /// Source first, sink last.
    pub steps: Vec<FlowStep>,
}

/// What flows into an expression.
#[derive(Debug, Clone)]
enum Reach {
    /// An untrusted source, with the steps from it to the expression.
    Source {
        kind: SourceKind,
        description: String,
        steps: Vec<FlowStep>,
    },
    /// A parameter of a workspace function, with the steps from it to the expression.
    Param {
        file: FileId,
        function: FunctionId,
        index: u32,
        steps: Vec<FlowStep>,
    },
}

/// The result of following a sink's data argument.
#[derive(Debug, Default)]
pub struct TaintResult {
    pub flow: Option<TaintFlow>,
    /// True when a digest check verified the data on the way (the flow was cut there).
    pub verified: bool,
}

/// Backward taint search over one workspace, sharing the resolver's name resolution.
pub struct TaintSearch<'r, 'w> {
    resolver: &'r mut Resolver<'w>,
    options: &'r CheckOptions,
    in_progress: HashSet<(FileId, ExprId)>,
    /// Complete answers, with whether computing them met a digest check.
    done: HashMap<(FileId, ExprId), (Vec<Reach>, bool)>,
    /// Times an answer was cut short; an answer computed while this stayed put is complete.
    cuts: u32,
    visits: u32,
    depth: u32,
    verified: bool,
}

impl<'r, 'w> TaintSearch<'r, 'w> {
    pub fn new(resolver: &'r mut Resolver<'w>, options: &'r CheckOptions) -> Self {
        TaintSearch {
            resolver,
            options,
            in_progress: HashSet::new(),
            done: HashMap::new(),
            cuts: 0,
            visits: 0,
            depth: 0,
            verified: false,
        }
    }

    fn facts(&self, file: FileId) -> &'w FileFacts {
        &self.resolver.workspace().file(file).facts
    }

    /// Follows the argument `expr` of the sink call `call` back to a source. `sink_step` describes the
    /// sink itself (the last step of the path).
    pub fn trace_argument(
        &mut self,
        file: FileId,
        expr: ExprId,
        sink_step: FlowStep,
    ) -> TaintResult {
        let reaches = self.reaches(file, expr);
        let mut best: Option<TaintFlow> = None;
        let mut visited = HashSet::new();
        for reach in reaches {
            if let Some(flow) = self.resolve_reach(reach, 0, &mut visited) {
                let better = match &best {
                    None => true,
                    Some(current) => {
                        (flow.kind, flow.steps.len()) < (current.kind, current.steps.len())
                    }
                };
                if better {
                    best = Some(flow);
                }
            }
        }
        let flow = best.map(|mut flow| {
            flow.steps.push(sink_step);
            flow
        });
        TaintResult {
            flow,
            verified: self.verified,
        }
    }

    /// Turns a reach into a full flow: sources are done; parameters are followed to call sites.
    fn resolve_reach(
        &mut self,
        reach: Reach,
        hops: u32,
        visited: &mut HashSet<(FileId, FunctionId, u32)>,
    ) -> Option<TaintFlow> {
        match reach {
            Reach::Source {
                kind,
                description,
                steps,
            } => Some(TaintFlow {
                kind,
                description,
                steps,
            }),
            Reach::Param {
                file,
                function,
                index,
                steps,
            } => {
                if hops >= MAX_HOPS || !visited.insert((file, function, index)) {
                    return None;
                }
                let sites = self.resolver.call_sites(file, function);
                let facts = self.facts(file);
                let data = facts.function(function);
                let param_name = facts.params(data)[index as usize].name;
                let function_name = data.name;
                let mut best: Option<TaintFlow> = None;
                for &(site_file, call, implicit_first) in sites.iter() {
                    let Some(argument) = self.argument_for_param(
                        site_file,
                        call,
                        file,
                        function,
                        index,
                        implicit_first,
                    ) else {
                        continue;
                    };
                    let pass = FlowStep {
                        file: site_file,
                        range: self.facts(site_file).expr_range(argument),
                        message: format!("passed as `{param_name}` to `{function_name}`"),
                    };
                    for reach in self.reaches(site_file, argument) {
                        let Some(mut flow) = self.resolve_reach(reach, hops + 1, visited) else {
                            continue;
                        };
                        flow.steps.push(pass.clone());
                        flow.steps.extend(steps.iter().cloned());
                        if best
                            .as_ref()
                            .is_none_or(|b| (flow.kind, flow.steps.len()) < (b.kind, b.steps.len()))
                        {
                            best = Some(flow);
                        }
                    }
                }
                best
            }
        }
    }

    /// The argument expression a call site passes for parameter `index` of `function`.
    fn argument_for_param(
        &self,
        site_file: FileId,
        call: CallId,
        file: FileId,
        function: FunctionId,
        index: u32,
        implicit_first: bool,
    ) -> Option<ExprId> {
        let facts = self.facts(file);
        let param = &facts.params(facts.function(function))[index as usize];
        let facts = self.facts(site_file);
        let call = facts.args(facts.call(call));
        if let Some(arg) = call.keyword(&param.name) {
            return Some(arg.value);
        }
        if param.kind == ParamKind::KeywordOnly {
            return None;
        }
        let position = (index as usize).checked_sub(usize::from(implicit_first))?;
        call.positional(position).map(|arg| arg.value)
    }

    /// Sources and parameters that flow into `expr`.
    fn reaches(&mut self, file: FileId, expr: ExprId) -> Vec<Reach> {
        if let Some((reaches, verified)) = self.done.get(&(file, expr)) {
            self.verified |= *verified;
            return reaches.clone();
        }
        if self.depth >= MAX_DEPTH
            || self.visits >= MAX_VISITS
            || !self.in_progress.insert((file, expr))
        {
            self.cuts += 1;
            return Vec::new();
        }
        self.visits += 1;
        self.depth += 1;
        let (cuts_before, verified_before) = (self.cuts, self.verified);
        self.verified = false;
        let mut reaches = self.reaches_uncached(file, expr);
        reaches.truncate(MAX_REACHES);
        let verified_here = self.verified;
        self.verified |= verified_before;
        self.depth -= 1;
        self.in_progress.remove(&(file, expr));
        if self.cuts == cuts_before {
            self.done
                .insert((file, expr), (reaches.clone(), verified_here));
        }
        reaches
    }

    fn reaches_uncached(&mut self, file: FileId, expr: ExprId) -> Vec<Reach> {
        let facts = self.facts(file);
        match facts.expr(expr) {
            Expr::Name { name, scope } => {
                self.name_reaches(file, *name, *scope, facts.expr_range(expr).start)
            }
            Expr::Attribute { object, attr } => self.attribute_reaches(file, expr, *object, attr),
            Expr::Call(call) => self.call_reaches(file, *call),
            Expr::Subscript { object, .. } => self.reaches(file, *object),
            Expr::Await(inner) | Expr::Walrus(inner) | Expr::Starred(inner) | Expr::Not(inner) => {
                self.reaches(file, *inner)
            }
            Expr::BinOp { left, right, .. } => {
                let (left, right) = (*left, *right);
                let mut reaches = self.reaches(file, left);
                reaches.extend(self.reaches(file, right));
                reaches
            }
            Expr::Choice(parts) | Expr::Tuple(parts) | Expr::List(parts) => {
                let parts = facts.list(*parts);
                parts
                    .iter()
                    .copied()
                    .flat_map(|part| self.reaches(file, part))
                    .collect()
            }
            Expr::Dict(entries) => {
                let values: Vec<ExprId> = facts
                    .dict(*entries)
                    .iter()
                    .map(|(_, value)| *value)
                    .collect();
                values
                    .into_iter()
                    .flat_map(|value| self.reaches(file, value))
                    .collect()
            }
            Expr::FString(parts) => {
                let parts: Vec<ExprId> = facts
                    .fstring(*parts)
                    .iter()
                    .filter_map(|part| match part {
                        FStringPart::Interpolation(expr) => Some(*expr),
                        FStringPart::Literal(_) => None,
                    })
                    .collect();
                parts
                    .into_iter()
                    .flat_map(|part| self.reaches(file, part))
                    .collect()
            }
            Expr::Str(text) => self.artifact_reaches(file, expr, facts.string(*text)),
            Expr::Bytes
            | Expr::Int(_)
            | Expr::Float
            | Expr::Bool(_)
            | Expr::NoneLit
            | Expr::Lambda(_)
            | Expr::Unknown => Vec::new(),
        }
    }

    /// A string naming a workspace pickle file that BRN401 flags is the source of that file's data.
    fn artifact_reaches(&self, file: FileId, expr: ExprId, text: &str) -> Vec<Reach> {
        let workspace = self.resolver.workspace();
        let Some(artifact) = workspace.artifact_named(file, text) else {
            return Vec::new();
        };
        let description = workspace
            .file(artifact)
            .artifact
            .clone()
            .unwrap_or_default();
        vec![Reach::Source {
            kind: SourceKind::Artifact,
            description: description.clone(),
            steps: vec![
                FlowStep {
                    file: artifact,
                    range: TextRange::empty(0),
                    message: format!("source: {description}"),
                },
                FlowStep {
                    file,
                    range: self.facts(file).expr_range(expr),
                    message: format!("path of `{text}`"),
                },
            ],
        }]
    }

    fn name_reaches(
        &mut self,
        file: FileId,
        name: Name,
        scope: ScopeId,
        offset: u32,
    ) -> Vec<Reach> {
        let facts = self.facts(file);
        if is_verified(facts, name, scope, offset) {
            self.verified = true;
            return Vec::new();
        }
        let owner = lookup_scope(facts, name, scope);
        crate::demand::note_lookup(self.resolver.workspace(), facts, file, name, owner);
        let Some(owner) = owner else {
            return Vec::new();
        };
        let use_offset = (owner == scope).then_some(offset);
        let mut reaches = Vec::new();
        for binding in reaching_bindings(facts, owner, name, use_offset) {
            let data = facts.binding(binding);
            let step = FlowStep {
                file,
                range: data.range,
                message: format!("assigned to `{name}`"),
            };
            let inner = match &data.kind {
                BindingKind::Value(value)
                | BindingKind::Unpacked { value, .. }
                | BindingKind::Iteration(value)
                | BindingKind::With(value)
                | BindingKind::Augmented(value) => self.reaches(file, *value),
                BindingKind::Param { function, index } => {
                    reaches.extend(self.param_reaches(file, *function, *index));
                    continue;
                }
                BindingKind::Import(_)
                | BindingKind::Function(_)
                | BindingKind::Class(_)
                | BindingKind::Unknown => Vec::new(),
            };
            reaches.extend(
                inner
                    .into_iter()
                    .map(|reach| with_step(reach, step.clone())),
            );
        }
        reaches
    }

    /// A parameter is a source itself (an upload, a request, a Lambda event), or symbolic.
    fn param_reaches(&mut self, file: FileId, function: FunctionId, index: u32) -> Vec<Reach> {
        let facts = self.facts(file);
        let data = facts.function(function);
        let param = &facts.params(data)[index as usize];
        if index == 0 && data.class.is_some() && !data.is_static(facts) {
            return Vec::new();
        }
        if let Some(description) = self.source_param(file, function, index) {
            return vec![Reach::Source {
                kind: SourceKind::Remote,
                description,
                steps: vec![FlowStep {
                    file,
                    range: data.name_range,
                    message: format!("parameter `{}` of `{}`", param.name, data.name),
                }],
            }];
        }
        vec![Reach::Param {
            file,
            function,
            index,
            steps: Vec::new(),
        }]
    }

    /// Why a parameter is untrusted by itself, if it is.
    fn source_param(&mut self, file: FileId, function: FunctionId, index: u32) -> Option<String> {
        let facts = self.facts(file);
        let data = facts.function(function);
        let param = &facts.params(data)[index as usize];
        for expr in [param.annotation, param.default].into_iter().flatten() {
            let values = self.resolver.eval(file, expr);
            for value in values.iter() {
                let name = match value {
                    Value::Qualified(name) | Value::Instance(name) => name.to_string(),
                    _ => continue,
                };
                let annotated = library::SOURCE_ANNOTATIONS
                    .iter()
                    .find(|(source, _)| name == *source || name.starts_with(&format!("{source}.")));
                if let Some((_, description)) = annotated {
                    return Some(format!("{description} parameter `{}`", param.name));
                }
            }
        }
        let imports = module_imports(facts);
        if &*param.name == "request"
            && imports
                .iter()
                .any(|m| m.starts_with("django") || m.starts_with("aiohttp"))
        {
            return Some(format!("web request parameter `{}`", param.name));
        }
        let lambda_handler = matches!(&*data.name, "handler" | "lambda_handler")
            && index == 0
            && matches!(facts.params(data), [_, context] if &*context.name == "context");
        if lambda_handler {
            return Some("AWS Lambda event".to_owned());
        }
        if imports.iter().any(|m| m.starts_with("gradio")) && self.is_gradio_handler(file, function)
        {
            return Some(format!("Gradio component input `{}`", param.name));
        }
        None
    }

    /// True when `function` is passed as the handler of a Gradio interface or event in its own file.
    fn is_gradio_handler(&mut self, file: FileId, function: FunctionId) -> bool {
        for name in GRADIO_HANDLER_CALLS {
            // The calls of these names in this file (a part of every call of them).
            (self.resolver.workspace()).demand(|| Demand::Everywhere(brine_facts::intern(name)));
        }
        let facts = self.facts(file);
        for call in facts.call_ids() {
            let Some(name) = facts.callee_name(call) else {
                continue;
            };
            if !GRADIO_HANDLER_CALLS.contains(&name) {
                continue;
            }
            let data = facts.args(facts.call(call));
            let handler = data
                .keyword("fn")
                .or_else(|| data.positional(0))
                .map(|arg| arg.value);
            if let Some(handler) = handler {
                if self
                    .resolver
                    .eval(file, handler)
                    .iter()
                    .any(|v| *v == Value::Function(file, function))
                {
                    return true;
                }
            }
        }
        false
    }

    fn attribute_reaches(
        &mut self,
        file: FileId,
        expr: ExprId,
        object: ExprId,
        attr: &str,
    ) -> Vec<Reach> {
        let values = self.resolver.eval(file, expr);
        for value in values.iter() {
            if let Value::Qualified(name) = value {
                let source = library::attribute_source(name).or_else(|| {
                    // `request.files["f"].read` resolves below an attribute source.
                    library::ATTRIBUTE_SOURCES
                        .iter()
                        .find(|(source, _, _)| name.starts_with(&format!("{source}.")))
                        .map(|&(_, kind, description)| (kind, description))
                });
                if let Some((kind, description)) = source {
                    return vec![source_reach(
                        file,
                        self.facts(file).expr_range(expr),
                        kind,
                        description,
                    )];
                }
            }
        }
        let mut reaches = Vec::new();
        for object_value in self.resolver.eval(file, object).iter() {
            if let Value::InstanceOf(class_file, class) = object_value {
                reaches.extend(self.instance_attribute_reaches(*class_file, *class, attr));
            }
        }
        reaches.extend(self.reaches(file, object));
        reaches
    }

    /// Values stored in `self.attr` by the methods of a class, with a "stored in" step.
    fn instance_attribute_reaches(
        &mut self,
        file: FileId,
        class: brine_facts::ClassId,
        attr: &str,
    ) -> Vec<Reach> {
        let facts = self.facts(file);
        (self.resolver.workspace()).demand(|| Demand::self_writes(facts, file, class, attr));
        let writes: Vec<(ExprId, u32, u32)> = facts
            .self_attribute_writes(class, attr)
            .map(|write| {
                (
                    write.value,
                    facts.expr_range(write.object).start,
                    facts.expr_range(write.value).end,
                )
            })
            .collect();
        let mut reaches = Vec::new();
        for (value, start, end) in writes {
            let step = FlowStep {
                file,
                range: TextRange::new(start, end),
                message: format!("stored in `self.{attr}`"),
            };
            reaches.extend(
                self.reaches(file, value)
                    .into_iter()
                    .map(|r| with_step(r, step.clone())),
            );
        }
        reaches
    }

    fn call_reaches(&mut self, file: FileId, call: CallId) -> Vec<Reach> {
        let facts = self.facts(file);
        let data = facts.call(call);
        let callee = data.callee;
        let call_range = data.range;
        let callees = self.resolver.eval(file, callee);
        let mut reaches = Vec::new();
        let mut handled = false;
        for value in callees.iter() {
            // Configured models apply to library names and to workspace functions alike.
            if let Some(name) = self.resolver.library_name(value) {
                if self
                    .options
                    .user_sources
                    .iter()
                    .any(|source| source.name == name)
                {
                    let description = format!("configured source `{name}`");
                    return vec![source_reach(
                        file,
                        call_range,
                        SourceKind::Remote,
                        &description,
                    )];
                }
                if self
                    .options
                    .user_sanitizers
                    .iter()
                    .any(|sanitizer| sanitizer.name == name)
                {
                    self.verified = true;
                    return Vec::new();
                }
                if self
                    .options
                    .user_propagators
                    .iter()
                    .any(|propagator| propagator.name == name)
                {
                    handled = true;
                    let args: Vec<ExprId> = facts
                        .args(facts.call(call))
                        .iter()
                        .map(|arg| arg.value)
                        .collect();
                    for arg in args {
                        reaches.extend(self.reaches(file, arg));
                    }
                    continue;
                }
                // Library sources, also when the workspace is that library (transformers' own
                // `cached_file` is a workspace function when brine checks transformers).
                if let Some((kind, description)) = library::call_source(&name) {
                    return vec![source_reach(file, call_range, kind, description)];
                }
                if library::HUB_FILE_SOURCES.contains(&&*name)
                    && self.unpinned_hub_download(file, call)
                {
                    let description =
                        "file downloaded from the Hugging Face Hub at an unpinned revision";
                    return vec![source_reach(
                        file,
                        call_range,
                        SourceKind::Remote,
                        description,
                    )];
                }
            }
            match value {
                Value::Qualified(name) if library::PROPAGATORS.contains(&&**name) => {
                    handled = true;
                    let args: Vec<ExprId> = facts
                        .args(facts.call(call))
                        .iter()
                        .map(|arg| arg.value)
                        .collect();
                    for arg in args {
                        reaches.extend(self.reaches(file, arg));
                    }
                }
                Value::Function(function_file, function) => {
                    handled = true;
                    reaches.extend(self.function_call_reaches(
                        file,
                        call,
                        *function_file,
                        *function,
                    ));
                }
                Value::Class(..) => handled = true,
                _ => {}
            }
        }
        if let Expr::Attribute { object, attr } = facts.expr(callee) {
            if !handled {
                if callees.has_unknown() {
                    if let Some((kind, description)) = library::method_source(attr) {
                        return vec![source_reach(file, call_range, kind, description)];
                    }
                }
                // A method of a tainted object returns tainted data (`response.json()`, `f.read()`).
                reaches.extend(self.reaches(file, *object));
            }
        }
        reaches
    }

    /// A call of a workspace function: its return summary, with its parameters replaced by this call's
    /// arguments.
    fn function_call_reaches(
        &mut self,
        file: FileId,
        call: CallId,
        function_file: FileId,
        function: FunctionId,
    ) -> Vec<Reach> {
        let function_data = self.facts(function_file).function(function);
        let returns = self.facts(function_file).returns(function_data);
        let function_name = function_data.name;
        let is_method =
            function_data.class.is_some() && !function_data.is_static(self.facts(function_file));
        let call_range = self.facts(file).call(call).range;
        let returned = FlowStep {
            file,
            range: call_range,
            message: format!("returned by `{function_name}`"),
        };
        let mut reaches = Vec::new();
        for &expr in returns {
            for reach in self.reaches(function_file, expr) {
                match reach {
                    Reach::Param {
                        file: param_file,
                        function: param_function,
                        index,
                        steps,
                    } if param_file == function_file && param_function == function => {
                        let implicit_first = is_method
                            && matches!(
                                self.facts(file).expr(self.facts(file).call(call).callee),
                                Expr::Attribute { .. }
                            );
                        let Some(argument) = self.argument_for_param(
                            file,
                            call,
                            function_file,
                            function,
                            index,
                            implicit_first,
                        ) else {
                            continue;
                        };
                        let function_facts = self.facts(function_file);
                        let param_name = function_facts.params(function_facts.function(function))
                            [index as usize]
                            .name;
                        let pass = FlowStep {
                            file,
                            range: self.facts(file).expr_range(argument),
                            message: format!("passed as `{param_name}` to `{function_name}`"),
                        };
                        for inner in self.reaches(file, argument) {
                            let mut inner = with_step(inner, pass.clone());
                            for step in &steps {
                                inner = with_step(inner, step.clone());
                            }
                            reaches.push(with_step(inner, returned.clone()));
                        }
                    }
                    other => reaches.push(with_step(other, returned.clone())),
                }
            }
        }
        reaches
    }

    /// `hf_hub_download(...)` without a revision that resolves to a commit sha.
    fn unpinned_hub_download(&mut self, file: FileId, call: CallId) -> bool {
        match self
            .resolver
            .call_argument(file, call, None, Some("revision"))
        {
            crate::resolve::ArgValue::Passed { values, .. } => !values
                .iter()
                .all(|v| matches!(v, Value::Str(s) if crate::rules::is_commit_sha(s))),
            _ => true,
        }
    }
}

fn source_reach(file: FileId, range: TextRange, kind: SourceKind, description: &str) -> Reach {
    Reach::Source {
        kind,
        description: description.to_owned(),
        steps: vec![FlowStep {
            file,
            range,
            message: format!("source: {description}"),
        }],
    }
}

/// Appends a step to a reach's path (paths grow from the source towards the sink).
fn with_step(reach: Reach, step: FlowStep) -> Reach {
    const MAX_STEPS: usize = 32;
    match reach {
        Reach::Source {
            kind,
            description,
            mut steps,
        } => {
            if steps.len() < MAX_STEPS && steps.last() != Some(&step) {
                steps.push(step);
            }
            Reach::Source {
                kind,
                description,
                steps,
            }
        }
        Reach::Param {
            file,
            function,
            index,
            mut steps,
        } => {
            if steps.len() < MAX_STEPS && steps.last() != Some(&step) {
                steps.push(step);
            }
            Reach::Param {
                file,
                function,
                index,
                steps,
            }
        }
    }
}

/// True when a digest check in the use's function (or module) verifies `name` at `offset`.
/// Calls that take a Gradio handler (`fn=` or first argument).
const GRADIO_HANDLER_CALLS: &[&str] = &[
    "Interface",
    "ChatInterface",
    "click",
    "submit",
    "change",
    "upload",
    "input",
];

fn is_verified(facts: &FileFacts, name: Name, scope: ScopeId, offset: u32) -> bool {
    facts.verifications.iter().any(|check| {
        check.verified.start <= offset
            && offset < check.verified.end
            && check.names.contains(&name)
            && in_scope_chain(facts, scope, check.scope)
    })
}

fn in_scope_chain(facts: &FileFacts, mut scope: ScopeId, target: ScopeId) -> bool {
    loop {
        if scope == target {
            return true;
        }
        match facts.scope(scope).parent {
            Some(parent) => scope = parent,
            None => return false,
        }
    }
}

/// The modules a file imports at module level (top-level names of absolute imports).
fn module_imports(facts: &FileFacts) -> Vec<String> {
    facts
        .bindings
        .iter()
        .filter_map(|binding| match &binding.kind {
            BindingKind::Import(import) => {
                let target = facts.import(*import);
                (target.level == 0).then(|| target.module.to_string())
            }
            _ => None,
        })
        .collect()
}
