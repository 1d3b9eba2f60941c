//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "brine",
    version,
    about = "Finds Python code that deserializes untrusted data or runs code fetched from a mutable remote."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check files or folders (default: the current folder).
    Check(CheckArgs),
    /// Show a rule's documentation, or list every rule.
    Rule(RuleArgs),
    /// Run the language server (LSP over standard input and output).
    Server(ServerArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output_format: OutputFormat,
    /// Only report these rule codes or prefixes (replaces the configuration's `select`).
    #[arg(long, value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// Do not report these rule codes or prefixes (added to the configuration's `ignore`).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Exit with 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Apply the safe fixes, then report what remains.
    #[arg(long)]
    pub fix: bool,
    /// With `--fix`, also apply unsafe fixes (they may change behaviour, e.g. refuse a checkpoint).
    #[arg(long, requires = "fix")]
    pub unsafe_fixes: bool,
    /// Skip Python files larger than this many MiB (with a message).
    #[arg(long, value_name = "MIB", default_value_t = 20)]
    pub max_file_size: u64,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A rule code (BRN101) or name (pickle-deserialization).
    pub code: Option<String>,
    /// List every rule.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Communicate over standard input and output (the only transport; accepted for editors that pass it).
    #[arg(long)]
    pub stdio: bool,
}
