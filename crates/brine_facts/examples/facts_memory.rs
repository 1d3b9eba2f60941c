//! Resident memory of the facts of every Python file under a folder, and an estimate of their heap
//! by part (a diagnostic tool): `cargo run --release -p brine_facts --example facts_memory -- <folder>`.
use std::collections::BTreeMap;
use std::mem::size_of;
use std::sync::Arc;

use brine_facts::Expr;
use rustc_hash::FxHashSet;
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
        string_bytes += f.string_data.len();
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
    print_parts(&facts);
    println!(
        "size_of Expr {} Binding {} Call {} Arg {}",
        size_of::<Expr>(),
        size_of::<brine_facts::Binding>(),
        size_of::<brine_facts::Call>(),
        size_of::<brine_facts::Arg>()
    );
}

/// Heap bytes of a vector's buffer, spare capacity included.
fn buffer<T>(items: &Vec<T>) -> usize {
    items.capacity() * size_of::<T>()
}

/// Estimated heap bytes and allocations per part of the facts (malloc overhead not included).
fn print_parts(facts: &[Arc<brine_facts::FileFacts>]) {
    let mut parts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut add = |part: &'static str, bytes: usize, allocations: usize| {
        let entry = parts.entry(part).or_default();
        entry.0 += bytes;
        entry.1 += allocations;
    };
    // Names are shared across files (brine_facts::intern): count each once, with the table's slot.
    let mut names: FxHashSet<brine_facts::Name> = FxHashSet::default();
    for f in facts {
        add("exprs", buffer(&f.exprs), 1);
        add(
            "expr_ranges",
            f.expr_ranges.len() * 4 + f.expr_ranges.len() / 4,
            2,
        );
        add("bindings", buffer(&f.bindings), 1);
        add("imports", buffer(&f.imports), 1);
        add("calls", buffer(&f.calls), 1);
        add("scopes", buffer(&f.scopes), 1);
        add("functions", buffer(&f.functions), 1);
        add("line index", f.line_index.line_count() * 9 / 4, 2);
        add("call args", buffer(&f.call_args), 1);
        add(
            "scope names",
            buffer(&f.scope_name_keys) + buffer(&f.scope_name_bindings),
            2,
        );
        add(
            "function lists",
            buffer(&f.params) + buffer(&f.declared_names),
            2,
        );
        add(
            "expr lists",
            buffer(&f.expr_lists) + buffer(&f.dict_entries),
            2,
        );
        add("fstrings", buffer(&f.fstring_parts), 1);
        add("strings", f.string_data.capacity(), 1);
        let bound = f.bindings.iter().map(|binding| &binding.name);
        let used = f.exprs.iter().filter_map(|expr| match expr {
            Expr::Name { name, .. } | Expr::Attribute { attr: name, .. } => Some(name),
            _ => None,
        });
        for name in bound.chain(used) {
            if names.insert(*name) {
                add("interned names", name.len() + 16, 1);
            }
        }
    }
    let total = parts.values().fold((0, 0), |(bytes, allocations), part| {
        (bytes + part.0, allocations + part.1)
    });
    for (part, (bytes, allocations)) in parts.iter().chain([(&"total", &total)]) {
        println!(
            "{part:>18}: {:>7.1} MB in {allocations:>9} allocations",
            *bytes as f64 / 1e6
        );
    }
}

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or("?")
        .to_owned()
}
