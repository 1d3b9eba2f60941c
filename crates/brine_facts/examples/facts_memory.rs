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
    // Estimated heap bytes and allocations per part of the facts (malloc overhead not included).
    let mut parts: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let mut add = |part: &'static str, bytes: usize, allocations: usize| {
        let entry = parts.entry(part).or_default();
        entry.0 += bytes;
        entry.1 += allocations;
    };
    use std::mem::size_of;
    // Names are shared across files (brine_facts::intern): count each allocation once.
    let mut names: rustc_hash::FxHashSet<*const u8> = Default::default();
    for f in &facts {
        add(
            "exprs",
            f.exprs.capacity() * size_of::<brine_facts::Expr>(),
            1,
        );
        add("expr_ranges", f.expr_ranges.capacity() * 8, 1);
        for e in &f.exprs {
            use brine_facts::Expr::*;
            match e {
                Choice(x) | Tuple(x) | List(x) => add("expr lists", x.len() * 4, 1),
                Dict(x) => add("expr lists", x.len() * 12, 1),
                FString(x) => add("fstrings", x.len() * 24, 1),
                _ => {}
            }
        }
        add(
            "bindings",
            f.bindings.capacity() * size_of::<brine_facts::Binding>(),
            1,
        );
        add(
            "imports",
            f.imports.capacity() * size_of::<brine_facts::ImportTarget>(),
            1,
        );
        for t in &f.imports {
            add("imports", t.module.len(), 1);
        }
        add(
            "calls",
            f.calls.capacity() * size_of::<brine_facts::Call>(),
            1,
        );
        for c in &f.calls {
            add(
                "call args",
                c.args.len() * size_of::<brine_facts::Arg>(),
                usize::from(!c.args.is_empty()),
            );
        }
        add(
            "scopes",
            f.scopes.capacity() * size_of::<brine_facts::Scope>(),
            1,
        );
        for s in &f.scopes {
            add(
                "scope names",
                s.names.len() * size_of::<(brine_facts::Name, brine_facts::NameBindings)>(),
                usize::from(!s.names.is_empty()),
            );
        }
        add(
            "functions",
            f.functions.capacity() * size_of::<brine_facts::Function>(),
            1,
        );
        for func in &f.functions {
            add(
                "function vecs",
                func.params.capacity() * size_of::<brine_facts::Param>()
                    + (func.decorators.capacity() + func.returns.capacity()) * 4,
                usize::from(func.params.capacity() > 0)
                    + usize::from(func.decorators.capacity() > 0)
                    + usize::from(func.returns.capacity() > 0),
            );
        }
        add("line index", f.line_index.line_count() * 4, 1);
        let (mut name_bytes, mut new_names) = (0, 0);
        let mut visit = |n: &brine_facts::Name| {
            if names.insert(n.as_ptr()) {
                name_bytes += n.len() + 16;
                new_names += 1;
            }
        };
        for b in &f.bindings {
            visit(&b.name);
        }
        for e in &f.exprs {
            match e {
                brine_facts::Expr::Name { name, .. } => visit(name),
                brine_facts::Expr::Attribute { attr, .. } => visit(attr),
                brine_facts::Expr::Str(s) => visit(s),
                _ => {}
            }
        }
        add("interned names", name_bytes, new_names);
    }
    let mut total = (0, 0);
    for (part, (bytes, allocations)) in &parts {
        println!(
            "{part:>18}: {:>7.1} MB in {:>9} allocations",
            *bytes as f64 / 1e6,
            allocations
        );
        total.0 += bytes;
        total.1 += allocations;
    }
    println!(
        "{:>18}: {:>7.1} MB in {:>9} allocations",
        "total",
        total.0 as f64 / 1e6,
        total.1
    );
    println!(
        "size_of Expr {} Binding {} Call {} Arg {}",
        std::mem::size_of::<brine_facts::Expr>(),
        std::mem::size_of::<brine_facts::Binding>(),
        std::mem::size_of::<brine_facts::Call>(),
        std::mem::size_of::<brine_facts::Arg>()
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
