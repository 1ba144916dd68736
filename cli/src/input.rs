//! Reading the inputs into the analyzer, in bounded chunks.
//!
//! Files and standard input are streamed, never read whole: a 2 GB log costs
//! one [`CHUNK`] of memory here. gzip is recognised by its magic bytes, not
//! by the file name, so `error.log.2.gz` renamed to `old.log` still works and
//! a plain file called `x.gz` is read as text. Several inputs are one case:
//! line numbers continue from one input to the next, and an input that does
//! not end with a newline gets one, so its last line never merges with the
//! next input's first line.

use crate::args::Input;
use analyzer_core::Analyzer;
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, ErrorKind, IsTerminal, Read};

/// Bytes handed to [`Analyzer::feed`] at a time. Reads of 128 KiB or less
/// cost the kernel a third of what larger ones do (measured on a 1 GB log:
/// 0.19 s of system time with 128 KiB, 0.6 s with 160 KiB to 1 MiB, the
/// copy into a buffer that no longer fits the cache being the difference).
pub const CHUNK: usize = 128 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An input that could not be read, phrased for the user.
#[derive(Debug)]
pub struct InputError(pub String);

/// Feeds inputs one after the other into one analyzer.
pub struct Feeder {
    analyzer: Analyzer,
    buf: Vec<u8>,
    /// The bytes fed so far end in the middle of a line.
    open_line: bool,
}

impl Default for Feeder {
    fn default() -> Self {
        Self::new()
    }
}

impl Feeder {
    pub fn new() -> Self {
        Feeder {
            analyzer: Analyzer::new(),
            buf: vec![0; CHUNK],
            open_line: false,
        }
    }

    /// Read one input to its end.
    pub fn read_input(&mut self, input: &Input) -> Result<(), InputError> {
        let name = input.name();
        match input {
            Input::Stdin => {
                let stdin = io::stdin();
                if stdin.is_terminal() {
                    eprintln!(
                        "upstream-doctor: reading standard input: paste the logs, then press Ctrl-D on a line of its own"
                    );
                }
                self.read_from(stdin.lock(), &name)
            }
            Input::File(path) => {
                let meta = std::fs::metadata(path).map_err(|e| open_error(&name, &e))?;
                if meta.is_dir() {
                    return Err(InputError(format!(
                        "{name}: is a directory (give the log files inside it)"
                    )));
                }
                let file = File::open(path).map_err(|e| open_error(&name, &e))?;
                self.read_from(file, &name)
            }
        }
    }

    /// Read `r` (plain or gzip) into the analyzer.
    pub fn read_from(&mut self, mut r: impl Read, name: &str) -> Result<(), InputError> {
        let mut head = [0u8; 2];
        let n = read_up_to(&mut r, &mut head).map_err(|e| read_error(name, &e))?;
        let head = &head[..n];
        let rest = io::Cursor::new(head.to_vec()).chain(r);
        if head == GZIP_MAGIC {
            self.pump(MultiGzDecoder::new(rest), name, true)
        } else {
            self.pump(rest, name, false)
        }
    }

    fn pump(&mut self, mut r: impl Read, name: &str, gz: bool) -> Result<(), InputError> {
        let mut first = true;
        loop {
            let n = read_up_to(&mut r, &mut self.buf).map_err(|e| {
                if gz {
                    InputError(format!("{name}: not a valid gzip file ({e})"))
                } else {
                    read_error(name, &e)
                }
            })?;
            if n == 0 {
                return Ok(());
            }
            if first && self.open_line {
                // The previous input ended mid-line: end that line first.
                self.analyzer.feed(b"\n");
            }
            first = false;
            let chunk = &self.buf[..n];
            self.open_line = chunk.last() != Some(&b'\n');
            self.analyzer.feed(chunk);
        }
    }

    pub fn finish(self) -> analyzer_core::Report {
        self.analyzer.finish()
    }
}

/// Fill `buf` as far as the reader allows; the count is short only at the end.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn open_error(name: &str, e: &io::Error) -> InputError {
    InputError(match e.kind() {
        ErrorKind::NotFound => format!("{name}: no such file"),
        ErrorKind::PermissionDenied => {
            format!(
                "{name}: permission denied (try with sudo, or copy the file somewhere readable)"
            )
        }
        _ => format!("{name}: cannot open: {}", plain(e)),
    })
}

fn read_error(name: &str, e: &io::Error) -> InputError {
    if e.raw_os_error() == Some(21) {
        // EISDIR, when the directory check was raced or the input is odd.
        return InputError(format!("{name}: is a directory"));
    }
    InputError(format!("{name}: cannot read: {}", plain(e)))
}

/// The OS message without Rust's ` (os error N)` suffix.
fn plain(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn lines_of(parts: &[&[u8]]) -> u64 {
        let mut f = Feeder::new();
        for p in parts {
            f.read_from(*p, "test").expect("readable");
        }
        f.finish().stats.lines
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    #[test]
    fn inputs_join_without_merging_lines() {
        assert_eq!(lines_of(&[b"a\nb\n", b"c\n"]), 3);
        assert_eq!(lines_of(&[b"a\nb", b"c\n"]), 3);
        assert_eq!(lines_of(&[b"a\nb", b"c"]), 3);
        assert_eq!(lines_of(&[b"a", b"", b"c"]), 2);
        assert_eq!(lines_of(&[b"", b""]), 0);
    }

    #[test]
    fn gzip_is_recognised_by_magic_bytes() {
        let packed = gz(b"one\ntwo");
        assert_eq!(lines_of(&[&packed, b"three\n"]), 3);
        // Two gzip members back to back (as `cat a.gz b.gz` makes) are one stream.
        let mut two = gz(b"one\n");
        two.extend_from_slice(&gz(b"two\n"));
        assert_eq!(lines_of(&[&two]), 2);
        // One byte is too short to be gzip: plain text.
        assert_eq!(lines_of(&[&[0x1f]]), 1);
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut packed = gz(b"hello world, hello world, hello world\n");
        let mid = packed.len() / 2;
        packed[mid] ^= 0xff;
        packed.truncate(packed.len() - 4);
        let mut f = Feeder::new();
        let err = f.read_from(&packed[..], "x.gz").expect_err("corrupt");
        assert!(
            err.0.starts_with("x.gz: not a valid gzip file"),
            "{}",
            err.0
        );
    }
}
