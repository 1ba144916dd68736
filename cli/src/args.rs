//! Command-line arguments: what the user asked for, nothing else.
//!
//! Hand-written on purpose (no parser crate): the surface is small and the
//! error messages should say what to do. To add an option, add a field to
//! [`Options`] (or a variant to [`Command`] for a new mode), one match arm in
//! [`parse`] (use [`Args::value`] for an option that takes a value), and a
//! line in [`HELP`].

use std::ffi::OsString;
use std::path::PathBuf;

pub const HELP: &str = "\
upstream-doctor: find out why nginx answers 502 Bad Gateway / 504 Gateway Timeout

Usage:
  upstream-doctor [OPTIONS] [FILE...]

Reads nginx error.log/access.log lines, `nginx -T` output, `ss -tlnp`,
`systemctl status`, backend logs... from the FILEs (plain or gzip-compressed),
or from standard input when no FILE is given or a FILE is `-`. Several FILEs
are one case, read in order as if pasted together.

Options:
      --json           print the report as one JSON document (version 1)
      --no-color       no colours (also: NO_COLOR set, or output not a terminal)
      --share-link     after the report, print a link to it as the last line;
                       addresses, host names, users and tokens are replaced
                       (redacted) and the paste itself is not included
      --base-url URL   the web app the link opens (default: the environment
                       variable UPSTREAM_DOCTOR_URL, else
                       https://upstream-doctor.example/, a placeholder)
      --open LINK      print the report a share link carries (the whole link
                       or just the part from `#v2.`); with --json, as JSON
      --markdown       print the report as Markdown, for a ticket or a forum
                       post: redacted like a share link (with --share-link,
                       the link goes at the end); the web app's \"Copy as
                       Markdown\" gives the same text
      --no-redact      with --markdown: keep addresses and names as they are
      --explain CAUSE  print the help page of a cause (an id such as
                       socket_permission, or a message fragment such as
                       'prematurely closed')
      --list-causes    list every cause id with its title
      --collector      print the read-only shell snippet that gathers
                       everything worth pasting (run it on the server)
  -h, --help           print this help
  -V, --version        print the version

Examples:
  sudo tail -n 500 /var/log/nginx/error.log | upstream-doctor
  upstream-doctor /var/log/nginx/error.log.1 /var/log/nginx/error.log.2.gz
  { sudo nginx -T; sudo ss -tlnp; sudo tail -n 300 /var/log/nginx/error.log; } 2>&1 | upstream-doctor
  upstream-doctor --json error.log > report.json
  upstream-doctor --share-link error.log
  upstream-doctor --open 'https://upstream-doctor.example/#v2.eNq…'
  upstream-doctor --markdown error.log > diagnosis.md
  upstream-doctor --explain '(13: Permission denied)'
  upstream-doctor --collector > collect.sh && sudo sh collect.sh | upstream-doctor

Exit status: 0 a report was printed (with or without a cause found),
2 usage or input error (one line on standard error).

Nothing leaves this machine: the analysis runs locally, without network.
A share link carries the (redacted) report in the part after `#`, which
browsers never send to a server.
";

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    /// Read the inputs, diagnose, print the report.
    Diagnose(Options),
    /// Print the report a share link carries.
    Open(OpenOptions),
    /// Print a cause's help page (an id or a message fragment).
    Explain(String),
    /// List every cause.
    ListCauses,
    /// Print the collector snippet.
    Collector,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// In order; empty means standard input.
    pub inputs: Vec<Input>,
    pub format: Format,
    pub color: ColorChoice,
    /// Print a share link after the report.
    pub share: Option<ShareLink>,
    /// Redact the Markdown report (`--no-redact` turns it off).
    pub redact: bool,
}

/// `--share-link [--base-url URL]`
#[derive(Debug, PartialEq, Eq)]
pub struct ShareLink {
    /// `--base-url`; `None`: the environment or the default.
    pub base_url: Option<String>,
}

/// `--open LINK [--json]`
#[derive(Debug, PartialEq, Eq)]
pub struct OpenOptions {
    pub link: String,
    pub format: Format,
    pub color: ColorChoice,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// How error messages name this input.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "standard input".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// How the report is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The human report (headline, table, causes).
    Text,
    /// `Report::to_json()`, the contract in shared/contract.md.
    Json,
    /// `analyzer_core::markdown::report_markdown`.
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal and NO_COLOR is unset.
    Auto,
    Never,
}

