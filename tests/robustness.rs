//! Hostile input for `brine check`: it always ends with exit code 0, 1 or 2 and a message, never with
//! a panic or a signal, and one bad file never hides the findings of the others.

use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use common::brine;

const SINK: &str = "import pickle\npickle.loads(data)\n";

/// Checks `dir` and asserts a clean exit with the finding of `good.py` still reported.
fn check_survives(dir: &Path) -> (String, String) {
    std::fs::write(dir.join("good.py"), SINK).unwrap();
    let started = Instant::now();
    let output = brine(&["check", "--output-format", "json"], dir);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let findings: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "good.py"),
        "{stdout}"
    );
    (stdout, stderr)
}

#[test]
fn deeply_nested_brackets_and_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let brackets = format!("x = {}1{}\n{SINK}", "(".repeat(depth), ")".repeat(depth));
    std::fs::write(dir.path().join("brackets.py"), brackets).unwrap();
    let mixed = format!(
        "y = {}0{}\n",
        "[{\"a\": (".repeat(20_000),
        ")}]".repeat(20_000)
    );
    std::fs::write(dir.path().join("mixed.py"), mixed).unwrap();
    let mut defs = String::new();
    for level in 0..3000 {
        defs.push_str(&" ".repeat(level));
        defs.push_str(&format!("def f{level}(x):\n"));
    }
    defs.push_str(&" ".repeat(3000));
    defs.push_str("return pickle.loads(x)\n");
    std::fs::write(dir.path().join("defs.py"), defs).unwrap();
    let (stdout, stderr) = check_survives(dir.path());
    assert!(stderr.contains("too deep"), "{stderr}");
    assert!(
        stdout.contains("brackets.py"),
        "the sink after the deep expression is still found"
    );
}

#[test]
fn undecodable_and_binary_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.py"),
        b"# -*- coding: latin-1 -*-\nimport pickle\nname = '\xe9t\xe9'\npickle.loads(name)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.py"),
        b"import pickle\nx = '\xff\xfe'\npickle.loads(x)\n",
    )
    .unwrap();
    let mut binary: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    binary.extend_from_slice(b"\0\0\0pickle.loads(x)\0");
    std::fs::write(dir.path().join("binary.py"), binary).unwrap();
    std::fs::write(
        dir.path().join("nul.py"),
        b"import pickle\x00\npickle.loads(x)\n",
    )
    .unwrap();
    let (stdout, stderr) = check_survives(dir.path());
    assert!(
        stdout.contains("latin1.py") && stdout.contains("broken.py"),
        "{stdout}"
    );
    assert!(
        stderr.contains("broken.py") && stderr.contains("not valid UTF-8"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("latin1.py"),
        "a declared encoding is not an error: {stderr}"
    );
}

#[test]
fn oversized_files_are_skipped_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let line = "value = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]\n";
    std::fs::write(
        dir.path().join("huge.py"),
        line.repeat((21 << 20) / line.len()),
    )
    .unwrap();
    let (_, stderr) = check_survives(dir.path());
    assert!(
        stderr.contains("huge.py") && stderr.contains("--max-file-size"),
        "{stderr}"
    );
    // A 10 MB file within the limit is analysed.
    std::fs::write(
        dir.path().join("huge.py"),
        format!("{}{SINK}", line.repeat((10 << 20) / line.len())),
    )
    .unwrap();
    let (stdout, _) = check_survives(dir.path());
    assert!(stdout.contains("huge.py"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_dangling_links_and_vanished_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("loop")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("loop/parent")).unwrap();
    std::os::unix::fs::symlink("self.py", dir.path().join("self.py")).unwrap();
    // A link to a file that no longer exists is what a file deleted during the walk looks like.
    std::os::unix::fs::symlink("deleted.py", dir.path().join("vanished.py")).unwrap();
    check_survives(dir.path());
}

#[test]
fn missing_paths_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = brine(&["check", "nope.py"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope.py"));
}
