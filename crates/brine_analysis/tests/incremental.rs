//! Replacing one file's facts drops exactly the cached results that depend on it, and the findings
//! after any sequence of edits equal those of a fresh analysis of the final texts.

use std::sync::Arc;

use brine_analysis::{check_file, CheckOptions, FileId, Workspace};
use brine_facts::lower_text;

fn workspace(files: &[(&str, &str)]) -> Workspace {
    Workspace::new(
        files
            .iter()
            .map(|(path, text)| (path.to_string(), Arc::new(lower_text(text))))
            .collect(),
        [],
    )
}

fn codes(workspace: &Workspace) -> Vec<(String, Vec<String>)> {
    workspace
        .files()
        .map(|(id, file)| {
            let findings = check_file(workspace, id, &CheckOptions::default());
            (
                file.path.clone(),
                findings
                    .iter()
                    .map(|f| format!("{}:{}", f.code(), f.severity.as_str()))
                    .collect(),
            )
        })
        .collect()
}

/// Gives file `index` a new text in `files` and in the live workspace, checks that the live
/// workspace reports what a fresh one does, and returns its report.
fn edit<'t>(
    live: &mut Workspace,
    files: &mut [(&str, &'t str)],
    index: usize,
    text: &'t str,
) -> Vec<(String, Vec<String>)> {
    files[index].1 = text;
    live.replace_facts(FileId(index as u32), Arc::new(lower_text(text)));
    let report = codes(live);
    assert_eq!(report, codes(&workspace(files)));
    report
}

/// How many computations a check of `file` makes: `check_file_until` asks its callback before each
/// one that misses the cache.
fn computations_of_check(workspace: &Workspace, file: FileId) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let asked = AtomicUsize::new(0);
    let count = || {
        asked.fetch_add(1, Ordering::Relaxed);
        false
    };
    brine_analysis::check_file_until(workspace, file, &CheckOptions::default(), &count)
        .expect("not cancelled");
    asked.into_inner()
}

#[test]
fn edits_invalidate_exactly_what_depends_on_them() {
    let mut files = vec![
        ("a.py", "WO = False\n"),
        ("b.py", "import torch\nfrom a import WO\ntorch.load(p, weights_only=WO)\n"),
        ("c.py", "import torch\ndef load(p, weights_only=True):\n    return torch.load(p, weights_only=weights_only)\n"),
        ("d.py", "from c import load\nload('x')\n"),
        ("e.py", "import yaml\nyaml.load(s, Loader=yaml.SafeLoader)\n"),
    ];
    let mut live = workspace(&files);
    let before = codes(&live);
    assert_eq!(before[1].1, ["BRN102:warning"]);
    assert!(before[2].1.is_empty());
    let cached = live.cached_results();

    // Editing a.py flips b.py, and keeps results that never read a.py (e.py's loader).
    files[0].1 = "WO = True\n";
    live.replace_facts(FileId(0), Arc::new(lower_text(files[0].1)));
    assert!(live.cached_results() > 0 && live.cached_results() < cached);
    assert_eq!(codes(&live), codes(&workspace(&files)));
    assert!(codes(&live)[1].1.is_empty());

    // A new call site in d.py changes c.py's parameter, although c.py itself did not change.
    let report = edit(
        &mut live,
        &mut files,
        3,
        "from c import load\nload('x')\nload('y', weights_only=False)\n",
    );
    assert_eq!(report[2].1, ["BRN102:warning"]);

    // And back.
    edit(&mut live, &mut files, 3, "from c import load\nload('x')\n");
}

