//! Notebook documents (LSP 3.17): an open notebook is one module made of its Python cells,
//! diagnostics and code actions are per cell, and notebooks on disk are published on their `.ipynb`
//! URI until they are opened.

use std::path::Path;

use serde_json::{json, Value};

use super::client::{apply_edits, codes, uri, TestClient};
use super::{params, workspace};

/// A VS Code-style cell URI of the notebook at `path`.
fn cell_uri(path: &Path, n: usize) -> String {
    format!(
        "{}#W{n}sZmlsZQ%3D%3D",
        uri(path).replacen("file://", "vscode-notebook-cell://", 1)
    )
}

/// `(cell URI, kind, language, text)`: kind 2 is code, 1 markup.
type Cell<'a> = (&'a str, u8, &'a str, &'a str);

fn open_notebook(client: &TestClient, notebook: &str, version: i64, cells: &[Cell]) {
    client.notify(
        "notebookDocument/didOpen",
        json!({
            "notebookDocument": {
                "uri": notebook,
                "notebookType": "jupyter-notebook",
                "version": version,
                "cells": cells
                    .iter()
                    .map(|(uri, kind, _, _)| json!({"kind": kind, "document": uri}))
                    .collect::<Vec<_>>()
            },
            "cellTextDocuments": cells
                .iter()
                .map(|(uri, _, language, text)| {
                    json!({"uri": uri, "languageId": language, "version": 1, "text": text})
                })
                .collect::<Vec<_>>()
        }),
    );
}

/// `notebookDocument/didChange` with the given `cells` change.
fn change_notebook(client: &TestClient, notebook: &str, version: i64, cells: Value) {
    client.notify(
        "notebookDocument/didChange",
        json!({
            "notebookDocument": {"uri": notebook, "version": version},
            "change": {"cells": cells}
        }),
    );
}

/// A change replacing one cell's whole text.
fn cell_text(cell: &str, version: i64, text: &str) -> Value {
    json!({"textContent": [{"document": {"uri": cell, "version": version}, "changes": [{"text": text}]}]})
}

const FETCH: &str =
    "import requests\nu = \"https://example.com/m.pkl\"\ndata = requests.get(u, timeout=5).content\n";