/// A usage error, already phrased for the user.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

/// Parse the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut args = args.into_iter();
    let mut opts = Options {
        inputs: Vec::new(),
        format: Format::Text,
        color: ColorChoice::Auto,
        share: None,
        redact: true,
    };
    let mut share_link = false;
    let mut base_url: Option<String> = None;
    let mut open: Option<String> = None;
    let mut only_files = false;
    // Not a `for` loop: an option with a value takes it with `args.next()`.
    #[allow(clippy::while_let_on_iterator)]
    while let Some(arg) = args.next() {
        if only_files || arg == "-" || !arg.to_string_lossy().starts_with('-') {
            opts.inputs.push(if arg == "-" {
                Input::Stdin
            } else {
                Input::File(PathBuf::from(arg))
            });
            continue;
        }
        // `--base-url=URL` is `--base-url URL`.
        let (arg, mut inline) = match arg.to_str().and_then(|a| a.split_once('=')) {
            Some((f, v)) if f.starts_with("--") => (OsString::from(f), Some(v.to_string())),
            _ => (arg, None),
        };
        let Some(flag) = arg.to_str() else {
            return Err(UsageError(format!(
                "unknown option '{}' (see --help)",
                arg.to_string_lossy()
            )));
        };
        match flag {
            "--" => only_files = true,
            "--json" => opts.format = Format::Json,
            "--no-color" | "--no-colour" => opts.color = ColorChoice::Never,
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--share-link" => share_link = true,
            "--base-url" => base_url = Some(value(flag, inline.take(), &mut args)?),
            "--open" => open = Some(value(flag, inline.take(), &mut args)?),
            "--markdown" | "--md" => opts.format = Format::Markdown,
            "--no-redact" => opts.redact = false,
            "--explain" => return Ok(Command::Explain(value(flag, inline.take(), &mut args)?)),
            "--list-causes" => return Ok(Command::ListCauses),
            "--collector" => return Ok(Command::Collector),
            _ => return Err(UsageError(format!("unknown option '{flag}' (see --help)"))),
        }
        if inline.is_some() {
            return Err(UsageError(format!("option '{flag}' takes no value")));
        }
    }
    if let Some(url) = &base_url {
        if !share_link {
            return Err(UsageError(
                "--base-url goes with --share-link (see --help)".to_string(),
            ));
        }
        check_base_url(url)?;
    }
    if !opts.redact && opts.format != Format::Markdown {
        return Err(UsageError(
            "--no-redact goes with --markdown (share links are always redacted)".to_string(),
        ));
    }
    if let Some(link) = open {
        if share_link {
            return Err(UsageError(
                "--open and --share-link cannot be used together".to_string(),
            ));
        }
        if !opts.inputs.is_empty() {
            return Err(UsageError(
                "--open reads the report from the link: give no FILE".to_string(),
            ));
        }
        return Ok(Command::Open(OpenOptions {
            link,
            format: opts.format,
            color: opts.color,
        }));
    }
    if share_link {
        opts.share = Some(ShareLink { base_url });
    }
    Ok(Command::Diagnose(opts))
}

/// The value of an option: after `=`, or the next argument.
fn value(
    flag: &str,
    inline: Option<String>,
    args: &mut impl Iterator<Item = OsString>,
) -> Result<String, UsageError> {
    if let Some(v) = inline {
        return Ok(v);
    }
    match args.next() {
        Some(v) => v
            .into_string()
            .map_err(|_| UsageError(format!("the value of {flag} is not valid UTF-8"))),
        None => Err(UsageError(format!("{flag} needs a value (see --help)"))),
    }
}

