//! How much of a workspace a check that parses statements on demand would have to parse to find
//! exactly what the exhaustive check finds (a measuring tool, not a test).
//!
//! A statement here is a top-level statement, or a statement directly in the body of a top-level
//! class (its methods); a class's header goes with any of its members. The check starts from the
//! statements that mention a name a sink can have, checks only their calls, and adds the
//! statements that resolution asked for by name (see `brine_analysis::demand`) and those that use
//! a module- or class-level name whose value is a sink callable, until nothing is added. The facts
//! are the whole files' (so every answer is the exhaustive one); what it measures is which
//! statements were needed, and whether checking only them gave the exhaustive findings.
//!
//! Usage: cargo run --release -p brine_workspace --example demand_closure -- <folder>
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use brine_analysis::demand::{sink_valued_names, Demand};
use brine_analysis::rules::library::{could_be_sink, unresolved_method_sink};
use brine_analysis::{check_file, check_file_calls, CheckOptions, FileId, Finding, Workspace};
use brine_facts::Name;
use brine_syntax::{Node, NodeKind, ParsedFile, TextRange};
use brine_workspace::{check_paths, CheckRequest};
use rustc_hash::{FxHashMap, FxHashSet};

/// The names a statement mentions in code, calls, and can bind at its own level.
#[derive(Default)]
struct StatementNames {
    mentioned: FxHashSet<Name>,
    called: FxHashSet<Name>,
    /// Names the statement can bind at its own level: a `def` or `class` name, assignment,
    /// import, `for`, `with ... as`, `except ... as` and `:=` targets outside nested functions,
    /// and names declared `global` anywhere in it.
    bound: FxHashSet<Name>,
    /// Attribute names assigned to (`x.name = ...`): where `self.name` writes can be.
    attribute_writes: FxHashSet<Name>,
}

/// The statements of one file, with the names each mentions in code.
struct FileStatements {
    ranges: Vec<TextRange>,
    /// For a class member: the index of its class's header statement.
    header: Vec<Option<usize>>,
    names: Vec<StatementNames>,
    /// Bytes of import statements (a demand-driven check would read every file's imports).
    import_bytes: usize,
    /// The file's length in bytes.
    len: usize,
}

fn identifiers(node: Node, text: &str, out: &mut StatementNames, imports: &mut usize) {
    let name = |node: Node| brine_facts::intern(&text[node.byte_range()]);
    let mut cursor = node.walk();
    let mut stack = vec![(node, false)];
    while let Some((node, in_global)) = stack.pop() {
        let kind = node.kind_name();
        match kind {
            "identifier" => {
                out.mentioned.insert(name(node));
                if in_global {
                    out.bound.insert(name(node));
                }
            }
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                *imports += node.byte_range().len();
            }
            "call" => {
                if let Some(function) = node.child_by_field_name("function") {
                    let callee = match function.kind_name() {
                        "attribute" => function.child_by_field_name("attribute"),
                        "identifier" => Some(function),
                        _ => None,
                    };
                    if let Some(callee) = callee {
                        out.called.insert(name(callee));
                    }
                }
            }
            _ => {}
        }
        let in_global = in_global || kind == "global_statement";
        stack.extend(node.children(&mut cursor).map(|child| (child, in_global)));
    }
}

/// The names a binding target binds (not the objects of `a.b` or `a[0]`), and the attribute names
/// it writes.
fn targets(node: Node, text: &str, names: &mut StatementNames) {
    let name = |node: Node| brine_facts::intern(&text[node.byte_range()]);
    match node.kind_name() {
        "identifier" => {
            names.bound.insert(name(node));
        }
        "attribute" => {
            if let Some(attribute) = node.child_by_field_name("attribute") {
                names.attribute_writes.insert(name(attribute));
            }
        }
        "subscript" => {}
        _ => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                targets(child, text, names);
            }
        }
    }
}

