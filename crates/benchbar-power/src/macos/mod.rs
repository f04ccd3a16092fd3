//! macOS sources: IOReport "Energy Model" (no sudo) and the peak-footprint probe.
//! The unsafe FFI is all in [`ioreport_ffi`]; this module is safe code over plain rows.

mod ioreport_ffi;

use crate::energy::{classify_domain, CounterRow, Domain, IOREPORT_ENERGY_GROUP};
use crate::error::{PowerError, Result};
use crate::source::{Availability, EnergySource, Reading, SourceInfo};

pub(crate) use ioreport_ffi::lifetime_max_phys_footprint_bytes;

/// Apple Silicon energy counters from IOReport's "Energy Model" group (CPU, GPU, ANE,
/// DRAM), readable without root. Counters are deltas from the subscription's first
/// sample, so they start at 0 when the source opens.
pub struct IoReportSource {
    subscription: Option<ioreport_ffi::Subscription>,
    availability: Availability,
    domains: Vec<Domain>,
}

impl IoReportSource {
    /// Subscribes to the "Energy Model" group. Never fails: problems become an
    /// unavailable source with the reason.
    pub fn open() -> IoReportSource {
        match ioreport_ffi::Subscription::open(IOREPORT_ENERGY_GROUP) {
            Ok(mut sub) => {
                let rows = match sub.rows_since_open() {
                    Ok(r) => r,
                    Err(e) => return IoReportSource::unavailable(e),
                };
                let mut domains: Vec<Domain> = rows
                    .iter()
                    .filter_map(|r| classify_domain(&r.group, &r.channel, &r.unit))
                    .collect();
                domains.sort();
                domains.dedup();
                if domains.is_empty() {
                    return IoReportSource::unavailable(
                        "IOReport Energy Model has no CPU/GPU/ANE/DRAM energy channel".to_owned(),
                    );
                }
                IoReportSource {
                    subscription: Some(sub),
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
            limitations: vec![
                "SoC energy (CPU, GPU, ANE, DRAM); no whole-system (SMC PSTR) figure".to_owned(),
            ],
        }
    }

    fn read(&mut self) -> Result<Reading> {
        let Some(sub) = self.subscription.as_mut() else {
            return Err(PowerError::Unavailable(
                self.availability.reason().unwrap_or("IOReport").to_owned(),
            ));
        };
        let rows = sub.rows_since_open().map_err(PowerError::Platform)?;
        Ok(Reading {
            rows: rows
                .into_iter()
                .filter(|r| r.value >= 0)
                .map(|r| CounterRow::new(&r.group, &r.channel, &r.unit, r.value as u64))
                .collect(),
            t_ns: None,
        })
    }
}
