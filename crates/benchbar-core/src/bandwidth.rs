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

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::report::MachineInfo;

/// A machine's memory bandwidth as BenchBar measured it on the device MLX runs on
/// (`benchbar bandwidth`; benchbar-mlx's `bandwidth` module says how). GB/s are 10^9 bytes
/// per second.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasuredBandwidth {
    /// Read bandwidth, GB/s: the faster of a row reduction and a matrix-vector product over
    /// one large array, each the fastest of `reps` calls. The roofline's denominator: a
    /// decode step reads.
    pub read_gbps: f64,
    /// The row reduction's read bandwidth, GB/s.
    pub read_reduce_gbps: f64,
    /// The matrix-vector product's read bandwidth, GB/s.
    pub read_gemv_gbps: f64,
    /// Copy bandwidth, GB/s: bytes read plus bytes written by `x * 1`, fastest of `reps`.
    pub copy_gbps: f64,
    /// Bytes of the array read.
    pub array_bytes: u64,
    /// Timed calls per operation.
    pub reps: u32,
    /// The device, as the engine names it (`gpu (NVIDIA H100 80GB HBM3)`, `cpu`).
    pub device: String,
    /// The MLX version that measured it.
    pub mlx_version: String,
    /// When it was measured.
    pub measured_at: DateTime<Utc>,
}

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

/// The bandwidth a roofline divides by, and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Bandwidth {
    /// GB/s (10^9 bytes per second): the measured read bandwidth, the override, or the
    /// vendor's figure, in that order of preference below the override.
    pub gbps: f64,
    /// Where `gbps` came from, in words: `override`, the measurement (device, MLX version,
    /// date), or the vendor's figure for the chip.
    pub source: String,
    /// The measured copy bandwidth (read + write), shown beside a measured read figure.
    pub copy_gbps: Option<f64>,
    /// The vendor's published figure for the chip, shown beside a measured or overridden one.
    pub vendor_gbps: Option<f64>,
}

/// How close a run's single-request decode came to the memory-bandwidth roofline: the bytes a
/// decode step reads at the run's decode rate, against the machine's bandwidth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Roofline {
    /// Percent of `bandwidth_gbps` reached: `decode_tps × bytes_per_token ÷ bandwidth`.
    pub pct: f64,
    /// The same against the measured copy bandwidth (read + write), where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pct_of_copy: Option<f64>,
    /// The single-request decode rate, tokens/s (the target matrix's `single_batch_tps`).
    pub decode_tps: f64,
    /// Bytes one decode step reads (the weights; of a mixture of experts, the routed share).
    pub bytes_per_token: u64,
    /// The denominator, GB/s: the measured read bandwidth, an override or the vendor's figure.
    pub bandwidth_gbps: f64,
    /// The measured copy bandwidth, GB/s, where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub copy_gbps: Option<f64>,
    /// Where the denominator came from, in words.
    pub bandwidth_source: String,
}

impl Roofline {
    /// The roofline of a run's single-request decode rate (its generation cells; see
    /// [`crate::report::single_decode_tps`]); None without such a rate.
    pub fn of_run(
        run: &crate::report::RunReport,
        bytes_per_token: u64,
        bandwidth: &Bandwidth,
    ) -> Option<Roofline> {
        let decode_tps = crate::report::single_decode_tps(&run.cells)?;
        Some(Roofline::new(decode_tps, bytes_per_token, bandwidth))
    }

