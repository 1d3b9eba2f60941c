//! Scan limits, and the per-artifact budget that enforces them.
//!
//! Every byte read from the input, every byte produced by a decompressor and every opcode read is
//! charged to one [`Budget`] shared by all streams of an artifact, so nested archives and
//! compression bombs cannot multiply the limits. Readers report an exhausted budget as an
//! [`std::io::Error`] carrying a [`LimitHit`], which the scanner turns into a problem string.

use std::cell::Cell;
use std::fmt;
use std::io;
use std::rc::Rc;

/// Bounds on the work one call to [`crate::scan`] may do. A limit that is hit ends the affected
/// stream (or the whole scan) with a problem string; imports found before are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanLimits {
    /// Bytes read from the caller's reader, all reads added up (seeks over unread data are free,
    /// so a large zip checkpoint whose `data.pkl` is small costs little).
    pub max_input_bytes: u64,
    /// Bytes produced by decompressors (gzip, zlib, bz2, xz, lzma, zip deflate/bzip2/lzma), all
    /// streams of the artifact added up; nested archives buffered in memory are charged here too.
    pub max_decompressed_bytes: u64,
    /// Opcodes read, all pickle streams of the artifact added up.
    pub max_opcodes: u64,
    /// Entries on the symbolic stack plus open MARKs, per stream.
    pub max_stack: usize,
    /// Memo entries, per stream.
    pub max_memo: usize,
    /// How many containers deep a stream may be (a zip member or a decompressed stream is 1, a
    /// zip member inside it 2, ...). Never more than 16, whatever is set here.
    pub max_nesting: u32,
    /// Zip entries looked at, all archives of the artifact added up.
    pub max_zip_entries: u64,
    /// Distinct imports recorded (per stream, added up over the artifact's streams).
    pub max_imports: u64,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_input_bytes: 512 * 1024 * 1024,
            max_decompressed_bytes: 256 * 1024 * 1024,
            max_opcodes: 10_000_000,
            max_stack: 100_000,
            max_memo: 1_000_000,
            max_nesting: 3,
            max_zip_entries: 100_000,
            max_imports: 100_000,
        }
    }
}

/// Which limit was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    Input,
    Decompressed,
    Opcodes,
    Stack,
    Memo,
    Nesting,
    ZipEntries,
    Imports,
}

/// The error payload readers use to say that a byte budget is exhausted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LimitHit(pub Limit);

impl fmt::Display for LimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} limit hit", self.0)
    }
}

impl std::error::Error for LimitHit {}

impl LimitHit {
    pub(crate) fn into_io(self) -> io::Error {
        io::Error::other(self)
    }

    /// The limit carried by an I/O error, if it is one of ours (possibly wrapped once by a
    /// decompressor).
    pub(crate) fn from_io(err: &io::Error) -> Option<Limit> {
        let inner = err.get_ref()?;
        if let Some(hit) = inner.downcast_ref::<LimitHit>() {
            return Some(hit.0);
        }
        inner
            .downcast_ref::<io::Error>()
            .and_then(LimitHit::from_io)
    }
}

/// Human-readable description of a hit limit, with its configured value.
pub(crate) fn describe(limit: Limit, limits: &ScanLimits) -> String {
    match limit {
        Limit::Input => format!(
            "input limit reached: stopped after reading {} bytes",
            limits.max_input_bytes
        ),
        Limit::Decompressed => format!(
            "decompression limit reached: stopped after {} decompressed bytes (possible compression bomb)",
            limits.max_decompressed_bytes
        ),
        Limit::Opcodes => format!(
            "opcode limit reached: stopped after {} opcodes",
            limits.max_opcodes
        ),
        Limit::Stack => format!(
            "stack limit reached: more than {} stack entries and marks",
            limits.max_stack
        ),
        Limit::Memo => format!(
            "memo limit reached: more than {} memo entries",
            limits.max_memo
        ),
        Limit::Nesting => format!(
            "nesting limit reached: containers nested deeper than {}",
            limits.max_nesting
        ),
        Limit::ZipEntries => format!(
            "zip entry limit reached: stopped after {} entries",
            limits.max_zip_entries
        ),
        Limit::Imports => format!(
            "import limit reached: more than {} distinct imports",
            limits.max_imports
        ),
    }
}

