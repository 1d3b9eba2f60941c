//! The reads by name that resolution notes when asked to (`Workspace::log_demands`): what the
//! `demand_closure` example builds on to measure how much of a workspace a check that parses
//! statements on demand would need. A read it failed to note would make that measure too small.

use std::sync::Arc;

use brine_analysis::demand::{sink_valued_names, Demand};
use brine_analysis::{check_file, check_file_calls, CheckOptions, FileId, Workspace};
use brine_facts::{intern, lower_text};
use brine_syntax::TextRange;

fn logging_workspace(files: &[(&str, &str)]) -> Workspace {
    let mut workspace = Workspace::new(
        files
            .iter()
            .map(|(path, text)| (path.to_string(), Arc::new(lower_text(text))))
            .collect(),
        [],
    );
    workspace.log_demands();
    workspace
}

const LOADER: &str = "\
import pickle

class Store:
    def __init__(self, path):
        self.path = path

    def read(self):
        with open(self.path, 'rb') as f:
            return pickle.load(f)

def load_from(path):
    return Store(path).read()
";

const CALLER: &str = "\
from loader import load_from
import requests

def main():
    load_from(requests.get('https://example.com').text)
";

#[test]
fn names_read_outside_a_function_are_noted() {
    let workspace = logging_workspace(&[("loader.py", LOADER), ("main.py", CALLER)]);
    let loader = FileId(0);
    let findings = check_file(&workspace, loader, &CheckOptions::default());
    assert!(!findings.is_empty());
    let demands = workspace.take_demands();
    let store_at = LOADER.find("Store:").unwrap() as u32;
    // `pickle` is a module-level name of the file; `f` is local and needs nothing.
    assert!(demands.contains(&Demand::InFile(loader, intern("pickle"))));
    assert!(!demands.contains(&Demand::InFile(loader, intern("f"))));
    // `self.path` reads the writes of `path` in the class.
    assert!(demands.contains(&Demand::SelfWrites(loader, store_at, intern("path"))));
    // The values of `path` come from the call sites of `__init__`, that is of `Store`, and those of
    // `load_from`.
    assert!(demands.contains(&Demand::Everywhere(intern("Store"))));
    assert!(demands.contains(&Demand::Everywhere(intern("load_from"))));
    // Taken: the log starts empty again.
    assert!(workspace.take_demands().is_empty());
}

#[test]
fn a_workspace_that_does_not_log_notes_nothing() {
    let workspace = Workspace::new(vec![("loader.py".into(), Arc::new(lower_text(LOADER)))], []);
    check_file(&workspace, FileId(0), &CheckOptions::default());
    assert!(workspace.take_demands().is_empty());
}

#[test]
fn checking_some_calls_finds_only_theirs() {
    let workspace = logging_workspace(&[("loader.py", LOADER)]);
    let options = CheckOptions::default();
    let sink = LOADER.find("pickle.load").unwrap() as u32;
    let around = |range: TextRange| range.start <= sink && sink < range.end;
    assert_eq!(
        check_file_calls(&workspace, FileId(0), &options, &around),
        check_file(&workspace, FileId(0), &options)
    );
    let elsewhere = |range: TextRange| !around(range);
    assert!(check_file_calls(&workspace, FileId(0), &options, &elsewhere).is_empty());
}

#[test]
fn names_bound_to_a_sink_are_sink_valued() {
    let text = "\
import pickle
from pickle import load as unpickle
LOADERS = {'pickle': pickle.load}
import json
parse = json.loads

def get_loader():
    return pickle.loads

def harmless():
    return 1
";
    let workspace = logging_workspace(&[("aliases.py", text)]);
    let everything = TextRange::new(0, text.len() as u32);
    let mut names: Vec<String> = sink_valued_names(&workspace, FileId(0), everything, &[])
        .into_iter()
        .map(|name| name.to_string())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names, ["LOADERS", "get_loader", "unpickle"]);
}
