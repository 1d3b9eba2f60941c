//! Library behaviour as data: which qualified names are sinks, and of which kind.
//!
//! Adding a library function to brine means adding a row here, not touching the checks.

/// What kind of check a sink call gets, with the argument positions that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// BRN101: always dangerous.
    Pickle,
    /// BRN102. `weights_only_position` for functions that take it positionally; `version_default`
    /// when torch >= 2.6 makes `weights_only=True` the default of this function.
    TorchLoad {
        weights_only_position: Option<usize>,
        pickle_module_position: Option<usize>,
        version_default: bool,
    },
    /// BRN103
    NumpyLoad,
    /// BRN104: PyYAML or legacy ruamel `load`/`load_all` with a `Loader` argument.
    YamlLoad { ruamel: bool },
    /// BRN104: a loader function that is unsafe by definition.
    YamlUnsafeFunction,
    /// BRN104: `ruamel.yaml.YAML(typ=...)`.
    RuamelYaml,
    /// BRN105
    KerasLoad,
    /// BRN201/BRN202: a Hugging Face download; where the model id is.
    HubDownload(ModelId),
    /// BRN203
    TorchHubLoad,
    /// A sink declared in configuration (`sinks = [{ name = "...", arg = 0 }]`), reported as BRN101.
    User,
}

/// Where a hub call takes its model or repository id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelId {
    pub position: usize,
    pub keywords: &'static [&'static str],
    /// `datasets.load_dataset("csv", ...)` names a packaged builder, not a repository.
    pub datasets_builders: bool,
    /// `pipeline(task)` without a model downloads the task's default model, pinned by transformers.
    pub required: bool,
}

const PRETRAINED: ModelId = ModelId {
    position: 0,
    keywords: &["pretrained_model_name_or_path"],
    datasets_builders: false,
    required: true,
};
const PEFT_ADAPTER: ModelId = ModelId {
    position: 1,
    keywords: &["model_id"],
    datasets_builders: false,
    required: true,
};
const REPO_ID: ModelId = ModelId {
    position: 0,
    keywords: &["repo_id"],
    datasets_builders: false,
    required: true,
};

const TORCH_LOAD: SinkKind = SinkKind::TorchLoad {
    weights_only_position: None,
    pickle_module_position: Some(2),
    version_default: true,
};
const TORCH_LOAD_URL: SinkKind = SinkKind::TorchLoad {
    weights_only_position: Some(6),
    pickle_module_position: None,
    version_default: false,
};