/// A base URL must be a web address the link can be appended to.
pub fn check_base_url(url: &str) -> Result<(), UsageError> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.contains(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(UsageError(format!(
            "--base-url '{url}' is not a web address (it should start with https://)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(args: &[&str], expected: Result<Command, &str>) {
        let got = parse(args.iter().map(OsString::from));
        let expected = expected.map_err(|e| UsageError(e.to_string()));
        assert_eq!(got, expected, "args: {args:?}");
    }

    fn diagnose(
        inputs: Vec<Input>,
        format: Format,
        color: ColorChoice,
    ) -> Result<Command, &'static str> {
        Ok(Command::Diagnose(Options {
            inputs,
            format,
            color,
            share: None,
            redact: true,
        }))
    }

    fn file(p: &str) -> Input {
        Input::File(PathBuf::from(p))
    }

    #[test]
    fn parses() {
        use ColorChoice::*;
        use Format::*;
        check(&[], diagnose(vec![], Text, Auto));
        check(&["a.log"], diagnose(vec![file("a.log")], Text, Auto));
        check(&["-"], diagnose(vec![Input::Stdin], Text, Auto));
        check(
            &["--json", "a", "-", "b.gz"],
            diagnose(vec![file("a"), Input::Stdin, file("b.gz")], Json, Auto),
        );
        check(&["a", "--no-color"], diagnose(vec![file("a")], Text, Never));
        check(
            &["--", "--json", "-"],
            diagnose(vec![file("--json"), Input::Stdin], Text, Auto),
        );
        check(&["--help", "--bogus"], Ok(Command::Help));
        check(&["-V"], Ok(Command::Version));
        check(&["--bogus"], Err("unknown option '--bogus' (see --help)"));
        check(&["-x", "a"], Err("unknown option '-x' (see --help)"));
    }

    #[test]
    fn share_options() {
        let share = |base_url: Option<&str>| {
            Ok(Command::Diagnose(Options {
                inputs: vec![file("a")],
                format: Format::Text,
                color: ColorChoice::Auto,
                share: Some(ShareLink {
                    base_url: base_url.map(str::to_string),
                }),
                redact: true,
            }))
        };
        check(&["--share-link", "a"], share(None));
        check(
            &["a", "--share-link", "--base-url", "https://d.example/x/"],
            share(Some("https://d.example/x/")),
        );
        check(
            &["--share-link", "--base-url=https://d.example/", "a"],
            share(Some("https://d.example/")),
        );
        check(
            &["--share-link", "--base-url", "d.example", "a"],
            Err("--base-url 'd.example' is not a web address (it should start with https://)"),
        );
        check(
            &["--base-url", "https://d.example/", "a"],
            Err("--base-url goes with --share-link (see --help)"),
        );
        check(
            &["--share-link", "--base-url"],
            Err("--base-url needs a value (see --help)"),
        );
        let open = |link: &str, format| {
            Ok(Command::Open(OpenOptions {
                link: link.to_string(),
                format,
                color: ColorChoice::Auto,
            }))
        };
        check(&["--open", "#v1.abc"], open("#v1.abc", Format::Text));
        check(&["--json", "--open=#v1.a=b"], open("#v1.a=b", Format::Json));
        check(
            &["--open", "#v1.abc", "a.log"],
            Err("--open reads the report from the link: give no FILE"),
        );
        check(
            &["--open", "#v1.abc", "--share-link"],
            Err("--open and --share-link cannot be used together"),
        );
        check(&["--open"], Err("--open needs a value (see --help)"));
        check(&["--json=yes"], Err("option '--json' takes no value"));
    }

    #[test]
    fn other_modes() {
        check(
            &["--explain", "socket_permission"],
            Ok(Command::Explain("socket_permission".into())),
        );
        check(
            &["--explain=(13: Permission denied)"],
            Ok(Command::Explain("(13: Permission denied)".into())),
        );
        check(&["--explain"], Err("--explain needs a value (see --help)"));
        check(&["--collector"], Ok(Command::Collector));
        check(&["--list-causes"], Ok(Command::ListCauses));
        check(
            &["--markdown", "a"],
            diagnose(vec![file("a")], Format::Markdown, ColorChoice::Auto),
        );
        check(
            &["--markdown", "--no-redact", "a"],
            Ok(Command::Diagnose(Options {
                inputs: vec![file("a")],
                format: Format::Markdown,
                color: ColorChoice::Auto,
                share: None,
                redact: false,
            })),
        );
        check(
            &["--no-redact", "a"],
            Err("--no-redact goes with --markdown (share links are always redacted)"),
        );
    }
}
