//! The floor under any diagnosis of a log on this machine: read the file
//! in the CLI's chunks, split it into lines, and for each line do the least
//! a diagnosis must (an error.log line: its minute and a hash of its message
//! head and upstream, counted per shape; an access.log line: its status,
//! counted). No clean-up, no samples, no report.
//!
//! Why: issue 12 asks for a full diagnosis within 2x of `grep -c`. This
//! says how much of the gap is the work itself: on a file where grep runs
//! at 2 GB/s, this skeleton runs at about 1 GB/s, so a full diagnosis
//! within 2x of grep would have to cost no more than the skeleton.
//! `bench/bench.sh` prints its rate beside the doctor's and grep's.
//!
//! ```sh
//! cargo run --release -p analyzer-core --example scan_floor -- FILE
//! ```

use std::collections::HashMap;
use std::io::Read;

/// The CLI's read size (`cli/src/input.rs`).
const CHUNK: usize = 128 * 1024;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: scan_floor FILE");
        std::process::exit(2);
    };
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("scan_floor: {path}: {e}");
            std::process::exit(1);
        }
    };
    let mut floor = Floor::default();
    let mut buf = vec![0u8; CHUNK];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                eprintln!("scan_floor: {path}: {e}");
                std::process::exit(1);
            }
        };
        let mut rest = &buf[..n];
        if !carry.is_empty() {
            let Some(i) = memchr::memchr(b'\n', rest) else {
                carry.extend_from_slice(rest);
                continue;
            };
            carry.extend_from_slice(&rest[..i]);
            floor.line(&carry);
            carry.clear();
            rest = &rest[i + 1..];
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', rest) {
            floor.line(&rest[start..end]);
            start = end + 1;
        }
        carry.extend_from_slice(&rest[start..]);
    }
    if !carry.is_empty() {
        floor.line(&carry);
    }
    println!(
        "{} lines, {} error.log shapes, {} access.log lines",
        floor.lines,
        floor.shapes.len(),
        floor.statuses.iter().sum::<u64>()
    );
}

struct Floor {
    client: memchr::memmem::Finder<'static>,
    upstream: memchr::memmem::FinderRev<'static>,
    lines: u64,
    /// Shape hash -> (count, last minute).
    shapes: HashMap<u64, (u64, u32)>,
    statuses: Vec<u64>,
}

impl Default for Floor {
    fn default() -> Self {
        Floor {
            client: memchr::memmem::Finder::new(b", client: "),
            upstream: memchr::memmem::FinderRev::new(b", upstream: \""),
            lines: 0,
            shapes: HashMap::new(),
            statuses: Vec::new(),
        }
    }
}

impl Floor {
    fn line(&mut self, b: &[u8]) {
        self.lines += 1;
        if b.len() > 28 && b[4] == b'/' && b[20] == b'[' {
            // `2024/01/15 10:23:45 [error] 1#1: *2 message, client: …`
            let minute = u32::from(b[14]) * 10 + u32::from(b[15]);
            let msg = &b[28..];
            let msg = after_space(msg);
            let msg = if msg.first() == Some(&b'*') {
                after_space(msg)
            } else {
                msg
            };
            let head = self.client.find(msg).unwrap_or(msg.len());
            let upstream = self
                .upstream
                .rfind(msg)
                .map(|i| {
                    let u = &msg[i + 13..];
                    &u[..memchr::memchr(b'"', u).unwrap_or(u.len())]
                })
                .unwrap_or_default();
            let h = hash(&msg[..head]) ^ hash(upstream).rotate_left(17);
            let e = self.shapes.entry(h).or_default();
            e.0 += 1;
            e.1 = minute;
        } else if let Some(q) = memchr::memchr(b'"', b) {
            // `addr - - [stamp] "request" status …`
            let rest = &b[q + 1..];
            if let Some(q2) = memchr::memchr(b'"', rest) {
                if let Some(s) = rest.get(q2 + 2..q2 + 5) {
                    let code = s
                        .iter()
                        .fold(0usize, |n, &d| n * 10 + usize::from(d.wrapping_sub(b'0')));
                    if code < 1000 {
                        if self.statuses.len() <= code {
                            self.statuses.resize(code + 1, 0);
                        }
                        self.statuses[code] += 1;
                    }
                }
            }
        }
    }
}

fn after_space(b: &[u8]) -> &[u8] {
    memchr::memchr(b' ', b).map_or(b, |i| &b[i + 1..])
}

/// FNV-style, eight bytes a step.
fn hash(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        h = (h ^ u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))).wrapping_mul(0x100_0000_01b3);
    }
    for &c in words.remainder() {
        h = (h ^ u64::from(c)).wrapping_mul(0x100_0000_01b3);
    }
    h
}