/// Exact qualified names of sinks.
static SINKS: &[(&str, SinkKind)] = &[
    ("pickle.load", SinkKind::Pickle),
    ("pickle.loads", SinkKind::Pickle),
    ("pickle.Unpickler", SinkKind::Pickle),
    ("cPickle.load", SinkKind::Pickle),
    ("cPickle.loads", SinkKind::Pickle),
    ("cPickle.Unpickler", SinkKind::Pickle),
    ("_pickle.load", SinkKind::Pickle),
    ("_pickle.loads", SinkKind::Pickle),
    ("_pickle.Unpickler", SinkKind::Pickle),
    ("dill.load", SinkKind::Pickle),
    ("dill.loads", SinkKind::Pickle),
    ("dill.Unpickler", SinkKind::Pickle),
    ("dill.load_session", SinkKind::Pickle),
    ("cloudpickle.load", SinkKind::Pickle),
    ("cloudpickle.loads", SinkKind::Pickle),
    ("joblib.load", SinkKind::Pickle),
    ("jsonpickle.decode", SinkKind::Pickle),
    ("jsonpickle.unpickler.decode", SinkKind::Pickle),
    ("jsonpickle.unpickler.Unpickler", SinkKind::Pickle),
    ("pandas.read_pickle", SinkKind::Pickle),
    ("pandas.io.pickle.read_pickle", SinkKind::Pickle),
    ("shelve.open", SinkKind::Pickle),
    ("shelve.DbfilenameShelf", SinkKind::Pickle),
    ("marshal.load", SinkKind::Pickle),
    ("marshal.loads", SinkKind::Pickle),
    ("torch.package.PackageImporter", SinkKind::Pickle),
    (
        "torch.package.package_importer.PackageImporter",
        SinkKind::Pickle,
    ),
    ("torch.load", TORCH_LOAD),
    ("torch.serialization.load", TORCH_LOAD),
    ("torch.hub.load_state_dict_from_url", TORCH_LOAD_URL),
    ("torch.utils.model_zoo.load_url", TORCH_LOAD_URL),
    ("numpy.load", SinkKind::NumpyLoad),
    ("yaml.load", SinkKind::YamlLoad { ruamel: false }),
    ("yaml.load_all", SinkKind::YamlLoad { ruamel: false }),
    ("yaml.unsafe_load", SinkKind::YamlUnsafeFunction),
    ("yaml.unsafe_load_all", SinkKind::YamlUnsafeFunction),
    ("yaml.full_load", SinkKind::YamlUnsafeFunction),
    ("yaml.full_load_all", SinkKind::YamlUnsafeFunction),
    ("ruamel.yaml.YAML", SinkKind::RuamelYaml),
    ("ruamel.yaml.main.YAML", SinkKind::RuamelYaml),
    ("ruamel.yaml.load", SinkKind::YamlLoad { ruamel: true }),
    ("ruamel.yaml.load_all", SinkKind::YamlLoad { ruamel: true }),
    ("ruamel.yaml.main.load", SinkKind::YamlLoad { ruamel: true }),
    (
        "ruamel.yaml.main.load_all",
        SinkKind::YamlLoad { ruamel: true },
    ),
    ("keras.models.load_model", SinkKind::KerasLoad),
    ("keras.saving.load_model", SinkKind::KerasLoad),
    ("tensorflow.keras.models.load_model", SinkKind::KerasLoad),
    ("tensorflow.keras.saving.load_model", SinkKind::KerasLoad),
    ("tf_keras.models.load_model", SinkKind::KerasLoad),
    (
        "transformers.pipeline",
        SinkKind::HubDownload(ModelId {
            position: 1,
            keywords: &["model"],
            datasets_builders: false,
            required: false,
        }),
    ),
    (
        "transformers.pipelines.pipeline",
        SinkKind::HubDownload(ModelId {
            position: 1,
            keywords: &["model"],
            datasets_builders: false,
            required: false,
        }),
    ),
    (
        "sentence_transformers.SentenceTransformer",
        SinkKind::HubDownload(SENTENCE_TRANSFORMER),
    ),
    (
        "sentence_transformers.SentenceTransformer.SentenceTransformer",
        SinkKind::HubDownload(SENTENCE_TRANSFORMER),
    ),
    (
        "sentence_transformers.CrossEncoder",
        SinkKind::HubDownload(SENTENCE_TRANSFORMER),
    ),
    (
        "sentence_transformers.cross_encoder.CrossEncoder",
        SinkKind::HubDownload(SENTENCE_TRANSFORMER),
    ),
    (
        "huggingface_hub.hf_hub_download",
        SinkKind::HubDownload(REPO_ID),
    ),
    (
        "huggingface_hub.file_download.hf_hub_download",
        SinkKind::HubDownload(REPO_ID),
    ),
    (
        "huggingface_hub.HfApi.hf_hub_download",
        SinkKind::HubDownload(REPO_ID),
    ),
    (
        "huggingface_hub.hf_api.HfApi.hf_hub_download",
        SinkKind::HubDownload(REPO_ID),
    ),
    (
        "huggingface_hub.snapshot_download",
        SinkKind::HubDownload(REPO_ID),
    ),
    (
        "huggingface_hub._snapshot_download.snapshot_download",
        SinkKind::HubDownload(REPO_ID),
    ),
    (
        "huggingface_hub.HfApi.snapshot_download",
        SinkKind::HubDownload(REPO_ID),
    ),
    (
        "huggingface_hub.hf_api.HfApi.snapshot_download",
        SinkKind::HubDownload(REPO_ID),
    ),
    (
        "datasets.load_dataset",
        SinkKind::HubDownload(ModelId {
            position: 0,
            keywords: &["path"],
            datasets_builders: true,
            required: true,
        }),
    ),
    (
        "datasets.load.load_dataset",
        SinkKind::HubDownload(ModelId {
            position: 0,
            keywords: &["path"],
            datasets_builders: true,
            required: true,
        }),
    ),
    ("torch.hub.load", SinkKind::TorchHubLoad),
];

const SENTENCE_TRANSFORMER: ModelId = ModelId {
    position: 0,
    keywords: &["model_name_or_path", "model_name"],
    datasets_builders: false,
    required: true,
};

/// Packages whose classes' `from_pretrained` downloads from the Hugging Face Hub.
static PRETRAINED_PACKAGES: &[&str] = &["transformers", "diffusers", "peft"];

/// The sink a library name stands for, if any.
pub fn sink_for(name: &str) -> Option<SinkKind> {
    // Asked for callees of every call: a map built once, not a scan of the table.
    static BY_NAME: std::sync::LazyLock<rustc_hash::FxHashMap<&'static str, SinkKind>> =
        std::sync::LazyLock::new(|| {
            let mut by_name = rustc_hash::FxHashMap::default();
            for &(sink, kind) in SINKS {
                // The table's first entry for a name decides, as a scan would.
                by_name.entry(sink).or_insert(kind);
            }
            by_name
        });
    if let Some(kind) = BY_NAME.get(name) {
        return Some(*kind);
    }
    let owner = name.strip_suffix(".from_pretrained")?;
    let package = owner.split('.').next()?;
    if !PRETRAINED_PACKAGES.contains(&package) {
        return None;
    }
    // `PeftModel.from_pretrained(base_model, model_id)` takes the adapter id second.
    let class = owner.rsplit('.').next().unwrap_or(owner);
    if package == "peft" && class.starts_with("PeftModel") {
        return Some(SinkKind::HubDownload(PEFT_ADAPTER));
    }
    Some(SinkKind::HubDownload(PRETRAINED))
}

