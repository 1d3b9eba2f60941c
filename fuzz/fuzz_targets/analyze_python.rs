//! Arbitrary bytes as a Python file through the whole analysis: decoding, parsing, lowering, resolution
//! and every rule. Nothing may panic, hang or overflow the stack.
#![no_main]

use brine_analysis::{check_file, CheckOptions, FileId, Workspace};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = brine_syntax::decode_source(data);
    let facts = brine_facts::lower_text(&decoded.text);
    let workspace = Workspace::single("fuzz.py", facts);
    let _ = check_file(&workspace, FileId(0), &CheckOptions::default());
});
