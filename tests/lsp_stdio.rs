//! `brine server --stdio` as an editor runs it: the built binary, driven over its standard input and
//! output by a tiny JSON-RPC client (Content-Length framing) with timeouts.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Lsp {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
    received: Vec<Value>,
    /// Latest `publishDiagnostics` params per URI.
    latest: HashMap<String, Value>,
}

impl Lsp {
    fn spawn() -> Lsp {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brine"))
            .args(["server", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start brine server");
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Lsp {
            stdin: child.stdin.take(),
            child,
            messages,
            next_id: 0,
            received: Vec::new(),
            latest: HashMap::new(),
        }
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(&body).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let response = self.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none());
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    /// The next message; server requests are answered with `null` on the way.
    fn next(&mut self) -> Value {
        let message = match self.messages.recv_timeout(TIMEOUT) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("timed out; received: {:#?}", self.received),
            Err(RecvTimeoutError::Disconnected) => panic!("server closed its output"),
        };
        if let (Some(id), Some(_)) = (message.get("id"), message.get("method")) {
            let id = id.clone();
            self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
        }
        if message["method"] == "textDocument/publishDiagnostics" {
            let params = &message["params"];
            self.latest
                .insert(params["uri"].as_str().unwrap().to_owned(), params.clone());
        }
        self.received.push(message.clone());
        message
    }

    fn wait_for(&mut self, predicate: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.next();
            if predicate(&message) {
                return message;
            }
        }
    }

    fn wait_diagnostics(&mut self, uri: &str, predicate: impl Fn(&Value) -> bool) -> Value {
        loop {
            if let Some(params) = self.latest.get(uri) {
                if predicate(params) {
                    return params.clone();
                }
            }
            self.next();
        }
    }

    fn diagnostics_at(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let params = self.wait_diagnostics(uri, |p| p["version"] == json!(version));
        params["diagnostics"].as_array().unwrap().clone()
    }

    fn initialize(&mut self, root: &Path) -> Value {
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "capabilities": {
                    "window": {"workDoneProgress": true},
                    "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}
                },
                "workspaceFolders": [{"uri": uri(root), "name": "root"}]
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    fn change(&mut self, uri: &str, version: i64, line: u32, character: u32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{
                    "range": {"start": {"line": line, "character": character},
                              "end": {"line": line, "character": character}},
                    "text": text
                }]
            }),
        );
    }

    /// Waits for the process to end, killing it after the timeout.
    fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the server did not exit within {limit:?}");
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    let path = path.to_str().unwrap();
    let mut encoded = String::from("file://");
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("brine-stdio")
        .tempdir()
        .unwrap();
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    dir
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}

/// Applies LSP edits (UTF-16 columns; the texts here are ASCII) to `text`.
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |p: &Value| {
        line_starts[p["line"].as_u64().unwrap() as usize]
            + p["character"].as_u64().unwrap() as usize
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_owned();
    for (start, end, new_text) in edits {
        out.replace_range(start..end, new_text);
    }
    out
}

