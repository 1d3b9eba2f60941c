//! Random edits across a small multi-file workspace: after each edit the live workspace (whose caches
//! `replace_facts` invalidates) must report exactly what a workspace built fresh from the same texts
//! reports. Exercises the dependency tracking: files, calls of a name, call-site searches.
#![no_main]

use std::sync::Arc;

use brine_analysis::{check_file, CheckOptions, FileId, Workspace};
use brine_facts::lower_text;
use libfuzzer_sys::fuzz_target;

const PATHS: [&str; 3] = ["a.py", "b.py", "c.py"];

/// Lines edits insert: definitions, imports and calls that connect the files.
const LINES: &[&str] = &[
    "import torch\n",
    "import pickle\n",
    "import requests\n",
    "from a import load\n",
    "from b import load\n",
    "from a import WO\n",
    "from c import fetch\n",
    "import b\n",
    "WO = False\n",
    "WO = True\n",
    "def load(p, weights_only=True):\n    return torch.load(p, weights_only=weights_only)\n",
    "def load(p):\n    return pickle.loads(p)\n",
    "def fetch(u):\n    return requests.get(u).content\n",
    "load('m.pt')\n",
    "load('m.pt', weights_only=False)\n",
    "load('m.pt', weights_only=WO)\n",
    "load(fetch(URL))\n",
    "b.load(x)\n",
    "torch.load(p, weights_only=WO)\n",
    "pickle.loads(fetch(URL))\n",
    "class M:\n    def load(self, p, weights_only=True):\n        return torch.load(p, weights_only=weights_only)\n",
    "M().load('x', weights_only=False)\n",
    "def load(p, weights_only=True):\n    pass\n",
];

fn report(workspace: &Workspace) -> Vec<Vec<(String, u32, String, bool)>> {
    workspace
        .files()
        .map(|(id, _)| {
            check_file(workspace, id, &CheckOptions::default())
                .into_iter()
                .map(|f| {
                    (
                        f.code().to_owned(),
                        f.range.start,
                        f.severity.as_str().to_owned(),
                        f.flow.is_some(),
                    )
                })
                .collect()
        })
        .collect()
}

fn workspace(texts: &[String]) -> Workspace {
    Workspace::new(
        PATHS
            .iter()
            .zip(texts)
            .map(|(path, text)| (path.to_string(), Arc::new(lower_text(text))))
            .collect(),
        [],
    )
}

fuzz_target!(|data: &[u8]| {
    let mut texts: Vec<String> = vec![String::new(); PATHS.len()];
    let mut live = workspace(&texts);
    report(&live);
    for op in data.chunks(3).take(24) {
        let [file, action, line] = [0, 1, 2].map(|i| op.get(i).copied().unwrap_or(0) as usize);
        let file = file % PATHS.len();
        let lines: Vec<&str> = texts[file].split_inclusive('\n').collect();
        let at = line % (lines.len() + 1);
        let mut new_lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        if action % 3 == 0 && !new_lines.is_empty() {
            new_lines.remove(at.min(new_lines.len() - 1));
        } else {
            new_lines.insert(at, LINES[action % LINES.len()].to_owned());
        }
        texts[file] = new_lines.concat();
        live.replace_facts(FileId(file as u32), Arc::new(lower_text(&texts[file])));
        assert_eq!(
            report(&live),
            report(&workspace(&texts)),
            "texts: {texts:#?}"
        );
    }
});
