//! The `brine` command as users run it: exit codes, the three report formats, configuration errors
//! and `brine rule`.

use std::path::Path;
use std::process::{Command, Output};

mod common;

use common::brine;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn example_workspace_text_report() {
    let output = brine(&["check", "examples/demo"], repo());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn json_report_has_one_object_per_finding() {
    let output = brine(
        &["check", "examples/demo", "--output-format", "json"],
        repo(),
    );
    assert_eq!(output.status.code(), Some(1));
    let findings: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 6);
    let torch = findings.iter().find(|f| f["code"] == "BRN102").unwrap();
    assert_eq!(torch["name"], "torch-load-without-weights-only");
    assert_eq!(torch["severity"], "warning");
    assert_eq!(torch["path"], "examples/demo/mlapp/checkpoints.py");
    assert_eq!(
        torch["range"]["start"],
        serde_json::json!({"line": 18, "column": 12})
    );
    assert_eq!(
        torch["range"]["end"],
        serde_json::json!({"line": 18, "column": 22})
    );
    assert_eq!(torch["fix"]["applicability"], "unsafe");
    assert_eq!(torch["fix"]["edits"][0]["content"], ", weights_only=True");
    let yaml = findings.iter().find(|f| f["code"] == "BRN104").unwrap();
    assert_eq!(yaml["fix"]["applicability"], "safe");
    let trust = findings.iter().find(|f| f["code"] == "BRN202").unwrap();
    assert_eq!(trust["severity"], "error");
}

#[test]
fn sarif_report_is_sarif_2_1_0() {
    let output = brine(
        &["check", "examples/demo", "--output-format", "sarif"],
        repo(),
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    // The typed SARIF 2.1.0 model accepts the document...
    let typed: serde_sarif::sarif::Sarif = serde_json::from_str(&text).expect("valid SARIF 2.1.0");
    assert_eq!(serde_json::to_value(&typed.version).unwrap(), "2.1.0");
    // ...and the fields code scanning reads are there.
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), brine_analysis::RULES.len());
    for rule in rules {
        for field in ["id", "name"] {
            assert!(rule[field].is_string(), "{rule}");
        }
        assert!(rule["shortDescription"]["text"].as_str().unwrap().len() > 10);
        assert!(rule["fullDescription"]["text"].as_str().unwrap().len() > 10);
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert_eq!(
            level,
            if rule["id"] == "BRN401" {
                "error"
            } else {
                "warning"
            }
        );
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for result in results {
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(result["message"]["text"].as_str().unwrap().len() > 10);
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("examples/demo/"), "{uri}");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(location["region"]["startColumn"].as_u64().unwrap() >= 1);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("safe.py"),
        "import yaml\nyaml.safe_load('a: 1')\n",
    )
    .unwrap();
    let output = brine(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("No findings in 1 checked files."));

    std::fs::write(
        dir.path().join("bad.py"),
        "import pickle\npickle.loads(b'')\n",
    )
    .unwrap();
    assert_eq!(brine(&["check"], dir.path()).status.code(), Some(1));
    assert_eq!(
        brine(&["check", "--exit-zero"], dir.path()).status.code(),
        Some(0)
    );
    assert_eq!(
        brine(&["check", "--ignore", "BRN1"], dir.path())
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        brine(&["check", "--select", "BRN2"], dir.path())
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        brine(&["check", "--select", "BRN101"], dir.path())
            .status
            .code(),
        Some(1)
    );

    let missing = brine(&["check", "does-not-exist"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does-not-exist"));
    assert_eq!(
        brine(&["check", "--select", "E501"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        brine(&["check", "--output-format", "xml"], dir.path())
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn malformed_configuration_names_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.py"),
        "import pickle\npickle.loads(b'')\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.brine]\nignroe = [\"BRN101\"]\n",
    )
    .unwrap();
    let output = brine(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pyproject.toml"), "{stderr}");
    assert!(stderr.contains("tool.brine.ignroe"), "{stderr}");

    std::fs::write(dir.path().join("brine.toml"), "torch-version = 26\n").unwrap();
    let output = brine(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("brine.toml") && stderr.contains("torch-version"),
        "{stderr}"
    );
}

#[test]
fn walking_respects_gitignore_and_skips_virtualenvs() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "import pickle\npickle.loads(b'')\n";
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".gitignore"), "generated/\n").unwrap();
    for folder in ["generated", ".venv/lib", "venv", "src"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        std::fs::write(dir.path().join(folder).join("m.py"), bad).unwrap();
    }
    std::fs::write(dir.path().join("venv/pyvenv.cfg"), "home = /usr\n").unwrap();
    let output = brine(&["check", "--output-format", "json"], dir.path());
    let findings: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let paths: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["src/m.py"]);
}

