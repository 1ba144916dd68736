//! The fuzz targets without a fuzzer: every committed seed of
//! `fuzz/corpus/<target>/` through its target, every saved crash of
//! `tests/regressions/` through every target, and a bounded number of
//! mutations (bit flips, byte edits, splices) of the seeds. The target
//! bodies are `analyzer_core::fuzzing`, the same code the cargo-fuzz
//! binaries run, so this needs no nightly and CI runs it on every change.

use analyzer_core::fuzzing::{self, TARGETS};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// (target, seed) for every committed seed, read once.
fn seeds() -> &'static [(&'static str, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out = Vec::new();
        for (name, _) in TARGETS {
            for p in files(&corpus_dir(name)) {
                out.push((*name, std::fs::read(&p).expect("seed readable")));
            }
        }
        out
    })
}

#[test]
fn every_target_has_seeds() {
    for (name, _) in TARGETS {
        let n = files(&corpus_dir(name)).len();
        assert!(
            (3..=60).contains(&n),
            "fuzz/corpus/{name}: {n} seeds (a few dozen at most)"
        );
    }
}

#[test]
fn every_seed_through_its_target() {
    for (name, f) in TARGETS {
        for p in files(&corpus_dir(name)) {
            let data = std::fs::read(&p).expect("seed readable");
            let r = std::panic::catch_unwind(|| f(&data));
            assert!(r.is_ok(), "{name} panicked on {}", p.display());
        }
    }
}

#[test]
fn every_regression_through_every_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    for p in files(&dir) {
        let data = std::fs::read(&p).expect("regression readable");
        for (name, f) in TARGETS {
            let r = std::panic::catch_unwind(|| f(&data));
            assert!(r.is_ok(), "{name} panicked on {}", p.display());
        }
    }
}

/// One edit of a seed.
#[derive(Clone, Debug)]
enum Edit {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Delete(usize, usize),
    /// Insert a slice of another seed (index, start, len) at a position.
    Splice(usize, usize, usize, usize),
    /// Repeat a slice in place (position, len, times).
    Repeat(usize, usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(p, b)| Edit::FlipBit(p, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just(b'\n'),
                Just(b'{'),
                Just(b'}'),
                Just(b';'),
                Just(b'"'),
                Just(0u8),
                Just(0xffu8),
                any::<u8>()
            ]
        )
            .prop_map(|(p, b)| Edit::SetByte(p, b)),
        (any::<usize>(), 0usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), any::<usize>(), any::<usize>(), 0usize..512)
            .prop_map(|(s, a, n, p)| Edit::Splice(s, a, n, p)),
        (any::<usize>(), 1usize..32, 2u8..40).prop_map(|(p, n, t)| Edit::Repeat(p, n, t)),
    ]
}

fn apply(data: &mut Vec<u8>, e: &Edit) {
    let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
    match *e {
        Edit::FlipBit(p, b) if !data.is_empty() => {
            let i = p % data.len();
            data[i] ^= 1 << b;
        }
        Edit::SetByte(p, b) if !data.is_empty() => {
            let i = p % data.len();
            data[i] = b;
        }
        Edit::Delete(p, n) => {
            let i = at(p, data.len());
            let j = (i + n).min(data.len());
            data.drain(i..j);
        }
        Edit::Splice(s, a, n, p) => {
            let seeds = seeds();
            let other = &seeds[s % seeds.len()].1;
            let from = at(a, other.len());
            let to = (from + n % 512).min(other.len());
            let i = at(p, data.len());
            data.splice(i..i, other[from..to].iter().copied());
        }
        Edit::Repeat(p, n, t) => {
            let i = at(p, data.len());
            let j = (i + n).min(data.len());
            let piece = data[i..j].to_vec();
            for _ in 1..t {
                data.splice(j..j, piece.iter().copied());
            }
        }
        _ => {}
    }
}

proptest! {
    // Bounded: every case runs a whole pipeline (the share round trip
    // compresses twice), and debug builds are slow.
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_seeds_through_their_target(
        pick in any::<usize>(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let seeds = seeds();
        let (name, seed) = &seeds[pick % seeds.len()];
        let mut data = seed.clone();
        for e in &edits {
            apply(&mut data, e);
        }
        let f = fuzzing::target(name).expect("a target");
        f(&data);
    }

    #[test]
    fn mutated_seeds_through_every_target(
        pick in any::<usize>(),
        edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let seeds = seeds();
        let mut data = seeds[pick % seeds.len()].1.clone();
        for e in &edits {
            apply(&mut data, e);
        }
        for (_, f) in TARGETS {
            f(&data);
        }
    }
}
