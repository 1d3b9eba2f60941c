//! `brine server --stdio` with LSP 3.17 notebook documents, as VS Code drives it: the built binary
//! receives `notebookDocument/didOpen` and publishes diagnostics per cell, a flow crossing cells is
//! an error whose related information points into the source cell, code actions edit the cell
//! document, and `notebookDocument/didChange` updates the analysis.

use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::*;

/// A cell URI as VS Code spells them: the notebook's path with a fragment per cell.
fn cell_uri(notebook: &str, n: usize) -> String {
    format!(
        "{}#W{n}sZmlsZQ%3D%3D",
        notebook.replacen("file://", "vscode-notebook-cell:", 1)
    )
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

/// A notebook on disk that cannot be read gets one diagnostic on its file, never a crash: invalid
/// JSON, no `cells`, a `source` that is not text. It goes away when the file is fixed or deleted, and
/// comes back when the file breaks again.
#[test]
fn malformed_notebooks_on_disk_get_one_diagnostic_until_fixed() {
    let valid = json!({
        "cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
                   "source": ["import pickle\n", "obj = pickle.loads(open(\"x.pkl\", \"rb\").read())\n"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5
    })
    .to_string();
    let dir = workspace(&[
        ("truncated.ipynb", &valid[..valid.len() / 2]),
        ("empty.ipynb", "{}"),
        (
            "source.ipynb",
            r#"{"cells": [{"cell_type": "markdown", "source": "Hi"}, {"cell_type": "code", "source": 3}]}"#,
        ),
        ("app.py", "import yaml\nyaml.load(open('c.yml'))\n"),
    ]);
    let mut lsp = Lsp::spawn();
    lsp.initialize(dir.path());
    let truncated = uri(&dir.path().join("truncated.ipynb"));
    let empty = uri(&dir.path().join("empty.ipynb"));
    let source = uri(&dir.path().join("source.ipynb"));
    let expected = [
        (
            &truncated,
            "malformed notebook: invalid JSON: EOF while parsing",
        ),
        (&empty, "malformed notebook: no `cells` array"),
        (
            &source,
            "malformed notebook: cell 2 has a `source` that is not a string or a list of strings",
        ),
    ];
    for (uri, message) in expected {
        let published =
            lsp.wait_diagnostics(uri, |p| !p["diagnostics"].as_array().unwrap().is_empty());
        let diagnostics = published["diagnostics"].as_array().unwrap();
        assert_eq!(diagnostics.len(), 1, "{published:#}");
        let diagnostic = &diagnostics[0];
        assert_eq!(
            diagnostic["range"],
            json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}})
        );
        assert_eq!(diagnostic["source"], "brine");
        assert_eq!(diagnostic["severity"], 2);
        let text = diagnostic["message"].as_str().unwrap();
        assert!(text.starts_with(message), "{text}");
        assert!(
            text.ends_with("; brine cannot check this notebook"),
            "{text}"
        );
    }
    // The rest of the workspace is checked as usual.
    let app = uri(&dir.path().join("app.py"));
    lsp.wait_diagnostics(&app, |p| p["diagnostics"][0]["code"] == "BRN104");

    // Fixed on disk: the error is replaced by the notebook's own finding, in its JSON text.
    std::fs::write(dir.path().join("truncated.ipynb"), &valid).unwrap();
    // Deleted: its diagnostic is cleared.
    std::fs::remove_file(dir.path().join("empty.ipynb")).unwrap();
    lsp.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": truncated, "type": 2}, {"uri": empty, "type": 3}]}),
    );
    let published = lsp.wait_diagnostics(&truncated, |p| p["diagnostics"][0]["code"] == "BRN101");
    assert_eq!(published["diagnostics"].as_array().unwrap().len(), 1);
    lsp.wait_diagnostics(&empty, |p| p["diagnostics"].as_array().unwrap().is_empty());

    // Broken again: the finding goes, the error comes back.
    std::fs::write(dir.path().join("truncated.ipynb"), "{\"cells\": [}").unwrap();
    lsp.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": truncated, "type": 2}]}),
    );
    let published = lsp.wait_diagnostics(&truncated, |p| {
        p["diagnostics"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("malformed notebook: invalid JSON"))
    });
    assert_eq!(published["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(
        lsp.latest[&source]["diagnostics"].as_array().unwrap().len(),
        1
    );

    lsp.request("shutdown", Value::Null);
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit(Duration::from_secs(5)), Some(0));
}
