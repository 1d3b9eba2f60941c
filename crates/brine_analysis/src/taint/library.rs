//! Taint library knowledge as data: sources, propagators and name-based fallbacks.

/// Where untrusted data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// Data an outsider controls over the network (the default threat model).
    Remote,
    /// argv, environment, stdin: reported as "local input" unless `threat-model = "local"`.
    Local,
    /// A pickle file of the workspace that BRN401 flags.
    Artifact,
}

/// Calls whose return value is untrusted, by qualified name.
pub static CALL_SOURCES: &[(&str, SourceKind, &str)] = &[
    (
        "requests.get",
        SourceKind::Remote,
        "response of `requests.get`",
    ),
    (
        "requests.post",
        SourceKind::Remote,
        "response of `requests.post`",
    ),
    (
        "requests.put",
        SourceKind::Remote,
        "response of `requests.put`",
    ),
    (
        "requests.patch",
        SourceKind::Remote,
        "response of `requests.patch`",
    ),
    (
        "requests.delete",
        SourceKind::Remote,
        "response of `requests.delete`",
    ),
    (
        "requests.request",
        SourceKind::Remote,
        "response of `requests.request`",
    ),
    (
        "requests.api.get",
        SourceKind::Remote,
        "response of `requests.get`",
    ),
    (
        "requests.api.request",
        SourceKind::Remote,
        "response of `requests.request`",
    ),
    (
        "requests.Session.get",
        SourceKind::Remote,
        "response of `requests.Session.get`",
    ),
    (
        "requests.Session.post",
        SourceKind::Remote,
        "response of `requests.Session.post`",
    ),
    (
        "requests.Session.request",
        SourceKind::Remote,
        "response of `requests.Session.request`",
    ),
    (
        "requests.Session.send",
        SourceKind::Remote,
        "response of `requests.Session.send`",
    ),
    ("httpx.get", SourceKind::Remote, "response of `httpx.get`"),
    ("httpx.post", SourceKind::Remote, "response of `httpx.post`"),
    (
        "httpx.request",
        SourceKind::Remote,
        "response of `httpx.request`",
    ),
    (
        "httpx.stream",
        SourceKind::Remote,
        "response of `httpx.stream`",
    ),
    (
        "httpx.Client.get",
        SourceKind::Remote,
        "response of `httpx.Client.get`",
    ),
    (
        "httpx.Client.post",
        SourceKind::Remote,
        "response of `httpx.Client.post`",
    ),
    (
        "httpx.Client.request",
        SourceKind::Remote,
        "response of `httpx.Client.request`",
    ),
    (
        "httpx.Client.stream",
        SourceKind::Remote,
        "response of `httpx.Client.stream`",
    ),
    (
        "httpx.AsyncClient.get",
        SourceKind::Remote,
        "response of `httpx.AsyncClient.get`",
    ),
    (
        "httpx.AsyncClient.post",
        SourceKind::Remote,
        "response of `httpx.AsyncClient.post`",
    ),
    (
        "httpx.AsyncClient.request",
        SourceKind::Remote,
        "response of `httpx.AsyncClient.request`",
    ),
    (
        "urllib.request.urlopen",
        SourceKind::Remote,
        "response of `urllib.request.urlopen`",
    ),
    (
        "urllib.request.urlretrieve",
        SourceKind::Remote,
        "file downloaded by `urllib.request.urlretrieve`",
    ),
    (
        "urllib3.request",
        SourceKind::Remote,
        "response of `urllib3.request`",
    ),
    (
        "urllib3.PoolManager.request",
        SourceKind::Remote,
        "response of `urllib3.PoolManager.request`",
    ),
    (
        "urllib3.PoolManager.urlopen",
        SourceKind::Remote,
        "response of `urllib3.PoolManager.urlopen`",
    ),
    (
        "aiohttp.ClientSession.get",
        SourceKind::Remote,
        "response of `aiohttp.ClientSession.get`",
    ),
    (
        "aiohttp.ClientSession.post",
        SourceKind::Remote,
        "response of `aiohttp.ClientSession.post`",
    ),
    (
        "aiohttp.ClientSession.request",
        SourceKind::Remote,
        "response of `aiohttp.ClientSession.request`",
    ),
    (
        "http.client.HTTPConnection.getresponse",
        SourceKind::Remote,
        "response of `http.client.HTTPConnection`",
    ),
    (
        "http.client.HTTPSConnection.getresponse",
        SourceKind::Remote,
        "response of `http.client.HTTPSConnection`",
    ),
    (
        "socket.socket.recv",
        SourceKind::Remote,
        "data received by `socket.recv`",
    ),
    (
        "socket.socket.recvfrom",
        SourceKind::Remote,
        "data received by `socket.recvfrom`",
    ),
    (
        "socket.socket.makefile",
        SourceKind::Remote,
        "socket stream from `socket.makefile`",
    ),
    (
        "flask.request.get_data",
        SourceKind::Remote,
        "Flask request body (`request.get_data()`)",
    ),
    (
        "flask.request.get_json",
        SourceKind::Remote,
        "Flask request JSON (`request.get_json()`)",
    ),
    (
        "streamlit.file_uploader",
        SourceKind::Remote,
        "file uploaded through `st.file_uploader`",
    ),
    (
        "streamlit.text_input",
        SourceKind::Remote,
        "text typed into `st.text_input`",
    ),
    (
        "streamlit.text_area",
        SourceKind::Remote,
        "text typed into `st.text_area`",
    ),
    (
        "tornado.web.RequestHandler.get_argument",
        SourceKind::Remote,
        "Tornado request argument",
    ),
    (
        "tornado.web.RequestHandler.get_body_argument",
        SourceKind::Remote,
        "Tornado request body argument",
    ),
    (
        "builtins.input",
        SourceKind::Local,
        "local input (`input()`)",
    ),
    ("os.getenv", SourceKind::Local, "local input (`os.getenv`)"),
    (
        "argparse.ArgumentParser.parse_args",
        SourceKind::Local,
        "local input (command-line arguments)",
    ),
];

