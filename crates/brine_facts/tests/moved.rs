//! `lower_moved` (facts shifted after an edit that only moved code) must equal a fresh `lower` of
//! the new text, for every edit `ParsedFile` accepts as a move, and edits that change code must not
//! be accepted. Runs over every Python fixture of the repository; set `BRINE_MOVED_CORPUS` to a
//! folder (such as the transformers corpus) to run it over more.

use std::path::{Path, PathBuf};

use brine_facts::{lower, lower_moved};
use brine_syntax::{ParsedFile, TextEdit, TextRange};

/// Edits tried at each line: a comment after the code, a blank line, spaces at the end, spaces
/// between tokens, and edits that do change code (which must not count as moves).
fn edits_for_line(text: &str, line_start: usize, line_end: usize) -> Vec<(TextEdit, bool)> {
    let insert = |at: usize, new_text: &str| TextEdit {
        range: TextRange::empty(at as u32),
        new_text: new_text.into(),
    };
    let line = &text[line_start..line_end];
    let mut edits = vec![
        (insert(line_end, "  # note"), false),
        (insert(line_end, "\n"), false),
        (insert(line_end, "   "), false),
        (insert(line_start, "#"), false),
        (insert(line_end, "x"), false),
    ];
    if let Some(space) = line.find(" = ") {
        edits.push((insert(line_start + space, " "), false));
        // Inside a token: never a move, unless that is a comment.
        let in_comment = line[..space].contains('#');
        edits.push((insert(line_start + space - 1, "q"), !in_comment));
    }
    if let Some(hash) = line.find('#') {
        // Removing a comment's text, or its `#` (which turns it into code), one of each.
        edits.push((
            TextEdit {
                range: TextRange::new((line_start + hash) as u32, line_end as u32),
                new_text: String::new(),
            },
            false,
        ));
    }
    edits
}

fn check_file(path: &Path, text: &str) -> (usize, usize) {
    let (mut moves, mut changes) = (0, 0);
    let mut line_start = 0;
    // About 60 lines per file keeps big files quick; small fixtures get every line.
    let step = (text.lines().count() / 60).max(1);
    for (number, line) in text.split('\n').enumerate() {
        let line_end = line_start + line.len();
        if number % step == 0 {
            for (edit, changes_code) in edits_for_line(text, line_start, line_end) {
                let mut parsed = ParsedFile::parse(text.to_owned());
                let old = lower(&parsed);
                parsed.take_moves();
                parsed.apply_edit(&edit);
                let fresh = lower(&parsed);
                match parsed.take_moves() {
                    Some(moved) => {
                        assert!(
                            !changes_code,
                            "{}:{}: {edit:?} changes code but counted as a move",
                            path.display(),
                            number + 1
                        );
                        let shifted = lower_moved(&old, &parsed, &moved);
                        assert_eq!(
                            format!("{shifted:?}"),
                            format!("{fresh:?}"),
                            "{}:{}: {edit:?}",
                            path.display(),
                            number + 1
                        );
                        moves += 1;
                    }
                    None => changes += 1,
                }
            }
        }
        line_start = line_end + 1;
    }
    (moves, changes)
}

fn python_files(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            python_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "py") {
            out.push(path);
        }
    }
}

fn check_tree(root: &Path) -> (usize, usize) {
    let mut files = Vec::new();
    python_files(root, &mut files);
    files.sort();
    assert!(
        !files.is_empty(),
        "no Python files under {}",
        root.display()
    );
    let mut totals = (0, 0);
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let (moves, changes) = check_file(&path, &text);
        totals.0 += moves;
        totals.1 += changes;
    }
    totals
}

#[test]
fn moved_facts_equal_fresh_facts_on_the_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let (moves, changes) = check_tree(&root);
    eprintln!("{moves} moves, {changes} changes");
    // Both kinds must be exercised, or the test proves nothing.
    assert!(moves > 500, "only {moves} moves");
    assert!(changes > 100, "only {changes} changes");
}

#[test]
fn moved_facts_equal_fresh_facts_on_a_corpus() {
    let Some(root) = std::env::var_os("BRINE_MOVED_CORPUS") else {
        return;
    };
    let (moves, changes) = check_tree(Path::new(&root));
    eprintln!("{moves} moves, {changes} changes");
}

#[test]
fn typing_a_comment_character_is_a_move() {
    let text = "import pickle\n\ndef f(x):\n    y = pickle.loads(x)\n    return y\n";
    let mut parsed = ParsedFile::parse(text.to_owned());
    let old = lower(&parsed);
    assert!(
        parsed.take_moves().is_none(),
        "tracking starts at the first call"
    );
    let end_of_line = text.find("(x)\n").unwrap() as u32 + 3;
    parsed.apply_edit(&TextEdit {
        range: TextRange::empty(end_of_line),
        new_text: "#".into(),
    });
    let moved = parsed.take_moves().expect("a comment is a move");
    assert_eq!(moved.len(), 1);
    let shifted = lower_moved(&old, &parsed, &moved);
    assert_eq!(format!("{shifted:?}"), format!("{:?}", lower(&parsed)));
    // Typing in the code after that is not.
    parsed.apply_edit(&TextEdit {
        range: TextRange::empty(end_of_line - 2),
        new_text: "z".into(),
    });
    assert!(parsed.take_moves().is_none());
}
