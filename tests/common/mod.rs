//! Shared helpers of the integration tests: [`brine`] runs the built binary, and a small LSP client over
//! stdio spawns `brine server --stdio`, frames
//! JSON-RPC with Content-Length headers, answers server requests, keeps the latest diagnostics per URI
//! and times out instead of hanging.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Lsp {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub messages: Receiver<Value>,
    pub next_id: i64,
    pub received: Vec<Value>,
    /// Latest `publishDiagnostics` params per URI.
    pub latest: HashMap<String, Value>,
}

impl Lsp {
    pub fn spawn() -> Lsp {
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

    pub fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(&body).unwrap();
        stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let response = self.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none());
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    /// The next message; server requests are answered with `null` on the way.
    pub fn next(&mut self) -> Value {
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

    pub fn wait_for(&mut self, predicate: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.next();
            if predicate(&message) {
                return message;
            }
        }
    }

    pub fn wait_diagnostics(&mut self, uri: &str, predicate: impl Fn(&Value) -> bool) -> Value {
        loop {
            if let Some(params) = self.latest.get(uri) {
                if predicate(params) {
                    return params.clone();
                }
            }
            self.next();
        }
    }

    pub fn diagnostics_at(&mut self, uri: &str, version: i64) -> Vec<Value> {
        loop {
            if let Some(params) = self.latest.get(uri) {
                if params["version"] == json!(version) {
                    return params["diagnostics"].as_array().unwrap().clone();
                }
            }
            self.next();
        }
    }

    pub fn initialize(&mut self, root: &Path) -> Value {
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

    pub fn change(&mut self, uri: &str, version: i64, line: u32, character: u32, text: &str) {
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
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
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

pub fn read_message(reader: &mut impl BufRead) -> Option<Value> {
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

pub fn uri(path: &Path) -> String {
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

pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("brine-stdio")
        .tempdir()
        .unwrap();
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    dir
}

pub fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}

/// Applies LSP edits (UTF-16 columns; the texts here are ASCII) to `text`.
pub fn apply_edits(text: &str, edits: &[Value]) -> String {
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

/// Runs the built `brine` with `args` in `dir`.
pub fn brine(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run brine")
}

/// A diagnostic as `(code, LSP range, LSP severity, message)`, to compare the server with `brine check`.
pub type Summary = Vec<(String, Value, u64, String)>;

/// The diagnostics `brine check` reports for `text` alone in a fresh folder, sorted, to compare with
/// what the server published for the same text ([`summary`]). The text must be ASCII, so that JSON
/// code-point columns are UTF-16 columns.
pub fn fresh_analysis(text: &str) -> Summary {
    fresh_analyses(&[text]).remove(0)
}

/// [`fresh_analysis`] of each text, checked at once as files that do not import each other.
pub fn fresh_analyses(texts: &[&str]) -> Vec<Summary> {
    let dir = workspace(&[]);
    for (i, text) in texts.iter().enumerate() {
        assert!(text.is_ascii());
        std::fs::write(dir.path().join(format!("t{i}.py")), text).unwrap();
    }
    let output = brine(
        &["check", "--output-format", "json", "--exit-zero"],
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
    let findings: Value = serde_json::from_slice(&output.stdout).unwrap();
    let position = |p: &Value| {
        json!({"line": p["line"].as_u64().unwrap() - 1,
               "character": p["column"].as_u64().unwrap() - 1})
    };
    let mut summaries = vec![Summary::new(); texts.len()];
    for f in findings.as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let i: usize = path[1..path.len() - 3].parse().unwrap();
        let severity = match f["severity"].as_str().unwrap() {
            "error" => 1,
            "warning" => 2,
            _ => 3,
        };
        summaries[i].push((
            f["code"].as_str().unwrap().to_owned(),
            json!({"start": position(&f["range"]["start"]), "end": position(&f["range"]["end"])}),
            severity,
            f["message"].as_str().unwrap().to_owned(),
        ));
    }
    for summary in &mut summaries {
        summary.sort_by_key(|s| (s.1.to_string(), s.0.clone(), s.3.clone()));
    }
    summaries
}

/// Published LSP diagnostics in the form of [`fresh_analysis`].
pub fn summary(diagnostics: &[Value]) -> Summary {
    let mut summary: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["range"].clone(),
                d["severity"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    summary.sort_by_key(|s| (s.1.to_string(), s.0.clone(), s.3.clone()));
    summary
}
