//! Thermal and power state around a run: thermal pressure, battery, Low Power Mode,
//! CPU frequency. Every field is optional: what a platform does not expose is `None`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Thermal and power state at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThermalPowerState {
    /// Thermal pressure (macOS via powermetrics: `"Nominal"`, `"Moderate"`, `"Heavy"`...).
    pub thermal_pressure: Option<String>,
    /// True when running on battery.
    pub on_battery: Option<bool>,
    /// Battery charge, percent.
    pub battery_pct: Option<u8>,
    /// macOS Low Power Mode.
    pub low_power_mode: Option<bool>,
    /// Current frequency of each CPU in kHz, where visible (Linux cpufreq).
    pub cpu_freq_khz: Vec<u64>,
}

impl ThermalPowerState {
    /// Mean CPU frequency in MHz, when visible.
    pub fn mean_cpu_freq_mhz(&self) -> Option<f64> {
        if self.cpu_freq_khz.is_empty() {
            return None;
        }
        let sum: f64 = self.cpu_freq_khz.iter().map(|k| *k as f64).sum();
        Some(sum / self.cpu_freq_khz.len() as f64 / 1e3)
    }
}

/// Parses `scaling_cur_freq` (kHz, one integer).
pub fn parse_scaling_cur_freq_khz(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// Reads `<root>/cpu<N>/cpufreq/scaling_cur_freq` for every CPU, in CPU order
/// (`root` is normally `/sys/devices/system/cpu`). Unreadable CPUs are skipped.
pub fn read_cpu_freqs_khz(root: &Path) -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut cpus: Vec<(u32, u64)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n: u32 = name.strip_prefix("cpu")?.parse().ok()?;
            let text = std::fs::read_to_string(e.path().join("cpufreq/scaling_cur_freq")).ok()?;
            Some((n, parse_scaling_cur_freq_khz(&text)?))
        })
        .collect();
    cpus.sort_unstable();
    cpus.into_iter().map(|(_, f)| f).collect()
}

/// Battery state from `pmset -g batt`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PmsetBattery {
    /// True on battery, false on AC; `None` when the text says neither.
    pub on_battery: Option<bool>,
    /// Charge in percent of the first battery listed.
    pub percent: Option<u8>,
}

/// Parses `pmset -g batt` output, e.g.
/// `Now drawing from 'Battery Power'` / `'AC Power'` and
/// ` -InternalBattery-0 (id=1234)\t87%; discharging; 5:12 remaining present: true`.
pub fn parse_pmset_batt(text: &str) -> PmsetBattery {
    let mut out = PmsetBattery::default();
    for line in text.lines() {
        if line.contains("drawing from") {
            if line.contains("'Battery Power'") {
                out.on_battery = Some(true);
            } else if line.contains("'AC Power'") {
                out.on_battery = Some(false);
            }
        } else if out.percent.is_none() {
            if let Some(pos) = line.find('%') {
                let digits: String = line[..pos]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_digit())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                out.percent = digits.parse::<u8>().ok().filter(|p| *p <= 100);
            }
        }
    }
    out
}

/// Parses the `lowpowermode` line of `pmset -g` (e.g. ` lowpowermode         1`).
pub fn parse_pmset_low_power_mode(text: &str) -> Option<bool> {
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        match (it.next(), it.next()) {
            (Some("lowpowermode"), Some("1")) => Some(true),
            (Some("lowpowermode"), Some("0")) => Some(false),
            _ => None,
        }
    })
}

/// Linux battery state from `/sys/class/power_supply`: `None` without a battery, else
/// whether a mains supply is offline. `root` is normally `/sys/class/power_supply`.
pub fn linux_on_battery(root: &Path) -> Option<bool> {
    let entries = std::fs::read_dir(root).ok()?;
    let mut has_battery = false;
    let mut mains_online = None;
    for e in entries.filter_map(|e| e.ok()) {
        let p = e.path();
        let kind = std::fs::read_to_string(p.join("type")).unwrap_or_default();
        match kind.trim() {
            "Battery" => has_battery = true,
            "Mains" => {
                let online = std::fs::read_to_string(p.join("online")).unwrap_or_default();
                if online.trim() == "1" {
                    mains_online = Some(true);
                } else if mains_online.is_none() {
                    mains_online = Some(false);
                }
            }
            _ => {}
        }
    }
    if !has_battery {
        return None;
    }
    mains_online.map(|on| !on)
}

