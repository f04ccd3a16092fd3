//! Memory probes: process peak footprint and system memory.
//!
//! Peak footprint: Linux `VmHWM` from `/proc/self/status` (peak resident set); macOS
//! `proc_pid_rusage(RUSAGE_INFO_V4).ri_lifetime_max_phys_footprint` (includes Metal
//! allocations, unlike RSS). `getrusage().ru_maxrss` is KiB on Linux and bytes on macOS:
//! see [`maxrss_to_bytes`].

use serde::{Deserialize, Serialize};

/// Which probe produced a peak figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeakKind {
    /// Linux `VmHWM` (peak RSS).
    VmHwm,
    /// macOS lifetime max physical footprint.
    PhysFootprint,
    /// `getrusage` `ru_maxrss`.
    MaxRss,
}

/// The process's peak memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessPeak {
    /// Peak bytes.
    pub peak_bytes: u64,
    /// How it was measured.
    pub kind: PeakKind,
}

/// Parses the `VmHWM:` line of a `/proc/<pid>/status` text into bytes.
#[cfg(any(target_os = "linux", test))]
pub fn parse_vm_hwm_bytes(status: &str) -> Option<u64> {
    parse_status_kib(status, "VmHWM:").and_then(|kib| kib.checked_mul(1024))
}

/// Parses a `Key:   <n> kB` line of `/proc/<pid>/status`, returning `n` (KiB).
#[cfg(any(target_os = "linux", test))]
pub fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    let mut parts = line[key.len()..].split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | Some("KB") | Some("kb") => Some(n),
        _ => None,
    }
}

/// The OS families whose `ru_maxrss` unit differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxRssUnit {
    /// Linux and most Unixes: kibibytes.
    KiB,
    /// macOS: bytes.
    Bytes,
}

impl MaxRssUnit {
    /// The unit of this build's target OS.
    pub fn native() -> MaxRssUnit {
        if cfg!(target_os = "macos") {
            MaxRssUnit::Bytes
        } else {
            MaxRssUnit::KiB
        }
    }
}

/// Converts `ru_maxrss` to bytes (negative values are 0).
pub fn maxrss_to_bytes(ru_maxrss: i64, unit: MaxRssUnit) -> u64 {
    let v = ru_maxrss.max(0) as u64;
    match unit {
        MaxRssUnit::KiB => v.saturating_mul(1024),
        MaxRssUnit::Bytes => v,
    }
}

/// `getrusage(RUSAGE_SELF).ru_maxrss` in bytes.
#[cfg(unix)]
pub fn max_rss_bytes() -> Option<u64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: getrusage succeeded and the struct was zero-initialized.
    let usage = unsafe { usage.assume_init() };
    #[allow(clippy::unnecessary_cast)]
    let raw = usage.ru_maxrss as i64;
    Some(maxrss_to_bytes(raw, MaxRssUnit::native()))
}

/// The peak memory of this process, from the best probe of the platform.
pub fn process_peak() -> Option<ProcessPeak> {
    #[cfg(target_os = "linux")]
    {
        if let Some(b) = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| parse_vm_hwm_bytes(&s))
        {
            return Some(ProcessPeak {
                peak_bytes: b,
                kind: PeakKind::VmHwm,
            });
        }
    }
    #[cfg(target_os = "macos")]
    {
        if let Some(b) = crate::sources::ioreport::lifetime_max_phys_footprint_bytes() {
            return Some(ProcessPeak {
                peak_bytes: b,
                kind: PeakKind::PhysFootprint,
            });
        }
    }
    #[cfg(unix)]
    {
        max_rss_bytes().map(|b| ProcessPeak {
            peak_bytes: b,
            kind: PeakKind::MaxRss,
        })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// System memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemMemory {
    /// Installed memory, bytes.
    pub total_bytes: u64,
    /// Memory available to new allocations, bytes.
    pub available_bytes: u64,
}

/// Total and available system memory (sysinfo).
pub fn system_memory() -> SystemMemory {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    SystemMemory {
        total_bytes: sys.total_memory(),
        available_bytes: sys.available_memory(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tbench\nVmPeak:\t  200000 kB\nVmSize:\t  150000 kB\n\
                          VmHWM:\t   12345 kB\nVmRSS:\t   10000 kB\n";

    #[test]
    fn parses_vm_hwm() {
        assert_eq!(parse_vm_hwm_bytes(STATUS), Some(12345 * 1024));
        assert_eq!(parse_status_kib(STATUS, "VmRSS:"), Some(10000));
        assert_eq!(parse_vm_hwm_bytes("Name: x\n"), None);
        assert_eq!(parse_vm_hwm_bytes("VmHWM: lots kB\n"), None);
        assert_eq!(parse_vm_hwm_bytes("VmHWM: 12 MB\n"), None);
        assert_eq!(parse_vm_hwm_bytes("VmHWM:\n"), None);
        assert_eq!(parse_vm_hwm_bytes(""), None);
    }

    #[test]
    fn maxrss_units() {
        assert_eq!(maxrss_to_bytes(2048, MaxRssUnit::KiB), 2 * 1024 * 1024);
        assert_eq!(maxrss_to_bytes(2048, MaxRssUnit::Bytes), 2048);
        assert_eq!(maxrss_to_bytes(-1, MaxRssUnit::KiB), 0);
        assert_eq!(maxrss_to_bytes(i64::MAX, MaxRssUnit::KiB), u64::MAX);
        if cfg!(target_os = "linux") {
            assert_eq!(MaxRssUnit::native(), MaxRssUnit::KiB);
        }
    }

    #[test]
    fn live_probes_work_here() {
        let peak = process_peak().unwrap();
        assert!(peak.peak_bytes > 0);
        if cfg!(target_os = "linux") {
            assert_eq!(peak.kind, PeakKind::VmHwm);
        }
        let m = system_memory();
        assert!(m.total_bytes > 0);
        assert!(m.available_bytes <= m.total_bytes);
    }
}
