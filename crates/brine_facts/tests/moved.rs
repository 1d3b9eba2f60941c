//! `lower_moved` (facts shifted after an edit that only moved code) must equal a fresh `lower` of
//! the new text, for every edit `ParsedFile` accepts as a move, and edits that change code must not
//! be accepted. `lower_reusing` (facts of the statements an edit did not touch copied from the
//! previous lowering) must equal a fresh `lower` after every edit. Runs over every Python fixture of
//! the repository; set `BRINE_MOVED_CORPUS` to a folder (such as the transformers corpus) to run it
//! over more.

use std::path::{Path, PathBuf};

use brine_facts::{lower, lower_moved, lower_reusing};
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

/// Edit counts of a run: moves, changes of code, and top-level statements replayed by
/// `lower_reusing` rather than lowered again.
#[derive(Default)]
struct Counts {
    moves: usize,
    changes: usize,
    replayed: usize,
}

fn check_file(path: &Path, text: &str) -> Counts {
    let mut counts = Counts::default();
    let (old_reused, chunks) = lower_reusing(&ParsedFile::parse(text.to_owned()), None);
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
                let (reused, new_chunks) = lower_reusing(&parsed, Some((&old_reused, &chunks)));
                assert_eq!(
                    format!("{reused:?}"),
                    format!("{fresh:?}"),
                    "{}:{}: reusing after {edit:?}",
                    path.display(),
                    number + 1
                );
                counts.replayed += new_chunks.replayed();
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
                        counts.moves += 1;
                    }
                    None => counts.changes += 1,
                }
            }
        }
        line_start = line_end + 1;
    }
    counts
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

fn check_tree(root: &Path) -> Counts {
    let mut files = Vec::new();
    python_files(root, &mut files);
    files.sort();
    assert!(
        !files.is_empty(),
        "no Python files under {}",
        root.display()
    );
    let mut totals = Counts::default();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let counts = check_file(&path, &text);
        totals.moves += counts.moves;
        totals.changes += counts.changes;
        totals.replayed += counts.replayed;
        check_typing_session(&path, &text);
    }
    totals
}

/// Types a letter at the end of every few lines, one after the other, each lowering reusing the
/// one before (as an open document does), and compares each with a fresh lowering.
fn check_typing_session(path: &Path, text: &str) {
    let mut parsed = ParsedFile::parse(text.to_owned());
    let mut previous = lower_reusing(&parsed, None);
    let step = (text.lines().count() / 20).max(1);
    let line_ends: Vec<usize> = text.match_indices('\n').map(|(at, _)| at).collect();
    // From the last line up, so the earlier offsets stay right.
    for (number, &end) in line_ends.iter().enumerate().rev().step_by(step) {
        parsed.apply_edit(&TextEdit {
            range: TextRange::empty(end as u32),
            new_text: "q".into(),
        });
        let next = lower_reusing(&parsed, Some((&previous.0, &previous.1)));
        assert_eq!(
            format!("{:?}", next.0),
            format!("{:?}", lower(&parsed)),
            "{}:{}: typing session",
            path.display(),
            number + 1
        );
        previous = next;
    }
}

#[test]
fn moved_facts_equal_fresh_facts_on_the_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let Counts {
        moves,
        changes,
        replayed,
    } = check_tree(&root);
    eprintln!("{moves} moves, {changes} changes, {replayed} statements replayed");
    // Both kinds must be exercised, and statements reused, or the test proves nothing.
    assert!(moves > 500, "only {moves} moves");
    assert!(changes > 100, "only {changes} changes");
    assert!(replayed > 5_000, "only {replayed} statements replayed");
}

