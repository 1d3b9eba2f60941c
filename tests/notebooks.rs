//! Jupyter notebooks in `brine check`: code cells analysed together as one module (flows cross cells
//! and reach imported workspace modules), positions named by cell, `--fix` writing back only the
//! edited line, and malformed notebooks reported without stopping the check.

use std::path::Path;

mod common;

use common::brine;

fn project() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notebooks/project")
}

#[test]
fn findings_point_at_cells_and_flows_cross_cells_and_modules() {
    let output = brine(&["check"], &project());
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("analysis.ipynb:cell 3:3:7: BRN101 response of `requests.get` at analysis.ipynb:cell 1:3"), "{text}");
    assert!(
        text.contains("1. analysis.ipynb:cell 1:3:8: source: response of `requests.get`"),
        "{text}"
    );
    assert!(
        text.contains("helpers.py:7:12: BRN102 file downloaded from the Hugging Face Hub"),
        "{text}"
    );
    // Magics, shell escapes and a `%%bash` cell are not Python: nothing is reported in them.
    assert!(!text.contains("cell 4:"), "{text}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("broken.ipynb: malformed notebook: cell 1"),
        "{stderr}"
    );

    let json =
        String::from_utf8(brine(&["check", "--output-format", "json"], &project()).stdout).unwrap();
    let findings: serde_json::Value = serde_json::from_str(&json).unwrap();
    let pickle = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "BRN101")
        .unwrap();
    assert_eq!(pickle["cell"], 2);
    assert_eq!(
        pickle["range"]["start"],
        serde_json::json!({"line": 3, "column": 7})
    );
    assert_eq!(pickle["flow"][0]["range"]["cell"], 0);

    let sarif = String::from_utf8(brine(&["check", "--output-format", "sarif"], &project()).stdout)
        .unwrap();
    let _: serde_sarif::sarif::Sarif = serde_json::from_str(&sarif).expect("valid SARIF 2.1.0");
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "BRN101")
        .unwrap()
        .clone();
    let location = &result["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        "analysis.ipynb"
    );
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(location["properties"]["notebookCell"], 2);
}

#[test]
fn fix_rewrites_only_the_fixed_line_of_the_notebook() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["analysis.ipynb", "helpers.py"] {
        std::fs::copy(project().join(name), dir.path().join(name)).unwrap();
    }
    let before = std::fs::read_to_string(dir.path().join("analysis.ipynb")).unwrap();
    let output = brine(&["check", "--fix"], dir.path());
    assert_eq!(output.status.code(), Some(1), "the tainted findings remain");
    let after = std::fs::read_to_string(dir.path().join("analysis.ipynb")).unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&after).is_ok(),
        "still valid JSON"
    );
    assert_eq!(
        after,
        before.replace("yaml.load(open", "yaml.safe_load(open")
    );
}

/// IPython syntax as real notebooks write it: `%pip` indented under `if IN_COLAB:`, `%time` around a
/// load, a `?` at the end of a comment or a string line, `%` starting a continued line. Each used to
/// hide a finding (the line was blanked, or the cell stopped parsing).
#[test]
fn ipython_syntax_hides_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    let cells = [
        "IN_COLAB = False\nif IN_COLAB:\n    %pip install torch\n    !pip install \\\n        numpy\nimport torch\n",
        "%time model = torch.load(\"model.pt\")\n",
        "state = torch.load(\"state.pt\")  # is this safe?\n",
        "import pickle\nprompt = \"\"\"What is in it?\n!nothing\"\"\"\nmsg = (\"%s\"\n       % prompt)\nobj = pickle.loads(prompt)\n",
        "torch.load?\n",
    ];
    let notebook = serde_json::json!({
        "cells": cells
            .iter()
            .map(|source| serde_json::json!({"cell_type": "code", "execution_count": null,
                                             "metadata": {}, "outputs": [], "source": source}))
            .collect::<Vec<_>>(),
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5
    });
    std::fs::write(dir.path().join("colab.ipynb"), notebook.to_string()).unwrap();
    let output = brine(&["check", "--output-format", "json"], dir.path());
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<(String, u64, u64, u64)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let start = &f["range"]["start"];
            (
                f["code"].as_str().unwrap().to_owned(),
                f["cell"].as_u64().unwrap(),
                start["line"].as_u64().unwrap(),
                start["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("BRN102", 1, 1, 15),
        ("BRN102", 2, 1, 9),
        ("BRN101", 3, 6, 7),
    ];
    assert_eq!(
        found,
        expected.map(|(code, cell, line, column)| (code.to_owned(), cell, line, column)),
        "{findings:#}"
    );
}
