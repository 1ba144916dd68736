//! Small pure formatting helpers for the view (sizes, rates, marks).

use analyzer_core::num::fixed;
use analyzer_core::report::ArtifactInfo;

/// `1536` → `1.5 KB`.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = n.max(0.0);
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    let decimals = if u > 0 && v < 10.0 { 1 } else { 0 };
    format!("{} {}", fixed(v, decimals), UNITS[u])
}

/// Throughput in MB/s, or `None` before there is anything to measure.
pub fn mb_per_s(bytes: f64, elapsed_ms: f64) -> Option<f64> {
    (elapsed_ms > 0.0 && bytes > 0.0).then(|| bytes / (1024.0 * 1024.0) / (elapsed_ms / 1000.0))
}

/// Seconds left at the current rate, or `None` when unknown.
pub fn eta_s(bytes: f64, total: f64, elapsed_ms: f64) -> Option<f64> {
    if total <= 0.0 || bytes <= 0.0 || elapsed_ms <= 0.0 || bytes > total {
        return None;
    }
    let rate = bytes / elapsed_ms;
    Some((total - bytes) / rate / 1000.0)
}

/// `75.4` → `1 min 15 s`.
pub fn duration(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// `0.934` → `93%`.
pub fn percent(c: f64) -> String {
    format!("{}%", fixed(c.clamp(0.0, 1.0) * 100.0, 0))
}

/// `nginx error.log, 12 lines`.
pub fn artifact_chip(a: &ArtifactInfo) -> String {
    let n = a.lines;
    format!("{}, {} line{}", a.label, n, if n == 1 { "" } else { "s" })
}

/// Split `text` into (before, marked, after) at the byte range `mark`,
/// or `None` when the range is not a valid char-boundary range of `text`.
pub fn split_mark(text: &str, mark: Option<(usize, usize)>) -> Option<(&str, &str, &str)> {
    let (a, b) = mark?;
    if a >= b {
        return None;
    }
    Some((text.get(..a)?, text.get(a..b)?, text.get(b..)?))
}

/// A confidence level in words, for the badge next to the number.
pub fn confidence_word(c: f64) -> &'static str {
    if c >= 0.8 {
        "high"
    } else if c >= 0.5 {
        "medium"
    } else {
        "low"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (n, want) in [
            (0.0, "0 B"),
            (1023.0, "1023 B"),
            (1536.0, "1.5 KB"),
            (10.0 * 1024.0 * 1024.0, "10 MB"),
            (3.0 * 1024.0 * 1024.0 * 1024.0, "3.0 GB"),
        ] {
            assert_eq!(bytes(n), want, "{n}");
        }
    }

    #[test]
    fn rates_and_eta() {
        assert_eq!(mb_per_s(0.0, 10.0), None);
        assert_eq!(mb_per_s(1024.0 * 1024.0, 500.0), Some(2.0));
        assert_eq!(eta_s(50.0, 100.0, 1000.0), Some(1.0));
        assert_eq!(eta_s(50.0, 0.0, 1000.0), None);
        assert_eq!(duration(75.4), "1 min 15 s");
        assert_eq!(duration(3.0), "3 s");
    }

    #[test]
    fn marks() {
        let t = "abc→def";
        assert_eq!(split_mark(t, Some((1, 3))), Some(("a", "bc", "→def")));
        assert_eq!(split_mark(t, Some((3, 5))), None, "inside a char");
        assert_eq!(split_mark(t, Some((3, 99))), None);
        assert_eq!(split_mark(t, None), None);
        assert_eq!(split_mark(t, Some((2, 2))), None);
    }

    #[test]
    fn words() {
        assert_eq!(percent(0.934), "93%");
        assert_eq!(confidence_word(0.9), "high");
        assert_eq!(confidence_word(0.6), "medium");
        assert_eq!(confidence_word(0.1), "low");
    }
}
