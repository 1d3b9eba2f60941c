//! Where the time of one editor keystroke goes on a big workspace (a diagnostic tool, not a test).
//! Usage: cargo run --release -p brine_workspace --example edit_breakdown -- <corpus> <relative file>
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use brine_analysis::{check_file, CheckOptions, FileId, Workspace};
use brine_syntax::{ParsedFile, TextEdit, TextRange};
use brine_workspace::{check_paths, CheckRequest};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(&args[1]);
    let target = &args[2];
    let outcome = check_paths(&CheckRequest {
        paths: vec![root.clone()],
        ..CheckRequest::default()
    })
    .unwrap();
    let files: Vec<(String, Arc<brine_facts::FileFacts>)> = outcome
        .files
        .iter()
        .map(|f| (f.workspace_path.clone(), f.facts.clone()))
        .collect();
    eprintln!("after check_paths: {}", rss());
    drop(outcome);
    let mut ws = Workspace::new(files, []);
    eprintln!("workspace of facts: {}", rss());
    let id = ws.file_id(target).expect("target in workspace");
    let options = CheckOptions::default();
    let t = Instant::now();
    let ids: Vec<FileId> = ws.files().map(|(id, _)| id).collect();
    for &i in &ids {
        check_file(&ws, i, &options);
    }
    eprintln!(
        "warm full check: {:?}, {} cached, {}",
        t.elapsed(),
        ws.cached_results(),
        rss()
    );
    let warm_rounds: usize = std::env::var("WARM_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..warm_rounds {
        n = check_file(&ws, id, &options).len();
    }
    eprintln!(
        "check target warm: {:?} ({n} findings)",
        t.elapsed() / warm_rounds as u32
    );
    let text = std::fs::read_to_string(root.join(target)).unwrap();
    // EDIT=comment (the default, as scripts/bench_lsp.py types): a `#` at the end of the first line
    // of the first function's body, which moves code. EDIT=code (as `--edit-kind code`): an `x` at
    // the end of the first body line that ends in a name, which changes the code.
    let in_code = std::env::var("EDIT").is_ok_and(|edit| edit == "code");
    // FROM_LINE=<n> edits from line n on instead (in a class body, say).
    let body = match std::env::var("FROM_LINE")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        Some(line) => text
            .match_indices('\n')
            .nth(line.saturating_sub(2))
            .map_or(0, |(at, _)| at + 1),
        None => {
            let body = text.find("\ndef ").unwrap() + 1;
            body + text[body..].find('\n').unwrap() + 1
        }
    };
    let line_ends = text[body..].match_indices('\n').map(|(at, _)| body + at);
    let ends_in_name = |&end: &usize| {
        text[..end]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    };
    let (offset, inserted) = if in_code {
        (line_ends.clone().find(ends_in_name).unwrap() as u32, "x")
    } else {
        (line_ends.clone().next().unwrap() as u32, "#")
    };
    let mut parsed = ParsedFile::parse(text);
    parsed.take_moves();
    let mut facts = ws.file(id).facts.clone();
    // The last facts lowered from the tree and their statement chunks, as an open document keeps.
    let mut lowered = brine_facts::lower_reusing(&parsed, None);
    let edit_rounds: usize = std::env::var("EDIT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    for round in 0..edit_rounds {
        // Counting visits every cached result: NO_COUNT=1 skips it (when profiling).
        let count = |ws: &Workspace| match std::env::var_os("NO_COUNT") {
            Some(_) => 0,
            None => ws.cached_results(),
        };
        let before = count(&ws);
        let t0 = Instant::now();
        let edit = if round % 2 == 0 {
            TextEdit {
                range: TextRange::empty(offset),
                new_text: inserted.into(),
            }
        } else {
            TextEdit {
                range: TextRange::new(offset, offset + 1),
                new_text: String::new(),
            }
        };
        parsed.apply_edit(&edit);
        let t1 = Instant::now();
        // As the server does: facts moved when the edit only moved code, lowered otherwise
        // (copying the facts of the top-level statements the edit did not touch).
        facts = Arc::new(match parsed.take_moves() {
            Some(moves) => brine_facts::lower_moved(&facts, &parsed, &moves),
            None => {
                lowered = brine_facts::lower_reusing(&parsed, Some((&lowered.0, &lowered.1)));
                lowered.0.clone()
            }
        });
        let t2 = Instant::now();
        ws.replace_facts(id, facts.clone());
        let t3 = Instant::now();
        let n = check_after_edit(&ws, id, &options);
        let t4 = Instant::now();
        // What the server's second phase does after a change of code: check every other file
        // again (ALL_FILES=0 skips it, to profile the rest).
        let all_files = std::env::var("ALL_FILES").map_or(true, |v| v != "0");
        for &i in ids.iter().filter(|_| all_files) {
            check_file(&ws, i, &options);
        }
        let t5 = Instant::now();
        // Counting checks every result's dependencies: outside the timed phases.
        let after = count(&ws);
        eprintln!(
            "reparse {:?} lower {:?} replace {:?} ({before} -> {after} cached) check {:?} ({n} findings), then all files {:?}",
            t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4
        );
    }
}

/// The check of the edited file, in a function of its own so that a profiler can count it alone
/// (`valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*check_after_edit*'`).
#[inline(never)]
fn check_after_edit(ws: &Workspace, id: FileId, options: &CheckOptions) -> usize {
    check_file(ws, id, options).len()
}

/// Resident memory of this process (Linux only; this is a diagnostic tool).
fn rss() -> String {
    brine_workspace::resident_memory().unwrap_or_else(|| "?".to_owned())
}
