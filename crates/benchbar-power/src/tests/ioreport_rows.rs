//! The pure IOReport path: recorded-structure "Energy Model" rows (what the FFI layer
//! hands out) through classification, accumulation and phase energy.

use crate::math::{phase_energy, Domain, EnergyAccumulator, EnergyPoint, TotalBasis};
use crate::sources::replay::ReplaySource;
use crate::sources::EnergySource;

fn load(name: &str) -> ReplaySource {
    let path = format!(
        "{}/tests/fixtures/ioreport/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    ReplaySource::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn points(mut src: ReplaySource, n: usize) -> Vec<EnergyPoint> {
    let mut acc = EnergyAccumulator::new();
    (0..n)
        .map(|_| {
            let r = src.read().unwrap();
            EnergyPoint {
                t_ns: r.t_ns.unwrap(),
                domains_j: acc.update(&r.rows),
            }
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn m2_listing_uses_only_the_aggregate_channels() {
    let src = load("m2_energy_model.json");
    assert_eq!(
        src.info().domains,
        vec![Domain::Cpu, Domain::Gpu, Domain::Ane, Domain::Dram]
    );
    let p = points(src, 2);
    let e = phase_energy(&p[0], &p[1], None).unwrap();
    // CPU Energy +981 mJ (not ECPU/PCPU), GPU Energy +2.4 J (not GPU0/SRAM),
    // ANE0 +12 mJ, DRAM0 +300 mJ; DCS/AMCC/DISP/ISP ignored.
    assert!(close(e.domains_j[&Domain::Cpu], 0.981));
    assert!(close(e.domains_j[&Domain::Gpu], 2.4));
    assert!(close(e.domains_j[&Domain::Ane], 0.012));
    assert!(close(e.domains_j[&Domain::Dram], 0.300));
    assert!(!e.domains_j.contains_key(&Domain::Other));
    assert!(close(e.total_j, 3.693));
    assert!(close(e.avg_power_w.unwrap(), 7.386));
    assert_eq!(e.total_basis, TotalBasis::Components);
}

#[test]
fn ultra_sums_dies_and_takes_max_with_smc_system_power() {
    let p = points(load("ultra_two_dies.json"), 2);
    let e = phase_energy(&p[0], &p[1], None).unwrap();
    // Two dies: 500 + 600 mJ; per-die PCPU ignored.
    assert!(close(e.domains_j[&Domain::Cpu], 1.1));
    assert!(close(e.domains_j[&Domain::Ane], 0.025));
    // Components 1.1 + 5 + 0.025 + 0.2 = 6.325 J > PSTR 5 J: components win.
    assert!(close(e.domains_j[&Domain::System], 5.0));
    assert!(close(e.total_j, 6.325));
    assert_eq!(e.total_basis, TotalBasis::Components);
    assert!(close(e.avg_power_w.unwrap(), 25.3));
}
