//! Hostile input for `brine server --stdio` (issue #8), against the built binary: malformed JSON-RPC,
//! broken `Content-Length` framing, unknown methods, requests out of order, documents the server never
//! saw, impossible edit ranges and a client that disappears. After each, [`assert_alive`] proves the
//! session goes on: an edit still publishes diagnostics for its version and a request is answered.
//!
//! A message the server cannot read is answered with a JSON-RPC error whose `id` is `null` (JSON-RPC
//! 2.0: the id of such a message cannot be known), once per broken frame.

use std::io::Write;
use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::*;

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const SERVER_NOT_INITIALIZED: i64 = -32002;

/// An open document and the text the client believes it has.
struct Doc {
    uri: String,
    version: i64,
    text: String,
}

/// A server on an empty folder with `main.py` open at version 1 (one BRN102).
fn session() -> (tempfile::TempDir, Lsp, Doc) {
    let dir = workspace(&[]);
    let mut lsp = Lsp::spawn();
    lsp.initialize(dir.path());
    let doc = open(&mut lsp, &uri(&dir.path().join("main.py")));
    (dir, lsp, doc)
}

fn open(lsp: &mut Lsp, uri: &str) -> Doc {
    let text = "import torch\nstate = torch.load(x)\n".to_owned();
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    );
    assert_eq!(codes(&lsp.diagnostics_at(uri, 1)), ["BRN102"]);
    Doc {
        uri: uri.to_owned(),
        version: 1,
        text,
    }
}

/// Proves the session goes on: appending `s = torch.load(x)` publishes diagnostics for the new version
/// with one more BRN102, and a hover request on it is answered with the rule.
fn assert_alive(lsp: &mut Lsp, doc: &mut Doc) {
    assert!(doc.text.ends_with('\n'));
    let line = doc.text.lines().count() as u32;
    let expected = doc.text.matches("torch.load(x)").count() + 1;
    doc.version += 1;
    lsp.change(&doc.uri, doc.version, line, 0, "s = torch.load(x)\n");
    doc.text.push_str("s = torch.load(x)\n");
    let diagnostics = lsp.diagnostics_at(&doc.uri, doc.version);
    assert_eq!(codes(&diagnostics), vec!["BRN102"; expected]);
    let hover = lsp.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": doc.uri}, "position": {"line": line, "character": 6}}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("BRN102"),
        "{hover}"
    );
}

/// Writes bytes to the server as they are.
fn raw(lsp: &mut Lsp, bytes: &[u8]) {
    let stdin = lsp.stdin.as_mut().expect("stdin open");
    stdin.write_all(bytes).unwrap();
    stdin.flush().unwrap();
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body);
    frame
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A harmless notification, for frames that are broken on purpose.
fn sacrificial() -> Vec<u8> {
    serde_json::to_vec(&json!({"jsonrpc": "2.0", "method": "$/brine/sacrificial"})).unwrap()
}

/// Waits for the error answering a message the server could not read.
fn expect_error(lsp: &mut Lsp, code: i64, what: &str) {
    let response = lsp.wait_for(|m| m.get("error").is_some() && m.get("id") == Some(&Value::Null));
    assert_eq!(response["error"]["code"], code, "{what}: {response}");
}

/// Sends a request by hand and returns its whole response (an error is a valid answer here).
fn call(lsp: &mut Lsp, method: &str, params: Value) -> Value {
    lsp.next_id += 1;
    let id = lsp.next_id;
    lsp.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    lsp.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none())
}

#[test]
fn malformed_bodies_are_answered_with_errors_and_the_session_goes_on() {
    let (_dir, mut lsp, mut doc) = session();
    let deep = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: [(&str, &[u8], i64); 14] = [
        ("invalid JSON", b"{not json", PARSE_ERROR),
        (
            "truncated JSON",
            br#"{"jsonrpc":"2.0","method":"#,
            PARSE_ERROR,
        ),
        ("an empty body", b"", PARSE_ERROR),
        (
            "invalid UTF-8",
            b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}",
            PARSE_ERROR,
        ),
        (
            "two messages in one body",
            br#"{"jsonrpc":"2.0","method":"a"}{"jsonrpc":"2.0","method":"b"}"#,
            PARSE_ERROR,
        ),
        (
            "nesting deeper than the parser's limit",
            deep.as_bytes(),
            PARSE_ERROR,
        ),
        ("a number", b"42", INVALID_REQUEST),
        ("null", b"null", INVALID_REQUEST),
        ("a string", br#""shutdown""#, INVALID_REQUEST),
        (
            "a batch (LSP has none)",
            br#"[{"jsonrpc":"2.0","id":1,"method":"shutdown"}]"#,
            INVALID_REQUEST,
        ),
        (
            "an object that is not JSON-RPC",
            br#"{"hello":"world"}"#,
            INVALID_REQUEST,
        ),
        (
            "another JSON-RPC version",
            br#"{"jsonrpc":"1.0","id":1,"method":"shutdown"}"#,
            INVALID_REQUEST,
        ),
        (
            "an id that is an object",
            br#"{"jsonrpc":"2.0","id":{"a":1},"method":"shutdown"}"#,
            INVALID_REQUEST,
        ),
        (
            "a method that is a number",
            br#"{"jsonrpc":"2.0","method":5}"#,
            INVALID_REQUEST,
        ),
    ];
    for (what, body, code) in cases {
        raw(&mut lsp, &framed(body));
        expect_error(&mut lsp, code, what);
        assert_alive(&mut lsp, &mut doc);
    }
    // Well-formed JSON-RPC with params of the wrong shape: a request is answered InvalidParams, a
    // notification is dropped.
    let response = call(&mut lsp, "textDocument/hover", json!({"bogus": 1}));
    assert_eq!(response["error"]["code"], INVALID_PARAMS, "{response}");
    lsp.notify("textDocument/didChange", json!({"bogus": 1}));
    lsp.notify("textDocument/didOpen", json!(42));
    assert_alive(&mut lsp, &mut doc);
}

