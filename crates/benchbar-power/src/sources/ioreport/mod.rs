//! macOS sources: IOReport "Energy Model" (no sudo) with the SMC system power, and the
//! peak-footprint probe used by the memory probes. The unsafe FFI is all in [`ffi`]; this
//! module is safe code over plain rows.

mod ffi;

use std::time::Instant;

use crate::error::{PowerError, Result};
use crate::math::{classify_domain, CounterRow, Domain, PowerIntegrator, IOREPORT_ENERGY_GROUP};
use crate::sources::{Availability, EnergySource, Reading, SourceInfo};

pub(crate) use ffi::lifetime_max_phys_footprint_bytes;

/// Apple Silicon energy counters from IOReport's "Energy Model" group (CPU, GPU, ANE,
/// DRAM), readable without root. Counters are deltas from the subscription's first
/// sample, so they start at 0 when the source opens.
///
/// When the SMC exposes `PSTR` (system power, watts), it is integrated at every read into
/// a `system` domain; totals are then max(system, cpu + gpu + ane + dram)
/// ([`crate::math::total_of`], [`crate::math::total_basis`] says which).
pub struct IoReportSource {
    subscription: Option<ffi::Subscription>,
    smc: Option<SmcSystemPower>,
    smc_note: Option<String>,
    availability: Availability,
    domains: Vec<Domain>,
}

struct SmcSystemPower {
    key: ffi::SmcFloatKey,
    origin: Instant,
    integrator: PowerIntegrator,
}

impl SmcSystemPower {
    fn open() -> Result<SmcSystemPower> {
        let mut key = ffi::SmcFloatKey::open(b"PSTR").map_err(PowerError::Platform)?;
        key.read().map_err(PowerError::Platform)?;
        Ok(SmcSystemPower {
            key,
            origin: Instant::now(),
            integrator: PowerIntegrator::new(),
        })
    }

    fn row(&mut self) -> Option<CounterRow> {
        let watts = self.key.read().ok()?;
        let t_ns = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let uj = self.integrator.add(t_ns, f64::from(watts));
        Some(CounterRow::new("smc", "PSTR", "uJ", uj))
    }
}

impl IoReportSource {
    /// Subscribes to the "Energy Model" group. Never fails: problems become an
    /// unavailable source with the reason.
    pub fn open() -> IoReportSource {
        match ffi::Subscription::open(IOREPORT_ENERGY_GROUP) {
            Ok(mut sub) => {
                let rows = match sub.rows_since_open() {
                    Ok(r) => r,
                    Err(e) => return IoReportSource::unavailable(e),
                };
                let mut domains: Vec<Domain> = rows
                    .iter()
                    .filter_map(|r| classify_domain(&r.group, &r.channel, &r.unit))
                    .collect();
                if domains.is_empty() {
                    return IoReportSource::unavailable(
                        "IOReport Energy Model has no CPU/GPU/ANE/DRAM energy channel".to_owned(),
                    );
                }
                let (smc, smc_note) = match SmcSystemPower::open() {
                    Ok(s) => {
                        domains.push(Domain::System);
                        (Some(s), None)
                    }
                    Err(e) => (None, Some(format!("no SMC system power (PSTR): {e}"))),
                };
                domains.sort();
                domains.dedup();
                IoReportSource {
                    subscription: Some(sub),
                    smc,
                    smc_note,
                    availability: Availability::Available,
                    domains,
                }
            }
            Err(e) => IoReportSource::unavailable(e),
        }
    }

    fn unavailable(reason: String) -> IoReportSource {
        IoReportSource {
            subscription: None,
            smc: None,
            smc_note: None,
            availability: Availability::unavailable(format!("IOReport: {reason}")),
            domains: Vec::new(),
        }
    }
}

impl EnergySource for IoReportSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: "ioreport".to_owned(),
            availability: self.availability.clone(),
            domains: self.domains.clone(),
            limitations: match &self.smc_note {
                Some(note) => vec![format!("SoC energy only (CPU, GPU, ANE, DRAM); {note}")],
                None => vec![
                    "system power is SMC PSTR sampled at each read (integrated), not a counter"
                        .to_owned(),
                ],
            },
        }
    }

    fn read(&mut self) -> Result<Reading> {
        let Some(sub) = self.subscription.as_mut() else {
            return Err(PowerError::Unavailable(
                self.availability.reason().unwrap_or("IOReport").to_owned(),
            ));
        };
        let raw = sub.rows_since_open().map_err(PowerError::Platform)?;
        let mut rows: Vec<CounterRow> = raw
            .into_iter()
            .filter(|r| r.value >= 0)
            .map(|r| CounterRow::new(&r.group, &r.channel, &r.unit, r.value as u64))
            .collect();
        if let Some(row) = self.smc.as_mut().and_then(SmcSystemPower::row) {
            rows.push(row);
        }
        Ok(Reading { rows, t_ns: None })
    }
}
