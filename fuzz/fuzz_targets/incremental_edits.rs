//! Random edit sequences on a document: reparsing incrementally after each edit must give the same tree
//! and the same findings as analysing the final text from scratch; facts moved after an edit that
//! only moved code (`lower_moved`, as the server does) must equal a fresh lowering, and so must facts
//! lowered reusing the last lowering's statement chunks (`lower_reusing`, kept across moves as the
//! server keeps them).
#![no_main]

use brine_analysis::{check_file, CheckOptions, FileId, Workspace};
use brine_syntax::{ParsedFile, TextEdit, TextRange};
use libfuzzer_sys::fuzz_target;

/// Snippets edits insert, so sequences reach interesting code quickly.
const SNIPPETS: &[&str] = &[
    "", "\n", " ", "(", ")", ",", "'", "\"\"\"", "#", ":", "\n    ", "import torch\n", "import pickle\n",
    "torch.load(", "pickle.loads(", "weights_only=True", "weights_only=False", "x", " = ", "def f(p):\n",
    "return ", "requests.get(u).content", "é", "😀", "[", "]", "{", "}", "\\", "yaml.load(s)",
];

fn findings(file: &ParsedFile) -> Vec<(String, u32, u32, String)> {
    let workspace = Workspace::single("doc.py", brine_facts::lower(file));
    check_file(&workspace, FileId(0), &CheckOptions::default())
        .into_iter()
        .map(|f| (f.code().to_owned(), f.range.start, f.range.end, f.severity.as_str().to_owned()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| b as usize).min(data.len().saturating_sub(1));
    let (initial, ops) = data.get(1..).unwrap_or_default().split_at(split.min(data.len().saturating_sub(1)));
    let mut document = ParsedFile::parse(String::from_utf8_lossy(initial).into_owned());
    document.take_moves();
    let mut facts = brine_facts::lower(&document);
    let mut lowered = brine_facts::lower_reusing(&document, None);
    for op in ops.chunks(4).take(64) {
        let [a, b, c, d] = [0, 1, 2, 3].map(|i| op.get(i).copied().unwrap_or(0) as u32);
        let len = document.text().len() as u32 + 1;
        let start = (a << 8 | b) % len;
        let end = start + c % 8;
        let new_text = SNIPPETS[d as usize % SNIPPETS.len()].to_owned();
        document.apply_edit(&TextEdit { range: TextRange::new(start, end), new_text });
        let fresh = brine_facts::lower(&document);
        if let Some(moves) = document.take_moves() {
            let moved = brine_facts::lower_moved(&facts, &document, &moves);
            assert_eq!(format!("{moved:?}"), format!("{fresh:?}"), "{moves:?}");
        }
        // Every other edit lowers reusing, so some bases are a few edits old, as after moves.
        if op[0] % 2 == 0 {
            lowered = brine_facts::lower_reusing(&document, Some((&lowered.0, &lowered.1)));
            assert_eq!(format!("{:?}", lowered.0), format!("{fresh:?}"), "reusing");
        }
        facts = fresh;
    }
    let fresh = ParsedFile::parse(document.text().to_owned());
    assert_eq!(document.tree().root_node().to_sexp(), fresh.tree().root_node().to_sexp());
    assert_eq!(findings(&document), findings(&fresh));
});
