//! How long tree-sitter alone takes to parse every Python file under a folder (a diagnostic tool,
//! not a test): the floor under `brine check`'s time, since exact results need the facts of almost
//! every file. Files are read first, then parsed on THREADS threads (default 2), each taking the
//! next file from a shared counter.
//! Usage: cargo run --release -p brine_syntax --example parse_corpus -- <folder>
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn python_files(root: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            python_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "py") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).expect("a folder"));
    let threads: usize = std::env::var("THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let mut paths = Vec::new();
    python_files(&root, &mut paths);
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(text) = texts.get(index) else { break };
                drop(brine_syntax::ParsedFile::parse(text.clone()));
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} files, {:.1} MB parsed in {seconds:.2} s on {threads} threads: {:.1} MB/s per thread",
        texts.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / seconds / threads as f64
    );
}
