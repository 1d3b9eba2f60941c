//! brine_pickle: a safe, bounded scanner for pickle artifacts (BRN401).
//!
//! It reads pickle streams opcode by opcode and reports which callables they import (`GLOBAL`,
//! `INST`, `STACK_GLOBAL`), classified against a small allowlist of ML reconstruction helpers
//! and a list of known-dangerous modules. Nothing is ever executed or unpickled. Layouts are
//! recognised by content: raw pickles (protocols 0-5, several in sequence), torch zip
//! checkpoints, legacy torch files, numpy `.npy`/`.npz`, joblib files, gzip/zlib/bz2/xz/lzma
//! compressed streams, and archives nested inside each other up to a limit.
//!
//! The crate does no file I/O of its own: it reads only the caller's reader. Every input is
//! bounded by [`ScanLimits`]; no input makes it panic, recurse on the input's structure, or
//! allocate without bound. A limit that is hit ends the scan with a problem string in the
//! report, keeping what was found so far.
//!
//! Decisions worth knowing:
//! - **What is a pickle.** A stream starting with `PROTO` (0x80, protocol 0-5) is one. Without
//!   `PROTO` (protocols 0 and 1) a stream counts only if it reads to `STOP` with a consistent
//!   stack, or to a limit, or if a real unpickler would already have called an imported
//!   callable before the stream broke off (`cos\nsystem\n(S'ls'\ntR` without `STOP` still runs
//!   `os.system`). Text named `model.pkl` is [`ScanOutcome::NotPickle`].
//! - **Severity.** [`ArtifactReport::severity_hint`] is `error` for any dangerous import,
//!   `warning` for any unknown import *or any problem* (an artifact that could not be read to
//!   the end cannot be vouched for), and nothing for an allowlist-only, fully read artifact.
//! - **STACK_GLOBAL** operands are followed through the memo; an operand that is not a known
//!   string gives the import `?.?`, classified dangerous. Module or name strings longer than 256
//!   bytes are cut (`...`) and classified dangerous.
//! - **Several pickles in one file** are all read (`pickle #2`, ...); legacy torch files are
//!   recognised by the pickled magic number and read for exactly their five pickles.
//! - **joblib** writes raw array bytes in the middle of the pickle stream after each
//!   `NumpyArrayWrapper`; their size is computed from the wrapper's state (shape, dtype) and
//!   they are skipped, so imports after an array are still found. An object-dtype wrapper is
//!   followed by a whole nested pickle, which is read too.
//! - **Zip members** read: names ending `.pkl`/`.pickle`, and members whose first bytes are a
//!   zip, gzip, bz2, xz or `.npy` magic, or a `PROTO` pickle when named like an artifact.
//!
//! ```
//! use brine_pickle::{scan_bytes, ScanLimits, ScanOutcome};
//! let evil = b"cos\nsystem\n(S'echo hi'\ntR.";
//! let ScanOutcome::Scanned(report) = scan_bytes(evil, "evil.pkl", &ScanLimits::default()) else {
//!     panic!("a pickle");
//! };
//! assert_eq!(report.dangerous().next().unwrap().qualified_name(), "os.system");
//! assert_eq!(report.severity_hint(), Some("error"));
//! assert_eq!(scan_bytes(b"just text\n", "model.pkl", &ScanLimits::default()), ScanOutcome::NotPickle);
//! ```

mod classify;
mod containers;
mod decompress;
mod limits;
mod machine;
mod npy;
mod opcodes;
mod reader;
mod report;
mod stream;
mod zip;

use std::io::{Cursor, Read, Seek};
use std::rc::Rc;

pub use classify::{classify, ImportClass};
pub use limits::ScanLimits;
pub use report::{ArtifactReport, Compression, Container, Import, ScanOutcome};

use decompress::InputMeter;
use limits::Budget;
use report::Collector;

/// State shared by the readers of one scan.
pub(crate) struct Ctx {
    pub budget: Rc<Budget>,
    pub out: Collector,
}

/// Scans an artifact read from `reader` (typically an open file). `file_name` is used only in
/// the report; the layout is detected from the content.
pub fn scan<R: Read + Seek>(reader: R, file_name: &str, limits: &ScanLimits) -> ScanOutcome {
    let budget = Rc::new(Budget::new(limits));
    let mut input = InputMeter::new(reader, budget.clone());
    let mut cx = Ctx {
        budget,
        out: Collector::new(file_name),
    };
    let container = containers::scan_top(&mut cx, &mut input);
    match container {
        Some(container) if cx.out.found > 0 => ScanOutcome::Scanned(cx.out.finish(container)),
        _ => ScanOutcome::NotPickle,
    }
}

/// Scans an artifact held in memory.
pub fn scan_bytes(bytes: &[u8], file_name: &str, limits: &ScanLimits) -> ScanOutcome {
    scan(Cursor::new(bytes), file_name, limits)
}
