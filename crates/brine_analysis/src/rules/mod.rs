//! The rules: which calls are sinks and how each is judged. `check_file` is the entry point.
//!
//! Every check sees the call's facts and a [`Resolver`]; none looks at a tree or the file system.

mod deserialize;
mod hub;
pub mod library;
mod registry;

use brine_config::{ThreatModel, TorchVersion, UserModel};
use brine_facts::{CallId, Expr, ExprId, FileFacts};
use brine_syntax::TextRange;

pub use hub::is_commit_sha;
pub use registry::{rule, Rule, Severity, RULES};

use crate::fix::Fix;
use crate::resolve::{ArgValue, Cancelled, Resolver};
use crate::taint::{FlowStep, SourceKind, TaintFlow, TaintSearch};
use crate::value::{Value, ValueSet};
use crate::workspace::{FileId, Workspace};
use library::{could_be_sink, sink_for, SinkKind};

/// Per-file options that change what rules conclude (selection is applied by the caller).
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub torch_version: Option<TorchVersion>,
    /// `Local` promotes argv/environment/stdin flows to errors.
    pub threat_model: ThreatModel,
    /// Library models from configuration, by qualified name.
    pub user_sources: Vec<UserModel>,
    pub user_sinks: Vec<UserModel>,
    pub user_sanitizers: Vec<UserModel>,
    pub user_propagators: Vec<UserModel>,
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    /// Where the finding sits: the callee of the call (`torch.load`).
    pub range: TextRange,
    pub message: String,
    pub fixes: Vec<Fix>,
    /// For a tainted finding: the path from the untrusted source to this sink.
    pub flow: Option<TaintFlow>,
    /// For BRN201: what the "pin revision" fix needs from the local Hugging Face cache.
    pub pin: Option<crate::fix::PinRequest>,
    /// For BRN401: the imports outside the allowlist, with their byte offsets.
    pub artifact_imports: Vec<crate::artifact::ArtifactImport>,
}

impl Finding {
    pub fn code(&self) -> &'static str {
        self.rule.code
    }
}

/// Runs every rule on one file of the workspace. Findings are sorted by position and code;
/// suppression comments are honoured.
pub fn check_file(workspace: &Workspace, file: FileId, options: &CheckOptions) -> Vec<Finding> {
    check_with(Resolver::new(workspace), file, options, &|_| true)
}

/// [`check_file`] for the calls whose range `keep` accepts only (to measure a check that looks at
/// some statements of a file: see [`crate::demand`]).
pub fn check_file_calls(
    workspace: &Workspace,
    file: FileId,
    options: &CheckOptions,
    keep: &dyn Fn(TextRange) -> bool,
) -> Vec<Finding> {
    check_with(Resolver::new(workspace), file, options, keep)
}

