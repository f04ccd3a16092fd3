//! The app's settings, persisted as JSON in the app config dir.

use std::path::Path;
use std::time::Duration;

use benchbar_core::spec::SuiteName;
use benchbar_service::monitor::MonitorConfig;
use serde::{Deserialize, Serialize};

use crate::error::{CmdError, CmdResult};

/// Which engine the app runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EngineSetting {
    /// The in-process MLX engine.
    Mlx,
    /// An OpenAI-compatible server (e.g. `mlx_lm.server`).
    Openai {
        /// Base URL including /v1.
        url: String,
        /// `model` to request (None: the server's loaded model).
        #[serde(default)]
        served_model: Option<String>,
        /// Name of the environment variable holding the API key (the key is never stored).
        #[serde(default)]
        api_key_env: Option<String>,
    },
}

/// What the user chose in Settings (and the tray's model submenu).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct Settings {
    /// Model of quick runs: a checkpoint dir, an HF repo id or `builtin:tiny`.
    pub default_model: String,
    /// Engine.
    pub engine: EngineSetting,
    /// Suite of "Run quick benchmark" (`quick`, `standard` or `full`).
    pub quick_suite: String,
    /// Repetitions per cell (None: the suite's default).
    pub reps: Option<u32>,
    /// Read energy counters during runs.
    pub sample_power: bool,
    /// Scheduled monitoring of the default model.
    pub monitor: MonitorSettings,
    /// The Prometheus exporter (`benchbar serve` inside the app).
    pub exporter: ExporterSettings,
    /// Start BenchBar when the user logs in (so scheduled monitoring survives a reboot).
    pub launch_at_login: bool,
    /// Show the default model's last decode tok/s (and the live tok/s during a run) as the
    /// menu-bar title.
    pub tray_shows_speed: bool,
}

/// The app's Prometheus exporter: off by default, loopback by default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct ExporterSettings {
    /// Whether the app serves `/metrics`.
    pub enabled: bool,
    /// Address to listen on (`127.0.0.1:9464`; another interface is reachable from other
    /// machines).
    pub listen: String,
}

impl Default for ExporterSettings {
    fn default() -> ExporterSettings {
        ExporterSettings {
            enabled: false,
            listen: benchbar_service::metrics::server::DEFAULT_LISTEN.into(),
        }
    }
}

impl ExporterSettings {
    /// The address to listen on; an error names the bad value.
    pub fn listen_addr(&self) -> CmdResult<std::net::SocketAddr> {
        self.listen.trim().parse().map_err(|_| {
            CmdError::new(format!(
                "the exporter address must be IP:PORT, e.g. 127.0.0.1:9464 (got '{}')",
                self.listen
            ))
        })
    }
}

/// Scheduled monitoring (`benchbar monitor` in the app): a quick sample of the default model
/// every `interval_min`, off by default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct MonitorSettings {
    /// Whether the schedule runs.
    pub enabled: bool,
    /// Minutes between samples (at least 1).
    pub interval_min: u32,
    /// Monitoring samples older than this many hours are pruned (runs you started are kept).
    pub retention_h: u32,
    /// Skip a sample on battery or in Low Power Mode.
    pub skip_on_battery: bool,
}

impl Default for MonitorSettings {
    fn default() -> MonitorSettings {
        MonitorSettings {
            enabled: false,
            interval_min: 30,
            retention_h: 24,
            skip_on_battery: true,
        }
    }
}

/// Longest monitoring interval and retention the app accepts: a week, a year (typo guards).
const MAX_INTERVAL_MIN: u32 = 7 * 24 * 60;
const MAX_RETENTION_H: u32 = 366 * 24;

impl MonitorSettings {
    /// The service's schedule configuration; an error names the bad field.
    pub fn config(&self) -> CmdResult<MonitorConfig> {
        if self.interval_min == 0 || self.interval_min > MAX_INTERVAL_MIN {
            return Err(CmdError::new(format!(
                "the monitoring interval must be between 1 and {MAX_INTERVAL_MIN} minutes (got {})",
                self.interval_min
            )));
        }
        if self.retention_h == 0 || self.retention_h > MAX_RETENTION_H {
            return Err(CmdError::new(format!(
                "the monitoring retention must be between 1 and {MAX_RETENTION_H} hours (got {})",
                self.retention_h
            )));
        }
        let mut c = MonitorConfig::new(Duration::from_secs(u64::from(self.interval_min) * 60))?;
        c.retention = Duration::from_secs(u64::from(self.retention_h) * 3600);
        c.skip_on_battery = self.skip_on_battery;
        c.skip_in_low_power = self.skip_on_battery;
        Ok(c)
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            default_model: "builtin:tiny".into(),
            engine: EngineSetting::Mlx,
            quick_suite: "quick".into(),
            reps: None,
            sample_power: true,
            monitor: MonitorSettings::default(),
            exporter: ExporterSettings::default(),
            launch_at_login: false,
            tray_shows_speed: true,
        }
    }
}

