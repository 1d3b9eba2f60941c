//! BRN1xx: deserializers that execute code (pickle family, torch.load, numpy, YAML, Keras).

use super::library::{SAFE_RUAMEL_LOADERS, SAFE_YAML_LOADERS};
use super::{judge, CallContext, Severity, Verdict};
use crate::fix::{self, Applicability, Fix};
use crate::resolve::ArgValue;
use crate::value::Value;

impl CallContext<'_, '_> {
    /// BRN101: pickle and its relatives are always dangerous on data you did not produce.
    pub(super) fn check_pickle(&mut self) {
        let message = format!(
            "{} deserializes pickle data, which can execute arbitrary code; load only data you produced",
            self.callee_display()
        );
        self.report("BRN101", Severity::Warning, message, Vec::new());
    }

    /// BRN101 for a sink declared in configuration.
    pub(super) fn check_user_sink(&mut self) {
        let message = format!(
            "{} is configured as a sink that deserializes data in a code-executing format",
            self.callee_display()
        );
        self.report("BRN101", Severity::Warning, message, Vec::new());
    }

    /// BRN102: `torch.load` unpickles unless `weights_only=True`.
    pub(super) fn check_torch_load(
        &mut self,
        weights_only_position: Option<usize>,
        pickle_module_position: Option<usize>,
        version_default: bool,
    ) {
        let callee = self.callee_display();
        let default_is_safe = version_default
            && self
                .options
                .torch_version
                .is_some_and(|v| v.loads_weights_only_by_default());
        let absent_verdict = if default_is_safe {
            Verdict::Safe
        } else {
            Verdict::Unsafe
        };
        let weights_only = self.argument(weights_only_position, "weights_only");
        let (verdict, explicit) = match &weights_only {
            ArgValue::Absent => (absent_verdict, None),
            ArgValue::MaybeInKwargs => (
                if default_is_safe {
                    Verdict::Safe
                } else {
                    Verdict::Unknown
                },
                None,
            ),
            ArgValue::Passed { values, arg } => {
                let verdict = judge(values, |value| match value {
                    Value::None => absent_verdict,
                    other => match other.truthiness() {
                        Some(true) => Verdict::Safe,
                        Some(false) => Verdict::Unsafe,
                        None => Verdict::Unknown,
                    },
                });
                (verdict, arg.clone())
            }
        };
        let pickle_module = self.argument(pickle_module_position, "pickle_module");
        let custom_pickle_module = match &pickle_module {
            ArgValue::Passed { values, .. } => values.iter().any(|value| {
                !matches!(value, Value::None) && *value != Value::Qualified("pickle".into())
            }),
            _ => false,
        };
        let call = self.call_data();
        let facts = self.facts();
        let weights_only_fix = match &explicit {
            Some(arg) => Fix::new(
                "Replace with `weights_only=True`",
                Applicability::Unsafe,
                vec![fix::replace(arg.range, "weights_only=True")],
            ),
            None => Fix::new(
                "Add `weights_only=True`",
                Applicability::Unsafe,
                vec![fix::add_keyword(facts, call, "weights_only=True")],
            ),
        };
        let safetensors = Fix::new(
            "Switch to safetensors: `safetensors.torch.load_file(path)` (the file must be converted first)",
            Applicability::DisplayOnly,
            fix::switch_to_safetensors(facts, call),
        );
        match verdict {
            Verdict::Unsafe => {
                let how = if explicit.is_some() {
                    "with `weights_only` that can be false"
                } else {
                    "without `weights_only=True`"
                };
                let message = format!(
                    "{callee} {how} unpickles the checkpoint, which can execute arbitrary code"
                );
                self.report(
                    "BRN102",
                    Severity::Warning,
                    message,
                    vec![weights_only_fix, safetensors],
                );
            }
            _ if custom_pickle_module => {
                let message = format!(
                    "{callee} with a custom `pickle_module` deserializes with that module, which can execute arbitrary code"
                );
                self.report("BRN102", Severity::Warning, message, vec![safetensors]);
            }
            Verdict::Unknown => {
                let message = format!(
                    "cannot verify `weights_only` of {callee}: its value cannot be resolved statically"
                );
                self.report("BRN102", Severity::Info, message, vec![weights_only_fix]);
            }
            Verdict::Safe => {}
        }
    }

