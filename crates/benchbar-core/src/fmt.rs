//! Number formatting shared by the text exporters, the reports and the app (pure).

/// A number with a precision suited to its size (1 decimal from 100, 2 from 1, else 3).
pub fn num(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// Bytes as MB or GB (10^6 / 10^9, as the seed's matrix counts them).
pub fn bytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

/// A number or `-`.
pub fn opt(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map_or_else(|| "-".into(), f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_follows_magnitude() {
        assert_eq!(num(123.456), "123.5");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(0.12345), "0.123");
        assert_eq!(bytes(2.5e9), "2.50 GB");
        assert_eq!(bytes(3.2e7), "32.0 MB");
        assert_eq!(opt(None, num), "-");
    }
}