#[test]
fn rule_documentation() {
    let output = brine(&["rule", "BRN102"], repo());
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.starts_with("# BRN102 torch-load-without-weights-only"));
    assert_eq!(
        text,
        std::fs::read_to_string(repo().join("docs/rules/BRN102.md")).unwrap()
    );
    let all = stdout(&brine(&["rule", "--all"], repo()));
    assert_eq!(all.lines().count(), brine_analysis::RULES.len());
    assert!(all.contains("BRN203  torch-hub-load"));
    assert_eq!(brine(&["rule", "BRN999"], repo()).status.code(), Some(2));
}

#[test]
fn tainted_findings_carry_their_path_in_every_format() {
    let workspace = "tests/fixtures/workspaces/taint_hops";
    let json = stdout(&brine(
        &["check", workspace, "--output-format", "json"],
        repo(),
    ));
    let findings: serde_json::Value = serde_json::from_str(&json).unwrap();
    let tainted: Vec<&serde_json::Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(!tainted.is_empty());
    for finding in &tainted {
        let flow = finding["flow"].as_array().unwrap();
        assert!(flow.len() >= 2, "{finding}");
        assert!(flow[0]["message"].as_str().unwrap().starts_with("source: "));
        assert_eq!(flow.last().unwrap()["path"], finding["path"]);
        assert_eq!(flow.last().unwrap()["range"], finding["range"]);
        assert!(finding["message"].as_str().unwrap().contains(" reaches "));
    }
    // A flow that crosses files names the source's file first.
    assert!(tainted.iter().any(|f| f["flow"][0]["path"] != f["path"]));

    let sarif = stdout(&brine(
        &["check", workspace, "--output-format", "sarif"],
        repo(),
    ));
    let _: serde_sarif::sarif::Sarif = serde_json::from_str(&sarif).expect("valid SARIF 2.1.0");
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let with_flows: Vec<&serde_json::Value> =
        results.iter().filter(|r| r["level"] == "error").collect();
    assert_eq!(with_flows.len(), tainted.len());
    for result in with_flows {
        let locations = result["codeFlows"][0]["threadFlows"][0]["locations"]
            .as_array()
            .unwrap();
        let last = &locations.last().unwrap()["location"]["physicalLocation"];
        assert_eq!(last, &result["locations"][0]["physicalLocation"]);
    }

    let text = stdout(&brine(&["check", workspace], repo()));
    assert!(text.contains("= path:"), "{text}");
    assert!(
        text.contains("1. tests/fixtures/workspaces/taint_hops/app/transport.py:"),
        "{text}"
    );
}

#[test]
fn fix_applies_safe_fixes_and_unsafe_ones_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("load.py");
    std::fs::write(
        &file,
        "import torch\nimport yaml\n\nconfig = yaml.load(stream)\nstate = torch.load(path)\n",
    )
    .unwrap();
    let output = brine(&["check", "--fix"], dir.path());
    assert_eq!(
        output.status.code(),
        Some(1),
        "the unsafe BRN102 fix is not applied without --unsafe-fixes"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("yaml.safe_load(stream)"), "{text}");
    assert!(text.contains("torch.load(path)\n"), "{text}");
    let output = brine(&["check", "--fix", "--unsafe-fixes"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("torch.load(path, weights_only=True)"),
        "{text}"
    );
}

#[test]
fn pin_revision_fix_reads_the_local_hugging_face_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let sha = "86b5e0934494bd15c9632b12f734a8a67f723594";
    let refs = cache
        .path()
        .join("models--google-bert--bert-base-uncased/refs");
    std::fs::create_dir_all(&refs).unwrap();
    std::fs::write(refs.join("main"), sha).unwrap();
    let file = dir.path().join("model.py");
    std::fs::write(
        &file,
        "from transformers import AutoModel\nm = AutoModel.from_pretrained(\"google-bert/bert-base-uncased\")\nn = AutoModel.from_pretrained(\"other/model\")\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(["check", "--fix"])
        .current_dir(dir.path())
        .env("HF_HUB_CACHE", cache.path())
        .env_remove("HF_HOME")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "the model missing from the cache stays unpinned"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(&format!(
            "from_pretrained(\"google-bert/bert-base-uncased\", revision=\"{sha}\")"
        )),
        "{text}"
    );
    assert!(text.contains("from_pretrained(\"other/model\")"), "{text}");
}