    /// BRN103: `numpy.load(..., allow_pickle=True)` unpickles object arrays.
    pub(super) fn check_numpy_load(&mut self) {
        let ArgValue::Passed { values, arg } = self.argument(Some(2), "allow_pickle") else {
            return;
        };
        let verdict = judge(&values, |value| match value.truthiness() {
            Some(true) => Verdict::Unsafe,
            Some(false) => Verdict::Safe,
            None => Verdict::Unknown,
        });
        let callee = self.callee_display();
        let fixes = match arg {
            Some(arg) if arg.kind != brine_facts::ArgKind::Positional => vec![Fix::new(
                "Replace with `allow_pickle=False`",
                Applicability::Unsafe,
                vec![fix::replace(arg.range, "allow_pickle=False")],
            )],
            Some(arg) => vec![Fix::new(
                "Replace with `False`",
                Applicability::Unsafe,
                vec![fix::replace(arg.range, "False")],
            )],
            None => Vec::new(),
        };
        match verdict {
            Verdict::Unsafe => {
                let message = format!(
                    "{callee} with `allow_pickle` true unpickles object arrays, which can execute arbitrary code"
                );
                self.report("BRN103", Severity::Warning, message, fixes);
            }
            Verdict::Unknown => {
                let message = format!("cannot verify `allow_pickle` of {callee}: its value cannot be resolved statically");
                self.report("BRN103", Severity::Info, message, fixes);
            }
            Verdict::Safe => {}
        }
    }

    /// BRN104: `yaml.load` with a loader that can construct arbitrary Python objects.
    pub(super) fn check_yaml_load(&mut self, ruamel: bool) {
        let safe_loaders = if ruamel {
            SAFE_RUAMEL_LOADERS
        } else {
            SAFE_YAML_LOADERS
        };
        let loader = self.argument(Some(1), "Loader");
        let callee = self.callee_display();
        let verdict = match &loader {
            ArgValue::Absent => Verdict::Unsafe,
            ArgValue::MaybeInKwargs => Verdict::Unknown,
            ArgValue::Passed { values, .. } => {
                let values = values.clone();
                let mut verdicts = Vec::new();
                for value in values.iter() {
                    verdicts.push(self.loader_verdict(value, safe_loaders));
                }
                if verdicts.contains(&Verdict::Unsafe) {
                    Verdict::Unsafe
                } else if verdicts.contains(&Verdict::Unknown) {
                    Verdict::Unknown
                } else {
                    Verdict::Safe
                }
            }
        };
        let fixes = if ruamel {
            Vec::new()
        } else {
            self.yaml_fix(&loader)
        };
        match verdict {
            Verdict::Unsafe => {
                let how = match loader {
                    ArgValue::Absent => "without a safe `Loader`",
                    _ => "with a `Loader` that is not a safe loader",
                };
                let message = format!(
                    "{callee} {how} can construct arbitrary Python objects and execute code; use `yaml.safe_load`"
                );
                self.report("BRN104", Severity::Warning, message, fixes);
            }
            Verdict::Unknown => {
                let message = format!("cannot verify the `Loader` of {callee}: its value cannot be resolved statically");
                self.report("BRN104", Severity::Info, message, fixes);
            }
            Verdict::Safe => {}
        }
    }

    /// A loader is safe when it is a safe loader or a workspace class derived from one.
    fn loader_verdict(&mut self, value: &Value, safe_loaders: &[&str]) -> Verdict {
        let mut pending = vec![(value.clone(), 0)];
        let mut saw_unknown = false;
        while let Some((value, depth)) = pending.pop() {
            match &value {
                Value::Qualified(name) if safe_loaders.contains(&&**name) => return Verdict::Safe,
                Value::Class(file, class) if depth < 8 => {
                    for base in self.resolver.class_bases(*file, *class) {
                        pending.push((base, depth + 1));
                    }
                }
                Value::Unknown => saw_unknown = true,
                _ => {}
            }
        }
        if saw_unknown {
            Verdict::Unknown
        } else {
            Verdict::Unsafe
        }
    }

