//! The file system layer shared by `brine check` and the server: walking a workspace, reading
//! files, finding each file's configuration, and running the analysis on all files in parallel.
//!
//! Invariants: this is the only library crate that touches the file system; the analysis below it
//! gets text and paths. A file that cannot be read becomes a [`FileError`], never a panic.

pub mod artifacts;
mod check;
pub mod hf_cache;
mod settings;
mod walk;

pub use check::{
    check_paths, resident_memory, CheckOutcome, CheckRequest, CheckedFile, FileError, FileReport,
    DEFAULT_MAX_FILE_BYTES,
};
pub use settings::{FileSettings, SettingsError, SettingsResolver};
pub use walk::{collect_python_files, is_artifact, WalkedFiles, ARTIFACT_EXTENSIONS};
