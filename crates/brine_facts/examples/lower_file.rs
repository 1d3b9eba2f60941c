//! Lowers one file's tree N times (a profiling harness): parse once, then `lower` ROUNDS times.
//! `valgrind --tool=callgrind target/release/examples/lower_file <file.py> [rounds] [line]`.
//! With a line number, each round instead types (or deletes) an `x` at the end of that line and
//! lowers again reusing the previous lowering, as an open document does (`lower_reusing`).
use brine_syntax::{TextEdit, TextRange};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a Python file");
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let line: Option<usize> = args.next().and_then(|n| n.parse().ok());
    let text = std::fs::read_to_string(path).expect("readable file");
    let mut parsed = brine_syntax::ParsedFile::parse(text.clone());
    let mut exprs = 0;
    let Some(line) = line else {
        for _ in 0..rounds {
            exprs += brine_facts::lower(&parsed).exprs.len();
        }
        println!("{exprs} expressions lowered");
        return;
    };
    let line_end = text
        .match_indices('\n')
        .nth(line - 1)
        .expect("line in file")
        .0 as u32;
    let mut previous = brine_facts::lower_reusing(&parsed, None);
    let mut replayed = 0;
    for round in 0..rounds {
        let edit = match round % 2 {
            0 => TextEdit {
                range: TextRange::empty(line_end),
                new_text: "x".into(),
            },
            _ => TextEdit {
                range: TextRange::new(line_end, line_end + 1),
                new_text: String::new(),
            },
        };
        parsed.apply_edit(&edit);
        previous = brine_facts::lower_reusing(&parsed, Some((&previous.0, &previous.1)));
        exprs += previous.0.exprs.len();
        replayed += previous.1.replayed();
    }
    println!("{exprs} expressions lowered, {replayed} statements copied");
}
