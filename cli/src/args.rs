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
      --json       print the report as one JSON document (version 1)
      --no-color   no colours (also: NO_COLOR set, or output not a terminal)
  -h, --help       print this help
  -V, --version    print the version

Examples:
  sudo tail -n 500 /var/log/nginx/error.log | upstream-doctor
  upstream-doctor /var/log/nginx/error.log.1 /var/log/nginx/error.log.2.gz
  { sudo nginx -T; sudo ss -tlnp; sudo tail -n 300 /var/log/nginx/error.log; } 2>&1 | upstream-doctor
  upstream-doctor --json error.log > report.json

Exit status: 0 a report was printed (with or without a cause found),
2 usage or input error (one line on standard error).

Nothing leaves this machine: the analysis runs locally, without network.
";

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    /// Read the inputs, diagnose, print the report.
    Diagnose(Options),
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// In order; empty means standard input.
    pub inputs: Vec<Input>,
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
    };
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
            _ => return Err(UsageError(format!("unknown option '{flag}' (see --help)"))),
        }
    }
    Ok(Command::Diagnose(opts))
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
}
