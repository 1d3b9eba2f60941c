//! Classifies an imported callable `(module, name)` as allowed, dangerous or unknown.
//!
//! The decision is data: the tables below, read by one small function. Dangerous modules match
//! their submodules (`os.path` is in `os`). Python 2 names are mapped first the way the unpickler
//! does (`__builtin__` is `builtins`, `commands` is `subprocess`). Attribute chains in a name
//! (`torch` + `os.system`, which protocol 4 resolves with `getattr`) are judged by every tail of
//! the chain, and a chain through a dunder attribute (`__globals__`, `__builtins__`, ...) is
//! dangerous. Allowed entries match exactly, or by a name pattern that only accepts plain
//! identifiers, so no chain can ride on an allowed prefix.

/// How an import was classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportClass {
    /// An ML reconstruction helper on the allowlist.
    Allowed,
    /// Known to execute code, touch the system, or load further pickles.
    Dangerous,
    /// Anything else: not known to be harmful, not known to be safe.
    Unknown,
}

impl ImportClass {
    /// Lower-case name: "allowed", "dangerous", "unknown".
    pub fn as_str(self) -> &'static str {
        match self {
            ImportClass::Allowed => "allowed",
            ImportClass::Dangerous => "dangerous",
            ImportClass::Unknown => "unknown",
        }
    }
}

/// Python 2 module names that the unpickler (with `fix_imports`) maps to Python 3 modules.
const MODULE_ALIASES: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("exceptions", "builtins"),
    ("copy_reg", "copyreg"),
    ("cPickle", "pickle"),
    ("commands", "subprocess"),
    ("urllib2", "urllib.request"),
    ("httplib", "http.client"),
    ("thread", "_thread"),
    ("xmlrpclib", "xmlrpc.client"),
    ("SimpleXMLRPCServer", "xmlrpc.server"),
    ("BaseHTTPServer", "http.server"),
    ("SimpleHTTPServer", "http.server"),
    ("CGIHTTPServer", "http.server"),
    ("SocketServer", "socketserver"),
    ("StringIO", "io"),
    ("cStringIO", "io"),
    ("UserDict", "collections"),
    ("whichdb", "dbm"),
    ("anydbm", "dbm"),
];

/// A `(module, name)` pair.
type Pair = (&'static str, &'static str);

/// Python 2 `(module, name)` pairs that the unpickler maps to other Python 3 pairs.
const NAME_ALIASES: &[(Pair, Pair)] = &[
    (("__builtin__", "reduce"), ("functools", "reduce")),
    (("__builtin__", "intern"), ("sys", "intern")),
    (("__builtin__", "execfile"), ("builtins", "exec")),
    (("__builtin__", "file"), ("builtins", "open")),
    (("__builtin__", "raw_input"), ("builtins", "input")),
    (("__builtin__", "xrange"), ("builtins", "range")),
    (("__builtin__", "unicode"), ("builtins", "str")),
    (("__builtin__", "long"), ("builtins", "int")),
    (("__builtin__", "unichr"), ("builtins", "chr")),
    (("__builtin__", "basestring"), ("builtins", "str")),
    (("itertools", "imap"), ("builtins", "map")),
    (("itertools", "ifilter"), ("builtins", "filter")),
    (("itertools", "izip"), ("builtins", "zip")),
    (("os", "getcwdu"), ("os", "getcwd")),
];

/// Modules whose every member (and every submodule's) is dangerous: process execution, code
/// execution or compilation, imports, native code, file-system and network access, debuggers and
/// profilers that run code strings, and deserializers that load further pickles.
const DANGEROUS_MODULES: &[&str] = &[
    // processes and the operating system
    "os",
    "posix",
    "nt",
    "subprocess",
    "_posixsubprocess",
    "_winapi",
    "pty",
    "popen2",
    "multiprocessing",
    "_multiprocessing",
    "asyncio.subprocess",
    "signal",
    "sys",
    // code execution, compilation and imports
    "runpy",
    "code",
    "codeop",
    "importlib",
    "imp",
    "zipimport",
    "pkgutil",
    "ctypes",
    "_ctypes",
    "cffi",
    "marshal",
    "pdb",
    "bdb",
    "timeit",
    "trace",
    "profile",
    "cProfile",
    "doctest",
    "pydoc",
    "idlelib",
    "IPython",
    "numpy.testing",
    "numpy.f2py",
    "numpy.distutils",
    "torch.hub",
    "torch.package",
    "torch.utils.cpp_extension",
    "distutils",
    "setuptools",
    "pip",
    "ensurepip",
    "venv",
    // deserializers of further untrusted data
    "pickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "jsonpickle",
    "shelve",
    // files and the network
    "shutil",
    "tempfile",
    "fileinput",
    "socket",
    "_socket",
    "socketserver",
    "ssl",
    "select",
    "urllib.request",
    "http.client",
    "http.server",
    "ftplib",
    "smtplib",
    "telnetlib",
    "poplib",
    "imaplib",
    "nntplib",
    "xmlrpc",
    "webbrowser",
    "requests",
    "httpx",
    "urllib3",
    "aiohttp",
    "paramiko",
];

