//! Lowers one file's tree N times (a profiling harness): parse once, then `lower` ROUNDS times.
//! `valgrind --tool=callgrind target/release/examples/lower_file <file.py> [rounds]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a Python file");
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let text = std::fs::read_to_string(path).expect("readable file");
    let parsed = brine_syntax::ParsedFile::parse(text);
    let mut exprs = 0;
    for _ in 0..rounds {
        exprs += brine_facts::lower(&parsed).exprs.len();
    }
    println!("{exprs} expressions lowered");
}
