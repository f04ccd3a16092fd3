//! Memory bandwidth of Apple chips, for the roofline: decode is memory-bound, every generated
//! token reads the model's weights once, so `decode tok/s × bytes read per token ÷ bandwidth`
//! is how close a run comes to the machine's limit.
//!
//! Numbers are Apple's published unified-memory bandwidth per chip (Apple Newsroom launch
//! announcements and the "Tech Specs" pages at support.apple.com/specs for the MacBook Pro,
//! Mac mini, Mac Studio and iMac of each generation), except plain M1, for which Apple gave no
//! figure: 68.25 GB/s is its LPDDR4X-4266 on a 128-bit bus (Apple's M2 announcement calls M2's
//! 100 GB/s "50 percent more than M1"). M1 68.25 GB/s, M1 Pro 200, M1 Max 400,
//! M1 Ultra 800; M2 100, M2 Pro 200, M2 Max 400, M2 Ultra 800; M3 100, M3 Pro 150, M3 Max 400
//! (the 16-core CPU / 40-core GPU part; the 14-core / 30-core part has 300), M3 Ultra 819;
//! M4 120, M4 Pro 273, M4 Max 546 (16-core CPU / 40-core GPU; the 14-core / 32-core part has
//! 410). The seed's M3 Max reference uses 400 GB/s. Where a chip name does not tell the bins
//! apart the larger part is assumed; the caller may override it (`benchbar report
//! --bandwidth-gbps`, `BENCHBAR_MEM_BANDWIDTH_GBPS`).
//!
//! Used by the report's roofline and by comparisons across machines (decode tok/s per GB/s).

use crate::report::MachineInfo;

/// Apple chips and their memory bandwidth in GB/s (10^9 bytes/s), most specific name first.
pub const APPLE_CHIPS_GBPS: [(&str, f64); 15] = [
    ("M1 Ultra", 800.0),
    ("M1 Max", 400.0),
    ("M1 Pro", 200.0),
    ("M1", 68.25),
    ("M2 Ultra", 800.0),
    ("M2 Max", 400.0),
    ("M2 Pro", 200.0),
    ("M2", 100.0),
    ("M3 Ultra", 819.0),
    ("M3 Max", 400.0),
    ("M3 Pro", 150.0),
    ("M3", 100.0),
    ("M4 Max", 546.0),
    ("M4 Pro", 273.0),
    ("M4", 120.0),
];

/// The bandwidth used and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Bandwidth {
    /// GB/s (10^9 bytes per second).
    pub gbps: f64,
    /// `override`, or the chip name matched in the built-in table.
    pub source: String,
}

/// Looks a chip name (e.g. `Apple M3 Max`) up in [`APPLE_CHIPS_GBPS`].
pub fn chip_bandwidth_gbps(chip: &str) -> Option<(&'static str, f64)> {
    let words: Vec<&str> = chip.split_whitespace().collect();
    APPLE_CHIPS_GBPS
        .iter()
        .find(|(name, _)| {
            let n: Vec<&str> = name.split_whitespace().collect();
            words.windows(n.len()).any(|w| w == n.as_slice())
                && (n.len() > 1 || !words.iter().any(|w| ["Pro", "Max", "Ultra"].contains(w)))
        })
        .map(|(name, gbps)| (*name, *gbps))
}

/// The bandwidth of a machine: `override_gbps` if given, else the built-in table by chip name
/// (or CPU brand); None when neither knows it.
pub fn machine_bandwidth(machine: &MachineInfo, override_gbps: Option<f64>) -> Option<Bandwidth> {
    if let Some(gbps) = override_gbps.filter(|g| g.is_finite() && *g > 0.0) {
        return Some(Bandwidth {
            gbps,
            source: "override".into(),
        });
    }
    let name = machine.chip.as_deref().unwrap_or(&machine.cpu);
    chip_bandwidth_gbps(name).map(|(chip, gbps)| Bandwidth {
        gbps,
        source: format!("Apple's published figure for the {chip}, not measured"),
    })
}

/// Parses a bandwidth in GB/s (a positive number).
pub fn parse_gbps(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|g| g.is_finite() && *g > 0.0)
        .ok_or_else(|| format!("memory bandwidth '{text}' is not a positive number of GB/s"))
}

/// Percent of the memory-bandwidth roofline reached: `decode_tps × bytes_per_token ÷
/// bandwidth`.
pub fn roofline_pct(decode_tps: f64, bytes_per_token: f64, bandwidth_gbps: f64) -> f64 {
    decode_tps * bytes_per_token / (bandwidth_gbps * 1e9) * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_most_specific_chip() {
        assert_eq!(chip_bandwidth_gbps("Apple M3 Max"), Some(("M3 Max", 400.0)));
        assert_eq!(chip_bandwidth_gbps("Apple M3"), Some(("M3", 100.0)));
        assert_eq!(
            chip_bandwidth_gbps("Apple M2 Ultra"),
            Some(("M2 Ultra", 800.0))
        );
        assert_eq!(chip_bandwidth_gbps("Apple M4 Pro"), Some(("M4 Pro", 273.0)));
        assert_eq!(chip_bandwidth_gbps("AMD EPYC 7B13"), None);
        // An M4 Ultra has no published number: unknown, not guessed.
        assert_eq!(chip_bandwidth_gbps("Apple M4 Ultra"), None);
    }

    #[test]
    fn override_wins_and_roofline_is_a_ratio() {
        let mut m = crate::testkit::synthetic_meta(None, "m", "v").machine;
        let table = machine_bandwidth(&m, None).unwrap();
        assert_eq!(
            table.source,
            "Apple's published figure for the M3 Max, not measured"
        );
        let o = machine_bandwidth(&m, Some(123.0)).unwrap();
        assert_eq!((o.gbps, o.source.as_str()), (123.0, "override"));
        m.chip = None;
        m.cpu = "Intel Xeon".into();
        assert_eq!(machine_bandwidth(&m, None), None);
        // 100 tok/s reading 2 GB per token = 200 GB/s, half of a 400 GB/s machine.
        assert_eq!(roofline_pct(100.0, 2e9, 400.0), 50.0);
        assert!(parse_gbps("fast").is_err());
        assert!(parse_gbps("-3").is_err());
    }
}