#[test]
fn a_wrong_content_length_costs_at_most_the_next_message() {
    let (_dir, mut lsp, mut doc) = session();
    let message = sacrificial();
    let length = |n: usize| format!("Content-Length: {n}\r\n\r\n").into_bytes();

    // Shorter than the body: the frame ends inside the JSON (an error); the rest of the body is skipped
    // up to the next header, so the next message works.
    raw(&mut lsp, &cat(&[&length(message.len() - 10), &message]));
    expect_error(&mut lsp, PARSE_ERROR, "shorter");
    assert_alive(&mut lsp, &mut doc);

    // Longer than the body, with the next message right behind: the frame takes the first bytes of the
    // next message (an error) and the rest of it is skipped, so the next message is lost; the one
    // after works. (Without a next message the server waits for the missing bytes, as framing must.)
    raw(
        &mut lsp,
        &cat(&[&length(message.len() + 5), &message, &framed(&message)]),
    );
    expect_error(&mut lsp, PARSE_ERROR, "longer");
    assert_alive(&mut lsp, &mut doc);

    // No Content-Length in the header block, or no header at all: the bytes up to the next header are
    // skipped, so the next message works.
    let content_type = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n";
    raw(&mut lsp, &cat(&[content_type, &message]));
    expect_error(&mut lsp, PARSE_ERROR, "missing header");
    assert_alive(&mut lsp, &mut doc);
    raw(&mut lsp, &message);
    expect_error(&mut lsp, PARSE_ERROR, "no header");
    assert_alive(&mut lsp, &mut doc);
    raw(&mut lsp, b"\r\n");
    expect_error(&mut lsp, PARSE_ERROR, "empty header");
    assert_alive(&mut lsp, &mut doc);

    // Not a length: the body is skipped up to the next header, so the next message works.
    for value in [
        "abc",
        "-1",
        "1.5",
        "",
        "0x10",
        "12 34",
        "99999999999999999999999",
    ] {
        let header = format!("Content-Length: {value}\r\n\r\n");
        raw(&mut lsp, &cat(&[header.as_bytes(), &message]));
        expect_error(&mut lsp, PARSE_ERROR, &format!("Content-Length: {value}"));
        assert_alive(&mut lsp, &mut doc);
    }
}

#[test]
fn absurd_lengths_are_answered_at_once_without_allocating_them() {
    let (_dir, mut lsp, mut doc) = session();
    let message = sacrificial();
    // Nothing follows until the error arrives: the server must not wait for (or reserve) 10^12 bytes.
    for value in ["1000000000000", "18446744073709551615"] {
        let header = format!("Content-Length: {value}\r\n\r\n");
        raw(&mut lsp, &cat(&[header.as_bytes(), &message]));
        expect_error(&mut lsp, PARSE_ERROR, value);
        assert_alive(&mut lsp, &mut doc);
    }
    // A header that never ends (no line break, or no empty line) is an error after a few kilobytes, not
    // a buffer that grows with it.
    let endless_value = cat(&[b"X-Padding: ", &vec![b'a'; 1 << 20]]);
    let endless_lines = b"X-Padding: a\r\n".repeat(1 << 16);
    for (what, header) in [("long line", endless_value), ("many lines", endless_lines)] {
        raw(&mut lsp, &header);
        expect_error(&mut lsp, PARSE_ERROR, what);
        raw(&mut lsp, b"\r\n\r\n");
        assert_alive(&mut lsp, &mut doc);
    }
}