#[test]
fn a_call_that_changes_target_without_changing_call_counts() {
    let mut files = vec![
        ("c.py", "import torch\ndef load(p, weights_only=True):\n    return torch.load(p, weights_only=weights_only)\n"),
        // One call named `load` before and after the edits: only what it calls changes.
        ("d.py", "def load(p, weights_only=True):\n    pass\nload('y', weights_only=False)\n"),
        ("e.py", "from c import load\nload('x')\n"),
    ];
    let mut live = workspace(&files);
    assert!(codes(&live)[0].1.is_empty());

    let report = edit(
        &mut live,
        &mut files,
        1,
        "from c import load\nload('y', weights_only=False)\n",
    );
    assert_eq!(report[0].1, ["BRN102:warning"]);

    let report = edit(
        &mut live,
        &mut files,
        1,
        "def load(p, weights_only=True):\n    pass\nload('y', weights_only=False)\n",
    );
    assert!(report[0].1.is_empty());
}

/// A check stopped part-way (as the editor stops the analysis of a version typed past) leaves the
/// workspace's cache as a finished check would: the next checks report what a fresh workspace does.
#[test]
fn a_cancelled_check_leaves_nothing_half_done() {
    use brine_analysis::{check_file_until, Cancelled};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let files = [
        ("app.py", "import requests\nfrom store import save\ndef fetch(url):\n    return requests.get(url).content\nsave(fetch('https://x'))\n"),
        ("store.py", "import pickle\nfrom helpers import decode\ndef save(blob):\n    return decode(blob)\n"),
        ("helpers.py", "import pickle\ndef decode(data):\n    return pickle.loads(data)\n"),
    ];
    let fresh = codes(&workspace(&files));
    assert!(
        fresh.iter().any(|(_, codes)| !codes.is_empty()),
        "{fresh:?}"
    );
    let options = CheckOptions::default();
    // Stop after 0, 1, 2, ... uncached computations, until a check gets to finish.
    for stop_after in 0.. {
        let live = workspace(&files);
        let asked = AtomicUsize::new(0);
        let is_cancelled = || asked.fetch_add(1, Ordering::Relaxed) >= stop_after;
        let mut finished = true;
        for (id, _) in live.files() {
            if check_file_until(&live, id, &options, &is_cancelled) == Err(Cancelled) {
                finished = false;
            }
        }
        assert_eq!(codes(&live), fresh, "stopped after {stop_after}");
        if finished {
            assert!(stop_after > 1, "the checks were interrupted at least once");
            break;
        }
    }
}

/// What a class inherits is read through its base's members, cached as results of their own. An
/// edit inside a method of the base leaves those members the same, so results computed from them
/// hold without being computed again (the early cutoff of `crate::cache`), while an edit that does
/// change them reaches every subclass.
#[test]
fn an_edit_inside_a_base_class_recomputes_only_what_read_it_directly() {
    let base = "import torch\nclass Base:\n    SAFE = False\n    def load(self, path):\n        return torch.load(path, weights_only=self.SAFE)\n    def helper(self):\n        y = 1\n        return y\n";
    let mut model = String::from("from base import Base\n");
    for n in 0..40 {
        model.push_str(&format!(
            "class Model{n}(Base):\n    pass\ndef run{n}(p):\n    return Model{n}().load(p), Model{n}.SAFE\n"
        ));
    }
    let mut files = vec![("base.py", base), ("model.py", model.as_str())];
    let mut live = workspace(&files);
    let computations = |live: &Workspace| computations_of_check(live, FileId(1));
    // Expressions are computed at every check (they are not cached); the rest is what changes.
    let cold = computations(&live);
    let warm = computations(&live);
    assert!(warm < cold);

    // A new local name in `helper`: base.py's own results are computed again, model.py's hold.
    let renamed = base.replace("y = 1\n        return y", "yy = 1\n        return yy");
    files[0].1 = &renamed;
    live.replace_facts(FileId(0), Arc::new(lower_text(&renamed)));
    let after_edit = computations(&live);
    assert_eq!(codes(&live), codes(&workspace(&files)));
    assert!(
        (after_edit - warm) * 4 < cold - warm,
        "{after_edit} computations after the edit, {warm} warm, {cold} cold"
    );

    // A changed class attribute reaches the findings of every subclass.
    let before = codes(&live);
    let report = edit(
        &mut live,
        &mut files,
        0,
        &renamed.replace("SAFE = False", "SAFE = True"),
    );
    assert_ne!(before, report);
}

