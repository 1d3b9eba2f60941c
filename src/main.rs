//! The `brine` command: `brine check` for CI and pre-commit, `brine rule` for documentation,
//! `brine server` for editors.

mod check;
mod cli;
mod fix;
mod output;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A bug must end in a clear message and exit code 2, never in a signal or a bare panic.
    let run = std::panic::catch_unwind(|| match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Rule(args) => print_rule(&args),
        Command::Server(_) => brine_server::run_stdio(),
    });
    run.unwrap_or_else(|_| {
        eprintln!("error: brine hit an internal error (a bug); please report it with the input that caused it");
        ExitCode::from(2)
    })
}

fn print_rule(args: &cli::RuleArgs) -> ExitCode {
    if args.all || args.code.is_none() {
        for rule in brine_analysis::RULES {
            println!(
                "{}  {:<34} {:<8} {}",
                rule.code,
                rule.name,
                rule.default_severity.as_str(),
                rule.short_description()
            );
        }
        return ExitCode::SUCCESS;
    }
    let code = args.code.as_deref().unwrap_or_default();
    match brine_analysis::rule(code) {
        Some(rule) => {
            print!("{}", rule.doc);
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: unknown rule `{code}`; `brine rule --all` lists every rule");
            ExitCode::from(2)
        }
    }
}