/// The sink assumed for a method call whose object cannot be resolved: only `from_pretrained`,
/// whose name is specific to Hugging Face style loaders.
pub fn unresolved_method_sink(method: &str) -> Option<SinkKind> {
    (method == "from_pretrained").then_some(SinkKind::HubDownload(PRETRAINED))
}

/// The argument that carries the data (or the path or stream of it) into a sink.
pub fn data_argument(
    kind: SinkKind,
    args: brine_facts::Args<'_>,
    library_name: &str,
    options: &super::CheckOptions,
) -> Option<brine_facts::ExprId> {
    let keywords: &[&str] = match kind {
        SinkKind::User => {
            let sink = options
                .user_sinks
                .iter()
                .find(|sink| sink.name == library_name)?;
            let arg = match sink.arg.as_deref() {
                None => args.positional(0),
                Some(arg) => match arg.parse::<usize>() {
                    Ok(index) => args.positional(index),
                    Err(_) => args.keyword(arg),
                },
            };
            return arg.map(|arg| arg.value);
        }
        SinkKind::Pickle => &[
            "file",
            "data",
            "filename",
            "filepath_or_buffer",
            "string",
            "s",
            "f",
        ],
        SinkKind::TorchLoad { .. } => &["f", "url"],
        SinkKind::NumpyLoad => &["file"],
        SinkKind::YamlLoad { .. } | SinkKind::YamlUnsafeFunction => &["stream"],
        SinkKind::KerasLoad => &["filepath"],
        SinkKind::RuamelYaml | SinkKind::HubDownload(_) | SinkKind::TorchHubLoad => return None,
    };
    args.positional(0)
        .or_else(|| keywords.iter().find_map(|keyword| args.keyword(keyword)))
        .map(|arg| arg.value)
}

/// The last names of every sink, to skip attribute calls that cannot be sinks without resolving them.
pub fn could_be_sink(last_name: &str) -> bool {
    // Asked for every attribute call of every file: a set built once, not a scan of the table.
    static LAST_NAMES: std::sync::LazyLock<rustc_hash::FxHashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            SINKS
                .iter()
                .filter_map(|(sink, _)| sink.rsplit('.').next())
                .chain(["from_pretrained"])
                .collect()
        });
    LAST_NAMES.contains(last_name)
}

/// PyYAML loaders that construct only plain data.
pub static SAFE_YAML_LOADERS: &[&str] = &[
    "yaml.SafeLoader",
    "yaml.CSafeLoader",
    "yaml.BaseLoader",
    "yaml.CBaseLoader",
    "yaml.loader.SafeLoader",
    "yaml.loader.BaseLoader",
    "yaml.cyaml.CSafeLoader",
    "yaml.cyaml.CBaseLoader",
];

/// ruamel.yaml's legacy loaders that construct only plain (or round-trip) data.
pub static SAFE_RUAMEL_LOADERS: &[&str] = &[
    "ruamel.yaml.SafeLoader",
    "ruamel.yaml.CSafeLoader",
    "ruamel.yaml.BaseLoader",
    "ruamel.yaml.CBaseLoader",
    "ruamel.yaml.RoundTripLoader",
    "ruamel.yaml.loader.SafeLoader",
    "ruamel.yaml.loader.BaseLoader",
    "ruamel.yaml.loader.RoundTripLoader",
];

/// `datasets` builders that read local or in-memory data rather than a Hub repository.
pub static PACKAGED_DATASET_BUILDERS: &[&str] = &[
    "csv",
    "json",
    "parquet",
    "text",
    "arrow",
    "pandas",
    "imagefolder",
    "audiofolder",
    "videofolder",
    "webdataset",
    "sql",
    "generator",
    "xml",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The check skips callees whose last name fails `could_be_sink` before building their full
    /// name: every name `sink_for` knows must pass it.
    #[test]
    fn every_sink_passes_the_last_name_filter() {
        let pretrained = PRETRAINED_PACKAGES
            .iter()
            .map(|package| format!("{package}.Model.from_pretrained"));
        let names: Vec<String> = SINKS
            .iter()
            .map(|(sink, _)| sink.to_string())
            .chain(pretrained)
            .collect();
        for name in names {
            assert!(sink_for(&name).is_some(), "{name}");
            let last = name.rsplit('.').next().unwrap();
            assert!(could_be_sink(last), "{name}");
        }
    }

    #[test]
    fn the_first_entry_of_a_sink_decides() {
        for (sink, kind) in SINKS {
            let first = SINKS.iter().find(|(name, _)| name == sink).unwrap().1;
            assert_eq!(sink_for(sink), Some(first), "{sink} {kind:?}");
        }
    }
}
