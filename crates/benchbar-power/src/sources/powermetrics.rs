//! macOS `powermetrics` (root) fallback: a pure parser for its NUL-separated XML plist
//! stream, an accumulator turning per-interval energies into cumulative counters, and a
//! thin process source.
//!
//! Keys read (all optional, unknown keys ignored, integers or reals accepted):
//! `elapsed_ns`; `processor.{cpu,gpu,ane}_energy` (mJ over the interval);
//! `processor.{cpu,gpu,ane}_power` and `processor.combined_power` (mW);
//! `thermal_pressure`; `gpu.freq_hz`; `gpu.idle_ratio` (`gpu.gpu_energy` is used when
//! `processor.gpu_energy` is absent).

use serde::{Deserialize, Serialize};

use crate::error::{PowerError, Result};
use crate::math::{CounterRow, POWERMETRICS_GROUP};

/// One powermetrics sample (one plist document).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PowermetricsSample {
    /// Length of the sample interval in nanoseconds.
    pub elapsed_ns: Option<u64>,
    /// CPU energy over the interval, mJ.
    pub cpu_energy_mj: Option<f64>,
    /// GPU energy over the interval, mJ.
    pub gpu_energy_mj: Option<f64>,
    /// ANE energy over the interval, mJ.
    pub ane_energy_mj: Option<f64>,
    /// CPU power, mW.
    pub cpu_power_mw: Option<f64>,
    /// GPU power, mW.
    pub gpu_power_mw: Option<f64>,
    /// ANE power, mW.
    pub ane_power_mw: Option<f64>,
    /// CPU + GPU + ANE power, mW.
    pub combined_power_mw: Option<f64>,
    /// Thermal pressure level (`"Nominal"`, `"Moderate"`, `"Heavy"`, `"Trapping"`,
    /// `"Sleeping"`).
    pub thermal_pressure: Option<String>,
    /// GPU frequency, Hz.
    pub gpu_freq_hz: Option<f64>,
    /// GPU idle ratio, 0..1.
    pub gpu_idle_ratio: Option<f64>,
}

fn number(v: &plist::Value) -> Option<f64> {
    let x = v
        .as_real()
        .or_else(|| v.as_signed_integer().map(|i| i as f64))
        .or_else(|| v.as_unsigned_integer().map(|u| u as f64))?;
    x.is_finite().then_some(x)
}

fn get_num(dict: Option<&plist::Dictionary>, key: &str) -> Option<f64> {
    dict?.get(key).and_then(number)
}

/// Parses one plist document of the stream. XML only (what `-f plist` writes); leading
/// and trailing whitespace/NULs are ignored.
pub fn parse_powermetrics_document(bytes: &[u8]) -> Result<PowermetricsSample> {
    let bytes = trim_doc(bytes);
    if bytes.is_empty() {
        return Err(PowerError::Parse("empty plist document".to_owned()));
    }
    let value = plist::Value::from_reader_xml(bytes)
        .map_err(|e| PowerError::Parse(format!("powermetrics plist: {e}")))?;
    let root = value
        .as_dictionary()
        .ok_or_else(|| PowerError::Parse("powermetrics plist: root is not a dict".to_owned()))?;
    let processor = root.get("processor").and_then(|v| v.as_dictionary());
    let gpu = root.get("gpu").and_then(|v| v.as_dictionary());
    let non_negative = |x: Option<f64>| x.filter(|v| *v >= 0.0);
    Ok(PowermetricsSample {
        elapsed_ns: get_num(Some(root), "elapsed_ns")
            .filter(|v| *v >= 0.0 && *v < u64::MAX as f64)
            .map(|v| v as u64),
        cpu_energy_mj: non_negative(get_num(processor, "cpu_energy")),
        gpu_energy_mj: non_negative(
            get_num(processor, "gpu_energy").or_else(|| get_num(gpu, "gpu_energy")),
        ),
        ane_energy_mj: non_negative(get_num(processor, "ane_energy")),
        cpu_power_mw: non_negative(get_num(processor, "cpu_power")),
        gpu_power_mw: non_negative(get_num(processor, "gpu_power")),
        ane_power_mw: non_negative(get_num(processor, "ane_power")),
        combined_power_mw: non_negative(get_num(processor, "combined_power")),
        thermal_pressure: root
            .get("thermal_pressure")
            .and_then(|v| v.as_string())
            .map(str::to_owned),
        gpu_freq_hz: non_negative(get_num(gpu, "freq_hz")),
        gpu_idle_ratio: get_num(gpu, "idle_ratio"),
    })
}

