//! BRN401 in `brine check`: pickle artifacts of the workspace are read (never unpickled), flagged with
//! their dangerous imports and byte offsets, and linked to the code that loads them.

use std::path::Path;

mod common;

use common::brine;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/brine_pickle/tests/fixtures")
        .join(name)
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    std::fs::copy(fixture("torch_evil.pt"), dir.path().join("models/evil.pt")).unwrap();
    std::fs::copy(
        fixture("torch_benign.pt"),
        dir.path().join("models/benign.pt"),
    )
    .unwrap();
    std::fs::copy(
        fixture("os_system_p2.pkl"),
        dir.path().join("models/cache.pkl"),
    )
    .unwrap();
    std::fs::copy(fixture("model.pkl"), dir.path().join("models/notes.pkl")).unwrap();
    std::fs::write(
        dir.path().join("train.py"),
        "import pickle\nimport torch\n\nEVIL = \"models/evil.pt\"\n\n\ndef load(path):\n    return torch.load(path)\n\n\nload(EVIL)\ntorch.load(\"models/benign.pt\")\nwith open(\"models/cache.pkl\", \"rb\") as f:\n    pickle.load(f)\n",
    )
    .unwrap();
    dir
}

#[test]
fn flagged_artifacts_and_the_code_that_loads_them() {
    let dir = workspace();
    let output = brine(&["check", "--output-format", "json"], dir.path());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    let by_path = |path: &str, code: &str| {
        findings
            .iter()
            .find(|f| f["path"] == path && f["code"] == code)
            .cloned()
    };

    let evil = by_path("models/evil.pt", "BRN401")
        .expect("the torch zip with subprocess.Popen is flagged");
    assert_eq!(evil["severity"], "error");
    assert_eq!(
        evil["range"]["start"],
        serde_json::json!({"line": 1, "column": 1})
    );
    let imports = evil["imports"].as_array().unwrap();
    assert!(imports.iter().any(|i| i["name"] == "subprocess.Popen"
        && i["dangerous"] == true
        && i["offset"].as_u64().is_some()));
    assert!(evil["message"]
        .as_str()
        .unwrap()
        .contains("subprocess.Popen"));
    assert!(by_path("models/cache.pkl", "BRN401").is_some());
    assert!(
        by_path("models/benign.pt", "BRN401").is_none(),
        "an OrderedDict of tensors is not flagged"
    );
    assert!(
        by_path("models/notes.pkl", "BRN401").is_none(),
        "a text file named .pkl is skipped"
    );

    // The loaders: the flagged files are their sources, through a constant and a parameter, and `open`.
    let tainted: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["path"] == "train.py" && f["severity"] == "error")
        .collect();
    assert_eq!(tainted.len(), 2, "{findings:#?}");
    for finding in &tainted {
        let source = finding["flow"][0]["path"].as_str().unwrap();
        assert!(
            source == "models/evil.pt" || source == "models/cache.pkl",
            "{finding}"
        );
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .starts_with("pickle file `models/"),
            "{finding}"
        );
    }
    let benign_load = findings
        .iter()
        .find(|f| f["path"] == "train.py" && f["range"]["start"]["line"] == 12)
        .unwrap();
    assert_eq!(
        benign_load["severity"], "warning",
        "a benign checkpoint is no source"
    );

    let text = String::from_utf8(brine(&["check"], dir.path()).stdout).unwrap();
    assert!(
        text.contains("models/evil.pt:1:1: BRN401 pickle file imports dangerous callables"),
        "{text}"
    );
    assert!(text.contains("= imports `subprocess.Popen`"), "{text}");
    let sarif = String::from_utf8(brine(&["check", "--output-format", "sarif"], dir.path()).stdout)
        .unwrap();
    let _: serde_sarif::sarif::Sarif = serde_json::from_str(&sarif).expect("valid SARIF");
}

#[test]
fn artifacts_follow_selection_and_exclusion() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("brine.toml"),
        "per-file-ignores = { \"models/cache.pkl\" = [\"BRN401\"] }\n",
    )
    .unwrap();
    let output = brine(
        &["check", "--output-format", "json", "--select", "BRN4"],
        dir.path(),
    );
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["models/evil.pt"]);
}