    /// The roofline of a decode rate reading `bytes_per_token` a step, against `bandwidth`
    /// (and its copy figure, where measured).
    pub fn new(decode_tps: f64, bytes_per_token: u64, bandwidth: &Bandwidth) -> Roofline {
        let pct_of = |gbps: f64| roofline_pct(decode_tps, bytes_per_token as f64, gbps);
        Roofline {
            pct: pct_of(bandwidth.gbps),
            pct_of_copy: bandwidth.copy_gbps.map(pct_of),
            decode_tps,
            bytes_per_token,
            bandwidth_gbps: bandwidth.gbps,
            copy_gbps: bandwidth.copy_gbps,
            bandwidth_source: bandwidth.source.clone(),
        }
    }
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

/// The bandwidth of a machine: `override_gbps` if given, else BenchBar's measurement of it
/// (its read figure), else the vendor's figure from the built-in table by chip name (or CPU
/// brand); None when none is known.
pub fn machine_bandwidth(
    machine: &MachineInfo,
    override_gbps: Option<f64>,
    measured: Option<&MeasuredBandwidth>,
) -> Option<Bandwidth> {
    let name = machine.chip.as_deref().unwrap_or(&machine.cpu);
    let vendor = chip_bandwidth_gbps(name);
    if let Some(gbps) = override_gbps.filter(|g| g.is_finite() && *g > 0.0) {
        return Some(Bandwidth {
            gbps,
            source: "override".into(),
            copy_gbps: None,
            vendor_gbps: vendor.map(|v| v.1),
        });
    }
    if let Some(m) = measured.filter(|m| m.read_gbps.is_finite() && m.read_gbps > 0.0) {
        return Some(Bandwidth {
            gbps: m.read_gbps,
            source: format!(
                "read bandwidth measured on {} with MLX {}, {}, by benchbar bandwidth",
                m.device,
                m.mlx_version,
                m.measured_at.format("%Y-%m-%d")
            ),
            copy_gbps: Some(m.copy_gbps),
            vendor_gbps: vendor.map(|v| v.1),
        });
    }
    vendor.map(|(chip, gbps)| Bandwidth {
        gbps,
        source: format!("Apple's published figure for the {chip}: the vendor's, not measured"),
        copy_gbps: None,
        vendor_gbps: Some(gbps),
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
        let table = machine_bandwidth(&m, None, None).unwrap();
        assert_eq!(
            table.source,
            "Apple's published figure for the M3 Max: the vendor's, not measured"
        );
        assert_eq!((table.gbps, table.vendor_gbps), (400.0, Some(400.0)));
        let o = machine_bandwidth(&m, Some(123.0), None).unwrap();
        assert_eq!((o.gbps, o.source.as_str()), (123.0, "override"));
        // A measurement wins over the table, its read figure the denominator, the copy and
        // vendor figures beside it; an override still wins over it.
        let measured = MeasuredBandwidth {
            read_gbps: 372.5,
            read_reduce_gbps: 360.0,
            read_gemv_gbps: 372.5,
            copy_gbps: 331.0,
            array_bytes: 1 << 30,
            reps: 50,
            device: "gpu (Apple M3 Max)".into(),
            mlx_version: "0.32.4".into(),
            measured_at: "2026-12-06T10:00:00Z".parse().unwrap(),
        };
        let b = machine_bandwidth(&m, None, Some(&measured)).unwrap();
        assert_eq!(
            (b.gbps, b.copy_gbps, b.vendor_gbps),
            (372.5, Some(331.0), Some(400.0))
        );
        assert!(b
            .source
            .contains("gpu (Apple M3 Max) with MLX 0.32.4, 2026-12-06"));
        let o = machine_bandwidth(&m, Some(123.0), Some(&measured)).unwrap();
        assert_eq!((o.gbps, o.copy_gbps), (123.0, None));
        m.chip = None;
        m.cpu = "Intel Xeon".into();
        assert_eq!(machine_bandwidth(&m, None, None), None);
        assert_eq!(
            machine_bandwidth(&m, None, Some(&measured))
                .unwrap()
                .vendor_gbps,
            None
        );
        // 100 tok/s reading 2 GB per token = 200 GB/s, half of a 400 GB/s machine.
        assert_eq!(roofline_pct(100.0, 2e9, 400.0), 50.0);
        assert!(parse_gbps("fast").is_err());
        assert!(parse_gbps("-3").is_err());
    }
}
