//! What resolution asked the workspace for by name: a measuring aid (off unless a caller turns it
//! on with [`Workspace::log_demands`]) for how much of a workspace a check that parses statements
//! on demand would have to parse to give the same results (the `demand_closure` example).
//!
//! Resolution reads a function's own body by ids, but anything outside it by name: a module-level
//! or class-level name of a file, the `self.attr` writes of a class, or every call of a name in
//! the workspace. Those reads are the demands: a statement that does not contain the name cannot
//! change their answer.

use brine_facts::{ClassId, Expr, ExprId, FileFacts, FunctionId, Name, ScopeId, ScopeKind};
use brine_syntax::TextRange;

use crate::value::Value;
use crate::workspace::{FileId, Workspace};

/// One read by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Demand {
    /// The statements of a file that can bind the name at module or class level.
    InFile(FileId, Name),
    /// The statements of a class (named by the offset of its name) that can bind the name in the
    /// class body.
    ClassMember(FileId, u32, Name),
    /// The statements of a class (named by the offset of its name) that can write `self.name`.
    SelfWrites(FileId, u32, Name),
    /// Every statement of the workspace that calls the name (the call sites of a function).
    Everywhere(Name),
}

impl Demand {
    /// Reading the `self.attr` writes of a class.
    pub(crate) fn self_writes(facts: &FileFacts, file: FileId, class: ClassId, attr: &str) -> Self {
        let at = facts.class(class).name_range.start;
        Demand::SelfWrites(file, at, brine_facts::intern(attr))
    }
}

/// Notes the demand of looking `name` up from `scope`: none when a function's own scope (or one
/// enclosing it in the same statement) binds it, else the file's statements that mention it.
pub(crate) fn note_lookup(
    workspace: &Workspace,
    facts: &FileFacts,
    file: FileId,
    name: Name,
    owner: Option<ScopeId>,
) {
    if !workspace.logs_demands() {
        return;
    }
    let local = owner.is_some_and(|owner| {
        matches!(
            facts.scope(owner).kind,
            ScopeKind::Function(_) | ScopeKind::Comprehension
        )
    });
    if !local {
        workspace.demand(|| Demand::InFile(file, name));
    }
}

/// Names bound at module or class level by the code in `range` whose value, or a function's return
/// value, can be a sink callable: a plain call of such a name anywhere may be a sink call, so a
/// demand-driven check must look at every statement that mentions it.
pub fn sink_valued_names(
    workspace: &Workspace,
    file: FileId,
    range: TextRange,
    user_sinks: &[brine_config::UserModel],
) -> Vec<Name> {
    let facts = &*workspace.file(file).facts;
    let mut resolver = crate::Resolver::new(workspace);
    let in_range = |offset: u32| range.start <= offset && offset < range.end;
    let is_visible = |scope: ScopeId| {
        matches!(
            facts.scope(scope).kind,
            ScopeKind::Module | ScopeKind::Class(_)
        )
    };
    let mut names = Vec::new();
    for index in 0..facts.scopes.len() {
        let scope = ScopeId(index as u32);
        if !is_visible(scope) {
            continue;
        }
        for (name, bindings) in facts.scope_names(scope).iter() {
            for &binding in bindings {
                if !in_range(facts.binding(binding).range.start) {
                    continue;
                }
                let values = resolver.eval_binding(file, binding);
                if values
                    .iter()
                    .any(|value| is_sink_value(&mut resolver, value, user_sinks))
                {
                    names.push(name);
                }
            }
        }
    }
    for (index, function) in facts.functions.iter().enumerate() {
        if !is_visible(function.parent_scope) || !in_range(function.name_range.start) {
            continue;
        }
        let returns = resolver.function_returns(file, FunctionId(index as u32));
        if returns
            .iter()
            .any(|value| is_sink_value(&mut resolver, value, user_sinks))
        {
            names.push(function.name);
        }
    }
    // Scopes list their names in an order that differs between runs.
    names.sort();
    names.dedup();
    names
}

/// A sink callable, or a dictionary or sequence display holding one.
fn is_sink_value(
    resolver: &mut crate::Resolver,
    value: &Value,
    user_sinks: &[brine_config::UserModel],
) -> bool {
    let items: Vec<(FileId, ExprId)> = match value {
        Value::Dict(file, dict) => {
            let facts = &*resolver.workspace().file(*file).facts;
            match facts.expr(*dict) {
                Expr::Dict(entries) => facts
                    .dict(*entries)
                    .iter()
                    .map(|&(_, value)| (*file, value))
                    .collect(),
                _ => Vec::new(),
            }
        }
        Value::Sequence(file, sequence) => {
            let facts = &*resolver.workspace().file(*file).facts;
            match facts.expr(*sequence) {
                Expr::List(items) | Expr::Tuple(items) => facts
                    .list(*items)
                    .iter()
                    .map(|&item| (*file, item))
                    .collect(),
                _ => Vec::new(),
            }
        }
        other => {
            return resolver.library_name(other).is_some_and(|name| {
                crate::rules::library::sink_for(&name).is_some()
                    || user_sinks.iter().any(|sink| sink.name == name)
            })
        }
    };
    items.into_iter().any(|(file, item)| {
        resolver.eval(file, item).iter().any(|value| {
            !matches!(value, Value::Dict(..) | Value::Sequence(..))
                && is_sink_value(resolver, value, user_sinks)
        })
    })
}
