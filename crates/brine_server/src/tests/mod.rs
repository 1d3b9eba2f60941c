//! In-process protocol tests: the server runs in this process on an in-memory transport and a test
//! client drives it like an editor would.

mod client;
mod notebooks;

use std::path::Path;

use serde_json::{json, Value};
use tempfile::TempDir;

use client::{apply_edits, codes, uri, TestClient};

fn workspace(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("brine-lsp")
        .tempdir()
        .unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// `initialize` params for a client with every capability the server uses.
fn params(root: Option<&Path>, utf8: bool) -> Value {
    let encodings = if utf8 {
        json!(["utf-8", "utf-16"])
    } else {
        json!(["utf-16"])
    };
    let folders = root.map_or(
        Value::Null,
        |root| json!([{"uri": uri(root), "name": "root"}]),
    );
    json!({
        "capabilities": {
            "general": {"positionEncodings": encodings},
            "window": {"workDoneProgress": true},
            "workspace": {
                "didChangeWatchedFiles": {"dynamicRegistration": true},
                "configuration": true,
                "workspaceFolders": true
            }
        },
        "workspaceFolders": folders
    })
}

const TORCH: &str = "import torch\n\ndef f(p):\n    return torch.load(p)\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiates_encoding_and_shuts_down_cleanly() {
    let (client, result) = TestClient::start(params(None, true)).await;
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    assert_eq!(result["capabilities"]["textDocumentSync"]["change"], 2);
    assert_eq!(result["serverInfo"]["name"], "brine");
    assert!(
        client.shutdown().await,
        "shutdown before exit means a clean exit"
    );
    let (client, result) = TestClient::start(json!({"capabilities": {}})).await;
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexing_reports_progress_and_publishes_never_opened_files() {
    let dir = workspace(&[
        ("pkg/__init__.py", ""),
        ("pkg/model.py", TORCH),
        ("clean.py", "x = 1\n"),
    ]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let model = uri(&dir.path().join("pkg/model.py"));
    let published = client.wait_diagnostics(&model, |_| true).await;
    assert_eq!(
        codes(published["diagnostics"].as_array().unwrap()),
        ["BRN102"]
    );
    assert_eq!(published["version"], Value::Null);
    let end = client
        .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
        .await;
    assert_eq!(end["params"]["value"]["message"], "Indexed 3 files");
    let kinds: Vec<&Value> = client
        .received
        .iter()
        .filter(|m| m["method"] == "$/progress")
        .map(|m| &m["params"]["value"]["kind"])
        .collect();
    assert_eq!(kinds.first(), Some(&&json!("begin")));
    assert!(client
        .received
        .iter()
        .any(|m| m["method"] == "window/workDoneProgress/create"));
    let registration = client
        .received
        .iter()
        .find(|m| m["method"] == "client/registerCapability")
        .expect("watchers are registered");
    let watchers = &registration["params"]["registrations"][0]["registerOptions"]["watchers"];
    assert_eq!(watchers[0]["globPattern"], "**/*.py");
    assert_eq!(watchers.as_array().unwrap().len(), 5);
    assert_eq!(watchers[1]["globPattern"], "**/*.ipynb");
    // A file without findings is never published.
    let clean = uri(&dir.path().join("clean.py"));
    assert!(!client.latest.contains_key(&clean));
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_edit_fix_and_clear() {
    let dir = workspace(&[]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let file = uri(&dir.path().join("train.py"));
    let text = "import torch\nstate = torch.load(p)\n";
    client.open(&file, 1, text);
    let diagnostics = client.diagnostics_at(&file, 1).await;
    assert_eq!(codes(&diagnostics), ["BRN102"]);
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["source"], "brine");
    assert_eq!(diagnostic["severity"], 2);
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 18}})
    );
    assert_eq!(diagnostic["data"]["code"], "BRN102");

    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": file},
                "range": diagnostic["range"],
                "context": {"diagnostics": [diagnostic]}
            }),
        )
        .await;
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Add `weights_only=True`",
            "Switch to safetensors: `safetensors.torch.load_file(path)` (the file must be converted first)",
            "Ignore BRN102 on this line"
        ],
        "every fix with edits is an action, the display-only safetensors switch included"
    );
    let add = &actions[0];
    assert_eq!(add["kind"], "quickfix");
    let edits = add["edit"]["changes"][&file].as_array().unwrap();
    let fixed = apply_edits(text, edits, false);
    assert_eq!(
        fixed,
        "import torch\nstate = torch.load(p, weights_only=True)\n"
    );
    client.change(&file, 2, json!([{"text": fixed}]));
    assert!(client.diagnostics_at(&file, 2).await.is_empty());

    // The ignore action silences the finding too.
    client.change(&file, 3, json!([{"text": text}]));
    let diagnostics = client.diagnostics_at(&file, 3).await;
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": file},
                "range": diagnostics[0]["range"],
                "context": {"diagnostics": diagnostics}
            }),
        )
        .await;
    let ignore = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Ignore BRN102 on this line")
        .unwrap();
    let edits = ignore["edit"]["changes"][&file].as_array().unwrap();
    let ignored = apply_edits(text, edits, false);
    assert_eq!(
        ignored,
        "import torch\nstate = torch.load(p)  # brine: ignore[BRN102]\n"
    );
    client.change(&file, 4, json!([{"text": ignored}]));
    assert!(client.diagnostics_at(&file, 4).await.is_empty());
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_through_a_multiline_call_moves_the_diagnostic() {
    let dir = workspace(&[]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let file = uri(&dir.path().join("a.py"));
    let mut text = String::from("import torch\n# é😀\nx = 1\n");
    client.open(&file, 1, &text);
    assert!(client.diagnostics_at(&file, 1).await.is_empty());
    // Type `m = torch.load(\n    p,\n)` one character at a time at the end of line 1 (after the
    // comment's non-ASCII characters, so UTF-16 columns matter), waiting for each version.
    let typed = "\nm = torch.load(\n    p,\n)";
    let mut version = 1;
    let mut line = 1u32;
    let mut character = "# é😀".encode_utf16().count() as u32;
    let mut flagged_while_typing = false;
    for c in typed.chars() {
        version += 1;
        client.change(
            &file,
            version,
            json!([{"range": {"start": {"line": line, "character": character},
                               "end": {"line": line, "character": character}},
                    "text": c.to_string()}]),
        );
        let offset = brine_syntax::LineIndex::new(&text).offset_utf16(
            brine_syntax::LineCol {
                line,
                col: character,
            },
            &text,
        ) as usize;
        text.insert(offset, c);
        if c == '\n' {
            line += 1;
            character = 0;
        } else {
            character += c.len_utf16() as u32;
        }
        // Every version is published, in order; once the call is complete it is flagged, and
        // whenever it is flagged the diagnostic sits on the callee.
        let diagnostics = client.diagnostics_at(&file, version).await;
        for diagnostic in &diagnostics {
            assert_eq!(
                diagnostic["range"]["start"],
                json!({"line": 2, "character": 4})
            );
        }
        if text.contains("torch.load(\n    p,\n)") {
            assert_eq!(codes(&diagnostics), ["BRN102"], "at {text:?}");
        }
        if text.contains("torch.load(\n") {
            flagged_while_typing |= !diagnostics.is_empty();
        }
    }
    assert!(flagged_while_typing);
    assert_eq!(
        text,
        "import torch\n# é😀\nm = torch.load(\n    p,\n)\nx = 1\n"
    );
    // The fix lands inside the multi-line call, on its own line.
    let diagnostics = client.diagnostics_at(&file, version).await;
    let add = &diagnostics[0]["data"]["fixes"][0];
    assert_eq!(add["title"], "Add `weights_only=True`");
    let fixed = apply_edits(&text, add["edits"].as_array().unwrap(), false);
    assert!(
        fixed.contains("torch.load(\n    p,\n    weights_only=True,\n)"),
        "{fixed}"
    );
    // Move the call down by inserting a line above: the diagnostic follows.
    version += 1;
    client.change(
        &file,
        version,
        json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "text": "\n"}]),
    );
    let diagnostics = client.diagnostics_at(&file, version).await;
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 3, "character": 4})
    );
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf8_positions_count_bytes() {
    let dir = workspace(&[]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), true)).await;
    let file = uri(&dir.path().join("a.py"));
    client.open(&file, 1, "import torch\ns = \"é😀\"; m = torch.load(p)\n");
    let diagnostics = client.diagnostics_at(&file, 1).await;
    // `s = "é😀"; m = ` is 12 characters, 13 UTF-16 units, 18 bytes.
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 1, "character": 18})
    );
    // An edit in UTF-8 columns lands where the client means it.
    client.change(
        &file,
        2,
        json!([{"range": {"start": {"line": 1, "character": 30}, "end": {"line": 1, "character": 30}},
                "text": ", weights_only=True"}]),
    );
    assert!(client.diagnostics_at(&file, 2).await.is_empty());
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_in_one_file_updates_another() {
    let dir = workspace(&[
        ("a.py", "WO = False\n"),
        (
            "b.py",
            "import torch\nfrom a import WO\n\ndef f(p):\n    return torch.load(p, weights_only=WO)\n",
        ),
    ]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let a = uri(&dir.path().join("a.py"));
    let b = uri(&dir.path().join("b.py"));
    let published = client.wait_diagnostics(&b, |_| true).await;
    assert_eq!(
        codes(published["diagnostics"].as_array().unwrap()),
        ["BRN102"]
    );
    client.open(&a, 1, "WO = False\n");
    client.diagnostics_at(&a, 1).await;
    client.change(
        &a,
        2,
        json!([{"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 10}},
                "text": "True"}]),
    );
    // b.py was never opened: an empty list clears its diagnostics.
    client
        .wait_diagnostics(&b, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    client.change(
        &a,
        3,
        json!([{"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 9}},
                "text": "False"}]),
    );
    client
        .wait_diagnostics(&b, |p| {
            codes(p["diagnostics"].as_array().unwrap()) == ["BRN102"]
        })
        .await;
    client.change(
        &a,
        4,
        json!([{"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 10}},
                "text": "True"}]),
    );
    client
        .wait_diagnostics(&b, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    // Closing a.py without saving reverts it to the disk text (WO = False): b.py is flagged again.
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": a}}));
    client
        .wait_diagnostics(&b, |p| {
            codes(p["diagnostics"].as_array().unwrap()) == ["BRN102"]
        })
        .await;
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_edits_never_publish_an_outdated_version() {
    let dir = workspace(&[("other.py", TORCH)]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let file = uri(&dir.path().join("a.py"));
    client.open(&file, 1, "import torch\n");
    client.diagnostics_at(&file, 1).await;
    let mut text = String::from("import torch\n");
    for version in 2..=60 {
        let line = format!("m{version} = torch.load(p)\n");
        client.change(
            &file,
            version,
            json!([{"range": {"start": {"line": version - 1, "character": 0},
                               "end": {"line": version - 1, "character": 0}},
                    "text": line}]),
        );
        text.push_str(&line);
    }
    let diagnostics = client.diagnostics_at(&file, 60).await;
    assert_eq!(diagnostics.len(), 59);
    let versions: Vec<i64> = client
        .received
        .iter()
        .filter(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(file)
        })
        .map(|m| m["params"]["version"].as_i64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    // A stale change (version not moving forward) is dropped.
    client.change(&file, 60, json!([{"text": "garbage"}]));
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": file}, "position": {"line": 1, "character": 9}}),
        )
        .await;
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("BRN102"));
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_change_does_not_lose_the_analysis_it_interrupted() {
    // Every change stops the analysis in flight before it is applied; one that is then rejected
    // (its version does not move forward) must let the interrupted work run again.
    let files: Vec<(String, &str)> = (0..40).map(|n| (format!("m{n}.py"), TORCH)).collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), *text))
        .collect();
    let dir = workspace(&files);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let file = uri(&dir.path().join("a.py"));
    client.open(&file, 1, "import torch\n");
    client.change(&file, 1, json!([{"text": "stale"}]));
    for n in 0..40 {
        let model = uri(&dir.path().join(format!("m{n}.py")));
        let published = client.wait_diagnostics(&model, |_| true).await;
        assert_eq!(
            codes(published["diagnostics"].as_array().unwrap()),
            ["BRN102"]
        );
    }
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_fix_all_and_ignore_extension() {
    let dir = workspace(&[]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let file = uri(&dir.path().join("cfg.py"));
    let text = "import yaml\nimport pickle\na = yaml.load(s)\nb = yaml.load(t)\nc = pickle.loads(yaml.load(u))  # brine: ignore[BRN101]\n";
    client.open(&file, 1, text);
    let diagnostics = client.diagnostics_at(&file, 1).await;
    assert_eq!(codes(&diagnostics), ["BRN104", "BRN104", "BRN104"]);
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": file}, "position": {"line": 2, "character": 6}}),
        )
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(
        markdown.starts_with("**BRN104** `yaml-unsafe-load`"),
        "{markdown}"
    );
    assert!(markdown.contains("What it does"));
    assert_eq!(hover["range"], diagnostics[0]["range"]);
    let nothing = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 1}}),
        )
        .await;
    assert!(nothing.is_null());

    let fix_all = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": file},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": ["source.fixAll"]}
            }),
        )
        .await;
    assert_eq!(fix_all.as_array().unwrap().len(), 1);
    assert_eq!(fix_all[0]["kind"], "source.fixAll.brine");
    let edits = fix_all[0]["edit"]["changes"][&file].as_array().unwrap();
    let fixed = apply_edits(text, edits, false);
    assert_eq!(fixed.matches("yaml.safe_load(").count(), 3, "{fixed}");

    let third = &diagnostics[2];
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": file},
                "range": third["range"],
                "context": {"diagnostics": [third], "only": ["quickfix"]}
            }),
        )
        .await;
    let ignore = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Ignore BRN104 on this line")
        .unwrap();
    let edits = ignore["edit"]["changes"][&file].as_array().unwrap();
    assert!(apply_edits(text, edits, false)
        .contains("c = pickle.loads(yaml.load(u))  # brine: ignore[BRN101, BRN104]\n"));
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_documents_and_wild_ranges_are_harmless() {
    let dir = workspace(&[]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let unknown = uri(&dir.path().join("nope.py"));
    client.change(
        &unknown,
        2,
        json!([{"text": "import torch\ntorch.load(p)\n"}]),
    );
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": unknown}}),
    );
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": unknown}, "position": {"line": 0, "character": 0}}),
        )
        .await;
    assert!(hover.is_null());
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": unknown},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": []}
            }),
        )
        .await;
    assert!(actions.is_null());
    let file = uri(&dir.path().join("a.py"));
    client.open(&file, 1, "import torch\n");
    client.diagnostics_at(&file, 1).await;
    client.change(
        &file,
        2,
        json!([{"range": {"start": {"line": 99, "character": 5}, "end": {"line": 120, "character": 0}},
                "text": "torch.load(p)\n"}]),
    );
    let diagnostics = client.diagnostics_at(&file, 2).await;
    assert_eq!(codes(&diagnostics), ["BRN102"]);
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 1);
    // Non-Python documents are not tracked.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&dir.path().join("notes.md")), "languageId": "markdown", "version": 1, "text": "torch.load(p)"}}),
    );
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_changed_on_disk_update_the_index() {
    let dir = workspace(&[("a.py", "x = 1\n"), ("b.py", TORCH)]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let a = uri(&dir.path().join("a.py"));
    let b = uri(&dir.path().join("b.py"));
    client.wait_diagnostics(&b, |_| true).await;
    let watched = |uri: &str, typ: u8| json!({"changes": [{"uri": uri, "type": typ}]});
    std::fs::write(dir.path().join("a.py"), "import pickle\npickle.loads(b)\n").unwrap();
    client.notify("workspace/didChangeWatchedFiles", watched(&a, 2));
    client
        .wait_diagnostics(&a, |p| {
            codes(p["diagnostics"].as_array().unwrap()) == ["BRN101"]
        })
        .await;
    std::fs::remove_file(dir.path().join("b.py")).unwrap();
    client.notify("workspace/didChangeWatchedFiles", watched(&b, 3));
    client
        .wait_diagnostics(&b, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    let c = uri(&dir.path().join("sub/c.py"));
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/c.py"), TORCH).unwrap();
    client.notify("workspace/didChangeWatchedFiles", watched(&c, 1));
    client
        .wait_diagnostics(&c, |p| {
            codes(p["diagnostics"].as_array().unwrap()) == ["BRN102"]
        })
        .await;
    // A configuration file appears: its selection applies.
    std::fs::write(dir.path().join("brine.toml"), "ignore = [\"BRN102\"]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        watched(&uri(&dir.path().join("brine.toml")), 1),
    );
    client
        .wait_diagnostics(&c, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_settings_and_configuration_errors() {
    let dir = workspace(&[
        ("a.py", TORCH),
        ("bad/pyproject.toml", "[tool.brine]\nselect = 3\n"),
        ("bad/c.py", TORCH),
    ]);
    let mut init = params(Some(dir.path()), false);
    init["initializationOptions"] = json!({"select": ["BRN101"]});
    let (mut client, _) = TestClient::start(init).await;
    let a = uri(&dir.path().join("a.py"));
    let c = uri(&dir.path().join("bad/c.py"));
    let config = uri(&dir.path().join("bad/pyproject.toml"));
    let published = client.wait_diagnostics(&config, |_| true).await;
    let error = &published["diagnostics"][0];
    assert_eq!(error["severity"], 1);
    assert_eq!(error["range"]["start"], json!({"line": 1, "character": 0}));
    assert!(error["message"].as_str().unwrap().contains("select"));
    // With `select = ["BRN101"]` from the editor, BRN102 is not reported.
    client.open(&a, 1, TORCH);
    assert!(client.diagnostics_at(&a, 1).await.is_empty());
    // The settings change: BRN102 comes back everywhere, the broken configuration's files get
    // the defaults.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"brine": {"select": ["BRN"]}}}),
    );
    client
        .wait_diagnostics(&a, |p| {
            codes(p["diagnostics"].as_array().unwrap()) == ["BRN102"]
        })
        .await;
    client
        .wait_diagnostics(&c, |p| {
            codes(p["diagnostics"].as_array().unwrap()) == ["BRN102"]
        })
        .await;
    // Settings pulled with `workspace/configuration` when the notification carries none.
    *client.configuration.lock().unwrap() = json!({"ignore": ["BRN1"]});
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    client
        .wait_diagnostics(&a, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    // Fixing the configuration file clears its diagnostic.
    std::fs::write(dir.path().join("bad/pyproject.toml"), "[tool.brine]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config, "type": 2}]}),
    );
    client
        .wait_diagnostics(&config, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_threat_model_setting_promotes_local_input() {
    let text = "import pickle\nimport sys\n\ndef main():\n    with open(sys.argv[1], \"rb\") as f:\n        return pickle.loads(f.read())\n";
    let dir = workspace(&[("cli.py", text)]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let file = uri(&dir.path().join("cli.py"));
    let severity = |p: &Value| p["diagnostics"][0]["severity"].clone();
    client
        .wait_diagnostics(&file, |p| severity(p) == json!(2))
        .await;
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"brine": {"threatModel": "local"}}}),
    );
    client
        .wait_diagnostics(&file, |p| severity(p) == json!(1))
        .await;
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_folders_come_and_go() {
    let first = workspace(&[("a.py", TORCH)]);
    let second = workspace(&[("b.py", TORCH)]);
    let (mut client, _) = TestClient::start(params(Some(first.path()), false)).await;
    let a = uri(&first.path().join("a.py"));
    let b = uri(&second.path().join("b.py"));
    client.wait_diagnostics(&a, |_| true).await;
    let folder = |path: &Path| json!({"uri": uri(path), "name": "f"});
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [folder(second.path())], "removed": [folder(first.path())]}}),
    );
    client
        .wait_diagnostics(&b, |p| {
            codes(p["diagnostics"].as_array().unwrap()) == ["BRN102"]
        })
        .await;
    client
        .wait_diagnostics(&a, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tainted_flow_across_files_is_related_information() {
    let dir = workspace(&[
        ("app/__init__.py", ""),
        (
            "app/transport.py",
            "import requests\n\ndef fetch_blob(name):\n    resp = requests.get(name, timeout=30)\n    return resp.content\n",
        ),
        (
            "app/service.py",
            "import pickle\nfrom app.transport import fetch_blob\n\ndef load(name):\n    blob = fetch_blob(name)\n    return pickle.loads(blob)\n",
        ),
    ]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let service = uri(&dir.path().join("app/service.py"));
    let transport = uri(&dir.path().join("app/transport.py"));
    let published = client.wait_diagnostics(&service, |_| true).await;
    let diagnostic = &published["diagnostics"][0];
    assert_eq!(diagnostic["code"], "BRN101");
    assert_eq!(diagnostic["severity"], 1, "a tainted finding is an error");
    let related = diagnostic["relatedInformation"].as_array().unwrap();
    assert!(related.len() >= 2, "{related:?}");
    assert_eq!(
        related[0]["location"]["uri"],
        json!(transport),
        "the source comes first"
    );
    assert_eq!(related.last().unwrap()["location"]["uri"], json!(service));
    assert!(client.shutdown().await);
}

/// A keystroke that only moves code (blank lines, comments) keeps every resolved value, so only
/// the files whose diagnostics show positions of the edited file are checked again: those must
/// still follow, and a later change of code must still reach every file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moved_code_updates_the_paths_that_show_it() {
    let transport_text =
        "import requests\n\ndef fetch_blob(name):\n    resp = requests.get(name, timeout=30)\n    return resp.content\n";
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/transport.py", transport_text),
        (
            "app/service.py",
            "import pickle\nfrom app.transport import fetch_blob\n\ndef load(name):\n    blob = fetch_blob(name)\n    return pickle.loads(blob)\n",
        ),
    ]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let service = uri(&dir.path().join("app/service.py"));
    let transport = uri(&dir.path().join("app/transport.py"));
    let source_line = |params: &Value| {
        params["diagnostics"][0]["relatedInformation"][0]["location"]["range"]["start"]["line"]
            .as_u64()
    };
    let published = client.wait_diagnostics(&service, |_| true).await;
    assert_eq!(source_line(&published), Some(3), "{published}");
    client.open(&transport, 1, transport_text);
    client.diagnostics_at(&transport, 1).await;
    // Two blank lines and a comment above the source: the same code, two lines lower.
    client.change(
        &transport,
        2,
        json!([{"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "text": "\n# fetched\n"}]),
    );
    client.diagnostics_at(&transport, 2).await;
    let published = client
        .wait_diagnostics(&service, |params| source_line(params) == Some(5))
        .await;
    assert!(published["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("transport.py:6"));
    // Now a change of code: the source goes away, and with it the finding's taint.
    client.change(
        &transport,
        3,
        json!([{"range": {"start": {"line": 5, "character": 11}, "end": {"line": 5, "character": 23}}, "text": "open(name).read()"}]),
    );
    client.diagnostics_at(&transport, 3).await;
    let published = client
        .wait_diagnostics(&service, |params| source_line(params) != Some(5))
        .await;
    assert_ne!(published["diagnostics"][0]["severity"], 1, "{published}");
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_analysis_is_logged_and_contained() {
    *crate::state::tests::PANIC_ON.lock().unwrap() = Some("boom_7f3a.py".to_owned());
    let dir = workspace(&[("ok.py", TORCH)]);
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let boom = uri(&dir.path().join("boom_7f3a.py"));
    let ok = uri(&dir.path().join("ok.py"));
    client.open(&boom, 1, TORCH);
    let log = client
        .wait_for(|m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|s| s.contains("panicked") && s.contains("boom_7f3a.py"))
        })
        .await;
    assert!(log["params"]["message"]
        .as_str()
        .unwrap()
        .contains("injected panic"));
    client.wait_diagnostics(&ok, |_| true).await;
    // The server still answers and still analyses other files.
    client.open(&ok, 1, "x = 1\n");
    assert!(client.diagnostics_at(&ok, 1).await.is_empty());
    assert!(client.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_input_ends_the_server() {
    let (client_end, server_end) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(server_end);
    let server = tokio::spawn(crate::serve(read, write));
    drop(client_end);
    let clean = tokio::time::timeout(client::TIMEOUT, server)
        .await
        .expect("the server stops when its input closes")
        .unwrap();
    assert!(!clean, "no shutdown was received");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pickle_artifacts_are_indexed_reported_and_linked() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../brine_pickle/tests/fixtures");
    let dir = workspace(&[(
        "load.py",
        "import pickle\nwith open(\"cache.pkl\", \"rb\") as f:\n    pickle.load(f)\n",
    )]);
    std::fs::copy(
        fixtures.join("os_system_p2.pkl"),
        dir.path().join("cache.pkl"),
    )
    .unwrap();
    std::fs::copy(
        fixtures.join("torch_benign.pt"),
        dir.path().join("benign.pt"),
    )
    .unwrap();
    let (mut client, _) = TestClient::start(params(Some(dir.path()), false)).await;
    let artifact = uri(&dir.path().join("cache.pkl"));
    let published = client.wait_diagnostics(&artifact, |_| true).await;
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(codes(diagnostics), ["BRN401"]);
    assert_eq!(diagnostics[0]["severity"], 1);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    assert!(diagnostics[0]["message"]
        .as_str()
        .unwrap()
        .contains("os.system"));
    // The code that loads it is a tainted finding whose source is the artifact.
    let load = uri(&dir.path().join("load.py"));
    let published = client
        .wait_diagnostics(&load, |p| {
            p["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
        })
        .await;
    let diagnostic = &published["diagnostics"][0];
    assert_eq!(diagnostic["severity"], 1, "{diagnostic}");
    assert_eq!(
        diagnostic["relatedInformation"][0]["location"]["uri"],
        json!(artifact)
    );
    assert!(!client
        .latest
        .contains_key(&uri(&dir.path().join("benign.pt"))));
    // A checkpoint replaced on disk by a benign one clears both.
    std::fs::copy(
        fixtures.join("torch_benign.pt"),
        dir.path().join("cache.pkl"),
    )
    .unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": artifact, "type": 2}]}),
    );
    client
        .wait_diagnostics(&artifact, |p| {
            p["diagnostics"].as_array().unwrap().is_empty()
        })
        .await;
    client
        .wait_diagnostics(&load, |p| p["diagnostics"][0]["severity"] == 2)
        .await;
    assert!(client.shutdown().await);
}