/// Single dangerous callables in modules that are otherwise unremarkable.
const DANGEROUS_NAMES: &[(&str, &str)] = &[
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "compile"),
    ("builtins", "getattr"),
    ("builtins", "setattr"),
    ("builtins", "delattr"),
    ("builtins", "__import__"),
    ("builtins", "open"),
    ("builtins", "breakpoint"),
    ("builtins", "input"),
    ("builtins", "globals"),
    ("builtins", "locals"),
    ("builtins", "vars"),
    ("builtins", "help"),
    ("builtins", "exit"),
    ("builtins", "quit"),
    ("types", "CodeType"),
    ("types", "FunctionType"),
    ("types", "LambdaType"),
    ("types", "MethodType"),
    ("operator", "attrgetter"),
    ("operator", "methodcaller"),
    ("_operator", "attrgetter"),
    ("_operator", "methodcaller"),
    ("io", "open"),
    ("io", "open_code"),
    ("io", "FileIO"),
    ("_io", "open"),
    ("_io", "open_code"),
    ("_io", "FileIO"),
    ("codecs", "open"),
    ("asyncio", "create_subprocess_exec"),
    ("asyncio", "create_subprocess_shell"),
    ("platform", "popen"),
    ("logging.config", "listen"),
    ("logging.config", "fileConfig"),
    ("logging.config", "dictConfig"),
    ("torch", "load"),
    ("torch.serialization", "load"),
    ("torch.jit", "load"),
    ("torch.utils.model_zoo", "load_url"),
    ("numpy", "load"),
    ("numpy", "loadtxt"),
    ("numpy", "fromfile"),
    ("numpy.lib.npyio", "load"),
    ("joblib", "load"),
    ("joblib.numpy_pickle", "load"),
    ("pandas", "read_pickle"),
    ("pandas.io.pickle", "read_pickle"),
    ("yaml", "load"),
    ("yaml", "load_all"),
    ("yaml", "unsafe_load"),
    ("yaml", "unsafe_load_all"),
    ("yaml", "full_load"),
    ("yaml", "full_load_all"),
    ("keras.models", "load_model"),
    ("keras.saving", "load_model"),
];