/// What a statement binds at its own level: see [`StatementNames::bound`].
fn bind(node: Node, text: &str, names: &mut StatementNames, nested: bool) {
    let name = |node: Node| brine_facts::intern(&text[node.byte_range()]);
    let kind = node.kind_name();
    let field = |field: &str| node.child_by_field_name(field);
    match kind {
        "function_definition" | "class_definition" | "lambda" => {
            if let (false, Some(defined)) = (nested, field("name")) {
                names.bound.insert(name(defined));
            }
            // Inside: only `global` declarations and attribute writes matter.
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                bind(child, text, names, true);
            }
            return;
        }
        "global_statement" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                names.bound.insert(name(child));
            }
            return;
        }
        "assignment" | "augmented_assignment" | "for_statement" => {
            if let Some(left) = field("left") {
                let mut local = StatementNames::default();
                targets(left, text, &mut local);
                names.attribute_writes.extend(local.attribute_writes);
                if !nested {
                    names.bound.extend(local.bound);
                }
            }
        }
        "as_pattern" | "named_expression" | "except_clause" if !nested => {
            let target = field("alias").or_else(|| field("name"));
            if let Some(target) = target {
                targets(target, text, names);
            }
            if kind == "except_clause" {
                // `except E as name`: the grammar keeps the name in an as_pattern or bare.
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind_name() == "identifier" {
                        names.bound.insert(name(child));
                    }
                }
            }
        }
        "import_statement" | "import_from_statement" if !nested => {
            let mut cursor = node.walk();
            let module = field("module_name").map(|m| m.id());
            for child in node.named_children(&mut cursor) {
                if Some(child.id()) == module {
                    continue;
                }
                let bound = match child.kind_name() {
                    "aliased_import" => child.child_by_field_name("alias"),
                    "dotted_name" => child.named_child(0),
                    _ => None,
                };
                if let Some(bound) = bound {
                    names.bound.insert(name(bound));
                }
            }
            return;
        }
        _ => {}
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        bind(child, text, names, nested);
    }
}

fn statements(text: &str) -> FileStatements {
    let parsed = ParsedFile::parse(text.to_owned());
    let mut result = FileStatements {
        ranges: Vec::new(),
        header: Vec::new(),
        names: Vec::new(),
        import_bytes: 0,
        len: text.len(),
    };
    let push = |result: &mut FileStatements, node: Node, range: TextRange, header| {
        let mut names = StatementNames::default();
        identifiers(node, text, &mut names, &mut result.import_bytes);
        bind(node, text, &mut names, false);
        result.ranges.push(range);
        result.header.push(header);
        result.names.push(names);
    };
    let root = parsed.tree().root_node();
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        let class = match statement.kind_name() {
            "class_definition" => Some(statement),
            "decorated_definition" => statement
                .child_by_field_name("definition")
                .filter(|d| d.kind_name() == "class_definition"),
            _ => None,
        };
        let body = class.and_then(|c| c.child_by_field_name("body"));
        let Some(body) = body else {
            let range = TextRange::from(statement.byte_range());
            push(&mut result, statement, range, None);
            continue;
        };
        // The header: everything before the body (decorators, name, bases), as its own statement.
        let header = result.ranges.len();
        let header_range = TextRange::new(statement.start_byte() as u32, body.start_byte() as u32);
        let mut names = StatementNames::default();
        let mut members_cursor = statement.walk();
        for child in statement.children(&mut members_cursor) {
            if child.end_byte() <= body.start_byte() {
                identifiers(child, text, &mut names, &mut result.import_bytes);
            }
        }
        if let Some(class) = class {
            let mut class_cursor = class.walk();
            for child in class.children(&mut class_cursor) {
                if child.id() != body.id() {
                    identifiers(child, text, &mut names, &mut result.import_bytes);
                }
            }
        }
        if let Some(name) = class.and_then(|c| c.child_by_field_name("name")) {
            names
                .bound
                .insert(brine_facts::intern(&text[name.byte_range()]));
        }
        result.ranges.push(header_range);
        result.header.push(None);
        result.names.push(names);
        let mut body_cursor = body.walk();
        for member in body.named_children(&mut body_cursor) {
            let range = TextRange::from(member.byte_range());
            push(&mut result, member, range, Some(header));
        }
    }
    result
}