/// Attributes whose value is untrusted, by qualified name.
pub static ATTRIBUTE_SOURCES: &[(&str, SourceKind, &str)] = &[
    (
        "flask.request.data",
        SourceKind::Remote,
        "Flask request body (`request.data`)",
    ),
    (
        "flask.request.files",
        SourceKind::Remote,
        "Flask uploaded files (`request.files`)",
    ),
    (
        "flask.request.form",
        SourceKind::Remote,
        "Flask form data (`request.form`)",
    ),
    (
        "flask.request.args",
        SourceKind::Remote,
        "Flask query arguments (`request.args`)",
    ),
    (
        "flask.request.json",
        SourceKind::Remote,
        "Flask request JSON (`request.json`)",
    ),
    (
        "flask.request.stream",
        SourceKind::Remote,
        "Flask request stream (`request.stream`)",
    ),
    (
        "flask.request.values",
        SourceKind::Remote,
        "Flask request values (`request.values`)",
    ),
    (
        "tornado.web.RequestHandler.request",
        SourceKind::Remote,
        "Tornado request (`self.request`)",
    ),
    ("sys.argv", SourceKind::Local, "local input (`sys.argv`)"),
    ("sys.stdin", SourceKind::Local, "local input (`sys.stdin`)"),
    (
        "os.environ",
        SourceKind::Local,
        "local input (`os.environ`)",
    ),
];

/// Method names that read untrusted data even when the receiver cannot be resolved
/// (`conn, _ = sock.accept(); conn.recv(n)`, `boto3.client("s3").get_object(...)`).
pub static METHOD_SOURCES: &[(&str, SourceKind, &str)] = &[
    (
        "recv",
        SourceKind::Remote,
        "data received from a socket (`recv`)",
    ),
    (
        "recvfrom",
        SourceKind::Remote,
        "data received from a socket (`recvfrom`)",
    ),
    (
        "recv_into",
        SourceKind::Remote,
        "data received from a socket (`recv_into`)",
    ),
    (
        "get_object",
        SourceKind::Remote,
        "object body from S3 (`get_object`)",
    ),
];