/// Counters charged against one artifact's [`ScanLimits`]. Interior mutability lets every reader
/// of a nested chain hold a shared reference.
#[derive(Debug)]
pub(crate) struct Budget {
    pub limits: ScanLimits,
    input: Cell<u64>,
    decompressed: Cell<u64>,
    opcodes: Cell<u64>,
    zip_entries: Cell<u64>,
    imports: Cell<u64>,
    /// Live bytes of symbolic values (strings and container slots).
    pub live: Meter,
    /// The first limit hit, remembered even if a decompressor swallowed our error value.
    tripped: Cell<Option<Limit>>,
}

/// Hard cap on container nesting, whatever the limits say.
pub(crate) const MAX_NESTING_CAP: u32 = 16;

/// Symbolic values stop being tracked (they become opaque) past this many live bytes.
pub(crate) const SYMBOLIC_BUDGET: u64 = 128 * 1024 * 1024;

/// Counts the live bytes of symbolic values: charged when a string or container slot is
/// created, refunded when it is dropped.
#[derive(Clone, Debug, Default)]
pub(crate) struct Meter(Rc<Cell<u64>>);

impl Meter {
    /// Charges `n` bytes; false (and nothing charged) if that would pass the budget.
    pub(crate) fn try_charge(&self, n: u64) -> bool {
        let used = self.0.get().saturating_add(n);
        if used > SYMBOLIC_BUDGET {
            false
        } else {
            self.0.set(used);
            true
        }
    }

    pub(crate) fn refund(&self, n: u64) {
        self.0.set(self.0.get().saturating_sub(n));
    }

    #[cfg(test)]
    pub(crate) fn used(&self) -> u64 {
        self.0.get()
    }
}

impl Budget {
    pub(crate) fn new(limits: &ScanLimits) -> Self {
        Budget {
            limits: limits.clone(),
            input: Cell::new(0),
            decompressed: Cell::new(0),
            opcodes: Cell::new(0),
            zip_entries: Cell::new(0),
            imports: Cell::new(0),
            live: Meter::default(),
            tripped: Cell::new(None),
        }
    }

    fn trip(&self, limit: Limit) -> LimitHit {
        if self.tripped.get().is_none() {
            self.tripped.set(Some(limit));
        }
        LimitHit(limit)
    }

    /// The first limit hit so far.
    pub(crate) fn tripped(&self) -> Option<Limit> {
        self.tripped.get()
    }

    pub(crate) fn input_remaining(&self) -> u64 {
        self.limits.max_input_bytes.saturating_sub(self.input.get())
    }

    pub(crate) fn charge_input(&self, n: u64) {
        self.input.set(self.input.get().saturating_add(n));
    }

    pub(crate) fn input_exhausted(&self) -> LimitHit {
        self.trip(Limit::Input)
    }

    pub(crate) fn decompressed_remaining(&self) -> u64 {
        self.limits
            .max_decompressed_bytes
            .saturating_sub(self.decompressed.get())
    }

    pub(crate) fn charge_decompressed(&self, n: u64) {
        self.decompressed
            .set(self.decompressed.get().saturating_add(n));
    }

    pub(crate) fn decompressed_exhausted(&self) -> LimitHit {
        self.trip(Limit::Decompressed)
    }

    /// Counts one opcode; fails once the opcode limit is passed.
    pub(crate) fn charge_opcode(&self) -> Result<(), LimitHit> {
        let n = self.opcodes.get().saturating_add(1);
        self.opcodes.set(n);
        if n > self.limits.max_opcodes {
            Err(self.trip(Limit::Opcodes))
        } else {
            Ok(())
        }
    }

    /// Counts one zip entry; fails once the entry limit is passed.
    pub(crate) fn charge_zip_entry(&self) -> Result<(), LimitHit> {
        let n = self.zip_entries.get().saturating_add(1);
        self.zip_entries.set(n);
        if n > self.limits.max_zip_entries {
            Err(self.trip(Limit::ZipEntries))
        } else {
            Ok(())
        }
    }

    /// Counts one distinct import; fails once the import limit is passed.
    pub(crate) fn charge_import(&self) -> Result<(), LimitHit> {
        let n = self.imports.get().saturating_add(1);
        self.imports.set(n);
        if n > self.limits.max_imports {
            Err(self.trip(Limit::Imports))
        } else {
            Ok(())
        }
    }

    /// Container nesting actually allowed: the configured limit, but never so deep that
    /// following it could exhaust the call stack (a gzip quine decompresses to itself).
    pub(crate) fn max_nesting(&self) -> u32 {
        self.limits.max_nesting.min(MAX_NESTING_CAP)
    }

    pub(crate) fn note_limit(&self, limit: Limit) -> LimitHit {
        self.trip(limit)
    }
}
