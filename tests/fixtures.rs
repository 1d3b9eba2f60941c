//! Data-driven rule tests: every Python fixture under `tests/fixtures` carries its expectations
//! inline (`# expect: BRN102:warning`), and every line without one must have no finding.
//!
//! `rules/**.py` files are checked one by one; each folder of `workspaces/` is checked as one
//! workspace (cross-file flows, configuration files).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use brine_workspace::{check_paths, CheckRequest};

type Expectation = (u32, String, Option<String>);

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn python_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `(line, code, severity)` for every `# expect:` token in the file (lines are 1-based).
fn expectations(path: &Path) -> BTreeSet<Expectation> {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    let mut expected = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.find("# expect:") else {
            continue;
        };
        for token in line[at + "# expect:".len()..].split_whitespace() {
            let (code, severity) = match token.split_once(':') {
                Some((code, severity)) => (code, Some(severity.to_owned())),
                None => (token, None),
            };
            expected.insert((index as u32 + 1, code.to_owned(), severity));
        }
    }
    expected
}

/// Checks `paths` and compares findings with the expectations of `files`; returns mismatches.
fn compare(paths: Vec<PathBuf>, files: &[PathBuf]) -> Vec<String> {
    let outcome = check_paths(&CheckRequest {
        paths,
        ..CheckRequest::default()
    })
    .expect("fixture configuration is valid");
    let mut problems = Vec::new();
    for file in files {
        let expected = expectations(file);
        let report = outcome.reports.iter().find(|r| r.path == *file);
        let actual: BTreeSet<(u32, String, String, String)> = report
            .map(|report| {
                report
                    .findings
                    .iter()
                    .map(|f| {
                        let line = report.facts.line_index.line_of(f.range.start) + 1;
                        (
                            line,
                            f.code().to_owned(),
                            f.severity.as_str().to_owned(),
                            f.message.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let name = file
            .strip_prefix(fixtures_dir())
            .unwrap_or(file)
            .display()
            .to_string();
        for (line, code, severity) in &expected {
            let found = actual.iter().find(|(l, c, _, _)| l == line && c == code);
            match (found, severity) {
                (None, _) => problems.push(format!("{name}:{line}: expected {code} but found none")),
                (Some((_, _, actual_severity, message)), Some(severity)) if actual_severity != severity => {
                    problems.push(format!("{name}:{line}: expected {code}:{severity}, found {actual_severity}: {message}"))
                }
                _ => {}
            }
        }
        for (line, code, severity, message) in &actual {
            if !expected.iter().any(|(l, c, _)| l == line && c == code) {
                problems.push(format!(
                    "{name}:{line}: unexpected {code}:{severity}: {message}"
                ));
            }
        }
    }
    problems
}

#[test]
fn rule_fixtures() {
    let files = python_files(&fixtures_dir().join("rules"));
    assert!(files.len() > 20, "fixtures are missing");
    let mut problems = Vec::new();
    for file in &files {
        problems.extend(compare(vec![file.clone()], std::slice::from_ref(file)));
    }
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn workspace_fixtures() {
    let mut problems = Vec::new();
    let mut workspaces: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join("workspaces"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    workspaces.sort();
    assert!(workspaces.len() >= 5, "workspace fixtures are missing");
    for workspace in workspaces {
        let files = python_files(&workspace);
        problems.extend(compare(vec![workspace.clone()], &files));
    }
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
