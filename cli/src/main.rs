//! `upstream-doctor`: the command-line face of analyzer-core.
//!
//! This crate does the I/O the core never does (files, gzip, stdin, the
//! terminal) and nothing else: the diagnosis, its wording and its JSON come
//! from `analyzer_core`. Modules: [`args`] (what was asked), [`input`]
//! (streaming the inputs into the analyzer), [`render`] (the human report).
//!
//! Exit status (shared/contract.md): 0 when a report was printed, found cause
//! or not; 2 with one line on standard error for usage and input errors.

mod args;
mod input;
mod render;

use args::{ColorChoice, Command, Format, Options};
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Quiet) => ExitCode::SUCCESS,
        Err(Failure::Message(msg)) => {
            eprintln!("upstream-doctor: {msg}");
            ExitCode::from(2)
        }
    }
}

enum Failure {
    /// Standard output was closed early (`| head`): stop without a word.
    Quiet,
    /// One line for standard error; exit status 2.
    Message(String),
}

fn run() -> Result<(), Failure> {
    let cmd = args::parse(std::env::args_os().skip(1)).map_err(|e| Failure::Message(e.0))?;
    match cmd {
        Command::Help => print(args::HELP),
        Command::Version => print(&format!("upstream-doctor {}\n", env!("CARGO_PKG_VERSION"))),
        Command::Diagnose(opts) => diagnose(&opts),
    }
}

fn diagnose(opts: &Options) -> Result<(), Failure> {
    let mut feeder = input::Feeder::new();
    if opts.inputs.is_empty() {
        feeder
            .read_input(&args::Input::Stdin)
            .map_err(|e| Failure::Message(e.0))?;
    }
    for i in &opts.inputs {
        feeder.read_input(i).map_err(|e| Failure::Message(e.0))?;
    }
    let report = feeder.finish();
    let text = match opts.format {
        Format::Json => {
            let mut json = report.to_json();
            json.push('\n');
            json
        }
        Format::Text => render::render(
            &report,
            render::Style {
                color: use_color(opts.color),
            },
        ),
    };
    print(&text)
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stdout().is_terminal()
                && !matches!(std::env::var_os("NO_COLOR"), Some(v) if !v.is_empty())
        }
    }
}

fn print(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Failure::Quiet),
        Err(e) => Err(Failure::Message(format!("cannot write the report: {e}"))),
    }
}