/// Library functions whose result carries the taint of their arguments.
pub static PROPAGATORS: &[&str] = &[
    "io.BytesIO",
    "io.StringIO",
    "io.BufferedReader",
    "base64.b64decode",
    "base64.urlsafe_b64decode",
    "base64.standard_b64decode",
    "base64.b32decode",
    "base64.b85decode",
    "base64.a85decode",
    "base64.decodebytes",
    "binascii.unhexlify",
    "binascii.a2b_base64",
    "bytes.fromhex",
    "zlib.decompress",
    "gzip.decompress",
    "gzip.open",
    "gzip.GzipFile",
    "bz2.decompress",
    "bz2.open",
    "bz2.BZ2File",
    "lzma.decompress",
    "lzma.open",
    "lzma.LZMAFile",
    "codecs.decode",
    "json.loads",
    "json.load",
    "builtins.bytes",
    "builtins.bytearray",
    "builtins.memoryview",
    "builtins.str",
    "builtins.open",
    "builtins.list",
    "builtins.dict",
    "builtins.tuple",
    "os.path.join",
    "os.path.abspath",
    "os.path.realpath",
    "os.path.expanduser",
    "pathlib.Path",
    "pathlib.PurePath",
    "copy.copy",
    "copy.deepcopy",
    "tarfile.open",
    "zipfile.ZipFile",
];

/// Parameter annotations (and `File()`-style defaults) that make a parameter an upload or request.
pub static SOURCE_ANNOTATIONS: &[(&str, &str)] = &[
    ("fastapi.UploadFile", "FastAPI upload (`UploadFile`)"),
    (
        "starlette.datastructures.UploadFile",
        "Starlette upload (`UploadFile`)",
    ),
    ("fastapi.Request", "FastAPI request"),
    ("starlette.requests.Request", "Starlette request"),
    ("aiohttp.web.Request", "aiohttp request"),
    ("aiohttp.web.BaseRequest", "aiohttp request"),
    ("django.http.HttpRequest", "Django request"),
    ("fastapi.File", "FastAPI upload (`File()`)"),
    ("fastapi.Form", "FastAPI form field (`Form()`)"),
    ("fastapi.Body", "FastAPI request body (`Body()`)"),
    ("fastapi.params.File", "FastAPI upload (`File()`)"),
];

/// Hugging Face downloads whose returned path is an untrusted file when the revision is unpinned.
pub static HUB_FILE_SOURCES: &[&str] = &[
    "huggingface_hub.hf_hub_download",
    "huggingface_hub.file_download.hf_hub_download",
    "huggingface_hub.HfApi.hf_hub_download",
    "huggingface_hub.snapshot_download",
    "huggingface_hub._snapshot_download.snapshot_download",
    "huggingface_hub.HfApi.snapshot_download",
    // transformers' own download helpers return the path of the downloaded file.
    "transformers.utils.cached_file",
    "transformers.utils.hub.cached_file",
    "transformers.utils.hub.cached_files",
];

pub fn call_source(name: &str) -> Option<(SourceKind, &'static str)> {
    lookup(CALL_SOURCES, name)
}

pub fn attribute_source(name: &str) -> Option<(SourceKind, &'static str)> {
    lookup(ATTRIBUTE_SOURCES, name)
}

pub fn method_source(method: &str) -> Option<(SourceKind, &'static str)> {
    lookup(METHOD_SOURCES, method)
}

fn lookup(
    table: &[(&str, SourceKind, &'static str)],
    name: &str,
) -> Option<(SourceKind, &'static str)> {
    table
        .iter()
        .find(|(entry, _, _)| *entry == name)
        .map(|&(_, kind, description)| (kind, description))
}