fn trim_doc(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() || *first == 0 {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() || *last == 0 {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// Incremental splitter/parser for the NUL-separated stream.
#[derive(Debug, Default)]
pub struct PowermetricsStream {
    buf: Vec<u8>,
}

/// Refuse to buffer more than this without a NUL (a broken stream).
const MAX_DOC_BYTES: usize = 16 * 1024 * 1024;

impl PowermetricsStream {
    /// An empty stream.
    pub fn new() -> PowermetricsStream {
        PowermetricsStream::default()
    }

    /// Feeds bytes; returns the documents completed by them (each parsed or an error).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<PowermetricsSample>> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(pos) = self.buf.iter().position(|b| *b == 0) {
            let doc: Vec<u8> = self.buf.drain(..=pos).collect();
            if !trim_doc(&doc).is_empty() {
                out.push(parse_powermetrics_document(&doc));
            }
        }
        if self.buf.len() > MAX_DOC_BYTES {
            self.buf.clear();
            out.push(Err(PowerError::Parse(
                "powermetrics document too large; discarded".to_owned(),
            )));
        }
        out
    }

    /// Ends the stream: a trailing document without a NUL is parsed if complete;
    /// a truncated one is an error.
    pub fn finish(&mut self) -> Option<Result<PowermetricsSample>> {
        let rest = std::mem::take(&mut self.buf);
        if trim_doc(&rest).is_empty() {
            None
        } else {
            Some(parse_powermetrics_document(&rest))
        }
    }
}

/// A whole stream parsed at once.
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub struct ParsedStream {
    /// Samples parsed, in order.
    pub samples: Vec<PowermetricsSample>,
    /// Documents that failed to parse, with the reason.
    pub errors: Vec<String>,
    /// True when the stream ended in the middle of a document.
    pub truncated: bool,
}

/// Parses a complete stream (a recording). Never panics.
#[cfg(test)]
pub fn parse_powermetrics_stream(bytes: &[u8]) -> ParsedStream {
    let mut s = PowermetricsStream::new();
    let mut out = ParsedStream::default();
    let take = |r: Result<PowermetricsSample>, out: &mut ParsedStream| match r {
        Ok(v) => out.samples.push(v),
        Err(e) => out.errors.push(e.to_string()),
    };
    for r in s.push(bytes) {
        take(r, &mut out);
    }
    if let Some(r) = s.finish() {
        if r.is_err() {
            out.truncated = true;
        }
        take(r, &mut out);
    }
    out
}

/// Cumulative counters built from powermetrics samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowermetricsCounters {
    /// Sum of `elapsed_ns`.
    pub elapsed_ns: u64,
    /// Cumulative CPU energy, mJ.
    pub cpu_mj: f64,
    /// Cumulative GPU energy, mJ.
    pub gpu_mj: f64,
    /// Cumulative ANE energy, mJ.
    pub ane_mj: f64,
    /// Samples folded in.
    pub samples: u64,
    /// The latest thermal pressure.
    pub thermal_pressure: Option<String>,
}

impl PowermetricsCounters {
    /// Folds one sample in. An energy missing but with power and `elapsed_ns` present is
    /// computed as power × time.
    pub fn add(&mut self, s: &PowermetricsSample) {
        let secs = s.elapsed_ns.map(|n| n as f64 / 1e9);
        let energy = |e: Option<f64>, p: Option<f64>| -> f64 {
            e.or_else(|| Some(p? * secs?)).unwrap_or(0.0)
        };
        self.cpu_mj += energy(s.cpu_energy_mj, s.cpu_power_mw);
        self.gpu_mj += energy(s.gpu_energy_mj, s.gpu_power_mw);
        self.ane_mj += energy(s.ane_energy_mj, s.ane_power_mw);
        self.elapsed_ns = self.elapsed_ns.saturating_add(s.elapsed_ns.unwrap_or(0));
        self.samples += 1;
        if let Some(t) = &s.thermal_pressure {
            self.thermal_pressure = Some(t.clone());
        }
    }

    /// The counters as rows (unit uJ).
    pub fn rows(&self) -> Vec<CounterRow> {
        let uj = |mj: f64| (mj * 1e3).round().max(0.0) as u64;
        vec![
            CounterRow::new(POWERMETRICS_GROUP, "cpu_energy", "uJ", uj(self.cpu_mj)),
            CounterRow::new(POWERMETRICS_GROUP, "gpu_energy", "uJ", uj(self.gpu_mj)),
            CounterRow::new(POWERMETRICS_GROUP, "ane_energy", "uJ", uj(self.ane_mj)),
        ]
    }
}

#[cfg(unix)]
pub use process::PowermetricsSource;

