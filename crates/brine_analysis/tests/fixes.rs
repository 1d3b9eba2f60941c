//! Every fix, applied to real snippets: the result must parse without errors, must no longer carry the
//! finding it fixes, and is snapshotted with the finding's message.

use brine_analysis::fix::Applicability;
use brine_analysis::{check_file, CheckOptions, FileId, Workspace};
use brine_facts::lower_text;

fn findings(text: &str) -> Vec<brine_analysis::Finding> {
    let workspace = Workspace::single("snippet.py", lower_text(text));
    check_file(&workspace, FileId(0), &CheckOptions::default())
}

/// Applies the first fix with edits of the first finding with `code`; returns the message, the fix
/// title and applicability, and the fixed text.
fn apply_fix(text: &str, code: &str) -> String {
    let found = findings(text);
    let finding = found
        .iter()
        .find(|f| f.code() == code)
        .unwrap_or_else(|| panic!("no {code} in:\n{text}"));
    let fix = finding
        .fixes
        .iter()
        .find(|f| !f.edits.is_empty())
        .unwrap_or_else(|| panic!("no fix for {code}"));
    let mut fixed = text.to_owned();
    let mut edits = fix.edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    for edit in edits {
        fixed.replace_range(edit.range.as_usize(), &edit.new_text);
    }
    let facts = lower_text(&fixed);
    assert!(
        !facts.has_syntax_errors,
        "fix produced invalid Python:\n{fixed}"
    );
    let still = findings(&fixed)
        .into_iter()
        .filter(|f| f.code() == code && f.severity != brine_analysis::Severity::Info)
        .count();
    assert_eq!(still, 0, "fix did not resolve {code}:\n{fixed}");
    let applicability = match fix.applicability {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display-only",
    };
    format!(
        "{}\n{} ({applicability})\n---\n{fixed}",
        finding.message, fix.title
    )
}

#[test]
fn torch_load_adds_weights_only() {
    insta::assert_snapshot!(apply_fix(
        "import torch\nstate = torch.load(path)\n",
        "BRN102"
    ));
}

#[test]
fn torch_load_multiline_with_trailing_comma() {
    let text = "import torch\nstate = torch.load(\n    path,\n    map_location=\"cpu\",\n)\n";
    insta::assert_snapshot!(apply_fix(text, "BRN102"));
}

#[test]
fn torch_load_multiline_without_trailing_comma() {
    let text = "import torch\nstate = torch.load(\n    path,\n    map_location=\"cpu\"\n)\n";
    insta::assert_snapshot!(apply_fix(text, "BRN102"));
}

#[test]
fn torch_load_replaces_weights_only_false() {
    let text = "import torch\nstate = torch.load(path, weights_only=False, map_location=\"cpu\")\n";
    insta::assert_snapshot!(apply_fix(text, "BRN102"));
}

#[test]
fn torch_load_url_without_arguments_is_fixable_too() {
    insta::assert_snapshot!(apply_fix(
        "import torch\ntorch.hub.load_state_dict_from_url(URL)\n",
        "BRN102"
    ));
}

#[test]
fn safetensors_suggestion_rewrites_the_call_and_adds_the_import() {
    let text =
        "\"\"\"Loading.\"\"\"\nimport torch\nstate = torch.load(path, map_location=\"cpu\")\n";
    let found = findings(text);
    let fix = found[0]
        .fixes
        .iter()
        .find(|f| f.applicability == Applicability::DisplayOnly)
        .unwrap();
    let mut fixed = text.to_owned();
    let mut edits = fix.edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    for edit in edits {
        fixed.replace_range(edit.range.as_usize(), &edit.new_text);
    }
    assert_eq!(fixed, "\"\"\"Loading.\"\"\"\nimport safetensors.torch\nimport torch\nstate = safetensors.torch.load_file(path)\n");
    assert!(findings(&fixed).is_empty());
}

#[test]
fn numpy_allow_pickle_false() {
    insta::assert_snapshot!(apply_fix(
        "import numpy as np\narr = np.load(p, allow_pickle=True)\n",
        "BRN103"
    ));
    insta::assert_snapshot!(apply_fix(
        "import numpy as np\narr = np.load(p, None, True)\n",
        "BRN103"
    ));
}

#[test]
fn yaml_safe_load() {
    insta::assert_snapshot!(apply_fix(
        "import yaml\ndata = yaml.load(stream)\n",
        "BRN104"
    ));
    insta::assert_snapshot!(apply_fix(
        "import yaml as y\ndata = y.load_all(stream, Loader=y.FullLoader)\n",
        "BRN104"
    ));
    insta::assert_snapshot!(apply_fix(
        "import yaml\ndata = yaml.unsafe_load(stream)\n",
        "BRN104"
    ));
}

#[test]
fn keras_drops_safe_mode_false() {
    insta::assert_snapshot!(apply_fix(
        "import keras\nm = keras.models.load_model(p, safe_mode=False, compile=False)\n",
        "BRN105"
    ));
    insta::assert_snapshot!(apply_fix(
        "import keras\nm = keras.saving.load_model(\n    p,\n    safe_mode=False,\n)\n",
        "BRN105"
    ));
}

#[test]
fn trust_remote_code_is_dropped() {
    let text = "from transformers import AutoModel\nm = AutoModel.from_pretrained(\"org/m\", trust_remote_code=True)\n";
    insta::assert_snapshot!(apply_fix(text, "BRN202"));
    let only = "from transformers import AutoConfig\nc = AutoConfig.from_pretrained(trust_remote_code=True,)\n";
    let found = findings(only);
    assert!(found.iter().any(|f| f.code() == "BRN202"), "{found:?}");
    insta::assert_snapshot!(apply_fix(only, "BRN202"));
}

#[test]
fn findings_sit_on_the_callee_line_of_multiline_calls() {
    let text = "import torch\nx = (\n    torch\n    .load(\n        p,\n    )\n)\n";
    let found = findings(text);
    assert_eq!(found.len(), 1);
    let facts = lower_text(text);
    assert_eq!(facts.line_index.line_of(found[0].range.start), 3);
}
