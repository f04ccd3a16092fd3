//! The machine a run is measured on (sysinfo).

use benchbar_core::report::MachineInfo;
use sysinfo::System;

/// Reads OS, architecture, CPU brand, memory and (on Apple silicon) the chip name.
pub fn machine_info() -> MachineInfo {
    let mut sys = System::new();
    sys.refresh_memory();
    sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
    let cpu = sys
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "unknown".into());
    MachineInfo {
        os: System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_string()),
        arch: std::env::consts::ARCH.to_string(),
        chip: chip_name(&cpu),
        cpu,
        memory_bytes: sys.total_memory(),
    }
}

/// The chip name when the CPU brand names an Apple chip ("Apple M3 Max").
pub fn chip_name(cpu_brand: &str) -> Option<String> {
    cpu_brand
        .starts_with("Apple ")
        .then(|| cpu_brand.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_brands_are_chips() {
        assert_eq!(chip_name("Apple M3 Max").as_deref(), Some("Apple M3 Max"));
        assert_eq!(chip_name("AMD EPYC 7B13"), None);
    }

    #[test]
    fn reads_this_machine() {
        let m = machine_info();
        assert!(m.memory_bytes > 0);
        assert_eq!(m.arch, std::env::consts::ARCH);
        assert!(!m.os.is_empty());
    }
}
