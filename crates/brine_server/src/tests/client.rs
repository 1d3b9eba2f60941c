//! A minimal in-memory LSP client for the in-process tests: the server runs on one end of a
//! `tokio::io::duplex`, the client frames JSON-RPC with `Content-Length` on the other, answers the
//! server's requests (progress tokens, registrations, configuration) and records every message.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tower_lsp_server::ls_types::Uri;

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub fn uri(path: &Path) -> String {
    Uri::from_file_path(path).unwrap().as_str().to_owned()
}

pub struct TestClient {
    outgoing: mpsc::UnboundedSender<Value>,
    incoming: mpsc::UnboundedReceiver<Value>,
    next_id: i64,
    /// Every message received, in order.
    pub received: Vec<Value>,
    /// The latest `publishDiagnostics` params per URI.
    pub latest: HashMap<String, Value>,
    /// The answer to `workspace/configuration` requests.
    pub configuration: Arc<Mutex<Value>>,
    pub server: JoinHandle<bool>,
}

impl TestClient {
    /// Starts a server, sends `initialize` with `params` and `initialized`; returns the client and
    /// the `initialize` result.
    pub async fn start(params: Value) -> (TestClient, Value) {
        let (client_end, server_end) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_end);
        let server = tokio::spawn(crate::serve(server_read, server_write));
        let (read, mut write) = tokio::io::split(client_end);
        let (outgoing, mut to_write) = mpsc::unbounded_channel::<Value>();
        let (deliver, incoming) = mpsc::unbounded_channel::<Value>();
        tokio::spawn(async move {
            while let Some(message) = to_write.recv().await {
                let body = serde_json::to_vec(&message).unwrap();
                let header = format!("Content-Length: {}\r\n\r\n", body.len());
                if write.write_all(header.as_bytes()).await.is_err()
                    || write.write_all(&body).await.is_err()
                {
                    break;
                }
            }
            let _ = write.shutdown().await;
        });
        let configuration = Arc::new(Mutex::new(Value::Null));
        let answers = outgoing.clone();
        let config = configuration.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(read);
            while let Some(message) = read_message(&mut reader).await {
                if let (Some(id), Some(method)) = (message.get("id"), message["method"].as_str()) {
                    let result = match method {
                        "workspace/configuration" => json!([config.lock().unwrap().clone()]),
                        _ => Value::Null,
                    };
                    let _ = answers.send(json!({"jsonrpc": "2.0", "id": id, "result": result}));
                }
                if deliver.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = TestClient {
            outgoing,
            incoming,
            next_id: 100,
            received: Vec::new(),
            latest: HashMap::new(),
            configuration,
            server,
        };
        let result = client.request("initialize", params).await;
        client.notify("initialized", json!({}));
        (client, result)
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.outgoing
            .send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .expect("server connection open");
    }

    /// Sends a request and waits for its result (panics on an error response or a timeout).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.outgoing
            .send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .expect("server connection open");
        let response = self
            .wait_for(|m| m["id"] == json!(id) && m.get("method").is_none())
            .await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    async fn next(&mut self) -> Value {
        let message = tokio::time::timeout(TIMEOUT, self.incoming.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "timed out; received so far:\n{}",
                    self.received
                        .iter()
                        .map(Value::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })
            .expect("server closed the connection");
        if message["method"] == "textDocument/publishDiagnostics" {
            let params = &message["params"];
            self.latest
                .insert(params["uri"].as_str().unwrap().to_owned(), params.clone());
        }
        self.received.push(message.clone());
        message
    }

    /// Waits for the first new message matching `predicate`.
    pub async fn wait_for(&mut self, predicate: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.next().await;
            if predicate(&message) {
                return message;
            }
        }
    }

    /// Waits until `predicate` holds for the latest diagnostics of `uri` (checking what was already
    /// received first).
    pub async fn wait_diagnostics(
        &mut self,
        uri: &str,
        predicate: impl Fn(&Value) -> bool,
    ) -> Value {
        loop {
            if let Some(params) = self.latest.get(uri) {
                if predicate(params) {
                    return params.clone();
                }
            }
            self.next().await;
        }
    }

    /// Waits for a `publishDiagnostics` of `uri` at `version`.
    pub async fn diagnostics_at(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let params = self
            .wait_diagnostics(uri, |p| p["version"] == json!(version))
            .await;
        params["diagnostics"].as_array().unwrap().clone()
    }

    pub fn open(&self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}}),
        );
    }

    pub fn change(&self, uri: &str, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    /// `shutdown` then `exit`; returns what the server's `serve` returned.
    pub async fn shutdown(mut self) -> bool {
        self.request("shutdown", Value::Null).await;
        self.notify("exit", Value::Null);
        tokio::time::timeout(TIMEOUT, self.server)
            .await
            .expect("server exits promptly")
            .unwrap()
    }
}

async fn read_message<R: tokio::io::AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
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
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

/// Codes of a diagnostics list.
pub fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Applies LSP text edits (UTF-16 or UTF-8 columns as `utf8` says) to `text`, last edit first.
pub fn apply_edits(text: &str, edits: &[Value], utf8: bool) -> String {
    let index = brine_syntax::LineIndex::new(text);
    let offset = |position: &Value| {
        let pos = brine_syntax::LineCol {
            line: position["line"].as_u64().unwrap() as u32,
            col: position["character"].as_u64().unwrap() as u32,
        };
        if utf8 {
            index.offset_utf8(pos, text) as usize
        } else {
            index.offset_utf16(pos, text) as usize
        }
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            (
                offset(&edit["range"]["start"]),
                offset(&edit["range"]["end"]),
                edit["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.0));
    let mut out = text.to_owned();
    for (start, end, new_text) in edits {
        out.replace_range(start..end, new_text);
    }
    out
}