/// [`check_file`] that stops as soon as `is_cancelled` returns true (it is asked before every
/// value that is not cached yet): the editor's analysis of a version the user has already typed
/// past gives way to the next one within microseconds instead of finishing a file. The workspace
/// keeps only complete results, so a cancelled check leaves it as a finished one would.
pub fn check_file_until(
    workspace: &Workspace,
    file: FileId,
    options: &CheckOptions,
    is_cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<Finding>, Cancelled> {
    let check = || {
        check_with(
            Resolver::until(workspace, is_cancelled),
            file,
            options,
            &|_| true,
        )
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)) {
        Ok(findings) => Ok(findings),
        Err(payload) if payload.is::<Cancelled>() => Err(Cancelled),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

fn check_with(
    mut resolver: Resolver,
    file: FileId,
    options: &CheckOptions,
    keep: &dyn Fn(TextRange) -> bool,
) -> Vec<Finding> {
    let workspace = resolver.workspace();
    let facts = &*workspace.file(file).facts;
    let mut findings = Vec::new();
    for call in facts.call_ids() {
        if !keep(facts.call(call).range) {
            continue;
        }
        let callee = facts.call(call).callee;
        if let Expr::Attribute { attr, .. } = facts.expr(callee) {
            if !could_be_sink(attr) {
                continue;
            }
        }
        let mut sinks: Vec<(SinkKind, String)> = Vec::new();
        let callees = resolver.eval(file, callee);
        for value in callees.iter() {
            // Every library sink's last name passes `could_be_sink`: most callees are ruled out
            // here, before their full name is built.
            if !resolver.library_last_name(value).is_some_and(could_be_sink) {
                continue;
            }
            let Some(name) = resolver.library_name(value) else {
                continue;
            };
            if let Some(kind) = sink_for(&name) {
                if !sinks.iter().any(|(k, _)| *k == kind) {
                    sinks.push((kind, name.into_owned()));
                }
            }
        }
        if sinks.is_empty() && !options.user_sinks.is_empty() {
            for value in callees.iter() {
                let Some(name) = resolver.library_name(value) else {
                    continue;
                };
                if options.user_sinks.iter().any(|sink| sink.name == name) {
                    sinks.push((SinkKind::User, name.into_owned()));
                    break;
                }
            }
        }
        if sinks.is_empty() && callees.has_unknown() {
            // `model_class.from_pretrained(...)` on a class chosen at run time: treat it as the Hub
            // download it almost always is (the checks still need a Hub model id to warn).
            if let Some(kind) =
                library::unresolved_method_sink(facts.callee_name(call).unwrap_or_default())
            {
                let written = dotted_text(facts, callee).unwrap_or_default();
                sinks.push((kind, written));
            }
        }
        for (kind, name) in sinks {
            let mut context = CallContext {
                resolver: &mut resolver,
                file,
                call,
                kind,
                library_name: &name,
                options,
                findings: &mut findings,
            };
            context.check(kind);
        }
    }
    findings.retain(|finding| !is_suppressed(facts, finding));
    findings.sort_by(|a, b| (a.range.start, a.rule.code).cmp(&(b.range.start, b.rule.code)));
    findings.dedup_by(|a, b| a.range == b.range && a.rule.code == b.rule.code);
    findings
}

fn is_suppressed(facts: &FileFacts, finding: &Finding) -> bool {
    let line = facts.line_index.line_of(finding.range.start);
    let statement_line = facts
        .calls
        .iter()
        .filter(|call| call.range.contains_range(finding.range))
        .map(|call| facts.line_index.line_of(call.statement_start))
        .min()
        .unwrap_or(line);
    facts
        .suppressions
        .is_suppressed(finding.rule.code, &[line, statement_line])
}

/// Everything a check needs about the call it judges.
struct CallContext<'a, 'w> {
    resolver: &'a mut Resolver<'w>,
    file: FileId,
    call: CallId,
    /// The kind of sink being judged.
    kind: SinkKind,
    /// The resolved library name of the callee (`torch.load`).
    library_name: &'a str,
    options: &'a CheckOptions,
    findings: &'a mut Vec<Finding>,
}

impl CallContext<'_, '_> {
    fn check(&mut self, kind: SinkKind) {
        match kind {
            SinkKind::Pickle => self.check_pickle(),
            SinkKind::User => self.check_user_sink(),
            SinkKind::TorchLoad {
                weights_only_position,
                pickle_module_position,
                version_default,
            } => self.check_torch_load(
                weights_only_position,
                pickle_module_position,
                version_default,
            ),
            SinkKind::NumpyLoad => self.check_numpy_load(),
            SinkKind::YamlLoad { ruamel } => self.check_yaml_load(ruamel),
            SinkKind::YamlUnsafeFunction => self.check_yaml_unsafe_function(),
            SinkKind::RuamelYaml => self.check_ruamel_yaml(),
            SinkKind::KerasLoad => self.check_keras_load(),
            SinkKind::HubDownload(model_id) => self.check_hub_download(model_id),
            SinkKind::TorchHubLoad => self.check_torch_hub_load(),
        }
    }

    fn facts(&self) -> &FileFacts {
        &self.resolver.workspace().file(self.file).facts
    }

    fn call_data(&self) -> &brine_facts::Call {
        self.facts().call(self.call)
    }

    fn argument(&mut self, position: Option<usize>, keyword: &str) -> ArgValue {
        self.resolver
            .call_argument(self.file, self.call, position, Some(keyword))
    }

    /// The callee as written (`pk.loads`), with the library name when an alias hides it.
    fn callee_display(&self) -> String {
        let facts = self.facts();
        let written = dotted_text(facts, self.call_data().callee)
            .unwrap_or_else(|| self.library_name.to_owned());
        let library_tail: Vec<&str> = self.library_name.rsplit('.').take(2).collect();
        let written_tail: Vec<&str> = written.rsplit('.').take(2).collect();
        if written == self.library_name
            || library_tail == written_tail
            || self.library_name.len() > 60
        {
            format!("`{written}`")
        } else {
            format!("`{written}` (`{}`)", self.library_name)
        }
    }

    /// The range a finding on this call sits on: the callee, or its last name when the callee spans
    /// several lines.
    fn finding_range(&self) -> TextRange {
        let facts = self.facts();
        let callee = facts.expr_range(self.call_data().callee);
        let lines = &facts.line_index;
        if lines.line_of(callee.start) == lines.line_of(callee.end) {
            return callee;
        }
        match facts.expr(self.call_data().callee) {
            Expr::Attribute { attr, .. } => {
                TextRange::new(callee.end - attr.len() as u32, callee.end)
            }
            _ => callee,
        }
    }

    fn report(&mut self, code: &str, severity: Severity, message: String, fixes: Vec<Fix>) {
        let rule = rule(code).expect("rules report their own registered code");
        let range = self.finding_range();
        let mut finding = Finding {
            rule,
            severity,
            range,
            message,
            fixes,
            flow: None,
            pin: None,
            artifact_imports: Vec::new(),
        };
        if code.starts_with("BRN1") && severity == Severity::Warning {
            self.add_taint(&mut finding);
        }
        self.findings.push(finding);
    }

    /// Follows the sink's data argument back to an untrusted source; a flow makes the finding an error
    /// (a warning for local input under the remote threat model) and names the source.
    fn add_taint(&mut self, finding: &mut Finding) {
        let Some(argument) = library::data_argument(
            self.kind,
            self.facts().args(self.call_data()),
            self.library_name,
            self.options,
        ) else {
            return;
        };
        let sink_step = FlowStep {
            file: self.file,
            range: finding.range,
            message: format!("reaches {}", self.callee_display()),
        };
        let file = self.file;
        let result =
            TaintSearch::new(self.resolver, self.options).trace_argument(file, argument, sink_step);
        match result.flow {
            Some(flow) => {
                let source = &flow.steps[0];
                let location = self
                    .resolver
                    .workspace()
                    .file(source.file)
                    .location(source.range.start);
                finding.message = format!(
                    "{} at {location} reaches {}: {}",
                    flow.description,
                    self.callee_display(),
                    finding.message
                );
                let promoted = flow.kind != SourceKind::Local
                    || self.options.threat_model == ThreatModel::Local;
                if promoted {
                    finding.severity = Severity::Error;
                }
                finding.flow = Some(flow);
            }
            None if result.verified => {
                finding
                    .message
                    .push_str(" (the data passes a digest check, but the format stays dangerous)");
            }
            None => {}
        }
    }
}

/// `a.b.c` for a chain of names and attributes.
pub fn dotted_text(facts: &FileFacts, expr: ExprId) -> Option<String> {
    let mut parts = Vec::new();
    let mut current = expr;
    loop {
        match facts.expr(current) {
            Expr::Name { name, .. } => {
                parts.push(name.to_string());
                break;
            }
            Expr::Attribute { object, attr } => {
                parts.push(attr.to_string());
                current = *object;
            }
            Expr::Call(call) => {
                let inner = dotted_text(facts, facts.call(*call).callee)?;
                parts.push(format!("{inner}()"));
                break;
            }
            _ => return None,
        }
        if parts.len() > 16 {
            return None;
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// How a deciding argument's values judge a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Safe,
    Unsafe,
    Unknown,
}

/// Combines per-value verdicts: unsafe if any value is, else unknown if any is, else safe.
fn judge(values: &ValueSet, each: impl Fn(&Value) -> Verdict) -> Verdict {
    let verdicts: Vec<Verdict> = values.iter().map(each).collect();
    if verdicts.contains(&Verdict::Unsafe) {
        Verdict::Unsafe
    } else if verdicts.contains(&Verdict::Unknown) || verdicts.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Safe
    }
}