/// Most repetitions per cell the app accepts (a typo guard, not a measurement rule).
pub const MAX_REPS: u32 = 1000;

impl Settings {
    /// Checks every field; the first problem is the error.
    pub fn validate(&self) -> CmdResult<()> {
        if self.default_model.trim().is_empty() {
            return Err(CmdError::new("the default model is empty"));
        }
        self.quick_suite
            .parse::<SuiteName>()
            .map_err(|e| CmdError::new(e.to_string()))?;
        if let Some(r) = self.reps {
            if r == 0 || r > MAX_REPS {
                return Err(CmdError::new(format!(
                    "reps must be between 1 and {MAX_REPS} (got {r})"
                )));
            }
        }
        self.monitor.config()?;
        self.exporter.listen_addr()?;
        if let EngineSetting::Openai { url, .. } = &self.engine {
            let ok = url.starts_with("http://") || url.starts_with("https://");
            if !ok || url.len() <= "https://".len() {
                return Err(CmdError::new(format!(
                    "the server URL must start with http:// or https:// (got '{url}')"
                )));
            }
        }
        Ok(())
    }

    /// The `--engine` name for the service.
    pub fn engine_name(&self) -> &'static str {
        match self.engine {
            EngineSetting::Mlx => "mlx",
            EngineSetting::Openai { .. } => "openai",
        }
    }
}

/// Reads the settings; a missing file gives the defaults, an unreadable or invalid one is an
/// error naming the file (the caller falls back to the defaults and says so).
pub fn load(path: &Path) -> CmdResult<Settings> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(e) => return Err(CmdError::new(format!("{}: {e}", path.display()))),
    };
    let s: Settings = serde_json::from_str(&text)
        .map_err(|e| CmdError::new(format!("{}: {e}", path.display())))?;
    s.validate()
        .map_err(|e| CmdError::new(format!("{}: {e}", path.display())))?;
    Ok(s)
}

/// Validates and writes the settings atomically (temp file + rename): a crash mid-write never
/// leaves a half-written file.
pub fn save(path: &Path, s: &Settings) -> CmdResult<()> {
    s.validate()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(s)? + "\n")?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/settings.json");
        assert_eq!(load(&path).unwrap(), Settings::default());
        let s = Settings {
            default_model: "mlx-community/Qwen3-1.7B-4bit".into(),
            engine: EngineSetting::Openai {
                url: "http://127.0.0.1:8080/v1".into(),
                served_model: None,
                api_key_env: Some("KEY".into()),
            },
            quick_suite: "standard".into(),
            reps: Some(5),
            sample_power: false,
            monitor: MonitorSettings {
                enabled: true,
                interval_min: 15,
                retention_h: 48,
                skip_on_battery: false,
            },
            exporter: ExporterSettings {
                enabled: true,
                listen: "0.0.0.0:9100".into(),
            },
            launch_at_login: true,
            tray_shows_speed: false,
        };
        save(&path, &s).unwrap();
        assert_eq!(load(&path).unwrap(), s);
        assert!(!path.with_extension("json.tmp").exists());
        // The JSON the UI sends (ui/src/api.ts) parses.
        let ui: Settings = serde_json::from_str(
            r#"{"default_model":"builtin:tiny","engine":{"kind":"mlx"},"quick_suite":"quick","reps":null,"sample_power":true}"#,
        )
        .unwrap();
        assert_eq!(ui, Settings::default());
        // A settings file from before monitoring existed: monitoring off.
        assert!(!ui.monitor.enabled);
        let c = MonitorSettings::default().config().unwrap();
        assert_eq!(c.interval, Duration::from_secs(1800));
        assert_eq!(c.retention, Duration::from_secs(24 * 3600));
        assert!(c.skip_on_battery && c.skip_in_low_power);
    }

    #[test]
    fn invalid_settings_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        save(&path, &Settings::default()).unwrap();
        let before = std::fs::read(&path).unwrap();
        let bad = [
            Settings {
                quick_suite: "fastest".into(),
                ..Settings::default()
            },
            Settings {
                reps: Some(0),
                ..Settings::default()
            },
            Settings {
                default_model: " ".into(),
                ..Settings::default()
            },
            Settings {
                monitor: MonitorSettings {
                    interval_min: 0,
                    ..MonitorSettings::default()
                },
                ..Settings::default()
            },
            Settings {
                monitor: MonitorSettings {
                    retention_h: 0,
                    ..MonitorSettings::default()
                },
                ..Settings::default()
            },
            Settings {
                engine: EngineSetting::Openai {
                    url: "ftp://x".into(),
                    served_model: None,
                    api_key_env: None,
                },
                ..Settings::default()
            },
        ];
        for s in bad {
            let e = save(&path, &s).unwrap_err();
            assert!(!e.message.contains('\n'), "{}", e.message);
            assert_eq!(std::fs::read(&path).unwrap(), before);
        }
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "{not json").unwrap();
        let e = load(&path).unwrap_err();
        assert!(e.message.contains("settings.json"), "{}", e.message);
    }
}