const LOAD: &str = "import pickle\nobj = pickle.loads(data)\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cells_are_one_module_with_diagnostics_and_actions_per_cell() {
    let dir = workspace(&[]);
    let (mut client, result) = TestClient::start(params(Some(dir.path()), false)).await;
    let sync = &result["capabilities"]["notebookDocumentSync"];
    assert_eq!(sync["notebookSelector"][0]["notebook"], "jupyter-notebook");
    assert_eq!(
        sync["notebookSelector"][0]["cells"][0]["language"],
        "python"
    );
    let path = dir.path().join("analysis.ipynb");
    let notebook = uri(&path);
    let (c1, c2, c3) = (cell_uri(&path, 0), cell_uri(&path, 1), cell_uri(&path, 2));
    open_notebook(
        &client,
        &notebook,
        1,
        &[
            (&c1, 2, "python", FETCH),
            (&c2, 1, "markdown", "# Load it: pickle.loads(data)\n"),
            (&c3, 2, "python", LOAD),
        ],
    );
    let diagnostics = client.diagnostics_at(&c3, 1).await;
    assert_eq!(codes(&diagnostics), ["BRN101"]);
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["severity"], 1, "tainted across cells: an error");
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 18}})
    );
    let message = diagnostic["message"].as_str().unwrap();
    assert!(message.contains("analysis.ipynb:cell 1:3"), "{message}");
    let related = diagnostic["relatedInformation"].as_array().unwrap();
    assert_eq!(related[0]["location"]["uri"], json!(c1), "{related:?}");
    assert_eq!(
        related[0]["location"]["range"]["start"],
        json!({"line": 2, "character": 7})
    );
    assert_eq!(related.last().unwrap()["location"]["uri"], json!(c3));
    // Every Python cell is published (empty lists too); markdown cells never are.
    assert!(client.diagnostics_at(&c1, 1).await.is_empty());
    assert!(!client.latest.contains_key(&c2));
    assert!(!client.latest.contains_key(&notebook));

    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": c3}, "position": {"line": 1, "character": 8}}),
        )
        .await;
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .starts_with("**BRN101**"));

    // "Ignore BRN101 on this line" edits the cell document.
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": c3},
                "range": diagnostic["range"],
                "context": {"diagnostics": [diagnostic]}
            }),
        )
        .await;
    let ignore = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Ignore BRN101 on this line")
        .expect("the ignore action is offered");
    let changes = ignore["edit"]["changes"].as_object().unwrap();
    assert_eq!(changes.keys().collect::<Vec<_>>(), [&c3]);
    let ignored = apply_edits(LOAD, changes[&c3].as_array().unwrap(), false);
    assert_eq!(
        ignored,
        "import pickle\nobj = pickle.loads(data)  # brine: ignore[BRN101]\n"
    );
    change_notebook(&client, &notebook, 2, cell_text(&c3, 2, &ignored));
    assert!(client.diagnostics_at(&c3, 2).await.is_empty());

    // Back to the finding, then an incremental edit to `json.loads(data)` clears it.
    change_notebook(&client, &notebook, 3, cell_text(&c3, 3, LOAD));
    assert_eq!(codes(&client.diagnostics_at(&c3, 3).await), ["BRN101"]);
    change_notebook(
        &client,
        &notebook,
        4,
        json!({"textContent": [{
            "document": {"uri": c3, "version": 4},
            "changes": [{"range": {"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 12}},
                         "text": "json"}]
        }]}),
    );
    assert!(client.diagnostics_at(&c3, 4).await.is_empty());

    // Closing the notebook (never saved) clears nothing that is left and forgets its cells.
    client.notify(
        "notebookDocument/didClose",
        json!({"notebookDocument": {"uri": notebook},
               "cellTextDocuments": [{"uri": c1}, {"uri": c2}, {"uri": c3}]}),
    );
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": c3}, "position": {"line": 1, "character": 8}}),
        )
        .await;
    assert!(hover.is_null());
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cells_come_and_go_and_fixes_apply_inside_cells() {
    let dir = workspace(&[]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), true)).await;
    let path = dir.path().join("nb.ipynb");
    let notebook = uri(&path);
    let (c1, c2, c3) = (cell_uri(&path, 0), cell_uri(&path, 1), cell_uri(&path, 2));
    let torch = "import torch\n# é\ns = \"é\"; m = torch.load(p)\n";
    open_notebook(
        &client,
        &notebook,
        1,
        &[(&c1, 2, "python", FETCH), (&c2, 2, "python", LOAD)],
    );
    let diagnostics = client.diagnostics_at(&c2, 1).await;
    assert_eq!(diagnostics[0]["severity"], 1);

    // Delete the fetching cell: the load is no longer tainted (a warning).
    change_notebook(
        &client,
        &notebook,
        2,
        json!({"structure": {"array": {"start": 0, "deleteCount": 1},
                             "didClose": [{"uri": c1}]}}),
    );
    client
        .wait_diagnostics(&c2, |p| p["diagnostics"][0]["severity"] == json!(2))
        .await;

    // Insert a cell with a fixable finding after it (UTF-8 positions: `é` is two bytes).
    change_notebook(
        &client,
        &notebook,
        3,
        json!({"structure": {"array": {"start": 1, "deleteCount": 0,
                                       "cells": [{"kind": 2, "document": c3}]},
                             "didOpen": [{"uri": c3, "languageId": "python", "version": 1, "text": torch}]}}),
    );
    let diagnostics = client.diagnostics_at(&c3, 1).await;
    assert_eq!(codes(&diagnostics), ["BRN102"]);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 2, "character": 14})
    );
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": c3},
                "range": diagnostics[0]["range"],
                "context": {"diagnostics": diagnostics}
            }),
        )
        .await;
    let add = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Add `weights_only=True`")
        .expect("the fix is offered in the cell");
    let fixed = apply_edits(torch, add["edit"]["changes"][&c3].as_array().unwrap(), true);
    assert_eq!(
        fixed,
        "import torch\n# é\ns = \"é\"; m = torch.load(p, weights_only=True)\n"
    );
    // A client that edits a cell as a text document is understood too.
    client.change(&c3, 2, json!([{"text": fixed}]));
    assert!(client.diagnostics_at(&c3, 2).await.is_empty());

    // Turning the cell into markdown takes it out of the analysis; its diagnostics are cleared.
    client.change(&c3, 3, json!([{"text": torch}]));
    assert_eq!(codes(&client.diagnostics_at(&c3, 3).await), ["BRN102"]);
    change_notebook(
        &client,
        &notebook,
        4,
        json!({"data": [{"kind": 1, "document": c3}]}),
    );
    client
        .wait_diagnostics(&c3, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    assert!(client.shutdown().await);
}