#[test]
fn moved_facts_equal_fresh_facts_on_a_corpus() {
    let Some(root) = std::env::var_os("BRINE_MOVED_CORPUS") else {
        return;
    };
    let counts = check_tree(Path::new(&root));
    eprintln!(
        "{} moves, {} changes, {} statements replayed",
        counts.moves, counts.changes, counts.replayed
    );
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

/// Statements whose facts reach outside their own run of a table, or that the lowering handles
/// at the end of the file: `global` at module level and in functions, `nonlocal`, lambdas,
/// decorators, f-strings, displays, digest checks open to the end of the file, repeated
/// identical statements, syntax errors, and expressions too deep to lower.
#[test]
fn reusing_equals_a_fresh_lowering_on_tricky_statements() {
    let deep = format!("d = {}1{}\n", "(".repeat(300), ")".repeat(300));
    let text = [
        "import os, pickle as p\nfrom . import *\nfrom .m import (a, b as c)\n",
        "global g\ng = 1\n",
        "def outer(x, /, y=lambda z: z + 1, *args, k: int = 2, **kw):\n    n = 0\n    def inner():\n        nonlocal n\n        global g\n        n = g = x\n    return inner, [q for q in args if q], {'k': k, **kw}, f'{x!r:>{y}}'\n",
        "@decorate(1)\nclass C(Base, metaclass=M):\n    attr = p.loads\n    def m(self, v):\n        self.v = v\n        return (yield v)\n    global h\n    h = [lambda: self for self in ()]\n    class Inner:\n        def n(self):\n            return self\n    def m(self, v):\n        self.v = v\n        return (yield v)\n",
        "if flag:\n    class D:\n        def d(self, x=(1, {2: 3})):\n            nonlocal_name = f'{x}'\n        e = d\n",
        "if hashlib.sha256(data).hexdigest() != EXPECTED:\n    raise ValueError\n",
        "x = 1\nx = 1\n",
        &deep,
        "torch.load(path, weights_only=False)\n",
    ]
    .concat();
    let counts = check_file(Path::new("tricky.py"), &text);
    check_typing_session(Path::new("tricky.py"), &text);
    assert!(counts.replayed > 100, "only {} replayed", counts.replayed);
    // A syntax error anywhere, before or after an edit, turns reuse off: error recovery can give
    // the same text another tree elsewhere.
    let broken = format!("{text}def broken(:\n    return 1\n");
    let counts = check_file(Path::new("broken.py"), &broken);
    check_typing_session(Path::new("broken.py"), &broken);
    assert_eq!(counts.replayed, 0);
}

/// An edit in one method of a class lowers that method again and copies the rest: the other
/// top-level statements, and the class's other members.
#[test]
fn an_edit_in_a_method_lowers_only_that_method_again() {
    let text = "import pickle\n\nclass Model:\n    kind = 'm'\n\n    def load(self, path):\n        return pickle.load(open(path, 'rb'))\n\n    def save(self, path):\n        pass\n\ndef main():\n    Model().load('x')\n";
    let mut parsed = ParsedFile::parse(text.to_owned());
    let (first, chunks) = lower_reusing(&parsed, None);
    assert_eq!((chunks.len(), chunks.replayed()), (3, 0));
    let at = text.find("'rb'").unwrap() as u32;
    parsed.apply_edit(&TextEdit {
        range: TextRange::new(at, at + 4),
        new_text: "mode".into(),
    });
    let (reused, chunks) = lower_reusing(&parsed, Some((&first, &chunks)));
    assert_eq!(format!("{reused:?}"), format!("{:?}", lower(&parsed)));
    // `import` and `def main` at top level; `kind = 'm'` and `def save` in the class.
    assert_eq!(chunks.replayed(), 4);
}

/// A replayed method belongs to the class as lowered now, whose id changed when an edit removed
/// a class before it.
#[test]
fn a_replayed_method_belongs_to_the_class_it_is_in_now() {
    let text =
        "class A:\n    class X: pass\nclass B:\n    def f(self): pass\n    def g(self): pass\n";
    let mut parsed = ParsedFile::parse(text.to_owned());
    let (first, chunks) = lower_reusing(&parsed, None);
    let (start, end) = (
        text.find("class X").unwrap(),
        text.find("(self): pass").unwrap(),
    );
    parsed.apply_edit(&TextEdit {
        range: TextRange::new(start as u32, end as u32 + 12),
        new_text: "pass\nclass B:\n    def f(self): return 1".into(),
    });
    let (reused, chunks) = lower_reusing(&parsed, Some((&first, &chunks)));
    assert_eq!(format!("{reused:?}"), format!("{:?}", lower(&parsed)));
    assert_eq!(chunks.replayed(), 1, "`def g` is copied");
}
