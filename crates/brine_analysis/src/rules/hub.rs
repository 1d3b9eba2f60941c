//! BRN2xx: models and code fetched from a mutable remote (Hugging Face Hub, torch.hub).

use super::library::{ModelId, PACKAGED_DATASET_BUILDERS};
use super::{CallContext, Severity, Verdict};
use crate::fix::{self, Applicability, Fix, PinRequest};
use crate::resolve::ArgValue;
use crate::value::{Value, ValueSet};

/// Where a model id points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ModelSource {
    /// Every value is a local path or an already loaded object: nothing is downloaded here.
    Local,
    /// At least one value names a Hub repository; the first such name.
    Hub(String),
    /// Some value cannot be resolved and none names a Hub repository.
    Unknown,
}

/// A full commit sha: the only revision that cannot change.
pub fn is_commit_sha(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl CallContext<'_, '_> {
    /// BRN201 and BRN202 on one Hugging Face download call.
    pub(super) fn check_hub_download(&mut self, model_id: ModelId) {
        let mut argument = ArgValue::Absent;
        for (index, keyword) in model_id.keywords.iter().enumerate() {
            let position = (index == 0).then_some(model_id.position);
            argument = self.argument(position, keyword);
            if !matches!(argument, ArgValue::Absent) {
                break;
            }
        }
        let source = match argument {
            ArgValue::Absent if !model_id.required => return,
            ArgValue::Absent | ArgValue::MaybeInKwargs => ModelSource::Unknown,
            ArgValue::Passed { values, .. } => {
                self.model_source(&values, model_id.datasets_builders)
            }
        };
        if source == ModelSource::Local {
            return;
        }
        let revision_argument = self.argument(None, "revision");
        let revision = match &revision_argument {
            ArgValue::Absent => Verdict::Unsafe,
            ArgValue::MaybeInKwargs => Verdict::Unknown,
            ArgValue::Passed { values, .. } => super::judge(values, |value| match value {
                Value::Str(revision) if is_commit_sha(revision) => Verdict::Safe,
                Value::Unknown => Verdict::Unknown,
                _ => Verdict::Unsafe,
            }),
        };
        let callee = self.callee_display();
        match (&source, revision) {
            (ModelSource::Hub(id), Verdict::Unsafe) => {
                let message = format!(
                    "{callee} downloads `{id}` from the Hugging Face Hub without pinning `revision` to a commit sha; what it loads can change after review"
                );
                let pin = self.pin_request(id, &revision_argument, model_id.datasets_builders);
                self.report("BRN201", Severity::Warning, message, Vec::new());
                if let Some(finding) = self.findings.last_mut() {
                    finding.pin = pin;
                }
            }
            (ModelSource::Hub(id), Verdict::Unknown) => {
                let message = format!(
                    "cannot verify that {callee} pins `{id}`: its `revision` cannot be resolved statically"
                );
                self.report("BRN201", Severity::Info, message, Vec::new());
            }
            (_, Verdict::Safe) | (ModelSource::Local, _) => {}
            (ModelSource::Unknown, _) => {
                let message = format!(
                    "cannot verify that {callee} loads a local path or a pinned revision: the model id cannot be resolved statically"
                );
                self.report("BRN201", Severity::Info, message, Vec::new());
            }
        }
        self.check_trust_remote_code(&callee, revision == Verdict::Unsafe);
    }

    /// What the "pin revision" fix needs: the repository, the reference to look up in the local cache,
    /// and the edit with a `{sha}` placeholder.
    fn pin_request(&self, repo_id: &str, revision: &ArgValue, dataset: bool) -> Option<PinRequest> {
        let (reference, edit) = match revision {
            ArgValue::Absent => (
                "main".to_owned(),
                fix::add_keyword(self.facts(), self.call_data(), "revision=\"{sha}\""),
            ),
            ArgValue::Passed {
                values,
                arg: Some(arg),
            } => {
                let reference = values.iter().find_map(|v| v.as_str())?.to_owned();
                let text = if arg.kind == brine_facts::ArgKind::Positional {
                    "\"{sha}\""
                } else {
                    "revision=\"{sha}\""
                };
                (reference, fix::replace(arg.range, text))
            }
            _ => return None,
        };
        Some(PinRequest {
            repo_type: if dataset { "dataset" } else { "model" },
            repo_id: repo_id.to_owned(),
            reference,
            edit,
        })
    }

    /// BRN202: `trust_remote_code=True` runs the repository's Python code on load.
    fn check_trust_remote_code(&mut self, callee: &str, unpinned: bool) {
        let ArgValue::Passed { values, arg } = self.argument(None, "trust_remote_code") else {
            return;
        };
        let verdict = super::judge(&values, |value| match value.truthiness() {
            Some(true) => Verdict::Unsafe,
            Some(false) => Verdict::Safe,
            None => Verdict::Unknown,
        });
        let fixes = match arg {
            Some(arg) => vec![Fix::new(
                "Remove `trust_remote_code=True`",
                Applicability::Unsafe,
                vec![fix::remove_argument(
                    self.facts(),
                    self.call_data(),
                    arg.range,
                )],
            )],
            None => Vec::new(),
        };
        match verdict {
            Verdict::Unsafe => {
                let (severity, pinning) = if unpinned {
                    (Severity::Error, "from an unpinned revision, so any later push to the repository runs on your machine")
                } else {
                    (Severity::Warning, "from the repository")
                };
                let message = format!(
                    "{callee} with `trust_remote_code=True` executes Python code {pinning}"
                );
                self.report("BRN202", severity, message, fixes);
            }
            Verdict::Unknown => {
                let message = format!("cannot verify `trust_remote_code` of {callee}: its value cannot be resolved statically");
                self.report("BRN202", Severity::Info, message, fixes);
            }
            Verdict::Safe => {}
        }
    }

    fn model_source(&self, values: &ValueSet, datasets_builders: bool) -> ModelSource {
        let mut unknown = false;
        for value in values.iter() {
            match value {
                Value::Str(id) => {
                    let is_builder =
                        datasets_builders && PACKAGED_DATASET_BUILDERS.contains(&&**id);
                    if !is_builder && !self.is_local_path(id) {
                        return ModelSource::Hub(id.to_string());
                    }
                }
                Value::StrPrefix(prefix) if looks_like_path(prefix) => {}
                // Already loaded models and configs, paths built with os.path / pathlib.
                Value::LocalPath | Value::Instance(_) | Value::InstanceOf(..) => {}
                // `None` is a placeholder default (`name_or_path=None`): the real id comes from callers
                // outside the workspace.
                Value::None => unknown = true,
                _ => unknown = true,
            }
        }
        if unknown {
            ModelSource::Unknown
        } else {
            ModelSource::Local
        }
    }

    /// A string is a local path when it looks like one, or names a workspace directory (relative to
    /// the workspace root or to the file's folder).
    fn is_local_path(&self, text: &str) -> bool {
        if looks_like_path(text) {
            return true;
        }
        let workspace = self.resolver.workspace();
        let relative = text.trim_end_matches('/');
        if workspace.has_directory(relative) {
            return true;
        }
        let path = &workspace.file(self.file).path;
        match path.rfind('/') {
            Some(slash) => workspace.has_directory(&format!("{}/{relative}", &path[..slash])),
            None => false,
        }
    }

    /// BRN203: `torch.hub.load` runs `hubconf.py` from a GitHub repository.
    pub(super) fn check_torch_hub_load(&mut self) {
        let source = match self.argument(None, "source") {
            ArgValue::Absent => Verdict::Unsafe,
            ArgValue::MaybeInKwargs => Verdict::Unknown,
            ArgValue::Passed { values, .. } => super::judge(&values, |value| match value {
                Value::Str(source) if &**source == "local" => Verdict::Safe,
                Value::Str(_) => Verdict::Unsafe,
                _ => Verdict::Unknown,
            }),
        };
        if source == Verdict::Safe {
            return;
        }
        let repo = match self.argument(Some(0), "repo_or_dir") {
            ArgValue::Passed { values, .. } => super::judge(&values, |value| match value {
                Value::Str(repo) if is_pinned_github_repo(repo) => Verdict::Safe,
                Value::Str(_) => Verdict::Unsafe,
                _ => Verdict::Unknown,
            }),
            _ => Verdict::Unknown,
        };
        let callee = self.callee_display();
        match (source, repo) {
            (_, Verdict::Safe) => {}
            (Verdict::Unsafe, Verdict::Unsafe) => {
                let message = format!(
                    "{callee} downloads and executes `hubconf.py` from a GitHub repository that is not pinned to a commit (`owner/name:<40-hex sha>`)"
                );
                self.report("BRN203", Severity::Warning, message, Vec::new());
            }
            _ => {
                let message = format!(
                    "cannot verify that {callee} loads a local or pinned repository: its `repo_or_dir` or `source` cannot be resolved statically"
                );
                self.report("BRN203", Severity::Info, message, Vec::new());
            }
        }
    }
}

fn looks_like_path(text: &str) -> bool {
    text.starts_with("./")
        || text.starts_with("../")
        || text.starts_with('/')
        || text.starts_with('~')
        || text.starts_with(".\\")
        || text == "."
        || text == ".."
        || text.as_bytes().get(1..3) == Some(b":\\")
}

/// `owner/name:<40-hex sha>`
fn is_pinned_github_repo(repo: &str) -> bool {
    match repo.split_once(':') {
        Some((name, reference)) => name.contains('/') && is_commit_sha(reference),
        None => false,
    }
}
