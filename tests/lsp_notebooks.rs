//! `brine server --stdio` with LSP 3.17 notebook documents, as VS Code drives it: the built binary
//! receives `notebookDocument/didOpen` and publishes diagnostics per cell, a flow crossing cells is
//! an error whose related information points into the source cell, code actions edit the cell
//! document, and `notebookDocument/didChange` updates the analysis.

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

    fn diagnostics_at(&mut self, uri: &str, version: i64) -> Vec<Value> {
        loop {
            if let Some(params) = self.latest.get(uri) {
                if params["version"] == json!(version) {
                    return params["diagnostics"].as_array().unwrap().clone();
                }
            }
            self.next();
        }
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

/// A cell URI as VS Code spells them: the notebook's path with a fragment per cell.
fn cell_uri(notebook: &str, n: usize) -> String {
    format!(
        "{}#W{n}sZmlsZQ%3D%3D",
        notebook.replacen("file://", "vscode-notebook-cell:", 1)
    )
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
fn notebook_cells_get_diagnostics_and_code_actions_of_their_own() {
    let dir = tempfile::Builder::new()
        .prefix("brine-notebook")
        .tempdir()
        .unwrap();
    let mut lsp = Lsp::spawn();
    let result = lsp.request(
        "initialize",
        json!({
            "processId": null,
            "capabilities": {
                "notebookDocument": {"synchronization": {"dynamicRegistration": false,
                                                         "executionSummarySupport": false}},
                "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}
            },
            "workspaceFolders": [{"uri": uri(dir.path()), "name": "root"}]
        }),
    );
    let sync = &result["capabilities"]["notebookDocumentSync"];
    assert_eq!(sync["notebookSelector"][0]["notebook"], "jupyter-notebook");
    assert_eq!(
        sync["notebookSelector"][0]["cells"][0]["language"],
        "python"
    );
    lsp.notify("initialized", json!({}));

    let notebook = uri(&dir.path().join("explore.ipynb"));
    let cells: Vec<String> = (0..3).map(|n| cell_uri(&notebook, n)).collect();
    let fetch =
        "import requests\nu = \"https://example.com/data.pkl\"\ndata = requests.get(u).content\n";
    let markdown = "# Unpickle `data` here\n";
    let load = "import pickle\nobj = pickle.loads(data)\n";
    lsp.notify(
        "notebookDocument/didOpen",
        json!({
            "notebookDocument": {
                "uri": notebook,
                "notebookType": "jupyter-notebook",
                "version": 0,
                "cells": [
                    {"kind": 2, "document": cells[0]},
                    {"kind": 1, "document": cells[1]},
                    {"kind": 2, "document": cells[2]}
                ]
            },
            "cellTextDocuments": [
                {"uri": cells[0], "languageId": "python", "version": 1, "text": fetch},
                {"uri": cells[1], "languageId": "markdown", "version": 1, "text": markdown},
                {"uri": cells[2], "languageId": "python", "version": 1, "text": load}
            ]
        }),
    );

    let diagnostics = lsp.diagnostics_at(&cells[2], 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let diagnostic = diagnostics[0].clone();
    assert_eq!(diagnostic["code"], "BRN101");
    assert_eq!(diagnostic["severity"], 1, "tainted across cells: an error");
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 18}})
    );
    assert!(
        diagnostic["message"]
            .as_str()
            .unwrap()
            .contains("explore.ipynb:cell 1:3"),
        "{diagnostic:#?}"
    );
    let related = diagnostic["relatedInformation"].as_array().unwrap();
    assert_eq!(related[0]["location"]["uri"], json!(cells[0]));
    assert_eq!(
        related[0]["location"]["range"]["start"],
        json!({"line": 2, "character": 7})
    );
    assert_eq!(related.last().unwrap()["location"]["uri"], json!(cells[2]));
    // The source cell has nothing of its own; the markdown cell is never published.
    assert!(lsp.diagnostics_at(&cells[0], 1).is_empty());
    assert!(!lsp.latest.contains_key(&cells[1]));

    // "Ignore BRN101 on this line" edits the cell document, and only it.
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": cells[2]},
            "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]}
        }),
    );
    let ignore = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Ignore BRN101 on this line")
        .expect("the ignore action is offered")
        .clone();
    let changes = ignore["edit"]["changes"].as_object().unwrap();
    assert_eq!(changes.len(), 1);
    let edits = changes[&cells[2]].as_array().unwrap();
    assert_eq!(
        apply_edits(load, edits),
        "import pickle\nobj = pickle.loads(data)  # brine: ignore[BRN101]\n"
    );

    // Editing cell 3 to `json.loads(data)` clears its diagnostic.
    lsp.notify(
        "notebookDocument/didChange",
        json!({
            "notebookDocument": {"uri": notebook, "version": 1},
            "change": {"cells": {"textContent": [{
                "document": {"uri": cells[2], "version": 2},
                "changes": [
                    {"range": {"start": {"line": 0, "character": 7}, "end": {"line": 0, "character": 13}},
                     "text": "json"},
                    {"range": {"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 12}},
                     "text": "json"}
                ]
            }]}}
        }),
    );
    assert!(lsp.diagnostics_at(&cells[2], 2).is_empty());

    lsp.notify(
        "notebookDocument/didClose",
        json!({"notebookDocument": {"uri": notebook},
               "cellTextDocuments": [{"uri": cells[0]}, {"uri": cells[1]}, {"uri": cells[2]}]}),
    );
    lsp.request("shutdown", Value::Null);
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit(Duration::from_secs(5)), Some(0));
}
