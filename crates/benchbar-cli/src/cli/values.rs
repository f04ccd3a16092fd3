//! The value parsers of `benchbar`'s arguments: a bad number is refused with one line that
//! states the bound (clap prints it after the argument's name).

use std::path::PathBuf;

/// A whole number for counts, sizes and seeds: a negative number or a non-number is refused
/// here, naming the lower bound `MIN`; a value from 0 up is passed on, so that the run
/// specification's own checks (e.g. "reps must be at least 1") keep their messages.
pub(super) fn count<T, const MIN: u64>(s: &str) -> Result<T, String>
where
    T: TryFrom<u64>,
{
    let n = match s.trim().parse::<i128>() {
        Ok(n) if n >= 0 => u64::try_from(n).map_err(|_| "is too large".to_string())?,
        _ => return Err(format!("must be a whole number, at least {MIN}")),
    };
    T::try_from(n).map_err(|_| "is too large".to_string())
}

/// `-r`: a number of measured repetitions, or `auto` (adaptive: until precise enough).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reps {
    /// `-r N`.
    Count(u32),
    /// `-r auto`.
    Auto,
}

pub(super) fn reps(s: &str) -> Result<Reps, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(Reps::Auto);
    }
    count::<u32, 1>(s)
        .map(Reps::Count)
        .map_err(|_| "must be a whole number (1 to 1000) or auto".into())
}

/// A percentage, `2%` or `2` (checked with the run specification: more than 0).
pub(super) fn percent(s: &str) -> Result<f64, String> {
    finite(s.trim().trim_end_matches('%')).map_err(|_| "must be a percentage, e.g. 2%".into())
}

/// A duration, `120s`, `2m`, `500ms` or a number of seconds; more than 0. Milliseconds.
pub(super) fn duration_ms(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("must be a duration above 0, e.g. 120s or 2m (got '{t}')");
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1e3)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60e3)
    } else {
        (t, 1e3)
    };
    match num.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x * scale >= 1.0 => Ok((x * scale).round() as u64),
        _ => Err(bad()),
    }
}

/// A batch size: refused here when negative or not a number; the range (1 to
/// [`benchbar_core::spec::MAX_BATCH_SIZE`]) is checked with the run specification.
pub(super) fn batch_size(s: &str) -> Result<u32, String> {
    let max = benchbar_core::spec::MAX_BATCH_SIZE;
    count::<u32, 1>(s).map_err(|_| format!("must be a whole number from 1 to {max}"))
}

/// A concurrency level: refused here when negative or not a number; the range (1 to
/// [`benchbar_core::load::MAX_CONCURRENCY`]), an empty list and duplicates are checked with
/// the run specification.
pub(super) fn level(s: &str) -> Result<u32, String> {
    let max = benchbar_core::load::MAX_CONCURRENCY;
    count::<u32, 1>(s).map_err(|_| format!("must be a whole number from 1 to {max}"))
}

/// A context depth: refused here when negative or not a number; the range, an empty list and
/// duplicates are checked with the run specification.
pub(super) fn depth(s: &str) -> Result<u32, String> {
    let max = benchbar_core::depth::MAX_DEPTH_TOKENS;
    count::<u32, 0>(s).map_err(|_| format!("must be a whole number of tokens from 0 to {max}"))
}

pub(super) fn finite(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err("must be a number".into()),
    }
}

/// A number greater than 0 (timeouts, rates).
pub(super) fn positive_f64(s: &str) -> Result<f64, String> {
    let x = finite(s)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err("must be greater than 0".into())
    }
}

/// A sampling temperature: 0 or more.
pub(super) fn temperature(s: &str) -> Result<f32, String> {
    let x = finite(s)?;
    if x >= 0.0 {
        Ok(x as f32)
    } else {
        Err("must be 0 (greedy) or more".into())
    }
}

/// A nucleus sampling mass: more than 0, at most 1.
pub(super) fn top_p(s: &str) -> Result<f32, String> {
    let x = finite(s)?;
    if x > 0.0 && x <= 1.0 {
        Ok(x as f32)
    } else {
        Err("must be more than 0 and at most 1 (1 = off)".into())
    }
}

/// A path that is not empty.
pub(super) fn non_empty_path(s: &str) -> Result<PathBuf, String> {
    if s.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(PathBuf::from(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_parsers_state_their_bounds() {
        assert_eq!(count::<u32, 0>("0"), Ok(0));
        assert_eq!(
            count::<u32, 1>("-1"),
            Err("must be a whole number, at least 1".into())
        );
        assert!(count::<u32, 0>("4294967296").is_err());
        assert!(count::<u32, 0>("x").unwrap_err().contains("whole number"));
        assert_eq!(batch_size("64"), Ok(64));
        assert!(batch_size("-1").unwrap_err().contains("1 to 64"));
        assert!(batch_size("two").is_err());
        assert!(temperature("-1").is_err());
        assert!(temperature("NaN").is_err());
        assert_eq!(temperature("0.7"), Ok(0.7));
        assert!(top_p("2").is_err() && top_p("0").is_err());
        assert_eq!(top_p("1"), Ok(1.0));
        assert!(positive_f64("0").is_err() && positive_f64("inf").is_err());
    }
}
