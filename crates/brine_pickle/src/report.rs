//! What a scan reports: the artifact's container, the imports its pickle streams make (each
//! classified), how many calls they would perform, and the problems met on the way; plus the
//! crate-internal collector that builds a report while streams are scanned.

use std::collections::HashSet;
use std::fmt;

use crate::classify::ImportClass;

/// The result of [`crate::scan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// No pickle stream was found: the file is not a pickle artifact (skip it silently).
    NotPickle,
    /// At least one pickle stream was found and read (perhaps only partly: see `problems`).
    Scanned(ArtifactReport),
}

impl ScanOutcome {
    /// The report, if the input was a pickle artifact.
    pub fn report(&self) -> Option<&ArtifactReport> {
        match self {
            ScanOutcome::NotPickle => None,
            ScanOutcome::Scanned(r) => Some(r),
        }
    }
}

/// A compression format, recognised by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// `1f 8b`
    Gzip,
    /// `78 01`, `78 5e`, `78 9c`, `78 da` (joblib's default)
    Zlib,
    /// `BZh`
    Bzip2,
    /// `fd 37 7a 58 5a 00`
    Xz,
    /// Raw LZMA ("alone") format, `5d 00 00`
    Lzma,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Zlib => "zlib",
            Compression::Bzip2 => "bz2",
            Compression::Xz => "xz",
            Compression::Lzma => "lzma",
        })
    }
}

/// The outermost layout of the artifact, detected from its content (never its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Container {
    /// One or more pickles in sequence.
    RawPickle,
    /// A zip archive with a `data.pkl` member (torch's format since 1.6).
    TorchZip,
    /// torch's format before 1.6: the pickled magic number, then several pickles.
    LegacyTorch,
    /// A numpy `.npy` file of an object array (a pickle follows the header).
    Npy,
    /// A zip archive of `.npy` members.
    Npz,
    /// A joblib pickle (uses joblib's inline array wrappers), possibly compressed.
    Joblib,
    /// A compressed pickle that is not recognisably joblib's.
    Compressed(Compression),
    /// Any other zip archive with pickle members.
    Zip,
}

/// One `GLOBAL`, `INST` or `STACK_GLOBAL` import (or an `EXT1/2/4` extension-registry lookup).
/// Repeated imports of the same callable from the same stream are reported once, at their first
/// offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The module, as written in the stream (`"?"` when STACK_GLOBAL's operand is unknown).
    pub module: String,
    /// The attribute (possibly dotted), as written (`"?"` when unknown).
    pub name: String,
    /// `"GLOBAL"`, `"INST"`, `"STACK_GLOBAL"`, or `"EXT1"`/`"EXT2"`/`"EXT4"`.
    pub opcode: &'static str,
    /// Byte offset of the opcode within the innermost stream: the file, the decompressed data,
    /// or the zip member's data. Sequential pickles of one file share the file's offsets.
    pub offset: u64,
    /// Where in the artifact: a zip member path (nested archives joined with `!`), and
    /// `pickle #N` for the N-th (N >= 2) pickle of a sequence, e.g. legacy torch's `pickle #4`.
    /// `None` for the first pickle of an unnested stream.
    pub member: Option<String>,
    pub class: ImportClass,
}

impl Import {
    /// `module.name`
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// Everything a scan found in one artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactReport {
    /// The name the caller passed to [`crate::scan`] (used only in messages).
    pub file_name: String,
    pub container: Container,
    /// The outermost compression layer, if the artifact was compressed as a whole.
    pub compression: Option<Compression>,
    pub imports: Vec<Import>,
    /// Calls of an arbitrary callable: `REDUCE`, `INST` and `OBJ`.
    pub reduce_count: u64,
    /// `BUILD` opcodes (`__setstate__` calls or dict updates).
    pub build_count: u64,
    /// `NEWOBJ` and `NEWOBJ_EX` opcodes (`cls.__new__` calls).
    pub newobj_count: u64,
    /// Pickle streams read (a legacy torch file has five).
    pub pickle_streams: u64,
    /// Limits hit, truncated or malformed streams, members that could not be read;
    /// human-readable. Non-empty means the artifact could not be fully verified.
    pub problems: Vec<String>,
}

impl ArtifactReport {
    /// Imports classified dangerous.
    pub fn dangerous(&self) -> impl Iterator<Item = &Import> {
        self.imports
            .iter()
            .filter(|i| i.class == ImportClass::Dangerous)
    }

    /// Imports that are neither allowed nor known to be dangerous.
    pub fn unknown(&self) -> impl Iterator<Item = &Import> {
        self.imports
            .iter()
            .filter(|i| i.class == ImportClass::Unknown)
    }

    /// Imports on the allowlist.
    pub fn allowed(&self) -> impl Iterator<Item = &Import> {
        self.imports
            .iter()
            .filter(|i| i.class == ImportClass::Allowed)
    }

    /// `"error"` when some import is dangerous; `"warning"` when some import is unknown or the
    /// artifact could not be fully scanned (a problem was recorded); `None` when every import is
    /// allowed and the scan was complete.
    pub fn severity_hint(&self) -> Option<&'static str> {
        if self.dangerous().next().is_some() {
            Some("error")
        } else if self.unknown().next().is_some() || !self.problems.is_empty() {
            Some("warning")
        } else {
            None
        }
    }
}

/// Problems kept before the rest are counted.
const MAX_PROBLEMS: usize = 64;

/// Builds an [`ArtifactReport`] while streams are scanned.
pub(crate) struct Collector {
    pub report: ArtifactReport,
    seen: HashSet<(String, String, &'static str, Option<String>)>,
    dropped_problems: u64,
    /// Pickle streams accepted so far (also counts members that should have been scanned but
    /// could not be).
    pub found: u64,
}

impl Collector {
    pub(crate) fn new(file_name: &str) -> Self {
        Collector {
            report: ArtifactReport {
                file_name: file_name.to_string(),
                container: Container::RawPickle,
                compression: None,
                imports: Vec::new(),
                reduce_count: 0,
                build_count: 0,
                newobj_count: 0,
                pickle_streams: 0,
                problems: Vec::new(),
            },
            seen: HashSet::new(),
            dropped_problems: 0,
            found: 0,
        }
    }

    pub(crate) fn import(&mut self, import: Import) {
        let key = (
            import.module.clone(),
            import.name.clone(),
            import.opcode,
            import.member.clone(),
        );
        if self.seen.insert(key) {
            self.report.imports.push(import);
        }
    }

    /// Records a problem, prefixed with where it happened.
    pub(crate) fn problem(&mut self, at: Option<&str>, msg: impl fmt::Display) {
        if self.report.problems.len() >= MAX_PROBLEMS {
            self.dropped_problems += 1;
            return;
        }
        let text = match at {
            Some(at) => format!("{at}: {msg}"),
            None => msg.to_string(),
        };
        if !self.report.problems.contains(&text) {
            self.report.problems.push(text);
        }
    }

    pub(crate) fn finish(mut self, container: Container) -> ArtifactReport {
        if self.dropped_problems > 0 {
            self.report.problems.push(format!(
                "{} further problems not listed",
                self.dropped_problems
            ));
        }
        self.report.container = container;
        self.report
    }
}
