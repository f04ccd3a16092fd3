//! Durations written as people write them: `90s`, `30m`, `1h`, `1h30m`, `2d`.

use std::time::Duration;

use crate::{Error, Result};

/// The shortest monitoring interval: a sample every minute at most.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// The default retention window of monitoring samples.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Parses `<number><unit>` groups (units `s`, `m`, `h`, `d`), e.g. `90s`, `30m`, `1h30m`.
/// `what` names the option in the error (e.g. `--every`).
pub fn parse_duration(text: &str, what: &str) -> Result<Duration> {
    let bad = || {
        Error::Invalid(format!(
            "{what} '{text}': expected a duration such as 90s, 30m, 1h or 1h30m"
        ))
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total_s: u64 = 0;
    let mut digits = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit_s: u64 = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total_s = n
            .checked_mul(unit_s)
            .and_then(|x| total_s.checked_add(x))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total_s))
}

/// Parses a monitoring interval: a duration of at least [`MIN_INTERVAL`].
pub fn parse_interval(text: &str) -> Result<Duration> {
    let d = parse_duration(text, "--every")?;
    check_interval(d)?;
    Ok(d)
}

/// Refuses an interval below [`MIN_INTERVAL`].
pub fn check_interval(d: Duration) -> Result<()> {
    if d < MIN_INTERVAL {
        return Err(Error::Invalid(format!(
            "monitoring interval {} is below the minimum of one minute",
            human(d)
        )));
    }
    Ok(())
}

/// Parses a retention window: a positive duration.
pub fn parse_retention(text: &str) -> Result<Duration> {
    let d = parse_duration(text, "--retention")?;
    if d.is_zero() {
        return Err(Error::Invalid(format!(
            "--retention '{text}': the window must be longer than zero"
        )));
    }
    Ok(d)
}

/// Writes a duration back in the same notation (`1h30m`, `90s` as `1m30s`).
pub fn human(d: Duration) -> String {
    let mut s = d.as_secs();
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if s >= size {
            out.push_str(&format!("{}{unit}", s / size));
            s %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_notations() {
        let secs = |t: &str| parse_duration(t, "x").unwrap().as_secs();
        assert_eq!(secs("90s"), 90);
        assert_eq!(secs("30m"), 30 * 60);
        assert_eq!(secs("1h"), 3600);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("2d"), 2 * 86_400);
        assert_eq!(human(Duration::from_secs(5400)), "1h30m");
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
    }

    #[test]
    fn refuses_garbage_and_short_intervals_with_one_line() {
        for bad in ["", "30", "m", "10x", "1.5h", "-5m", "h1"] {
            let e = parse_interval(bad).unwrap_err().to_string();
            assert!(e.contains("expected a duration"), "{bad}: {e}");
            assert!(!e.contains('\n'));
        }
        for short in ["59s", "0m", "30s"] {
            let e = parse_interval(short).unwrap_err().to_string();
            assert!(
                e.contains("below the minimum of one minute"),
                "{short}: {e}"
            );
        }
        assert_eq!(parse_interval("60s").unwrap(), MIN_INTERVAL);
        assert!(parse_retention("0h").is_err());
    }
}