    /// `yaml.load(x)` -> `yaml.safe_load(x)`, or `Loader=...` -> `Loader=yaml.SafeLoader`.
    fn yaml_fix(&self, loader: &ArgValue) -> Vec<Fix> {
        let facts = self.facts();
        let call = self.call_data();
        let brine_facts::Expr::Attribute { object, attr } = facts.expr(call.callee) else {
            return Vec::new();
        };
        let Some(module) = super::dotted_text(facts, *object) else {
            return Vec::new();
        };
        match loader {
            ArgValue::Absent => {
                let safe = if attr.ends_with("_all") {
                    "safe_load_all"
                } else {
                    "safe_load"
                };
                vec![Fix::new(
                    format!("Use `{module}.{safe}`"),
                    Applicability::Safe,
                    vec![fix::replace(
                        fix::attribute_name_range(facts, call, attr),
                        safe,
                    )],
                )]
            }
            ArgValue::Passed { arg: Some(arg), .. } => {
                let text = if arg.kind == brine_facts::ArgKind::Positional {
                    format!("{module}.SafeLoader")
                } else {
                    format!("Loader={module}.SafeLoader")
                };
                vec![Fix::new(
                    format!("Use `Loader={module}.SafeLoader`"),
                    Applicability::Safe,
                    vec![fix::replace(arg.range, &text)],
                )]
            }
            _ => Vec::new(),
        }
    }

    /// BRN104: `yaml.unsafe_load`, `yaml.full_load` and their `_all` forms.
    pub(super) fn check_yaml_unsafe_function(&mut self) {
        let callee = self.callee_display();
        let facts = self.facts();
        let call = self.call_data();
        let mut fixes = Vec::new();
        if let brine_facts::Expr::Attribute { attr, .. } = facts.expr(call.callee) {
            let safe = if attr.ends_with("_all") {
                "safe_load_all"
            } else {
                "safe_load"
            };
            fixes.push(Fix::new(
                format!("Use `{safe}`"),
                Applicability::Safe,
                vec![fix::replace(
                    fix::attribute_name_range(facts, call, attr),
                    safe,
                )],
            ));
        }
        let message = format!("{callee} can construct arbitrary Python objects and execute code; use `yaml.safe_load`");
        self.report("BRN104", Severity::Warning, message, fixes);
    }

    /// BRN104: `ruamel.yaml.YAML(typ="unsafe")`.
    pub(super) fn check_ruamel_yaml(&mut self) {
        let ArgValue::Passed { values, .. } = self.argument(None, "typ") else {
            return;
        };
        let mut verdict = Verdict::Safe;
        for value in values.iter() {
            let strings: Vec<Option<String>> = match value {
                Value::Str(s) => vec![Some(s.to_string())],
                Value::None => vec![],
                Value::Sequence(file, seq) => {
                    let facts = &self.resolver.workspace().file(*file).facts;
                    match facts.expr(*seq) {
                        brine_facts::Expr::Tuple(items) | brine_facts::Expr::List(items) => facts
                            .list(*items)
                            .iter()
                            .map(|&item| match facts.expr(item) {
                                brine_facts::Expr::Str(s) => Some(facts.string(*s).to_string()),
                                _ => None,
                            })
                            .collect(),
                        _ => vec![None],
                    }
                }
                _ => vec![None],
            };
            for typ in strings {
                match typ.as_deref() {
                    Some("unsafe") => verdict = Verdict::Unsafe,
                    None if verdict == Verdict::Safe => verdict = Verdict::Unknown,
                    _ => {}
                }
            }
        }
        let callee = self.callee_display();
        match verdict {
            Verdict::Unsafe => {
                let message = format!(
                    "{callee} with `typ=\"unsafe\"` can construct arbitrary Python objects and execute code; use `typ=\"safe\"`"
                );
                self.report("BRN104", Severity::Warning, message, Vec::new());
            }
            Verdict::Unknown => {
                let message = format!(
                    "cannot verify the `typ` of {callee}: its value cannot be resolved statically"
                );
                self.report("BRN104", Severity::Info, message, Vec::new());
            }
            Verdict::Safe => {}
        }
    }

    /// BRN105: Keras `load_model(..., safe_mode=False)` deserializes Lambda layers' bytecode.
    pub(super) fn check_keras_load(&mut self) {
        let ArgValue::Passed { values, arg } = self.argument(Some(3), "safe_mode") else {
            return;
        };
        let verdict = judge(&values, |value| match value.truthiness() {
            Some(false) => Verdict::Unsafe,
            Some(true) => Verdict::Safe,
            None => Verdict::Unknown,
        });
        let callee = self.callee_display();
        let fixes = match arg {
            Some(arg) => vec![Fix::new(
                "Remove `safe_mode=False`",
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
                let message = format!(
                    "{callee} with `safe_mode=False` deserializes arbitrary code (Lambda layers) from the model file"
                );
                self.report("BRN105", Severity::Warning, message, fixes);
            }
            Verdict::Unknown => {
                let message = format!("cannot verify `safe_mode` of {callee}: its value cannot be resolved statically");
                self.report("BRN105", Severity::Info, message, Vec::new());
            }
            Verdict::Safe => {}
        }
    }
}