/// A notebook whose first cell fetches through a workspace module and whose third cell unpickles.
fn notebook_json() -> String {
    let cells = json!([
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["from helpers import fetch\n", "data = fetch(\"https://example.com/m.pkl\")\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["# Load it\n"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
         "source": ["import pickle\n", "obj = pickle.loads(data)\n"]}
    ]);
    serde_json::to_string_pretty(&json!({
        "cells": cells,
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5
    }))
    .unwrap()
}

const HELPERS: &str =
    "import requests\n\ndef fetch(url):\n    return requests.get(url, timeout=5).content\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notebooks_on_disk_are_in_the_problems_panel_until_opened() {
    let json_text = notebook_json();
    let dir = workspace(&[("helpers.py", HELPERS), ("analysis.ipynb", &json_text)]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let path = dir.path().join("analysis.ipynb");
    let notebook = uri(&path);
    let helpers = uri(&dir.path().join("helpers.py"));
    let published = client
        .wait_diagnostics(&notebook, |p| {
            !p["diagnostics"].as_array().unwrap().is_empty()
        })
        .await;
    assert_eq!(published["version"], Value::Null);
    let diagnostic = &published["diagnostics"][0];
    assert_eq!(diagnostic["code"], "BRN101");
    assert_eq!(diagnostic["severity"], 1, "tainted through helpers.py");
    // The range is where `pickle.loads` is written in the JSON text.
    let (line, text) = json_text
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains("pickle.loads"))
        .unwrap();
    let column = text.find("pickle.loads").unwrap();
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": line, "character": column},
               "end": {"line": line, "character": column + 12}})
    );
    assert!(diagnostic["message"]
        .as_str()
        .unwrap()
        .starts_with("response of `requests.get` at helpers.py:4 reaches `pickle.loads`"));
    let related = diagnostic["relatedInformation"].as_array().unwrap();
    assert_eq!(related[0]["location"]["uri"], json!(helpers));
    assert_eq!(related.last().unwrap()["location"]["uri"], json!(notebook));
    // No edits are offered in the JSON text.
    assert_eq!(diagnostic["data"]["fixes"], json!([]));

    // Opening the notebook replaces the copy on disk: the findings move to the cells.
    let (c1, c2, c3) = (cell_uri(&path, 0), cell_uri(&path, 1), cell_uri(&path, 2));
    open_notebook(
        &client,
        &notebook,
        1,
        &[
            (
                &c1,
                2,
                "python",
                "from helpers import fetch\ndata = fetch(\"https://example.com/m.pkl\")\n",
            ),
            (&c2, 1, "markdown", "# Load it\n"),
            (&c3, 2, "python", LOAD),
        ],
    );
    let diagnostics = client.diagnostics_at(&c3, 1).await;
    assert_eq!(codes(&diagnostics), ["BRN101"]);
    assert_eq!(
        diagnostics[0]["relatedInformation"][0]["location"]["uri"],
        json!(helpers)
    );
    client
        .wait_diagnostics(&notebook, |p| {
            p["diagnostics"].as_array().unwrap().is_empty()
        })
        .await;
    // An unsaved edit in the notebook counts while it is open.
    change_notebook(
        &client,
        &notebook,
        2,
        cell_text(&c3, 2, "import json\nobj = json.loads(data)\n"),
    );
    assert!(client.diagnostics_at(&c3, 2).await.is_empty());

    // Closing without saving: the cells are cleared and the disk copy is back on the .ipynb URI.
    client.notify(
        "notebookDocument/didClose",
        json!({"notebookDocument": {"uri": notebook},
               "cellTextDocuments": [{"uri": c1}, {"uri": c2}, {"uri": c3}]}),
    );
    client
        .wait_diagnostics(&notebook, |p| {
            codes(p["diagnostics"].as_array().unwrap()) == ["BRN101"]
        })
        .await;
    assert!(client.latest[&c3]["diagnostics"]
        .as_array()
        .unwrap()
        .is_empty());

    // A change on disk is read again.
    std::fs::write(&path, json_text.replace("pickle.loads", "pickle.dumps")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": notebook, "type": 2}]}),
    );
    client
        .wait_diagnostics(&notebook, |p| {
            p["diagnostics"].as_array().unwrap().is_empty()
        })
        .await;
    assert!(client.shutdown().await);
}
