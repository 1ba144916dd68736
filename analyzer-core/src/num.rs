//! Decimal numbers without the standard library's float machinery.
//!
//! `format!("{:.1}", x)` and `str::parse::<f64>` pull the general float
//! printing and parsing code (about 18 KB) into the web app's wasm, for
//! numbers that are only ever a confidence, a rate or a log's
//! `request_time`. These two helpers cover exactly those shapes.

/// `v` with `decimals` digits after the point, an exact half rounded to
/// even as `format!` does: `fixed(93.44, 0)` → `"93"`, `fixed(92.5, 0)` →
/// `"92"`, `fixed(1.25, 1)` → `"1.2"`. Not-a-number
/// prints `"0"`; values beyond ±1e15 are clamped (nothing shown here is that
/// large).
pub fn fixed(v: f64, decimals: u8) -> String {
    let decimals = decimals.min(6);
    let scale = 10u64.pow(decimals as u32);
    let v = if v.is_nan() {
        0.0
    } else {
        v.clamp(-1e15, 1e15)
    };
    let x = v.abs() * scale as f64;
    let mut scaled = x.round() as u64;
    if x.fract() == 0.5 && scaled % 2 == 1 {
        scaled -= 1;
    }
    let (int, frac) = (scaled / scale, scaled % scale);
    let mut out = String::new();
    if v < 0.0 && scaled != 0 {
        out.push('-');
    }
    out.push_str(&int.to_string());
    if decimals > 0 {
        out.push('.');
        let digits = frac.to_string();
        for _ in digits.len()..decimals as usize {
            out.push('0');
        }
        out.push_str(&digits);
    }
    out
}

/// Parse a plain decimal: optional `-`, digits, optional `.` and digits
/// (`0.503`, `12`, `.5`). Anything else (exponents, `inf`, `nan`, signs in
/// the middle, empty) is `None`: log fields with such values are not times.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    // The first `.`, found byte by byte: values are a few bytes long,
    // shorter than a character search takes to set up (this runs on every
    // timing of every 5xx access.log line).
    let (int, frac) = match body.bytes().position(|b| b == b'.') {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v = 0.0f64;
    for b in int.bytes() {
        v = v * 10.0 + f64::from(b - b'0');
    }
    let mut scale = 1.0f64;
    for b in frac.bytes().take(18) {
        scale /= 10.0;
        v += f64::from(b - b'0') * scale;
    }
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_rounds_like_format() {
        for (v, d, want) in [
            (93.44, 0, "93"),
            (93.5, 0, "94"),
            (92.5, 0, "92"),
            (0.0, 0, "0"),
            (1.25, 1, "1.2"),
            (1.35, 1, "1.4"),
            (1.04, 1, "1.0"),
            (10.0, 1, "10.0"),
            (4.56789, 2, "4.57"),
            (0.05, 2, "0.05"),
            (-2.5, 1, "-2.5"),
            (-0.001, 1, "0.0"),
            (f64::NAN, 1, "0.0"),
            (1024.0, 0, "1024"),
        ] {
            assert_eq!(fixed(v, d), want, "{v} with {d} decimals");
        }
    }

    #[test]
    fn fixed_agrees_with_std_on_a_grid() {
        // Whole-number precision agrees everywhere (the scaling is exact);
        // with decimals, away from halves that scaling made inexact.
        for i in 0..20_000u32 {
            let v = f64::from(i) * 0.0137;
            for d in 0..3u8 {
                let ours = fixed(v, d);
                let std = format!("{v:.*}", d as usize);
                let tie = (v * 10f64.powi(d as i32)).fract();
                if d == 0 || (tie - 0.5).abs() > 1e-6 {
                    assert_eq!(ours, std, "{v} with {d} decimals");
                }
            }
        }
    }

    #[test]
    fn parse_decimal_shapes() {
        assert_eq!(parse_decimal("0.503"), Some(0.503));
        assert_eq!(parse_decimal("12"), Some(12.0));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("7."), Some(7.0));
        assert_eq!(parse_decimal("-1.5"), Some(-1.5));
        for bad in [
            "", ".", "-", "1e3", "inf", "NaN", "1.2.3", "1,5", " 1", "+1", "--1",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parse_decimal_matches_std_closely() {
        for s in ["60.001", "0.000", "123.456", "3600", "0.1", "29.999"] {
            let want: f64 = s.parse().unwrap();
            let got = parse_decimal(s).unwrap();
            assert!((got - want).abs() < 1e-9, "{s}: {got} vs {want}");
        }
    }
}