/// A long chain of modules, each re-exporting the next one's function and calling it, checked in
/// both directions, then again after an edit at the end of the chain. Verification follows what a
/// cached result read, and a result computed too deep to be cached again stays stale; before
/// stale results were remembered per check, checking the chain from its start after the edit
/// verified them again from every reader (400 modules did not finish in a minute).
#[test]
fn a_long_re_export_chain_stays_fast_across_edits() {
    const LINKS: usize = 1000;
    let texts: Vec<String> = (0..LINKS)
        .map(|i| match i + 1 {
            LINKS => "import pickle\ndef load(p):\n    return pickle.loads(p)\n".to_owned(),
            next => format!("from m{next} import load\nload(data)\n"),
        })
        .collect();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for forward in [true, false] {
            let names: Vec<String> = (0..LINKS).map(|i| format!("m{i}.py")).collect();
            let files: Vec<(&str, &str)> = names
                .iter()
                .zip(&texts)
                .map(|(name, text)| (name.as_str(), text.as_str()))
                .collect();
            let mut live = workspace(&files);
            let check_all = |live: &Workspace| -> Vec<usize> {
                let mut order: Vec<usize> = (0..LINKS).collect();
                if !forward {
                    order.reverse();
                }
                let options = CheckOptions::default();
                order
                    .into_iter()
                    .map(|i| check_file(live, FileId(i as u32), &options).len())
                    .collect()
            };
            let before = check_all(&live);
            let renamed = "import pickle\ndef load(q):\n    return pickle.loads(q)\n";
            live.replace_facts(FileId(LINKS as u32 - 1), Arc::new(lower_text(renamed)));
            assert_eq!(check_all(&live), before);
        }
        let _ = sender.send(());
    });
    receiver
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("checking the chain did not finish: are stale results verified again per reader?");
}

/// A parameter with many call sites gathers its values from what each site passes, cached per
/// site: an edit in the function's own file computes the parameter again from those parts instead
/// of evaluating every site's argument again, and an edit at one site still reaches it.
#[test]
fn a_parameter_with_many_call_sites_is_gathered_from_cached_parts() {
    const SITES: usize = 40;
    let lib = "import torch\ndef load(path, weights_only=True):\n    return torch.load(path, weights_only=weights_only)\ndef helper():\n    y = 1\n    return y\n";
    let site = |i: usize, safe: &str| {
        format!(
            "from lib import load\nconfig{i} = {safe}\nload('m{i}.pt', weights_only=config{i})\n"
        )
    };
    let mut texts = vec![lib.to_owned()];
    texts.extend((0..SITES).map(|i| site(i, "True")));
    let names: Vec<String> = std::iter::once("lib.py".to_owned())
        .chain((0..SITES).map(|i| format!("m{i}.py")))
        .collect();
    let files = |texts: &[String]| -> Vec<(String, String)> {
        names.iter().cloned().zip(texts.iter().cloned()).collect()
    };
    let build = |texts: &[String]| {
        let owned = files(texts);
        let borrowed: Vec<(&str, &str)> = owned
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str()))
            .collect();
        workspace(&borrowed)
    };
    let mut live = build(&texts);
    let options = CheckOptions::default();
    let computations = |live: &Workspace| computations_of_check(live, FileId(0));
    let cold = computations(&live);
    let warm = computations(&live);
    assert!(check_file(&live, FileId(0), &options).is_empty());

    // A new local name in `helper`: `weights_only` is computed again from the cached parts.
    texts[0] = lib.replace("y = 1\n    return y", "yy = 1\n    return yy");
    live.replace_facts(FileId(0), Arc::new(lower_text(&texts[0])));
    let after_edit = computations(&live);
    assert!(
        after_edit < warm + SITES / 2,
        "{after_edit} computations after the edit, {warm} warm, {cold} cold"
    );

    // One site passing `False` reaches the function's finding.
    texts[7] = site(6, "False");
    live.replace_facts(FileId(7), Arc::new(lower_text(&texts[7])));
    let report = codes(&live);
    assert_eq!(report, codes(&build(&texts)));
    assert_eq!(report[0].1, ["BRN102:warning"]);
}

