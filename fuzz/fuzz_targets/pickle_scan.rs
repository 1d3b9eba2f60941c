//! Fuzzes brine_pickle's artifact scanner: any bytes, as any artifact, with small limits. The
//! scanner must never panic, hang, or allocate without bound.
#![no_main]

use brine_pickle::{scan_bytes, ScanLimits, ScanOutcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ScanLimits {
        max_input_bytes: 1 << 20,
        max_decompressed_bytes: 1 << 20,
        max_opcodes: 100_000,
        max_stack: 10_000,
        max_memo: 10_000,
        max_nesting: 3,
        max_zip_entries: 1_000,
        max_imports: 1_000,
    };
    if let ScanOutcome::Scanned(report) = scan_bytes(data, "fuzz.pkl", &limits) {
        let dangerous = report.dangerous().next().is_some();
        assert_eq!(dangerous, report.severity_hint() == Some("error"));
        assert!(report.problems.len() <= 65);
    }
});
