//! Sources built from others: [`UnavailableSource`] (measures nothing and says why) and
//! [`CompositeSource`] (several sources read together).

use crate::error::{PowerError, Result};
#[cfg(any(target_os = "linux", test))]
use crate::math::{Domain, DomainMap};
use crate::sources::{Availability, EnergySource, Reading, SourceInfo};

/// A source that measures nothing and says why.
#[derive(Debug, Clone)]
pub struct UnavailableSource {
    reason: String,
}

impl UnavailableSource {
    /// An unavailable source with this reason.
    pub fn new(reason: impl Into<String>) -> UnavailableSource {
        UnavailableSource {
            reason: reason.into(),
        }
    }
}

impl EnergySource for UnavailableSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: "none".to_owned(),
            availability: Availability::unavailable(self.reason.clone()),
            domains: Vec::new(),
            limitations: Vec::new(),
        }
    }

    fn read(&mut self) -> Result<Reading> {
        Err(PowerError::Unavailable(self.reason.clone()))
    }
}

/// Several sources read together (e.g. NVML for the GPU + RAPL for the CPU package).
/// Unavailable parts are left out; their reasons go to the limitations.
#[cfg(any(target_os = "linux", test))]
pub struct CompositeSource {
    parts: Vec<Box<dyn EnergySource>>,
    skipped: Vec<String>,
}

#[cfg(any(target_os = "linux", test))]
impl CompositeSource {
    /// Combines the available sources of `parts`; the reasons of the others are kept.
    pub fn new(parts: Vec<Box<dyn EnergySource>>) -> CompositeSource {
        let mut kept = Vec::new();
        let mut skipped = Vec::new();
        for p in parts {
            let info = p.info();
            match info.availability {
                Availability::Available => kept.push(p),
                Availability::Unavailable { reason } => {
                    skipped.push(format!("{}: {reason}", info.name));
                }
            }
        }
        CompositeSource {
            parts: kept,
            skipped,
        }
    }

    /// Number of available parts.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// True when no part is available.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

#[cfg(any(target_os = "linux", test))]
impl EnergySource for CompositeSource {
    fn info(&self) -> SourceInfo {
        let infos: Vec<SourceInfo> = self.parts.iter().map(|p| p.info()).collect();
        let mut domains: Vec<Domain> = infos.iter().flat_map(|i| i.domains.clone()).collect();
        domains.sort();
        domains.dedup();
        let mut limitations: Vec<String> =
            infos.iter().flat_map(|i| i.limitations.clone()).collect();
        limitations.extend(self.skipped.iter().map(|s| format!("not measured: {s}")));
        SourceInfo {
            name: if infos.is_empty() {
                "none".to_owned()
            } else {
                infos
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            },
            availability: if infos.is_empty() {
                Availability::unavailable(if self.skipped.is_empty() {
                    "no energy source".to_owned()
                } else {
                    self.skipped.join("; ")
                })
            } else {
                Availability::Available
            },
            domains,
            limitations,
        }
    }

    fn read(&mut self) -> Result<Reading> {
        merged(self.parts.iter_mut(), |p| p.read())
    }

    fn thermal_pressure(&self) -> Option<String> {
        self.parts.iter().find_map(|p| p.thermal_pressure())
    }

    fn device_memory_used_bytes(&mut self) -> Option<u64> {
        let mut total = None;
        for p in &mut self.parts {
            if let Some(b) = p.device_memory_used_bytes() {
                total = Some(total.unwrap_or(0) + b);
            }
        }
        total
    }

    fn power_now_w(&mut self) -> Option<DomainMap> {
        let mut all: Option<DomainMap> = None;
        for p in &mut self.parts {
            if let Some(w) = p.power_now_w() {
                all.get_or_insert_with(DomainMap::new).extend(w);
            }
        }
        all
    }

    fn counters_on_ticks(&self) -> bool {
        self.parts.iter().any(|p| p.counters_on_ticks())
    }

    fn read_on_tick(&mut self) -> Result<Reading> {
        merged(
            self.parts.iter_mut().filter(|p| p.counters_on_ticks()),
            |p| p.read_on_tick(),
        )
    }
}

/// The rows of `parts`' readings together (no time of their own); an error only when every
/// part failed.
#[cfg(any(target_os = "linux", test))]
fn merged<'a>(
    parts: impl Iterator<Item = &'a mut Box<dyn EnergySource>>,
    read: impl Fn(&mut dyn EnergySource) -> Result<Reading>,
) -> Result<Reading> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for p in parts {
        match read(p.as_mut()) {
            Ok(r) => rows.extend(r.rows),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if rows.is_empty() && !errors.is_empty() {
        return Err(PowerError::Platform(errors.join("; ")));
    }
    Ok(Reading { rows, t_ns: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::replay::ReplaySource;

    #[test]
    fn labels() {
        let u = UnavailableSource::new("no RAPL");
        assert_eq!(u.info().label(), "unavailable: no RAPL");
        let r = ReplaySource::constant_power("rapl", "package-0", 1.0, 10, 2);
        assert_eq!(r.info().label(), "replay");
        let json = serde_json::to_string(&Availability::unavailable("x")).unwrap();
        assert_eq!(json, r#"{"status":"unavailable","reason":"x"}"#);
    }

    #[test]
    fn composite_keeps_available_parts_and_reasons() {
        let mut c = CompositeSource::new(vec![
            Box::new(UnavailableSource::new("no GPU")),
            Box::new(ReplaySource::constant_power(
                "rapl",
                "package-0",
                1.0,
                10,
                2,
            )),
        ]);
        assert_eq!(c.len(), 1);
        let info = c.info();
        assert_eq!(info.name, "replay");
        assert!(info.limitations.iter().any(|l| l.contains("no GPU")));
        assert_eq!(c.read().unwrap().rows.len(), 1);
        let none = CompositeSource::new(vec![Box::new(UnavailableSource::new("a"))]);
        assert!(none.is_empty());
        assert_eq!(none.info().label(), "unavailable: none: a");
    }
}