#[test]
fn indexes_the_workspace_with_progress_and_exits_on_request() {
    let dir = workspace(&[
        (
            "model.py",
            "import torch\n\ndef f(p):\n    return torch.load(p)\n",
        ),
        ("clean.py", "x = 1\n"),
    ]);
    let mut lsp = Lsp::spawn();
    let result = lsp.initialize(dir.path());
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    let model = uri(&dir.path().join("model.py"));
    let published = lsp.wait_diagnostics(&model, |_| true);
    assert_eq!(
        codes(published["diagnostics"].as_array().unwrap()),
        ["BRN102"]
    );
    lsp.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
    let progress: Vec<&Value> = lsp
        .received
        .iter()
        .filter(|m| m["method"] == "$/progress")
        .map(|m| &m["params"]["value"])
        .collect();
    assert_eq!(progress[0]["kind"], "begin");
    assert!(progress[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Indexing "));
    assert!(lsp
        .received
        .iter()
        .any(|m| m["method"] == "client/registerCapability"));
    lsp.request("shutdown", Value::Null);
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit(Duration::from_secs(5)), Some(0));
}

#[test]
fn typing_fixing_and_cross_file_edits() {
    let dir = workspace(&[
        ("a.py", "WO = False\n"),
        (
            "b.py",
            "import torch\nfrom a import WO\n\ndef f(p):\n    return torch.load(p, weights_only=WO)\n",
        ),
    ]);
    let mut lsp = Lsp::spawn();
    lsp.initialize(dir.path());
    let b = uri(&dir.path().join("b.py"));
    lsp.wait_diagnostics(&b, |p| {
        codes(p["diagnostics"].as_array().unwrap()) == ["BRN102"]
    });

    // Open a new file and type a multi-line `torch.load(` call one character at a time.
    let file = uri(&dir.path().join("train.py"));
    let mut text = String::from("import torch\n");
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": file, "languageId": "python", "version": 1, "text": text}}),
    );
    assert!(lsp.diagnostics_at(&file, 1).is_empty());
    let (mut line, mut character, mut version) = (1u32, 0u32, 1);
    for c in "state = torch.load(\n    p,\n)\n".chars() {
        version += 1;
        lsp.change(&file, version, line, character, &c.to_string());
        text.push(c);
        if c == '\n' {
            line += 1;
            character = 0;
        } else {
            character += 1;
        }
        let diagnostics = lsp.diagnostics_at(&file, version);
        for diagnostic in &diagnostics {
            assert_eq!(
                diagnostic["range"]["start"],
                json!({"line": 1, "character": 8})
            );
        }
        if text.ends_with(")\n") {
            assert_eq!(codes(&diagnostics), ["BRN102"]);
        }
    }
    // A line inserted above moves the diagnostic down.
    version += 1;
    lsp.change(&file, version, 1, 0, "\n");
    text.insert(text.find("state").unwrap(), '\n');
    let diagnostics = lsp.diagnostics_at(&file, version);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 2, "character": 8})
    );

    // Ask for code actions, apply "Add `weights_only=True`" client-side, send it back.
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": file},
            "range": diagnostics[0]["range"],
            "context": {"diagnostics": diagnostics}
        }),
    );
    let add = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Add `weights_only=True`")
        .expect("the fix is offered");
    let edits = add["edit"]["changes"][&file].as_array().unwrap().clone();
    let fixed = apply_edits(&text, &edits);
    assert!(
        fixed.contains("torch.load(\n    p,\n    weights_only=True,\n)"),
        "{fixed}"
    );
    version += 1;
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": file, "version": version},
               "contentChanges": [{"text": fixed}]}),
    );
    assert!(lsp.diagnostics_at(&file, version).is_empty());

    // Cross-file: making `WO` true in a.py (open, unsaved) clears b.py, which was never opened.
    let a = uri(&dir.path().join("a.py"));
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": a, "languageId": "python", "version": 1, "text": "WO = False\n"}}),
    );
    lsp.diagnostics_at(&a, 1);
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": a, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 0, "character": 5},
                                              "end": {"line": 0, "character": 10}},
                                   "text": "True"}]}),
    );
    lsp.wait_diagnostics(&b, |p| p["diagnostics"].as_array().unwrap().is_empty());
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": a, "version": 3},
               "contentChanges": [{"range": {"start": {"line": 0, "character": 5},
                                              "end": {"line": 0, "character": 9}},
                                   "text": "False"}]}),
    );
    lsp.wait_diagnostics(&b, |p| {
        codes(p["diagnostics"].as_array().unwrap()) == ["BRN102"]
    });

    lsp.request("shutdown", Value::Null);
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit(Duration::from_secs(5)), Some(0));
}

#[test]
fn closing_stdin_ends_the_server() {
    let dir = workspace(&[("a.py", "x = 1\n")]);
    let mut lsp = Lsp::spawn();
    lsp.initialize(dir.path());
    drop(lsp.stdin.take());
    // No `shutdown` came first: the exit code says so, but the process ends promptly.
    assert_eq!(lsp.wait_exit(Duration::from_secs(5)), Some(1));
}
