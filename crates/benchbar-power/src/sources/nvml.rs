//! NVIDIA GPUs through NVML (`nvml-wrapper`, which loads libnvidia-ml at run time).
//!
//! Energy comes from `nvmlDeviceGetTotalEnergyConsumption` (mJ since driver load, Volta
//! and newer). On GPUs without it, `nvmlDeviceGetPowerUsage` (mW) is integrated over
//! the read intervals instead, and the source says so. No driver or library means an
//! unavailable source with the reason, never a panic.
//!
//! The sampler's cost is a few driver calls per tick, so it is kept to what the timeline
//! needs: NVML is initialised once per process and each GPU's handle kept (no per-read
//! lookup); with the energy counter the sampler reads only `power_usage` on a tick (the
//! 64-bit counter never wraps, so it is read only at the snapshots that bound a phase), and
//! the device memory once a second (the session's rule).

use std::sync::OnceLock;
use std::time::Instant;

use nvml_wrapper::{Device, Nvml};

use crate::error::{PowerError, Result};
use crate::math::{CounterRow, Domain, PowerIntegrator, NVML_GROUP};
use crate::sources::{Availability, EnergySource, Reading, SourceInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    EnergyCounter,
    IntegratedPower,
}

struct Gpu {
    index: u32,
    device: Device<'static>,
    mode: Mode,
    integrator: PowerIntegrator,
}

/// NVML, initialised on first use and kept for the process (initialising costs far more
/// than a read, and a handle borrows it), or why it could not be.
fn nvml() -> std::result::Result<&'static Nvml, String> {
    static NVML: OnceLock<std::result::Result<Nvml, String>> = OnceLock::new();
    NVML.get_or_init(|| {
        Nvml::init().map_err(|e| format!("NVML not usable (no NVIDIA driver/libnvidia-ml?): {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// NVIDIA GPU energy, power and memory.
pub struct NvmlSource {
    origin: Instant,
    gpus: Vec<Gpu>,
    availability: Availability,
    limitations: Vec<String>,
}

impl NvmlSource {
    /// Initializes NVML and finds the GPUs. Never fails: without a driver, library or GPU
    /// the source is unavailable with the reason.
    pub fn open() -> NvmlSource {
        let nvml = match nvml() {
            Ok(n) => n,
            Err(e) => return NvmlSource::unavailable(e),
        };
        let count = match nvml.device_count() {
            Ok(c) => c,
            Err(e) => return NvmlSource::unavailable(format!("NVML device count failed: {e}")),
        };
        if count == 0 {
            return NvmlSource::unavailable("NVML found no NVIDIA GPU".to_owned());
        }
        let mut gpus = Vec::new();
        let mut limitations = Vec::new();
        for index in 0..count {
            let device = match nvml.device_by_index(index) {
                Ok(d) => d,
                Err(e) => {
                    limitations.push(format!("gpu{index}: not accessible: {e}"));
                    continue;
                }
            };
            let mode = if device.total_energy_consumption().is_ok() {
                Mode::EnergyCounter
            } else if device.power_usage().is_ok() {
                limitations.push(format!(
                    "gpu{index}: no energy counter; power_usage integrated at each read"
                ));
                Mode::IntegratedPower
            } else {
                limitations.push(format!("gpu{index}: neither energy nor power readable"));
                continue;
            };
            gpus.push(Gpu {
                index,
                device,
                mode,
                integrator: PowerIntegrator::new(),
            });
        }
        if gpus.is_empty() {
            return NvmlSource::unavailable(format!(
                "no NVIDIA GPU reports energy or power ({})",
                limitations.join("; ")
            ));
        }
        limitations.push("GPU only; CPU and DRAM not covered".to_owned());
        NvmlSource {
            origin: Instant::now(),
            gpus,
            availability: Availability::Available,
            limitations,
        }
    }

    fn unavailable(reason: String) -> NvmlSource {
        NvmlSource {
            origin: Instant::now(),
            gpus: Vec::new(),
            availability: Availability::unavailable(reason),
            limitations: Vec::new(),
        }
    }

    /// Current power per GPU in watts (`nvmlDeviceGetPowerUsage`), GPUs that fail left out.
    #[cfg(test)]
    pub fn power_usage_w(&self) -> Vec<f64> {
        self.gpus
            .iter()
            .filter_map(|g| g.device.power_usage().ok())
            .map(|mw| f64::from(mw) / 1e3)
            .collect()
    }
}

impl EnergySource for NvmlSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: "nvml".to_owned(),
            availability: self.availability.clone(),
            domains: if self.gpus.is_empty() {
                Vec::new()
            } else {
                vec![Domain::Gpu]
            },
            limitations: self.limitations.clone(),
        }
    }

    fn read(&mut self) -> Result<Reading> {
        if self.gpus.is_empty() {
            return Err(PowerError::Unavailable(
                self.availability.reason().unwrap_or("NVML").to_owned(),
            ));
        }
        let mut rows = Vec::with_capacity(self.gpus.len());
        let mut errors = Vec::new();
        for g in &mut self.gpus {
            let channel = format!("gpu{}", g.index);
            match g.mode {
                Mode::EnergyCounter => match g.device.total_energy_consumption() {
                    Ok(mj) => rows.push(CounterRow::new(NVML_GROUP, &channel, "mJ", mj)),
                    Err(e) => errors.push(format!("{channel}: {e}")),
                },
                Mode::IntegratedPower => match g.device.power_usage() {
                    Ok(mw) => {
                        let t_ns =
                            u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
                        let uj = g.integrator.add(t_ns, f64::from(mw) / 1e3);
                        rows.push(CounterRow::new(NVML_GROUP, &channel, "uJ", uj));
                    }
                    Err(e) => errors.push(format!("{channel}: {e}")),
                },
            }
        }
        if rows.is_empty() {
            return Err(PowerError::Platform(format!(
                "NVML read failed: {}",
                errors.join("; ")
            )));
        }
        Ok(Reading { rows, t_ns: None })
    }

    fn device_memory_used_bytes(&mut self) -> Option<u64> {
        let mut total = None;
        for g in &self.gpus {
            if let Ok(info) = g.device.memory_info() {
                total = Some(total.unwrap_or(0) + info.used);
            }
        }
        total
    }

    fn power_now_w(&mut self) -> Option<crate::math::DomainMap> {
        let mut total_w = None;
        for g in &self.gpus {
            if let Ok(mw) = g.device.power_usage() {
                total_w = Some(total_w.unwrap_or(0.0) + f64::from(mw) / 1e3);
            }
        }
        total_w.map(|w| [(crate::math::Domain::Gpu, w)].into_iter().collect())
    }

    /// With the energy counter (64-bit, never wraps) the timeline needs only `power_usage`;
    /// integrated power needs a read per tick to integrate.
    fn counters_on_ticks(&self) -> bool {
        self.gpus.iter().any(|g| g.mode == Mode::IntegratedPower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_without_driver_does_not_panic() {
        let mut s = NvmlSource::open();
        let info = s.info();
        assert_eq!(info.name, "nvml");
        if !info.availability.is_available() {
            assert!(!info.availability.reason().unwrap().is_empty());
            assert!(s.read().is_err());
            assert!(s.power_usage_w().is_empty());
            assert_eq!(s.device_memory_used_bytes(), None);
        }
    }
}