#[test]
fn unusual_but_valid_framing_is_read() {
    let (_dir, mut lsp, mut doc) = session();
    let request = |id: i64| {
        serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": id, "method": "brine/unknown"})).unwrap()
    };
    let answered = |lsp: &mut Lsp, id: i64| {
        let response = lsp.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none());
        assert_eq!(response["error"]["code"], METHOD_NOT_FOUND, "{response}");
    };
    // Content-Type first, and more headers than tower-lsp's own parser accepts (two).
    let body = request(1001);
    let header = format!(
        "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nX-One: 1\r\ncontent-length: {}\r\nX-Two: 2\r\n\r\n",
        body.len()
    );
    raw(&mut lsp, &cat(&[header.as_bytes(), &body]));
    answered(&mut lsp, 1001);
    // Bare LF line endings.
    let body = request(1002);
    let header = format!("Content-Length: {}\n\n", body.len());
    raw(&mut lsp, &cat(&[header.as_bytes(), &body]));
    answered(&mut lsp, 1002);
    // One byte per write.
    for byte in framed(&request(1003)) {
        raw(&mut lsp, &[byte]);
    }
    answered(&mut lsp, 1003);
    // Many messages in one write.
    let many: Vec<u8> = (1004..1100).flat_map(|id| framed(&request(id))).collect();
    raw(&mut lsp, &many);
    for id in 1004..1100 {
        answered(&mut lsp, id);
    }
    assert_alive(&mut lsp, &mut doc);
}

#[test]
fn unknown_methods_are_not_found_and_unknown_notifications_ignored() {
    let (_dir, mut lsp, mut doc) = session();
    for method in [
        "brine/unknownRequest",
        "$/unknownRequest",
        "$/cancelRequest",
        "",
    ] {
        let response = call(&mut lsp, method, json!({"x": 1}));
        assert_eq!(
            response["error"]["code"], METHOD_NOT_FOUND,
            "{method}: {response}"
        );
    }
    lsp.notify("brine/unknownNotification", json!({"x": 1}));
    lsp.notify("$/unknownNotification", json!({}));
    lsp.notify("$/cancelRequest", json!({"id": 12345}));
    lsp.notify("$/setTrace", json!({"value": "verbose"}));
    lsp.notify("$/logTrace", json!({"message": "hi"}));
    assert_alive(&mut lsp, &mut doc);
    // Nothing answered the notifications: every response carries the id of a request sent.
    for message in &lsp.received {
        if message.get("method").is_none() {
            assert!(message["id"].is_i64(), "{message}");
        }
    }
}

#[test]
fn requests_before_initialize_and_after_shutdown_are_refused() {
    let dir = workspace(&[]);
    let mut lsp = Lsp::spawn();
    let hover =
        json!({"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}});
    let response = call(&mut lsp, "textDocument/hover", hover.clone());
    assert_eq!(
        response["error"]["code"], SERVER_NOT_INITIALIZED,
        "{response}"
    );
    lsp.initialize(dir.path());
    let response = call(&mut lsp, "initialize", json!({"capabilities": {}}));
    assert_eq!(response["error"]["code"], INVALID_REQUEST, "{response}");
    let mut doc = open(&mut lsp, &uri(&dir.path().join("main.py")));
    assert_alive(&mut lsp, &mut doc);

    lsp.request("shutdown", Value::Null);
    for (method, params) in [
        ("textDocument/hover", hover.clone()),
        ("textDocument/codeAction", json!({})),
        ("shutdown", Value::Null),
        ("initialize", json!({"capabilities": {}})),
    ] {
        let response = call(&mut lsp, method, params);
        assert_eq!(response["error"]["code"], INVALID_REQUEST, "{response}");
    }
    // A method the server does not have stays MethodNotFound after shutdown (tower-lsp looks the
    // method up first): an error either way, and the more precise one.
    let response = call(&mut lsp, "brine/unknown", Value::Null);
    assert_eq!(response["error"]["code"], METHOD_NOT_FOUND, "{response}");
    // Notifications after shutdown are dropped: this edit's version is never published.
    let dropped = doc.version + 1;
    lsp.change(&doc.uri, dropped, 0, 0, "x = torch.load(y)\n");
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit(Duration::from_secs(10)), Some(0));
    // Everything the server wrote, up to the end of its output.
    while let Ok(message) = lsp.messages.recv_timeout(TIMEOUT) {
        lsp.received.push(message);
    }
    assert!(!lsp.received.iter().any(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == dropped
    }));
}

#[test]
fn exit_without_shutdown_exits_with_1() {
    let (_dir, mut lsp, mut doc) = session();
    assert_alive(&mut lsp, &mut doc);
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit(Duration::from_secs(10)), Some(1));
}