fn run_text(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Reads the current state. `thermal_pressure` comes from the energy source when it sees
/// it (pass [`crate::PowerReport::thermal_pressure`] or `None`).
pub fn read_thermal_power_state(thermal_pressure: Option<String>) -> ThermalPowerState {
    let mut st = ThermalPowerState {
        thermal_pressure,
        cpu_freq_khz: read_cpu_freqs_khz(Path::new("/sys/devices/system/cpu")),
        ..ThermalPowerState::default()
    };
    if cfg!(target_os = "macos") {
        if let Some(t) = run_text("pmset", &["-g", "batt"]) {
            let b = parse_pmset_batt(&t);
            st.on_battery = b.on_battery;
            st.battery_pct = b.percent;
        }
        st.low_power_mode = run_text("pmset", &["-g"]).and_then(|t| parse_pmset_low_power_mode(&t));
    } else if cfg!(target_os = "linux") {
        st.on_battery = linux_on_battery(Path::new("/sys/class/power_supply"));
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pmset_battery() {
        let t = "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=4653155)\t87%; \
                 discharging; 5:12 remaining present: true\n";
        assert_eq!(
            parse_pmset_batt(t),
            PmsetBattery {
                on_battery: Some(true),
                percent: Some(87)
            }
        );
        let t = "Now drawing from 'AC Power'\n -InternalBattery-0 (id=1)\t100%; charged; \
                 0:00 remaining present: true\n";
        assert_eq!(parse_pmset_batt(t).on_battery, Some(false));
        assert_eq!(parse_pmset_batt(t).percent, Some(100));
        // A desktop Mac: no battery line.
        let t = "Now drawing from 'AC Power'\n";
        assert_eq!(parse_pmset_batt(t).percent, None);
        assert_eq!(parse_pmset_batt("").on_battery, None);
        assert_eq!(parse_pmset_batt("x 999%").percent, None);
    }

    #[test]
    fn pmset_low_power_mode() {
        let t = "System-wide power settings:\nCurrently in use:\n standby              1\n \
                 lowpowermode         1\n sleep                1\n";
        assert_eq!(parse_pmset_low_power_mode(t), Some(true));
        assert_eq!(parse_pmset_low_power_mode(" lowpowermode 0\n"), Some(false));
        assert_eq!(parse_pmset_low_power_mode(" sleep 1\n"), None);
    }

    #[test]
    fn cpufreq_tree() {
        let dir = tempfile::tempdir().unwrap();
        for (cpu, f) in [
            ("cpu1", "2400000\n"),
            ("cpu0", "3100000\n"),
            ("cpu10", "800000"),
        ] {
            let d = dir.path().join(cpu).join("cpufreq");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("scaling_cur_freq"), f).unwrap();
        }
        // Garbage and a CPU without cpufreq are skipped; "cpufreq" itself is not a CPU.
        let d = dir.path().join("cpu2").join("cpufreq");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("scaling_cur_freq"), "fast").unwrap();
        std::fs::create_dir_all(dir.path().join("cpu3")).unwrap();
        std::fs::create_dir_all(dir.path().join("cpufreq")).unwrap();
        let f = read_cpu_freqs_khz(dir.path());
        assert_eq!(f, vec![3_100_000, 2_400_000, 800_000]);
        let st = ThermalPowerState {
            cpu_freq_khz: f,
            ..Default::default()
        };
        assert!((st.mean_cpu_freq_mhz().unwrap() - 2100.0).abs() < 1e-9);
        assert_eq!(ThermalPowerState::default().mean_cpu_freq_mhz(), None);
        assert!(read_cpu_freqs_khz(&dir.path().join("missing")).is_empty());
        assert_eq!(parse_scaling_cur_freq_khz(" 123 \n"), Some(123));
    }

    #[test]
    fn linux_power_supply_tree() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(linux_on_battery(dir.path()), None);
        let bat = dir.path().join("BAT0");
        std::fs::create_dir_all(&bat).unwrap();
        std::fs::write(bat.join("type"), "Battery\n").unwrap();
        let ac = dir.path().join("AC");
        std::fs::create_dir_all(&ac).unwrap();
        std::fs::write(ac.join("type"), "Mains\n").unwrap();
        std::fs::write(ac.join("online"), "0\n").unwrap();
        assert_eq!(linux_on_battery(dir.path()), Some(true));
        std::fs::write(ac.join("online"), "1\n").unwrap();
        assert_eq!(linux_on_battery(dir.path()), Some(false));
    }

    #[test]
    fn live_state_does_not_panic() {
        let st = read_thermal_power_state(Some("Nominal".into()));
        assert_eq!(st.thermal_pressure.as_deref(), Some("Nominal"));
    }
}