/// The statements among `candidates` that are in the body of the class whose name is at `at`: its
/// members when it is a top-level class, else the statement that holds it.
fn class_statements(
    statements: &FileStatements,
    at: u32,
    candidates: Option<&Vec<usize>>,
) -> Vec<usize> {
    let holder = statements
        .ranges
        .iter()
        .enumerate()
        .filter(|(_, range)| range.start <= at && at < range.end)
        .map(|(index, _)| index)
        .next_back();
    let Some(holder) = holder else {
        return Vec::new();
    };
    let is_header = statements.header.contains(&Some(holder));
    if !is_header || statements.header[holder].is_some() {
        return vec![holder];
    }
    candidates
        .into_iter()
        .flatten()
        .copied()
        .filter(|&index| statements.header[index] == Some(holder))
        .collect()
}

/// How long tree-sitter takes to parse only the needed statements of every file, each file's as one
/// text (a class member after its class's header, with its line's indentation), in parallel; and,
/// in the same run, how long the whole files take.
fn time_parsing_needed(
    root: &std::path::Path,
    files: &[(String, Arc<brine_facts::FileFacts>)],
    statements: &[FileStatements],
    selected: &[Vec<bool>],
) -> (std::time::Duration, std::time::Duration) {
    use rayon::prelude::*;
    let texts: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(file, (path, _))| {
            let text = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            let mut needed = String::new();
            for (range, _) in statements[file]
                .ranges
                .iter()
                .zip(&selected[file])
                .filter(|(_, &chosen)| chosen)
            {
                let line_start = text[..range.start as usize]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                needed.push_str(&text[line_start..range.end as usize]);
                needed.push('\n');
            }
            needed
        })
        .collect();
    let whole: Vec<String> = files
        .iter()
        .map(|(path, _)| std::fs::read_to_string(root.join(path)).unwrap_or_default())
        .collect();
    let time = |texts: &[String]| {
        let started = Instant::now();
        texts.par_iter().for_each(|text| {
            ParsedFile::parse(text.clone());
        });
        started.elapsed()
    };
    // Alternated, medians of 3: this machine's speed drifts.
    let mut needed = Vec::new();
    let mut all = Vec::new();
    for _ in 0..3 {
        needed.push(time(&texts));
        all.push(time(&whole));
    }
    needed.sort();
    all.sort();
    (needed[1], all[1])
}

/// Why a statement is needed: resolution asked for it, or it mentions a sink-valued name.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Need {
    Demanded(Demand),
    Mentioned(Name),
}

