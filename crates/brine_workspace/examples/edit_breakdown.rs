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
        .map(|f| {
            let rel = f.path.strip_prefix(&root).unwrap_or(&f.path);
            (rel.to_string_lossy().into_owned(), f.facts.clone())
        })
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
    let offset = text.find("\ndef ").unwrap() as u32 + 1;
    let offset = offset + text[offset as usize..].find('\n').unwrap() as u32 + 5;
    let mut parsed = ParsedFile::parse(text);
    let edit_rounds: usize = std::env::var("EDIT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    for round in 0..edit_rounds {
        let t0 = Instant::now();
        let edit = if round % 2 == 0 {
            TextEdit {
                range: TextRange::empty(offset),
                new_text: "x".into(),
            }
        } else {
            TextEdit {
                range: TextRange::new(offset, offset + 1),
                new_text: String::new(),
            }
        };
        parsed.apply_edit(&edit);
        let t1 = Instant::now();
        let facts = Arc::new(brine_facts::lower(&parsed));
        let t2 = Instant::now();
        let before = ws.cached_results();
        ws.replace_facts(id, facts);
        let after = ws.cached_results();
        let t3 = Instant::now();
        let n = check_file(&ws, id, &options).len();
        let t4 = Instant::now();
        eprintln!(
            "reparse {:?} lower {:?} replace {:?} ({before} -> {after} cached) check {:?} ({n} findings)",
            t1 - t0, t2 - t1, t3 - t2, t4 - t3
        );
    }
}

/// Resident memory of this process, from /proc (Linux only; this is a diagnostic tool).
fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or("VmRSS: ?");
    line.split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ")
}
