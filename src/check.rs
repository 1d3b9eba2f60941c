//! `brine check`: run the analysis on paths and print the report.

use std::io::Write;
use std::process::ExitCode;

use brine_workspace::{check_paths, CheckRequest};

use crate::cli::{CheckArgs, OutputFormat};
use crate::output;

pub fn run(args: &CheckArgs) -> ExitCode {
    for code in args.select.iter().flatten().chain(&args.ignore) {
        if !is_code_or_prefix(code) {
            eprintln!("error: `{code}` is not a rule code or prefix (like BRN101 or BRN1)");
            return ExitCode::from(2);
        }
    }
    let normalize = |codes: &[String]| -> Vec<String> {
        codes
            .iter()
            .map(|code| {
                if code == "ALL" {
                    "BRN".to_owned()
                } else {
                    code.clone()
                }
            })
            .collect()
    };
    let request = CheckRequest {
        paths: args.paths.clone(),
        select: args.select.as_deref().map(normalize),
        ignore: normalize(&args.ignore),
        max_file_bytes: Some(args.max_file_size.saturating_mul(1 << 20)),
    };
    let mut outcome = match check_paths(&request) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("error: invalid configuration in {error}");
            return ExitCode::from(2);
        }
    };
    if args.fix && outcome.missing.is_empty() {
        let fixed = crate::fix::apply_fixes(&outcome, args.unsafe_fixes);
        if fixed > 0 {
            eprintln!(
                "Fixed {fixed} finding{}.",
                if fixed == 1 { "" } else { "s" }
            );
            outcome = match check_paths(&request) {
                Ok(outcome) => outcome,
                Err(error) => {
                    eprintln!("error: invalid configuration in {error}");
                    return ExitCode::from(2);
                }
            };
        }
    }
    if !outcome.missing.is_empty() {
        for path in &outcome.missing {
            eprintln!("error: {}: no such file or directory", path.display());
        }
        return ExitCode::from(2);
    }
    for error in &outcome.errors {
        eprintln!("warning: {}: {}", error.path.display(), error.message);
    }
    let report = output::Report::new(&outcome);
    let rendered = match args.output_format {
        OutputFormat::Text => output::text::render(&report, &outcome),
        OutputFormat::Json => output::json::render(&report),
        OutputFormat::Sarif => output::sarif::render(&report),
    };
    let written = match &args.output_file {
        Some(path) => std::fs::write(path, rendered.as_bytes()),
        None => std::io::stdout().lock().write_all(rendered.as_bytes()),
    };
    if let Err(error) = written {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the report: {error}");
            return ExitCode::from(2);
        }
    }
    if report.findings.is_empty() || args.exit_zero {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn is_code_or_prefix(code: &str) -> bool {
    code == "ALL"
        || (code.starts_with("BRN")
            && code.len() <= 6
            && code[3..].chars().all(|c| c.is_ascii_digit()))
}
