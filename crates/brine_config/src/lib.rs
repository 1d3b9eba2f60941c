//! brine's configuration: `[tool.brine]` in `pyproject.toml` or a `brine.toml`, parsed from text.
//!
//! Invariants: this crate never reads files (the workspace layer finds and reads them), and a
//! malformed configuration is a [`ConfigError`] naming the key, never a panic. Unknown keys are
//! errors, so a typo (`ignroe`) does not silently change nothing.

mod selection;
mod settings;
mod version;

pub use selection::RuleSelection;
pub use settings::{Config, ConfigError, ThreatModel, UserModel};
pub use version::TorchVersion;
