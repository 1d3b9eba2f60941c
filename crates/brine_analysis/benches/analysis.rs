//! Criterion benchmarks of the analysis' hot inner parts on a generated workspace (no corpus needed):
//! lowering one module, checking the whole workspace from cold caches, checking one file with warm
//! caches, and the editor's path for one keystroke (new facts for one file, then its check), in code
//! and in a comment.
//!
//! Run: `cargo bench -p brine_analysis --bench analysis`. The figures for the real corpus come from
//! `scripts/bench_check.py` and `scripts/bench_lsp.py`; these track regressions in the parts.

use std::hint::black_box;
use std::sync::Arc;

use brine_analysis::{check_file, CheckOptions, FactsChange, FileId, Workspace};
use brine_facts::lower_text;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

const MODULES: usize = 120;
const FILLER_FUNCTIONS: usize = 40;

/// One module of a package whose modules call into each other: a remote fetch, a pickle sink reached
/// through a class attribute, a `torch.load` whose `weights_only` comes from every caller, and
/// ordinary code around them.
fn module_text(index: usize, marker: &str) -> String {
    let mut text = String::from("import pickle\nimport requests\nimport torch\n");
    if index > 0 {
        text += &format!("from pkg import mod_{} as previous\n", index - 1);
    }
    text += &format!(
        "\nURL = \"https://example.com/{index}\"\n\n\
         def fetch_{index}(url):\n    response = requests.get(url)\n    return response.content\n\n\
         def load_{index}(path, weights_only=True):\n    return torch.load(path, weights_only=weights_only)\n\n\
         class Model{index}:\n    def __init__(self, source):\n        self.source = source\n\n\
         \x20   def restore(self):\n        return pickle.loads(self.source)\n\n\
         def main_{index}():\n    blob = fetch_{index}(URL)\n    Model{index}(blob).restore()\n    load_{index}(\"model.pt\")\n"
    );
    if index > 0 {
        let previous = index - 1;
        text += &format!(
            "    previous.load_{previous}(\"other.pt\", weights_only=False)\n    \
             return previous.fetch_{previous}(URL)\n"
        );
    }
    for filler in 0..FILLER_FUNCTIONS {
        text += &format!(
            "\ndef helper_{index}_{filler}(values, scale=2):\n    total = 0{marker}\n    \
             for value in values:\n        total += value * scale\n    \
             result = {{\"total\": total, \"count\": len(values)}}\n    return result\n"
        );
    }
    text
}

fn workspace_files(marker_in_first: &str) -> Vec<(String, Arc<brine_facts::FileFacts>)> {
    let mut files = vec![("pkg/__init__.py".to_owned(), Arc::new(lower_text("")))];
    for index in 0..MODULES {
        let marker = if index == MODULES / 2 {
            marker_in_first
        } else {
            ""
        };
        files.push((
            format!("pkg/mod_{index}.py"),
            Arc::new(lower_text(&module_text(index, marker))),
        ));
    }
    files
}

fn check_all(workspace: &Workspace, options: &CheckOptions) -> usize {
    workspace
        .files()
        .map(|(id, _)| check_file(workspace, id, options).len())
        .sum()
}

fn benchmarks(c: &mut Criterion) {
    let options = CheckOptions::default();
    let big_module = module_text(7, "");
    c.bench_function("lower one module", |b| {
        b.iter(|| lower_text(black_box(&big_module)))
    });

    let files = workspace_files("");
    c.bench_function("check workspace, cold caches", |b| {
        b.iter_batched(
            || Workspace::new(files.clone(), []),
            |workspace| check_all(&workspace, &options),
            BatchSize::LargeInput,
        )
    });

    let edited = FileId(1 + MODULES as u32 / 2);
    let warm = Workspace::new(files.clone(), []);
    let findings = check_all(&warm, &options);
    assert!(
        findings >= MODULES * 2 - 1,
        "the generated workspace has {findings} findings"
    );
    c.bench_function("check one file, warm caches", |b| {
        b.iter(|| check_file(&warm, edited, &options))
    });

    // A keystroke: the edited module's facts alternate between two texts, and the file is checked.
    let texts = [
        Arc::new(lower_text(&module_text(MODULES / 2, ""))),
        Arc::new(lower_text(&module_text(MODULES / 2, " + 1"))),
    ];
    let mut live = Workspace::new(files, []);
    check_all(&live, &options);
    let mut round = 0;
    c.bench_function("edit: replace facts, check the file", |b| {
        b.iter(|| {
            round += 1;
            live.replace_facts(edited, texts[round % 2].clone());
            check_file(&live, edited, &options)
        })
    });

    // A keystroke in a comment: the facts only move, so every cached result is kept.
    let commented = module_text(MODULES / 2, "").replacen("\n\ndef ", "\n# a comment\n\ndef ", 1);
    let texts = [
        Arc::new(lower_text(&module_text(MODULES / 2, ""))),
        Arc::new(lower_text(&commented)),
    ];
    assert_eq!(
        live.replace_facts(edited, texts[1].clone()),
        FactsChange::Moved,
        "a comment only moves code"
    );
    c.bench_function("edit in a comment: replace facts, check the file", |b| {
        b.iter(|| {
            round += 1;
            live.replace_facts(edited, texts[round % 2].clone());
            check_file(&live, edited, &options)
        })
    });
}

criterion_group! {
    name = analysis;
    config = Criterion::default().sample_size(20);
    targets = benchmarks
}
criterion_main!(analysis);
