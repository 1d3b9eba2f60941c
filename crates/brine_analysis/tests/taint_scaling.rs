//! The taint search answers each expression once per search, and resolution each key once per
//! depth even when the depth bound cuts it short, so code that reuses values many times stays
//! linear. Without that, each test below visits 4^20 paths (or, for the last, 5^13 per question)
//! and does not finish; the deadline turns such a hang into a failure instead of a stuck test run.

use std::sync::{mpsc, Arc};
use std::time::Duration;

use brine_analysis::{check_file, CheckOptions, FileId, Workspace};
use brine_facts::lower_text;

const LEVELS: usize = 20;

/// Checks `text` as `main.py` and returns each finding's code and whether it carries a taint flow,
/// or panics when the check takes longer than a generous deadline.
fn check_with_deadline(text: String) -> Vec<(String, bool)> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let workspace = Workspace::new(
            vec![("main.py".to_owned(), Arc::new(lower_text(&text)))],
            [],
        );
        let findings = check_file(&workspace, FileId(0), &CheckOptions::default());
        let summary: Vec<(String, bool)> = findings
            .iter()
            .map(|f| (f.code().to_owned(), f.flow.is_some()))
            .collect();
        let _ = sender.send(summary);
    });
    receiver
        .recv_timeout(Duration::from_secs(120))
        .expect("the taint search did not finish: is the per-search memo gone?")
}

#[test]
fn values_used_four_times_per_level() {
    let mut text = String::from("import pickle\nimport requests\nx0 = requests.get(URL).content\n");
    for level in 1..=LEVELS {
        let previous = format!("x{}", level - 1);
        text += &format!("x{level} = ({previous}, {previous}, {previous}, {previous})\n");
    }
    text += &format!("pickle.loads(x{LEVELS})\n");
    assert_eq!(check_with_deadline(text), [("BRN101".to_owned(), true)]);
}

#[test]
fn functions_calling_the_previous_one_four_times() {
    let mut text = String::from("import pickle\nimport requests\ndef f0(x):\n    return x\n");
    for level in 1..=LEVELS {
        let previous = format!("f{}(x)", level - 1);
        text += &format!(
            "def f{level}(x):\n    return ({previous}, {previous}, {previous}, {previous})\n"
        );
    }
    text += &format!("pickle.loads(f{LEVELS}(requests.get(URL).content))\n");
    assert_eq!(check_with_deadline(text), [("BRN101".to_owned(), true)]);
}

/// A name read several times per line down a chain of rebindings longer than resolution's depth
/// bound: every answer below the bound is cut short, so none goes into the shared cache.
#[test]
fn a_name_rebound_from_itself_past_the_depth_bound() {
    let mut text = String::from(
        "import pickle\nimport requests\nr = requests.get(URL)\ndef k(x):\n    h = x\n",
    );
    for _ in 0..40 {
        text += "    h = h + h.y(h) + h.z(h)\n";
    }
    text += "    return pickle.loads(h)\nk(r.content)\n";
    assert_eq!(check_with_deadline(text), [("BRN101".to_owned(), false)]);
}