fn key(file: FileId, finding: &Finding) -> (FileId, u32, u32, &'static str, String) {
    (
        file,
        finding.range.start,
        finding.range.end,
        finding.rule.code,
        finding.message.clone(),
    )
}

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).expect("a folder"));
    let outcome = check_paths(&CheckRequest {
        paths: vec![root.clone()],
        ..CheckRequest::default()
    })
    .expect("check");
    let files: Vec<(String, Arc<brine_facts::FileFacts>)> = outcome
        .files
        .iter()
        .map(|f| (f.workspace_path.clone(), f.facts.clone()))
        .collect();
    let options = CheckOptions::default();

    let exhaustive_workspace = Workspace::new(files.clone(), []);
    let mut exhaustive = FxHashSet::default();
    for (id, _) in exhaustive_workspace.files() {
        for finding in check_file(&exhaustive_workspace, id, &options) {
            exhaustive.insert(key(id, &finding));
        }
    }
    drop(exhaustive_workspace);

    let started = Instant::now();
    let statements: Vec<FileStatements> = files
        .iter()
        .map(|(path, _)| {
            let text = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            statements(&text)
        })
        .collect();
    eprintln!("statements found in {:?}", started.elapsed());
    // Statements by name: binding it in a file, mentioning it in a file, calling it anywhere,
    // mentioning it anywhere.
    let mut binding: Vec<FxHashMap<Name, Vec<usize>>> = Vec::new();
    let mut writing: Vec<FxHashMap<Name, Vec<usize>>> = Vec::new();
    let mut calling: FxHashMap<Name, Vec<(usize, usize)>> = FxHashMap::default();
    let mut everywhere: FxHashMap<Name, Vec<(usize, usize)>> = FxHashMap::default();
    for (file, statements) in statements.iter().enumerate() {
        let mut binds: FxHashMap<Name, Vec<usize>> = FxHashMap::default();
        let mut writes: FxHashMap<Name, Vec<usize>> = FxHashMap::default();
        for (index, names) in statements.names.iter().enumerate() {
            for &name in &names.attribute_writes {
                writes.entry(name).or_default().push(index);
            }
            for &name in &names.mentioned {
                everywhere.entry(name).or_default().push((file, index));
            }
            for &name in &names.bound {
                binds.entry(name).or_default().push(index);
            }
            for &name in &names.called {
                calling.entry(name).or_default().push((file, index));
            }
        }
        binding.push(binds);
        writing.push(writes);
    }

    let mut workspace = Workspace::new(files.clone(), []);
    workspace.log_demands();
    let mut selected: Vec<Vec<bool>> = statements
        .iter()
        .map(|s| vec![false; s.ranges.len()])
        .collect();
    let mut fresh: Vec<(usize, usize)> = Vec::new();
    let select = |selected: &mut Vec<Vec<bool>>,
                  fresh: &mut Vec<(usize, usize)>,
                  file: usize,
                  index: usize| {
        let mut index = Some(index);
        while let Some(at) = index {
            if !selected[file][at] {
                selected[file][at] = true;
                fresh.push((file, at));
            }
            index = statements[file].header[at];
        }
    };
    let seeds: Vec<Name> = everywhere
        .keys()
        .copied()
        .filter(|name| could_be_sink(name) || unresolved_method_sink(name).is_some())
        .collect();
    for name in &seeds {
        for &(file, index) in &everywhere[name] {
            select(&mut selected, &mut fresh, file, index);
        }
    }
    let mut seen_demands: FxHashSet<Need> = FxHashSet::default();
    let mut rounds = 0;
    let mut growth: FxHashMap<String, usize> = FxHashMap::default();
    let mut findings = FxHashSet::default();
    while !fresh.is_empty() {
        rounds += 1;
        let checked: Vec<(usize, usize)> = std::mem::take(&mut fresh);
        let mut sink_valued: Vec<Name> = Vec::new();
        for &(file, index) in &checked {
            let range = statements[file].ranges[index];
            let id = FileId(file as u32);
            for finding in check_file_calls(&workspace, id, &options, &|call| {
                range.start <= call.start && call.start < range.end
            }) {
                findings.insert(key(id, &finding));
            }
            sink_valued.extend(sink_valued_names(
                &workspace,
                id,
                range,
                &options.user_sinks,
            ));
        }
        let demands = workspace.take_demands();
        let sink_valued = sink_valued.into_iter().map(Need::Mentioned);
        let demands = demands.into_iter().map(Need::Demanded);
        for demand in demands.chain(sink_valued) {
            if !seen_demands.insert(demand) {
                continue;
            }
            let before = fresh.len();
            let in_file = |file: FileId, indexes: Vec<usize>| -> Vec<(usize, usize)> {
                indexes.into_iter().map(|i| (file.index(), i)).collect()
            };
            let listed = |list: Option<&Vec<(usize, usize)>>| list.cloned().unwrap_or_default();
            let (needed, label) = match demand {
                Need::Demanded(Demand::InFile(file, name)) => {
                    let bindings = binding[file.index()].get(&name).cloned();
                    (
                        in_file(file, bindings.unwrap_or_default()),
                        format!("binding {name}"),
                    )
                }
                Need::Demanded(Demand::ClassMember(file, at, name)) => {
                    let bindings = binding[file.index()].get(&name);
                    let members = class_statements(&statements[file.index()], at, bindings);
                    (in_file(file, members), format!("member {name}"))
                }
                Need::Demanded(Demand::SelfWrites(file, at, name)) => {
                    let writes = writing[file.index()].get(&name);
                    let members = class_statements(&statements[file.index()], at, writes);
                    (in_file(file, members), format!("self.{name}"))
                }
                Need::Demanded(Demand::Everywhere(name)) => {
                    (listed(calling.get(&name)), format!("calls of {name}"))
                }
                Need::Mentioned(name) => {
                    (listed(everywhere.get(&name)), format!("sink-valued {name}"))
                }
            };
            for (file, index) in needed {
                select(&mut selected, &mut fresh, file, index);
            }
            let added = fresh.len() - before;
            *growth.entry(label).or_insert(0usize) += added;
        }
        let chosen: usize = selected
            .iter()
            .map(|s| s.iter().filter(|&&b| b).count())
            .sum();
        eprintln!(
            "round {rounds}: {} statements checked, {chosen} chosen",
            checked.len()
        );
    }

    let mut growth: Vec<(String, usize)> = growth.into_iter().collect();
    growth.sort_by_key(|(_, added)| std::cmp::Reverse(*added));
    for (label, added) in growth.iter().take(40) {
        println!("  {added:6} statements added by {label}");
    }
    let total_bytes: usize = statements.iter().map(|s| s.len).sum();
    let mut chosen_bytes = 0usize;
    let mut chosen_files = 0;
    let mut chosen_statements = 0;
    for (file, flags) in selected.iter().enumerate() {
        let bytes: usize = flags
            .iter()
            .zip(&statements[file].ranges)
            .filter(|(&chosen, _)| chosen)
            .map(|(_, range)| range.len() as usize)
            .sum();
        chosen_statements += flags.iter().filter(|&&b| b).count();
        chosen_bytes += bytes;
        chosen_files += usize::from(bytes > 0);
    }
    let import_bytes: usize = statements.iter().map(|s| s.import_bytes).sum();
    let parse_time = time_parsing_needed(&root, &files, &statements, &selected);
    let all_statements: usize = statements.iter().map(|s| s.ranges.len()).sum();
    let mb = |bytes: usize| bytes as f64 / 1e6;
    println!(
        "{} files, {:.1} MB, {all_statements} statements",
        files.len(),
        mb(total_bytes)
    );
    println!(
        "needed: {chosen_statements} statements in {chosen_files} files, {:.2} MB ({:.1}%), after {rounds} rounds; {} demands",
        mb(chosen_bytes),
        100.0 * chosen_bytes as f64 / total_bytes as f64,
        seen_demands.len()
    );
    println!(
        "import statements of every file: {:.2} MB ({:.1}%)",
        mb(import_bytes),
        100.0 * import_bytes as f64 / total_bytes as f64
    );
    println!(
        "tree-sitter on {} threads, medians of 3: the needed statements alone {:.2} s, every file {:.2} s",
        rayon::current_num_threads(),
        parse_time.0.as_secs_f64(),
        parse_time.1.as_secs_f64()
    );
    let missed = exhaustive.difference(&findings).count();
    let extra = findings.difference(&exhaustive).count();
    println!(
        "findings: exhaustive {}, on demand {}, missed {missed}, extra {extra}",
        exhaustive.len(),
        findings.len()
    );
    for missed in exhaustive.difference(&findings).take(10) {
        println!(
            "  missed {} {}:{} {}",
            files[missed.0.index()].0,
            missed.1,
            missed.3,
            missed.4
        );
    }
}
