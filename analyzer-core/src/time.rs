//! Timestamps as the logs write them, turned into naive seconds since 1970.
//!
//! No clock, no time zones: logs carry local time without a zone (nginx) or
//! with one we keep as written. Seconds are only compared within a paste
//! (first/last seen, per-minute buckets), so a naive civil time is enough.

use crate::text::month_index;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
/// algorithm, public domain arithmetic).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) for days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n = 0u32;
    for &b in s {
        n = n * 10 + (b - b'0') as u32;
    }
    Some(n)
}

fn hms(b: &[u8]) -> Option<i64> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = num(&b[0..2])?;
    let mi = num(&b[3..5])?;
    let s = num(&b[6..8])?;
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some((h * 3600 + mi * 60 + s) as i64)
}

fn civil(y: u32, m: u32, d: u32, secs: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y as i64, m, d) * 86_400 + secs)
}

/// nginx error.log: `2024/01/15 10:23:45` (19 bytes at the start).
pub fn parse_nginx(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' {
        return None;
    }
    civil(
        num(&b[0..4])?,
        num(&b[5..7])?,
        num(&b[8..10])?,
        hms(&b[11..19])?,
    )
}

/// [`parse_nginx`] remembering the last date: the lines of a log share
/// their date, so only the time of day is read again (the same result, the
/// day's arithmetic done once a day instead of once a line).
///
/// The minute is remembered too: lines come many to a minute, so usually
/// the first 16 bytes (`YYYY/MM/DD HH:MM`) are the last stamp's and only
/// the seconds are read.
#[derive(Default)]
pub struct NginxClock {
    /// `YYYY/MM/DD ` of the last stamp that parsed, and its midnight.
    date: [u8; 11],
    midnight: Option<i64>,
    /// `YYYY/MM/DD HH:MM` of the last stamp that parsed, and that minute.
    minute_stamp: [u8; 16],
    minute: Option<i64>,
}

impl NginxClock {
    #[inline]
    pub fn parse(&mut self, s: &str) -> Option<i64> {
        let b = s.as_bytes();
        if let (Some(m), Some(stamp)) = (self.minute, b.get(..19)) {
            // Word compares: a slice compare is a byte-by-byte `memcmp` in WebAssembly.
            if crate::text::has_prefix(stamp, &self.minute_stamp) {
                // `hms` on `HH:MM:SS` with `HH:MM` known good.
                let (c, s1, s2) = (stamp[16], stamp[17], stamp[18]);
                if c != b':' || !s1.is_ascii_digit() || !s2.is_ascii_digit() {
                    return None;
                }
                let sec = i64::from(s1 - b'0') * 10 + i64::from(s2 - b'0');
                return (sec <= 60).then_some(m + sec);
            }
        }
        let t = self.parse_new_minute(s)?;
        self.minute_stamp.copy_from_slice(&b[..16]);
        self.minute = Some(t - i64::from(b[17] - b'0') * 10 - i64::from(b[18] - b'0'));
        Some(t)
    }

    /// [`Self::parse`] for a stamp of another minute than the last.
    fn parse_new_minute(&mut self, s: &str) -> Option<i64> {
        let b = s.as_bytes();
        if let Some(m) = self.midnight {
            if b.len() >= 19 && crate::text::has_prefix(b, &self.date) {
                return Some(m + hms(&b[11..19])?);
            }
        }
        let t = parse_nginx(s)?;
        self.date.copy_from_slice(&b[..11]);
        self.midnight = Some(t - hms(&b[11..19])?);
        Some(t)
    }
}

/// Access log `15/Jan/2024:10:23:45` (zone ignored).
pub fn parse_clf(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let m = month_index(s.get(3..6)?)?;
    civil(num(&b[7..11])?, m, num(&b[0..2])?, hms(&b[12..20])?)
}

/// PHP-FPM `15-Jan-2024 10:23:45`.
pub fn parse_fpm(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[2] != b'-' || b[6] != b'-' || b[11] != b' ' {
        return None;
    }
    let m = month_index(s.get(3..6)?)?;
    civil(num(&b[7..11])?, m, num(&b[0..2])?, hms(&b[12..20])?)
}

/// ISO-like `2024-01-15 10:23:45` or `2024-01-15T10:23:45` (gunicorn, kubectl, Python logging).
pub fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') {
        return None;
    }
    civil(
        num(&b[0..4])?,
        num(&b[5..7])?,
        num(&b[8..10])?,
        hms(&b[11..19])?,
    )
}

/// `HH:MM` for a minute number (seconds/60), for display.
pub fn format_minute(minute: i64) -> String {
    let secs = minute * 60;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// `YYYY-MM-DD HH:MM:SS` for naive seconds.
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_agree() {
        let t = parse_nginx("2024/01/15 10:23:45").unwrap();
        assert_eq!(t, 1_705_314_225);
        assert_eq!(parse_clf("15/Jan/2024:10:23:45 +0000"), Some(t));
        assert_eq!(parse_fpm("15-Jan-2024 10:23:45"), Some(t));
        assert_eq!(parse_iso("2024-01-15 10:23:45 +0000"), Some(t));
        assert_eq!(format_time(t), "2024-01-15 10:23:45");
        assert_eq!(format_minute(t / 60), "2024-01-15 10:23");
    }

    #[test]
    fn rejects_nonsense() {
        assert_eq!(parse_nginx("2024/13/15 10:23:45"), None);
        assert_eq!(parse_nginx("2024/01/15 25:23:45"), None);
        assert_eq!(parse_nginx("short"), None);
        assert_eq!(parse_clf("15/Foo/2024:10:23:45"), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 19_737, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn clock_reads_stamps_as_parse_nginx_does() {
        let stamps = [
            "2024/01/15 10:23:45",
            "2024/01/15 10:23:46",
            "2024/01/15 10:23:61",
            "2024/01/15 10:23:4x",
            "2024/01/15 10:23x45",
            "2024/01/15 10:23:60",
            "2024/01/15 10:23:00",
            "2024/01/15 10:23:",
            "2024/01/15 23:59:60",
            "2024/01/15 00:00:00",
            "2024/01/15 24:00:00",
            "2024/01/15 1x:00:00",
            "2024/01/16 00:00:01",
            "2024/13/15 10:23:45",
            "2024/02/31 10:23:45",
            "2024/01/15x10:23:45",
            "1969/12/31 23:59:59",
            "2024/01/1",
        ];
        let mut clock = NginxClock::default();
        for round in 0..3 {
            for (i, s) in stamps.iter().enumerate() {
                let s = stamps[(i * (round + 1)) % stamps.len()].min(s);
                assert_eq!(clock.parse(s), parse_nginx(s), "{s}");
            }
        }
    }
}
