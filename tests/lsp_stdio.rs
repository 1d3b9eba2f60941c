//! `brine server --stdio` as an editor runs it: the built binary, driven over its standard input and
//! output by a tiny JSON-RPC client (Content-Length framing) with timeouts.

use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::*;

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
