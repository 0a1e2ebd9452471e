//! msctl's entry point: parse, run, map the result to an exit code.

use clap::Parser;

use msctl::cli::Cli;
use msctl::commands;
use msctl::session::CommandError;

fn main() {
    let cli = Cli::parse_from(msctl::cli::normalize::normalize_args(std::env::args_os()));
    let color = msctl::output::Printer::new(cli.global.no_color, cli.global.quiet, &|key| {
        std::env::var(key).ok()
    })
    .color;
    init_tracing(cli.global.verbose, cli.global.quiet, color);
    let code = match commands::run(cli) {
        Ok(()) => 0,
        Err(err) => {
            report(&err);
            err.exit_code()
        }
    };
    std::process::exit(code);
}

fn report(err: &CommandError) {
    let text = match err {
        CommandError::Changes => return,
        CommandError::Manifest(load) => {
            let count = load.error_count;
            let summary = if count == 1 {
                "error: the manifest has 1 error".to_string()
            } else {
                format!("error: the manifest has {count} errors")
            };
            format!("{}\n\n{summary}\n", load.rendered.trim_end())
        }
        CommandError::Failed(e) => {
            let mut text = format!("error: {e}");
            for cause in e.chain().skip(1) {
                text.push_str(&format!("\n  caused by: {cause}"));
            }
            text
        }
        CommandError::Hinted { error, hint } => {
            let mut text = format!("error: {error}");
            for cause in error.chain().skip(1) {
                text.push_str(&format!("\n  caused by: {cause}"));
            }
            text.push_str(&format!("\n\nhint: {hint}"));
            text
        }
        CommandError::Usage(message) => format!("error: {message}"),
        CommandError::Interrupted => {
            "interrupted: actions in flight finished; run the command again to converge".to_string()
        }
    };
    eprintln!("{}", text.trim_end());
}

/// Tracing goes to stderr; `-v` raises the level, `MSCTL_LOG` overrides it.
fn init_tracing(verbose: u8, quiet: bool, color: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = std::env::var("MSCTL_LOG").unwrap_or_else(|_| format!("msctl={level}"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .without_time()
        .with_target(false)
        .try_init();
}