#[test]
fn documents_never_opened_are_logged_and_ignored() {
    let (dir, mut lsp, mut doc) = session();
    let never = uri(&dir.path().join("never.py"));
    lsp.change(&never, 2, 0, 0, "import torch\ntorch.load(x)\n");
    wait_logs(&mut lsp, "never.py", 1);
    lsp.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": never}}),
    );
    wait_logs(&mut lsp, "never.py", 2);
    let position = json!({"textDocument": {"uri": never}, "position": {"line": 1, "character": 3}});
    assert_eq!(lsp.request("textDocument/hover", position), Value::Null);
    wait_logs(&mut lsp, "never.py", 3);
    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}});
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": never}, "range": range, "context": {"diagnostics": []}}),
    );
    assert_eq!(actions, Value::Null);
    wait_logs(&mut lsp, "never.py", 4);
    // The document never published anything.
    assert!(!lsp.latest.contains_key(&never));
    assert_alive(&mut lsp, &mut doc);
}

/// Waits until `count` messages logged with `window/logMessage` name `file`, each saying it is not open.
fn wait_logs(lsp: &mut Lsp, file: &str, count: usize) {
    loop {
        let logs: Vec<&str> = lsp
            .received
            .iter()
            .filter(|m| m["method"] == "window/logMessage")
            .filter_map(|m| m["params"]["message"].as_str())
            .filter(|text| text.contains(file))
            .collect();
        if logs.len() >= count {
            assert!(
                logs.iter().all(|text| text.contains("not open")),
                "{logs:?}"
            );
            return;
        }
        lsp.next();
    }
}

/// The byte offset of an LSP position in ASCII `text`, clamped as the server documents it: a column
/// past the end of its line is the end of the line, a line past the end is the end of the text.
fn clamped(text: &str, line: u64, character: u64) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(newline) => start += newline + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    (start + character as usize).min(end)
}

/// Start line, start character, end line, end character, new text.
type Edit = (u64, u64, u64, u64, &'static str);

#[test]
fn impossible_edit_ranges_are_clamped_and_analysed_like_fresh_text() {
    let (_dir, mut lsp, mut doc) = session();
    let far = u64::from(u32::MAX);
    let notifications: [&[Edit]; 7] = [
        // Past the end of the document: appended.
        &[(1000, 0, 1000, 0, "t = torch.load(x)\n")],
        // Past the end of a line: at the end of that line.
        &[(0, 500, 0, 900, "\nu = torch.load(x)")],
        // Start after end: the range between them.
        &[(2, 5, 1, 0, "")],
        // Both ends beyond the file, as far as positions go.
        &[(far, far, far, far, "v = torch.load(x, weights_only=True)\n")],
        // Beyond the end of the file on one side only: up to the end.
        &[(3, 2, 999, 0, "")],
        // Several changes in one notification, each on the text left by the previous one.
        &[
            (0, 100, 0, 100, "\nw = torch.load(x)\n"),
            (far, 0, 4, 0, "\n"),
            (1, 16, 1, 999, ", weights_only=True)"),
        ],
        // The whole text, then lines beyond it.
        &[
            (0, 0, far, far, "import torch\n"),
            (5, 5, 7, 7, "z = torch.load(x)\n"),
        ],
    ];
    for changes in notifications {
        let content_changes: Vec<Value> = changes
            .iter()
            .map(|&(l1, c1, l2, c2, text)| {
                let (a, b) = (clamped(&doc.text, l1, c1), clamped(&doc.text, l2, c2));
                doc.text.replace_range(a.min(b)..a.max(b), text);
                json!({"range": {"start": {"line": l1, "character": c1},
                                 "end": {"line": l2, "character": c2}},
                       "text": text})
            })
            .collect();
        doc.version += 1;
        lsp.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": doc.uri, "version": doc.version},
                   "contentChanges": content_changes}),
        );
        let published = lsp.diagnostics_at(&doc.uri, doc.version);
        assert_eq!(
            summary(&published),
            fresh_analysis(&doc.text),
            "after {changes:?}, text {:?}",
            doc.text
        );
    }
    assert_alive(&mut lsp, &mut doc);
}

#[test]
fn a_client_that_disappears_ends_the_server() {
    let cases: [(&str, &[u8]); 4] = [
        ("between messages", b""),
        ("inside a header", b"Content-Len"),
        ("inside a body", b"Content-Length: 100\r\n\r\n{\"jsonrpc\""),
        (
            "after an absurd length",
            b"Content-Length: 1000000000000\r\n\r\n{",
        ),
    ];
    for (what, last) in cases {
        let (_dir, mut lsp, mut doc) = session();
        // Analyses are in flight when the client goes.
        for _ in 0..20 {
            doc.version += 1;
            lsp.change(&doc.uri, doc.version, 1, 0, "s = torch.load(x)\n");
        }
        raw(&mut lsp, last);
        drop(lsp.stdin.take());
        // No `shutdown` came first: exit code 1, promptly (the limit only guards against a hang).
        assert_eq!(lsp.wait_exit(Duration::from_secs(10)), Some(1), "{what}");
    }
}
