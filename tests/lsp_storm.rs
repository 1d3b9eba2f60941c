//! A storm of edits over stdio (issue #8): 1,000 incremental `didChange` notifications sent as fast as
//! the pipe takes them, without waiting for anything, then quiescence. The diagnostics of the final
//! version equal a fresh analysis of the final text, every version published on the way equals a
//! fresh analysis of its own text, versions never go backwards, and nothing follows the final ones.

use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::*;

const EDITS: usize = 1000;
/// Never edited, so that `torch` stays imported and findings come and go with the edits below it.
const HEADER: &str = "import torch\n";

/// xorshift64*: a fixed seed replays the same storm.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// One edit of `text`, as a byte range after the header and its new text: a BRN102 `torch.load(x)`
/// appears (a new line, or `weights_only=True` removed) or disappears (`weights_only=True` added),
/// or characters, lines and multi-line blocks are inserted, deleted or replaced anywhere.
fn random_edit(rng: &mut Rng, text: &str, n: usize) -> (usize, usize, String) {
    let body = HEADER.len()..text.len();
    let anywhere = |rng: &mut Rng| body.start + rng.below(body.len() + 1);
    let line_start = |rng: &mut Rng| {
        let offset = anywhere(rng);
        text[..offset].rfind('\n').map_or(0, |newline| newline + 1)
    };
    let occurrence = |rng: &mut Rng, needle: &str| {
        let found: Vec<usize> = text.match_indices(needle).map(|(i, _)| i).collect();
        (!found.is_empty()).then(|| found[rng.below(found.len())])
    };
    let lines_from = |rng: &mut Rng, start: usize| {
        let mut end = start;
        for _ in 0..=rng.below(3) {
            end = text[end..].find('\n').map_or(body.end, |i| end + i + 1);
        }
        end
    };
    match rng.below(8) {
        0 => {
            let at = line_start(rng);
            (at, at, format!("s{n} = torch.load(x)\n"))
        }
        1 => match occurrence(rng, "torch.load(x)") {
            Some(at) => {
                let at = at + "torch.load(x".len();
                (at, at, ", weights_only=True".to_owned())
            }
            None => (body.end, body.end, "torch.load(x)\n".to_owned()),
        },
        2 => match occurrence(rng, ", weights_only=True") {
            Some(at) => (at, at + ", weights_only=True".len(), String::new()),
            None => (body.end, body.end, "y = 1\n".to_owned()),
        },
        3 => {
            const SNIPPETS: [&str; 10] = [
                "x",
                " ",
                "\n",
                "(",
                ")",
                "pass\n",
                "# note\n",
                "torch.load(",
                "def f(x):\n    return torch.load(x)\n",
                "if x:\n    y = torch.load(x)\nelse:\n    y = None\n",
            ];
            let at = anywhere(rng);
            (at, at, SNIPPETS[rng.below(SNIPPETS.len())].to_owned())
        }
        4 | 5 => {
            let start = anywhere(rng);
            let end = (start + rng.below(20)).min(body.end);
            (start, end, String::new())
        }
        6 => {
            let start = line_start(rng);
            let end = text[start..].find('\n').map_or(body.end, |i| start + i + 1);
            (start, end, String::new())
        }
        _ => {
            let start = line_start(rng);
            let end = lines_from(rng, start);
            (start, end, format!("with x:\n    z{n} = torch.load(x)\n"))
        }
    }
}

/// The LSP position of a byte offset in ASCII text.
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let character = offset - before.rfind('\n').map_or(0, |newline| newline + 1);
    json!({"line": line, "character": character})
}

#[test]
fn a_storm_of_edits_ends_with_the_diagnostics_of_the_final_text() {
    let dir = workspace(&[]);
    let mut lsp = Lsp::spawn();
    lsp.initialize(dir.path());
    let doc = uri(&dir.path().join("storm.py"));
    let mut text = format!("{HEADER}state = torch.load(x)\n");
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": doc, "languageId": "python", "version": 1, "text": text}}),
    );
    // texts[v - 1] is the text at version v.
    let mut texts = vec![text.clone()];
    let mut rng = Rng(0x5eed_b41e_2024);
    for n in 0..EDITS {
        // Mostly one change per notification, sometimes several, each on the text the previous left.
        let count = if rng.below(5) == 0 {
            2 + rng.below(3)
        } else {
            1
        };
        let changes: Vec<Value> = (0..count)
            .map(|_| {
                let (start, end, new_text) = random_edit(&mut rng, &text, n);
                let change = json!({
                    "range": {"start": position(&text, start), "end": position(&text, end)},
                    "text": new_text
                });
                text.replace_range(start..end, &new_text);
                change
            })
            .collect();
        texts.push(text.clone());
        lsp.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": doc, "version": texts.len()},
                   "contentChanges": changes}),
        );
    }
    let last = texts.len() as i64;
    let final_diagnostics = lsp.diagnostics_at(&doc, last);

    // Quiescence: a newer change (another document) is analysed and published after everything the
    // storm started; a stale run would publish before it or never (runs of older generations stop).
    let barrier = uri(&dir.path().join("barrier.py"));
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": barrier, "languageId": "python", "version": 1, "text": "x = 1\n"}}),
    );
    lsp.diagnostics_at(&barrier, 1);
    // And a while longer, for anything late (this wait can only let a bug through, never fail a
    // correct server).
    std::thread::sleep(Duration::from_millis(500));
    while let Ok(message) = lsp.messages.try_recv() {
        lsp.received.push(message);
    }

    let published: Vec<(i64, Vec<Value>)> = lsp
        .received
        .iter()
        .filter(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(doc)
        })
        .map(|m| {
            let params = &m["params"];
            (
                params["version"].as_i64().expect("a version"),
                params["diagnostics"].as_array().unwrap().clone(),
            )
        })
        .collect();
    let versions: Vec<i64> = published.iter().map(|(version, _)| *version).collect();
    assert!(
        versions.windows(2).all(|pair| pair[0] <= pair[1]),
        "versions went backwards: {versions:?}"
    );
    assert_eq!(
        versions.iter().position(|&version| version == last),
        Some(versions.len() - 1),
        "the final version is published once, last: {versions:?}"
    );

    // Every publish (the final one included) is a fresh analysis of its version's text.
    let published_texts: Vec<&str> = published
        .iter()
        .map(|(version, _)| texts[*version as usize - 1].as_str())
        .collect();
    let fresh = fresh_analyses(&published_texts);
    for ((version, diagnostics), expected) in published.iter().zip(&fresh) {
        assert_eq!(
            &summary(diagnostics),
            expected,
            "version {version}, text {:?}",
            texts[*version as usize - 1]
        );
    }
    let expected = fresh_analysis(&text);
    assert_eq!(summary(&final_diagnostics), expected, "final text {text:?}");
    assert!(
        codes(&final_diagnostics).contains(&"BRN102"),
        "the storm should end with findings: {text:?}"
    );

    lsp.request("shutdown", Value::Null);
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit(Duration::from_secs(10)), Some(0));
}
