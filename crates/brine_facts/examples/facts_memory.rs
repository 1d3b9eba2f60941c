//! Resident memory of the facts of every Python file under a folder (a diagnostic tool).
use std::sync::Arc;
fn main() {
    let root = std::env::args().nth(1).expect("folder");
    let mut paths = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path)
            } else if path.extension().is_some_and(|e| e == "py") {
                paths.push(path)
            }
        }
    }
    let before = rss();
    let mut facts = Vec::new();
    let mut counts = [0usize; 4];
    let mut string_bytes = 0usize;
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let f = brine_facts::lower_text(&text);
        counts[0] += f.exprs.len();
        counts[1] += f.bindings.len();
        counts[2] += f.calls.len();
        counts[3] += f.line_index.line_count();
        for e in &f.exprs {
            if let brine_facts::Expr::Str(s) = e {
                string_bytes += s.len();
            }
        }
        facts.push(Arc::new(f));
    }
    println!(
        "{} files: rss {} -> {}; exprs {} bindings {} calls {} lines {} string bytes {}",
        paths.len(),
        before,
        rss(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        string_bytes
    );
    println!(
        "size_of Expr {} Binding {} Call {}",
        std::mem::size_of::<brine_facts::Expr>(),
        std::mem::size_of::<brine_facts::Binding>(),
        std::mem::size_of::<brine_facts::Call>()
    );
}
fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or("?")
        .to_owned()
}