/// Allowed callables, matched exactly after Python 2 names are mapped.
const ALLOWED: &[(&str, &str)] = &[
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("collections", "Counter"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("builtins", "bytes"),
    ("builtins", "range"),
    ("builtins", "int"),
    ("builtins", "float"),
    ("builtins", "bool"),
    ("builtins", "str"),
    ("builtins", "list"),
    ("builtins", "tuple"),
    ("builtins", "dict"),
    ("_codecs", "encode"),
    ("codecs", "encode"),
    // torch tensors, parameters and their metadata
    ("torch", "Size"),
    ("torch", "device"),
    ("torch", "Tensor"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch.nn.parameter", "Parameter"),
    ("torch.serialization", "_get_layout"),
    ("torch.storage", "UntypedStorage"),
    ("torch.storage", "TypedStorage"),
    ("torch", "strided"),
    ("torch", "sparse_coo"),
    ("torch", "sparse_csr"),
    ("torch", "sparse_csc"),
    ("torch", "sparse_bsr"),
    ("torch", "sparse_bsc"),
    ("torch", "_mkldnn"),
    ("torch", "contiguous_format"),
    ("torch", "channels_last"),
    ("torch", "channels_last_3d"),
    ("torch", "preserve_format"),
    ("torch", "per_tensor_affine"),
    ("torch", "per_channel_affine"),
    ("torch", "per_tensor_symmetric"),
    ("torch", "per_channel_symmetric"),
    ("torch", "per_channel_affine_float_qparams"),
    // torch dtypes
    ("torch", "float32"),
    ("torch", "float"),
    ("torch", "float64"),
    ("torch", "double"),
    ("torch", "float16"),
    ("torch", "half"),
    ("torch", "bfloat16"),
    ("torch", "complex32"),
    ("torch", "chalf"),
    ("torch", "complex64"),
    ("torch", "cfloat"),
    ("torch", "complex128"),
    ("torch", "cdouble"),
    ("torch", "uint8"),
    ("torch", "uint16"),
    ("torch", "uint32"),
    ("torch", "uint64"),
    ("torch", "int8"),
    ("torch", "int16"),
    ("torch", "short"),
    ("torch", "int32"),
    ("torch", "int"),
    ("torch", "int64"),
    ("torch", "long"),
    ("torch", "bool"),
    ("torch", "qint8"),
    ("torch", "quint8"),
    ("torch", "qint32"),
    ("torch", "quint4x2"),
    ("torch", "quint2x4"),
    ("torch", "float8_e4m3fn"),
    ("torch", "float8_e5m2"),
    ("torch", "float8_e4m3fnuz"),
    ("torch", "float8_e5m2fnuz"),
    // numpy arrays, dtypes and scalars
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    // joblib's array placeholder (the array bytes follow it in the stream)
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper"),
];

/// How an allowed name pattern matches a plain identifier.
#[derive(Clone, Copy, Debug)]
enum NamePattern {
    Prefix(&'static str),
    Suffix(&'static str),
}

/// Allowed families: a module and a pattern for the name, which must be a plain identifier.
const ALLOWED_PATTERNS: &[(&str, NamePattern)] = &[
    // torch._utils._rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter, _rebuild_qtensor, ...
    ("torch._utils", NamePattern::Prefix("_rebuild_")),
    // torch.FloatStorage, torch.HalfStorage, ..., torch.cuda.FloatStorage, ...
    ("torch", NamePattern::Suffix("Storage")),
    ("torch.cuda", NamePattern::Suffix("Storage")),
    // numpy.dtypes.Float32DType, ...
    ("numpy.dtypes", NamePattern::Suffix("DType")),
];

/// Attribute chains longer than this are not analysed: they are dangerous on their face.
const MAX_SEGMENTS: usize = 16;

/// Classifies the callable `name` imported from `module`, the way `GLOBAL module name`,
/// `INST module name` or `STACK_GLOBAL` with those strings would resolve it.
pub fn classify(module: &str, name: &str) -> ImportClass {
    if module == "?" || name == "?" {
        return ImportClass::Dangerous;
    }
    if module.is_empty() || name.is_empty() {
        // The unpickler refuses these: nothing would be imported.
        return ImportClass::Unknown;
    }
    let (module, name) = normalize(module, name);
    let mod_segs: Vec<&str> = module.split('.').collect();
    let name_segs: Vec<&str> = name.split('.').collect();
    if mod_segs.len() + name_segs.len() > MAX_SEGMENTS {
        return ImportClass::Dangerous;
    }
    if name_segs.len() > 1 && name_segs.iter().any(|s| is_dunder(s)) {
        return ImportClass::Dangerous;
    }
    let path: Vec<&str> = mod_segs.iter().chain(name_segs.iter()).copied().collect();
    // The full path, and every tail that starts inside the name's attribute chain.
    let starts = std::iter::once(0).chain(mod_segs.len()..path.len());
    for start in starts {
        if dangerous_path(&path[start..]) {
            return ImportClass::Dangerous;
        }
    }
    if allowed(module, name) {
        ImportClass::Allowed
    } else {
        ImportClass::Unknown
    }
}

/// Applies the unpickler's Python 2 to 3 mapping.
fn normalize<'a>(module: &'a str, name: &'a str) -> (&'a str, &'a str) {
    for ((m, n), to) in NAME_ALIASES {
        if *m == module && *n == name {
            return *to;
        }
    }
    for (from, to) in MODULE_ALIASES {
        if *from == module {
            return (to, name);
        }
    }
    (module, name)
}

fn is_dunder(s: &str) -> bool {
    s.len() > 4 && s.starts_with("__") && s.ends_with("__")
}

/// Whether the path names a member of a dangerous module (the module followed by at least one
/// attribute) or starts with a dangerous callable.
fn dangerous_path(segs: &[&str]) -> bool {
    DANGEROUS_MODULES
        .iter()
        .any(|d| match strip_dotted(segs, d) {
            Some(rest) => !rest.is_empty(),
            None => false,
        })
        || DANGEROUS_NAMES
            .iter()
            .any(|(m, n)| strip_dotted(segs, m).is_some_and(|rest| rest.first() == Some(n)))
}

/// The segments after the dotted prefix, if `segs` starts with it.
fn strip_dotted<'s, 'a>(segs: &'s [&'a str], dotted: &str) -> Option<&'s [&'a str]> {
    let mut n = 0;
    for part in dotted.split('.') {
        if segs.get(n) != Some(&part) {
            return None;
        }
        n += 1;
    }
    segs.get(n..)
}

fn allowed(module: &str, name: &str) -> bool {
    if ALLOWED.iter().any(|(m, n)| *m == module && *n == name) {
        return true;
    }
    is_identifier(name)
        && ALLOWED_PATTERNS.iter().any(|(m, p)| {
            *m == module
                && match p {
                    NamePattern::Prefix(pre) => name.len() > pre.len() && name.starts_with(pre),
                    NamePattern::Suffix(suf) => name.len() > suf.len() && name.ends_with(suf),
                }
        })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::ImportClass::*;
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("os", "system", Dangerous),
            ("os.path", "join", Dangerous),
            ("posix", "system", Dangerous),
            ("nt", "system", Dangerous),
            ("subprocess", "Popen", Dangerous),
            ("builtins", "eval", Dangerous),
            ("__builtin__", "eval", Dangerous),
            ("__builtin__", "execfile", Dangerous),
            ("__builtin__", "file", Dangerous),
            ("builtins", "getattr", Dangerous),
            ("builtins", "__import__", Dangerous),
            ("commands", "getoutput", Dangerous),
            ("types", "CodeType", Dangerous),
            ("operator", "attrgetter", Dangerous),
            ("runpy", "_run_code", Dangerous),
            ("pickle", "loads", Dangerous),
            ("cPickle", "loads", Dangerous),
            ("_pickle", "loads", Dangerous),
            ("torch", "load", Dangerous),
            ("torch.hub", "load", Dangerous),
            ("torch", "hub.load", Dangerous),
            ("torch", "os.system", Dangerous),
            ("collections", "OrderedDict.__init__.__globals__", Dangerous),
            ("numpy.testing._private.utils", "runstring", Dangerous),
            ("asyncio.subprocess", "create_subprocess_shell", Dangerous),
            ("?", "?", Dangerous),
            ("collections", "OrderedDict", Allowed),
            ("torch._utils", "_rebuild_tensor_v2", Allowed),
            ("torch._utils", "_rebuild_parameter", Allowed),
            ("torch._utils", "_rebuild_qtensor", Allowed),
            ("torch", "FloatStorage", Allowed),
            ("torch.cuda", "HalfStorage", Allowed),
            ("torch", "Size", Allowed),
            ("torch", "float32", Allowed),
            ("numpy.core.multiarray", "_reconstruct", Allowed),
            ("numpy._core.multiarray", "_reconstruct", Allowed),
            ("numpy", "dtype", Allowed),
            ("builtins", "set", Allowed),
            ("__builtin__", "set", Allowed),
            ("copy_reg", "_reconstructor", Unknown),
            ("copyreg", "_reconstructor", Unknown),
            ("_codecs", "encode", Allowed),
            ("torch.storage", "_load_from_bytes", Unknown),
            ("torch._utils", "_rebuild_tensor.x", Unknown),
            ("torch._utils", "_rebuild_", Unknown),
            ("torch", "Storage", Unknown),
            ("torch", "x.FloatStorage", Unknown),
            (
                "sklearn.linear_model._logistic",
                "LogisticRegression",
                Unknown,
            ),
            ("codecs", "decode", Unknown),
            ("osx", "thing", Unknown),
            ("mypkg.os", "helper", Unknown),
            ("mypkg.code.x", "Y", Unknown),
            ("__main__", "Model", Unknown),
        ];
        for (m, n, want) in cases {
            assert_eq!(classify(m, n), want, "{m}.{n}");
        }
    }

    #[test]
    fn absurd_chains_are_dangerous() {
        let name = vec!["a"; 20].join(".");
        assert_eq!(classify("m", &name), Dangerous);
    }
}
