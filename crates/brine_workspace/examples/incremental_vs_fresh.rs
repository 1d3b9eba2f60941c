//! Checks, on a real workspace, that the findings after a sequence of edits of one file equal those
//! of a fresh workspace of the final texts (a diagnostic tool for changes to the incremental
//! analysis; `crates/brine_analysis/tests/incremental.rs` holds the small cases as tests).
//!
//! Usage: cargo run --release -p brine_workspace --example incremental_vs_fresh -- <corpus>
//!            <relative file> [<from> <to>]...
//! Each `<from> <to>` pair replaces the first `<from>` in the file's current text by `<to>` (`\n`
//! stands for a newline); with no pairs, a default sequence for transformers' `modeling_utils.py`
//! (an edit inside a method, a `global` renamed, a method renamed, a new import, and back).
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use brine_analysis::{check_file, CheckOptions, Workspace};
use brine_facts::{lower_text, FileFacts};
use brine_workspace::{check_paths, CheckRequest};

const DEFAULT_EDITS: &[(&str, &str)] = &[
    (
        "return self.hf_quantizer is not None",
        "return self.hf_quantizer is None",
    ),
    ("    global _is_quantized\n", "    global _is_quantizedx\n"),
    (
        "    def _init_weights(self, module):",
        "    def _init_weightsx(self, module):",
    ),
    (
        "import torch\n",
        "import torch\nfrom pickle import load as safe_load\n",
    ),
    (
        "    def _init_weightsx(self, module):",
        "    def _init_weights(self, module):",
    ),
    // A function that 346 modules import and call becomes `pickle.loads`, and back.
    (
        "def slice_logits_to_keep(",
        "from pickle import loads as slice_logits_to_keep\ndef _slice_logits_to_keep(",
    ),
    (
        "from pickle import loads as slice_logits_to_keep\ndef _slice_logits_to_keep(",
        "def slice_logits_to_keep(",
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(&args[1]);
    let target = &args[2];
    let given: Vec<(String, String)> = args[3..]
        .chunks(2)
        .map(|pair| (pair[0].replace("\\n", "\n"), pair[1].replace("\\n", "\n")))
        .collect();
    let edits: Vec<(String, String)> = if given.is_empty() {
        let owned = |(from, to): &(&str, &str)| (from.to_string(), to.to_string());
        DEFAULT_EDITS.iter().map(owned).collect()
    } else {
        given
    };
    let outcome = check_paths(&CheckRequest {
        paths: vec![root.clone()],
        ..CheckRequest::default()
    })
    .expect("the corpus is readable");
    let mut files: Vec<(String, Arc<FileFacts>)> = outcome
        .files
        .iter()
        .map(|file| (file.workspace_path.clone(), file.facts.clone()))
        .collect();
    drop(outcome);
    let index = files
        .iter()
        .position(|(path, _)| path == target)
        .expect("the file is in the workspace");
    let mut live = Workspace::new(files.clone(), []);
    let id = live.file_id(target).expect("the file is in the workspace");
    let options = CheckOptions::default();
    let report = |workspace: &Workspace| -> Vec<String> {
        let ids: Vec<_> = workspace.files().map(|(id, _)| id).collect();
        ids.iter()
            .flat_map(|&id| check_file(workspace, id, &options))
            .map(|finding| format!("{finding:?}"))
            .collect()
    };
    let initial = report(&live);
    println!("{} findings before the edits", initial.len());
    let mut text = std::fs::read_to_string(root.join(target)).expect("the file is readable");
    let mut failed = false;
    for (from, to) in &edits {
        let Some(at) = text.find(from.as_str()) else {
            println!("skipped: {from:?} is not in the text");
            continue;
        };
        text.replace_range(at..at + from.len(), to);
        let facts = Arc::new(lower_text(&text));
        files[index].1 = facts.clone();
        let started = Instant::now();
        live.replace_facts(id, facts);
        let incremental = report(&live);
        let took = started.elapsed();
        let fresh = report(&Workspace::new(files.clone(), []));
        let same = incremental == fresh;
        failed |= !same;
        println!(
            "{from:?} -> {to:?}: {} findings, {} (incremental check of every file {took:?})",
            incremental.len(),
            if same {
                "same as fresh"
            } else {
                "DIFFERENT from fresh"
            }
        );
        if !same {
            for line in fresh.iter().filter(|line| !incremental.contains(line)) {
                println!("  only fresh: {line}");
            }
            for line in incremental.iter().filter(|line| !fresh.contains(line)) {
                println!("  only incremental: {line}");
            }
        }
    }
    std::process::exit(i32::from(failed));
}
