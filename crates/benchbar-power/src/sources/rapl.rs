//! Linux RAPL through the powercap sysfs tree (`/sys/class/powercap/intel-rapl:N`).
//!
//! Only top-level package zones are read (`intel-rapl:N`, not the subzones
//! `intel-rapl:N:M`, and not the `psys` zone, which contains the packages). `energy_uj`
//! is root-only since Linux 5.10 (CVE-2020-8694): then the source is unavailable with
//! that reason, said once, and the run goes on.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::{PowerError, Result};
use crate::math::{CounterRow, Domain, RAPL_GROUP};
use crate::sources::{Availability, EnergySource, Reading, SourceInfo};

/// The default powercap root.
#[cfg(target_os = "linux")]
pub const POWERCAP_ROOT: &str = "/sys/class/powercap";

/// True for a top-level RAPL zone directory name: `intel-rapl:N` (N decimal), not a
/// subzone `intel-rapl:N:M` and not the `intel-rapl` control type itself.
pub fn is_top_level_zone(dir_name: &str) -> bool {
    match dir_name.strip_prefix("intel-rapl:") {
        Some(n) => !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Parses the content of `energy_uj` or `max_energy_range_uj`: one decimal integer,
/// surrounding whitespace allowed.
pub fn parse_uj(text: &str) -> Result<u64> {
    let t = text.trim();
    t.parse::<u64>()
        .map_err(|_| PowerError::Parse(format!("not a microjoule counter: {t:?}")))
}

#[derive(Debug, Clone)]
struct Zone {
    energy_path: PathBuf,
    channel: String,
    max_range_uj: Option<u64>,
}

/// RAPL package energy from the powercap tree.
#[derive(Debug, Clone)]
pub struct RaplSource {
    zones: Vec<Zone>,
    reader: FileReader,
    availability: Availability,
    limitations: Vec<String>,
}

/// Reads a whole file; injectable so tests can simulate errors such as EACCES.
pub type FileReader = fn(&Path) -> std::io::Result<String>;

fn fs_read(path: &Path) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

fn read_text(reader: FileReader, path: &Path) -> Result<String> {
    reader(path).map_err(|source| PowerError::Io {
        path: path.to_owned(),
        source,
    })
}

impl RaplSource {
    /// Opens the default tree, [`POWERCAP_ROOT`].
    #[cfg(target_os = "linux")]
    pub fn open_default() -> RaplSource {
        RaplSource::open(Path::new(POWERCAP_ROOT))
    }

    /// Opens the package zones under `root` (a powercap directory). Never fails: problems
    /// become an unavailable source with the reason, or limitations.
    pub fn open(root: &Path) -> RaplSource {
        RaplSource::open_with_reader(root, fs_read)
    }

    /// Like [`RaplSource::open`], reading files through `reader` (directory listing
    /// still uses the file system).
    pub fn open_with_reader(root: &Path, reader: FileReader) -> RaplSource {
        let entries = match std::fs::read_dir(root) {
            Ok(e) => e,
            Err(e) => {
                return RaplSource::unavailable(
                    reader,
                    format!("RAPL not present ({}: {e})", root.display()),
                )
            }
        };
        let mut dirs: Vec<(String, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                is_top_level_zone(&name).then(|| (name, e.path()))
            })
            .collect();
        dirs.sort_by_key(|(name, _)| {
            name.trim_start_matches("intel-rapl:")
                .parse::<u64>()
                .unwrap_or(u64::MAX)
        });
        if dirs.is_empty() {
            return RaplSource::unavailable(
                reader,
                format!(
                    "RAPL not present (no intel-rapl:N zone under {})",
                    root.display()
                ),
            );
        }

        let mut zones = Vec::new();
        let mut problems = Vec::new();
        let mut denied = Vec::new();
        let mut limitations = Vec::new();
        for (dir_name, dir) in dirs {
            let zone_name = read_text(reader, &dir.join("name"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| dir_name.clone());
            if zone_name == "psys" {
                limitations.push(format!(
                    "{dir_name} (psys, whole platform) not read: it contains the packages"
                ));
                continue;
            }
            if !zone_name.starts_with("package") {
                limitations.push(format!("{dir_name} ({zone_name}) not read: not a package"));
                continue;
            }
            let energy_path = dir.join("energy_uj");
            match reader(&energy_path) {
                Ok(text) => {
                    if let Err(e) = parse_uj(&text) {
                        problems.push(format!("{}: {e}", energy_path.display()));
                        continue;
                    }
                }
                Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                    denied.push(energy_path.display().to_string());
                    continue;
                }
                Err(e) => {
                    problems.push(format!("{}: {e}", energy_path.display()));
                    continue;
                }
            }
            let max_range_uj = match read_text(reader, &dir.join("max_energy_range_uj")) {
                Ok(t) => parse_uj(&t).ok().filter(|m| *m > 0),
                Err(_) => None,
            };
            if max_range_uj.is_none() {
                limitations.push(format!(
                    "{dir_name}: no max_energy_range_uj, a wrap will drop a sample"
                ));
            }
            zones.push(Zone {
                energy_path,
                channel: zone_name,
                max_range_uj,
            });
        }
        if !denied.is_empty() {
            let msg = format!(
                "RAPL energy_uj is root-only (permission denied: {}); Linux 5.10+ restricts \
                 it: run as root or make energy_uj readable",
                denied.join(", ")
            );
            if zones.is_empty() {
                return RaplSource::unavailable(reader, msg);
            }
            limitations.push(msg);
        }
        if zones.is_empty() {
            let why = if problems.is_empty() {
                "no readable package zone".to_owned()
            } else {
                problems.join("; ")
            };
            return RaplSource::unavailable(reader, format!("RAPL unreadable: {why}"));
        }
        limitations.extend(problems);
        limitations.push(
            "package energy only (cores + uncore + integrated GPU); no DRAM, no discrete GPU"
                .to_owned(),
        );
        RaplSource {
            zones,
            reader,
            availability: Availability::Available,
            limitations,
        }
    }

    fn unavailable(reader: FileReader, reason: String) -> RaplSource {
        RaplSource {
            zones: Vec::new(),
            reader,
            availability: Availability::unavailable(reason),
            limitations: Vec::new(),
        }
    }

    /// Channel names of the zones read (`package-0`, ...).
    #[cfg(test)]
    pub fn channels(&self) -> Vec<String> {
        self.zones.iter().map(|z| z.channel.clone()).collect()
    }
}

impl EnergySource for RaplSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: "rapl".to_owned(),
            availability: self.availability.clone(),
            domains: if self.zones.is_empty() {
                Vec::new()
            } else {
                vec![Domain::Package]
            },
            limitations: self.limitations.clone(),
        }
    }

    fn read(&mut self) -> Result<Reading> {
        if let Some(reason) = self.availability.reason() {
            return Err(PowerError::Unavailable(reason.to_owned()));
        }
        let mut rows = Vec::with_capacity(self.zones.len());
        let mut errors = Vec::new();
        for z in &self.zones {
            match read_text(self.reader, &z.energy_path).and_then(|t| parse_uj(&t)) {
                Ok(v) => {
                    let mut row = CounterRow::new(RAPL_GROUP, &z.channel, "uJ", v);
                    row.max_range = z.max_range_uj;
                    rows.push(row);
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        if !errors.is_empty() {
            // A zone that fails now is left out of this reading (its counter is simply not
            // advanced); all failing is an error.
            if rows.is_empty() {
                return Err(PowerError::Platform(errors.join("; ")));
            }
        }
        Ok(Reading { rows, t_ns: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names() {
        assert!(is_top_level_zone("intel-rapl:0"));
        assert!(is_top_level_zone("intel-rapl:12"));
        assert!(!is_top_level_zone("intel-rapl:0:1"));
        assert!(!is_top_level_zone("intel-rapl"));
        assert!(!is_top_level_zone("intel-rapl:"));
        assert!(!is_top_level_zone("intel-rapl-mmio:0"));
        assert!(!is_top_level_zone("dtpm"));
    }

    #[test]
    fn parse_counters() {
        assert_eq!(parse_uj("123456\n").unwrap(), 123_456);
        assert_eq!(parse_uj("  7 ").unwrap(), 7);
        assert!(parse_uj("").is_err());
        assert!(parse_uj("-5").is_err());
        assert!(parse_uj("12abc").is_err());
        assert!(parse_uj("\u{0}\u{1}").is_err());
        assert!(parse_uj("99999999999999999999999").is_err());
    }
}