#[cfg(unix)]
mod process {
    use std::io::Read;
    use std::process::{Child, Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;

    use super::{PowermetricsCounters, PowermetricsStream};
    use crate::error::{PowerError, Result};
    use crate::math::Domain;
    use crate::sources::{Availability, EnergySource, Reading, SourceInfo};

    #[derive(Default)]
    struct Shared {
        counters: PowermetricsCounters,
        parse_errors: u64,
        ended: Option<String>,
    }

    /// Energy from a running `powermetrics` process (or any command writing the same
    /// stream). Counters advance once per powermetrics interval, so phase boundaries are
    /// quantized to it.
    pub struct PowermetricsSource {
        child: Option<Child>,
        reader: Option<JoinHandle<()>>,
        shared: Arc<Mutex<Shared>>,
        availability: Availability,
    }

    impl PowermetricsSource {
        /// The command BenchBar runs: `powermetrics --samplers cpu_power,gpu_power,thermal
        /// -i <interval_ms> -f plist`.
        #[cfg(target_os = "macos")]
        pub fn command(interval_ms: u64) -> Command {
            let mut c = Command::new("powermetrics");
            c.args([
                "--samplers",
                "cpu_power,gpu_power,thermal",
                "-i",
                &interval_ms.max(1).to_string(),
                "-f",
                "plist",
            ]);
            c
        }

        /// Starts `powermetrics` if running as root; unavailable with the reason otherwise.
        #[cfg(target_os = "macos")]
        pub fn open(interval_ms: u64) -> PowermetricsSource {
            if !crate::system::os::is_root() {
                return PowermetricsSource::unavailable(
                    "powermetrics needs root (run with sudo)".to_owned(),
                );
            }
            PowermetricsSource::spawn(PowermetricsSource::command(interval_ms))
        }

        fn unavailable(reason: String) -> PowermetricsSource {
            PowermetricsSource {
                child: None,
                reader: None,
                shared: Arc::new(Mutex::new(Shared::default())),
                availability: Availability::unavailable(reason),
            }
        }

        /// Runs `cmd` and reads its stdout as a powermetrics plist stream.
        pub fn spawn(mut cmd: Command) -> PowermetricsSource {
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::null())
                .stdin(Stdio::null());
            let mut child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => {
                    return PowermetricsSource::unavailable(format!(
                        "cannot start powermetrics: {e}"
                    ))
                }
            };
            let Some(mut stdout) = child.stdout.take() else {
                let _ = child.kill();
                let _ = child.wait();
                return PowermetricsSource::unavailable("powermetrics has no stdout".to_owned());
            };
            let shared = Arc::new(Mutex::new(Shared::default()));
            let thread_shared = Arc::clone(&shared);
            let reader = std::thread::Builder::new()
                .name("benchbar-powermetrics".to_owned())
                .spawn(move || {
                    let mut stream = PowermetricsStream::new();
                    let mut buf = vec![0u8; 64 * 1024];
                    let apply = |results: Vec<Result<super::PowermetricsSample>>| {
                        let mut sh = thread_shared.lock().unwrap_or_else(|e| e.into_inner());
                        for r in results {
                            match r {
                                Ok(s) => sh.counters.add(&s),
                                Err(_) => sh.parse_errors += 1,
                            }
                        }
                    };
                    let end = loop {
                        match stdout.read(&mut buf) {
                            Ok(0) => break "powermetrics exited".to_owned(),
                            Ok(n) => apply(stream.push(&buf[..n])),
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(e) => break format!("powermetrics read failed: {e}"),
                        }
                    };
                    apply(stream.finish().into_iter().collect());
                    thread_shared
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .ended = Some(end);
                });
            match reader {
                Ok(h) => PowermetricsSource {
                    child: Some(child),
                    reader: Some(h),
                    shared,
                    availability: Availability::Available,
                },
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    PowermetricsSource::unavailable(format!("cannot start reader thread: {e}"))
                }
            }
        }

        /// The counters so far.
        #[cfg(test)]
        pub fn counters(&self) -> PowermetricsCounters {
            self.shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .counters
                .clone()
        }

        /// Documents that failed to parse so far.
        #[cfg(test)]
        pub fn parse_errors(&self) -> u64 {
            self.shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .parse_errors
        }

        /// Waits until the process has ended and its output is read (for tests with a
        /// finite command).
        #[cfg(test)]
        pub fn wait_for_end(&mut self) {
            if let Some(h) = self.reader.take() {
                let _ = h.join();
            }
            if let Some(mut c) = self.child.take() {
                let _ = c.wait();
            }
        }
    }

    impl EnergySource for PowermetricsSource {
        fn info(&self) -> SourceInfo {
            let sh = self.shared.lock().unwrap_or_else(|e| e.into_inner());
            let mut limitations = vec![
                "counters advance once per powermetrics interval (phase edges quantized)"
                    .to_owned(),
                "CPU + GPU + ANE only; no DRAM, no system total".to_owned(),
            ];
            if let Some(end) = &sh.ended {
                limitations.push(end.clone());
            }
            SourceInfo {
                name: "powermetrics".to_owned(),
                availability: self.availability.clone(),
                domains: if self.availability.is_available() {
                    vec![Domain::Cpu, Domain::Gpu, Domain::Ane]
                } else {
                    Vec::new()
                },
                limitations,
            }
        }

        fn read(&mut self) -> Result<Reading> {
            if let Some(reason) = self.availability.reason() {
                return Err(PowerError::Unavailable(reason.to_owned()));
            }
            let sh = self.shared.lock().unwrap_or_else(|e| e.into_inner());
            if sh.counters.samples == 0 {
                if let Some(end) = &sh.ended {
                    return Err(PowerError::Platform(format!("{end} before any sample")));
                }
            }
            Ok(Reading {
                rows: sh.counters.rows(),
                t_ns: None,
            })
        }

        fn thermal_pressure(&self) -> Option<String> {
            self.shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .counters
                .thermal_pressure
                .clone()
        }
    }

    impl Drop for PowermetricsSource {
        fn drop(&mut self) {
            if let Some(mut c) = self.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
            if let Some(h) = self.reader.take() {
                let _ = h.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>elapsed_ns</key><integer>250000000</integer>
  <key>thermal_pressure</key><string>Nominal</string>
  <key>processor</key>
  <dict>
    <key>cpu_energy</key><integer>500</integer>
    <key>cpu_power</key><real>2000.5</real>
    <key>gpu_energy</key><integer>1000</integer>
    <key>ane_power</key><integer>40</integer>
    <key>combined_power</key><real>6040.5</real>
  </dict>
  <key>gpu</key>
  <dict><key>freq_hz</key><real>1398000000</real><key>idle_ratio</key><real>0.25</real></dict>
  <key>unknown_key</key><array><string>x</string></array>
</dict>
</plist>
"#;

    #[test]
    fn parses_a_document() {
        let s = parse_powermetrics_document(DOC.as_bytes()).unwrap();
        assert_eq!(s.elapsed_ns, Some(250_000_000));
        assert_eq!(s.cpu_energy_mj, Some(500.0));
        assert_eq!(s.cpu_power_mw, Some(2000.5));
        assert_eq!(s.gpu_energy_mj, Some(1000.0));
        assert_eq!(s.ane_energy_mj, None);
        assert_eq!(s.ane_power_mw, Some(40.0));
        assert_eq!(s.combined_power_mw, Some(6040.5));
        assert_eq!(s.thermal_pressure.as_deref(), Some("Nominal"));
        assert_eq!(s.gpu_freq_hz, Some(1.398e9));
        assert_eq!(s.gpu_idle_ratio, Some(0.25));
    }

    #[test]
    fn stream_split_across_chunks() {
        let mut stream = PowermetricsStream::new();
        let mut all = Vec::new();
        let bytes = format!("{DOC}\0{DOC}\0");
        for chunk in bytes.as_bytes().chunks(37) {
            all.extend(stream.push(chunk));
        }
        assert!(stream.finish().is_none());
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|r| r.is_ok()));
    }

    #[test]
    fn counters_integrate_power_when_energy_missing() {
        let s = parse_powermetrics_document(DOC.as_bytes()).unwrap();
        let mut c = PowermetricsCounters::default();
        c.add(&s);
        c.add(&s);
        assert_eq!(c.samples, 2);
        assert_eq!(c.elapsed_ns, 500_000_000);
        assert!((c.cpu_mj - 1000.0).abs() < 1e-9);
        assert!((c.gpu_mj - 2000.0).abs() < 1e-9);
        // 40 mW * 0.25 s = 10 mJ per sample.
        assert!((c.ane_mj - 20.0).abs() < 1e-9);
        let rows = c.rows();
        assert_eq!(rows[0].value, 1_000_000);
        assert_eq!(rows[2].value, 20_000);
        assert_eq!(c.thermal_pressure.as_deref(), Some("Nominal"));
    }

    #[test]
    fn bad_documents_are_errors() {
        assert!(parse_powermetrics_document(b"").is_err());
        assert!(parse_powermetrics_document(b"\0\n ").is_err());
        assert!(parse_powermetrics_document(b"<plist><array/></plist>").is_err());
        assert!(parse_powermetrics_document(&DOC.as_bytes()[..200]).is_err());
    }
}
