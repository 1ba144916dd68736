//! `upstream-doctor`: the command-line face of analyzer-core.
//!
//! This crate does the I/O the core never does (files, gzip, stdin, the
//! terminal) and nothing else: the diagnosis, its wording and its JSON come
//! from `analyzer_core`. Modules: [`args`] (what was asked), [`input`]
//! (streaming the inputs into the analyzer), [`render`] (the human report).
//! Share links (`--share-link`, `--open`) are made and read by
//! `analyzer_core::share`, after `analyzer_core::redact`.
//!
//! Exit status (shared/contract.md): 0 when a report was printed, found cause
//! or not; 2 with one line on standard error for usage and input errors.

mod args;
mod input;
mod render;

use analyzer_core::redact::Redactor;
use analyzer_core::share;
use analyzer_core::Report;
use args::{ColorChoice, Command, Format, OpenOptions, Options, ShareLink};
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
        Command::Open(opts) => open(&opts),
        Command::Explain(query) => explain(&query),
        Command::ListCauses => print(&list_causes()),
        Command::Collector => print(analyzer_core::collector::SCRIPT),
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
    // Checked before anything is printed: a bad base URL prints no report.
    let base = match &opts.share {
        Some(share) => Some(base_url(share)?),
        None => None,
    };
    if opts.format == Format::Markdown {
        // The same function as the web app's "Copy as Markdown".
        return print(&analyzer_core::markdown::export_markdown(
            &report,
            opts.redact,
            base.as_deref(),
        ));
    }
    let link = base.map(|base| {
        let redacted = Redactor::new().redact_report(&report);
        share::link(&base, &redacted, None)
    });
    let mut text = report_text(&report, opts.format, opts.color);
    if let Some(link) = link {
        if opts.format == Format::Text {
            text.push_str(
                "\nShare this diagnosis (addresses, host names, users and tokens replaced; the paste itself not included):\n",
            );
        }
        text.push_str(&link);
        text.push('\n');
    }
    print(&text)
}

fn report_text(report: &Report, format: Format, color: ColorChoice) -> String {
    match format {
        Format::Markdown => analyzer_core::markdown::report_markdown(report, None),
        Format::Json => {
            let mut json = report.to_json();
            json.push('\n');
            json
        }
        Format::Text => render::render(
            report,
            render::Style {
                color: use_color(color),
            },
        ),
    }
}

/// Where share links point: `--base-url`, else `UPSTREAM_DOCTOR_URL`, else
/// the placeholder default.
fn base_url(opts: &ShareLink) -> Result<String, Failure> {
    Ok(match &opts.base_url {
        Some(url) => url.clone(),
        None => match std::env::var("UPSTREAM_DOCTOR_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let url = url.trim().to_string();
                args::check_base_url(&url).map_err(|e| {
                    Failure::Message(format!(
                        "UPSTREAM_DOCTOR_URL: {}",
                        e.0.replacen("--base-url ", "", 1)
                    ))
                })?;
                url
            }
            _ => share::DEFAULT_BASE_URL.to_string(),
        },
    })
}

/// `--open LINK`: the report the link carries, as if just diagnosed.
fn open(opts: &OpenOptions) -> Result<(), Failure> {
    let decoded = share::decode(&opts.link).map_err(|e| Failure::Message(e.to_string()))?;
    let mut text = report_text(&decoded.report, opts.format, opts.color);
    if opts.format == Format::Text {
        text.push_str("\nOpened from a share link: addresses, host names, users and tokens were replaced before sharing.\n");
        if decoded.trimmed {
            text.push_str("Some evidence, reasoning or less likely causes were left out to keep the link short.\n");
        }
        if let Some(input) = &decoded.input {
            let lines = input.lines().count();
            text.push_str(&format!(
                "The link also carries the (redacted) paste, {lines} line{}: open it in the web app to see it.\n",
                if lines == 1 { "" } else { "s" }
            ));
        }
    }
    print(&text)
}

/// `--explain`: the page of the cause with that id, else of the one cause a
/// message fragment points to, else the list of candidates.
fn explain(query: &str) -> Result<(), Failure> {
    use analyzer_core::markdown::{cause_page, search_causes};
    if let Some(page) = cause_page(query.trim()) {
        return print(&page);
    }
    let hits = search_causes(query);
    match hits.as_slice() {
        [] => Err(Failure::Message(format!(
            "no cause matches '{query}' (see --list-causes)"
        ))),
        [one] => print(&cause_page(one).unwrap_or_default()),
        many => {
            let mut text =
                format!("Causes matching '{query}' (best first); run --explain ID for one:\n");
            for id in many {
                let title = analyzer_core::causes::rule(id)
                    .map(|r| r.title)
                    .unwrap_or("");
                text.push_str(&format!("  {id:<26} {title}\n"));
            }
            print(&text)
        }
    }
}

fn list_causes() -> String {
    let mut text = String::new();
    for r in analyzer_core::causes::RULES {
        let family = if r.family == r.id {
            String::new()
        } else {
            format!("  (family {})", r.family)
        };
        text.push_str(&format!("{:<26} {}{family}\n", r.id, r.title));
    }
    text
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