/// What other modules read of a module is, mostly, what its module and class bodies declare: which
/// names they bind to a class, a function or an import (`brine_facts::DeclarationsChange`). Those
/// reads depend on the declarations of each name, not on the whole file: an edit inside a method
/// of the base leaves them holding without a computation, and every edit that does change a
/// declaration (a new or renamed name, an import that names something else, a conditional
/// binding, a name rebound through `global`, a new class) reaches what read it.
#[test]
fn declarations_are_read_name_by_name() {
    let base = "import torch\nfrom pickle import loads as decode\nclass Base:\n    from pickle import load\n    def helper(self):\n        y = 1\n        return y\ndef read(data):\n    return decode(data)\n";
    let model = "from base import Base, decode\nclass Model(Base):\n    pass\ndecode(blob)\nModel.load(f)\n";
    let mut files = vec![("base.py", base), ("model.py", model)];
    let mut live = workspace(&files);
    assert_eq!(
        codes(&live)[1].1,
        ["BRN101:warning", "BRN101:warning"],
        "pickle.loads and pickle.load, declared in base.py"
    );
    let computations = |live: &Workspace| computations_of_check(live, FileId(1));
    let warm = computations(&live);

    // Until its first edit, a read of base.py's declarations is recorded as a read of the file:
    // the first edit computes again what read it.
    let first_edit = base.replace("y = 1", "y = 3");
    files[0].1 = &first_edit;
    live.replace_facts(FileId(0), Arc::new(lower_text(&first_edit)));
    assert!(
        computations(&live) > warm,
        "`Base` and `decode` are computed again"
    );
    assert_eq!(computations(&live), warm);

    // From then on, a changed value inside a method keeps every declaration: model.py's check
    // computes nothing again (it computed `Base`, `decode` and `Base.load` again when they read
    // the whole file).
    let body_edit = base.replace("y = 1", "y = 2");
    files[0].1 = &body_edit;
    live.replace_facts(FileId(0), Arc::new(lower_text(&body_edit)));
    assert_eq!(
        computations(&live),
        warm,
        "computations after an edit inside a method"
    );
    let after_body_edit = codes(&live);
    assert_eq!(after_body_edit, codes(&workspace(&files)));

    // Edits that change declarations, each checked against a fresh workspace by `edit`.
    let safe_import = body_edit.replace("from pickle import loads", "from json import loads");
    let report = edit(&mut live, &mut files, 0, &safe_import);
    assert_ne!(report, after_body_edit, "decode is json.loads now");
    let renamed = safe_import.replace("def read(data)", "def decode(data)");
    edit(&mut live, &mut files, 0, &renamed);
    let conditional = renamed.replace(
        "def decode(data)",
        "if torch:\n    from pickle import loads as decode\ndef read(data)",
    );
    edit(&mut live, &mut files, 0, &conditional);
    let through_global = conditional.replace(
        "        y = 2\n",
        "        global decode\n        from pickle import loads as decode\n        y = 2\n",
    );
    edit(&mut live, &mut files, 0, &through_global);
    let new_class = through_global.replace("class Base:", "class Other:\n    pass\nclass Base:");
    edit(&mut live, &mut files, 0, &new_class);
    let member_renamed = new_class.replace(
        "from pickle import load\n",
        "from pickle import load as fetch\n",
    );
    let report = edit(&mut live, &mut files, 0, &member_renamed);
    assert_eq!(
        report[1].1.len(),
        1,
        "Model.load is unknown now: {report:?}"
    );
    // And back to the start, one step.
    let report = edit(&mut live, &mut files, 0, base);
    assert_eq!(report[1].1.len(), 2);
}
