//! The powermetrics parser against recorded-structure fixtures (tests/fixtures/powermetrics).

use crate::math::{phase_energy, Domain, EnergyAccumulator, EnergyPoint};
use crate::sources::powermetrics::{
    parse_powermetrics_stream, PowermetricsCounters, PowermetricsStream,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/powermetrics/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn three_samples_parse_and_accumulate() {
    let parsed = parse_powermetrics_stream(&fixture("m2_three_samples.plist"));
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert!(!parsed.truncated);
    assert_eq!(parsed.samples.len(), 3);
    let s0 = &parsed.samples[0];
    assert_eq!(s0.elapsed_ns, Some(250_312_000));
    assert_eq!(s0.cpu_energy_mj, Some(412.0));
    assert_eq!(s0.gpu_energy_mj, Some(1280.0));
    assert_eq!(s0.ane_energy_mj, Some(0.0));
    assert_eq!(s0.cpu_power_mw, Some(1646.0));
    assert_eq!(s0.combined_power_mw, Some(6760.0));
    assert_eq!(s0.gpu_freq_hz, Some(1.398e9));
    assert_eq!(s0.gpu_idle_ratio, Some(0.02));
    assert_eq!(s0.thermal_pressure.as_deref(), Some("Nominal"));
    assert_eq!(
        parsed.samples[2].thermal_pressure.as_deref(),
        Some("Moderate")
    );

    // Cumulative counters, fed to the energy core with the stream's own clock.
    let mut counters = PowermetricsCounters::default();
    let mut acc = EnergyAccumulator::new();
    let mut points = vec![EnergyPoint {
        t_ns: 0,
        domains_j: acc.update(&counters.rows()),
    }];
    for s in &parsed.samples {
        counters.add(s);
        points.push(EnergyPoint {
            t_ns: counters.elapsed_ns,
            domains_j: acc.update(&counters.rows()),
        });
    }
    assert_eq!(counters.elapsed_ns, 750_189_000);
    assert!(close(counters.cpu_mj, 1215.0, 1e-9));
    assert!(close(counters.gpu_mj, 3875.0, 1e-9));
    assert!(close(counters.ane_mj, 12.0, 1e-9));
    let end = points.last().unwrap();
    assert!(close(end.domains_j[&Domain::Cpu], 1.215, 1e-9));
    assert!(close(end.total_j(), 1.215 + 3.875 + 0.012, 1e-9));

    // Samples 2..3 as a phase: (398 + 405 + 1305 + 1290 + 0 + 12) mJ over 499.877 ms.
    let phase = phase_energy(&points[1], &points[3], None).unwrap();
    assert!(close(phase.total_j, 3.410, 1e-9));
    assert!(close(phase.elapsed_s, 0.499_877, 1e-12));
    assert!(close(phase.avg_power_w.unwrap(), 3.410 / 0.499_877, 1e-9));
    assert!(close(phase.avg_power_w.unwrap(), 6.8217, 1e-4));
}

#[test]
fn truncated_stream_keeps_complete_documents() {
    let parsed = parse_powermetrics_stream(&fixture("truncated.plist"));
    assert_eq!(parsed.samples.len(), 2);
    assert!(parsed.truncated);
    assert_eq!(parsed.errors.len(), 1);

    // Incrementally: the half document stays buffered until finish().
    let mut stream = PowermetricsStream::new();
    let done = stream.push(&fixture("truncated.plist"));
    assert_eq!(done.len(), 2);
    assert!(stream.finish().unwrap().is_err());
    assert!(stream.finish().is_none());
}

#[test]
fn missing_keys_reals_unknown_keys_and_garbage() {
    let parsed = parse_powermetrics_stream(&fixture("missing_and_odd.plist"));
    assert_eq!(parsed.samples.len(), 3, "{:?}", parsed.errors);
    assert_eq!(parsed.errors.len(), 1, "the non-plist chunk");
    assert!(!parsed.truncated);
    let [a, b, c] = &parsed.samples[..] else {
        unreachable!()
    };
    // a: powers only.
    assert_eq!(a.cpu_energy_mj, None);
    assert_eq!(a.cpu_power_mw, Some(2000.0));
    // b: real-valued energies, no thermal pressure.
    assert_eq!(b.cpu_energy_mj, Some(100.5));
    assert_eq!(b.gpu_energy_mj, Some(200.25));
    assert_eq!(b.thermal_pressure, None);
    // c: no elapsed_ns, unknown keys ignored.
    assert_eq!(c.elapsed_ns, None);
    assert_eq!(c.cpu_energy_mj, Some(50.0));
    assert_eq!(c.thermal_pressure.as_deref(), Some("Heavy"));

    let mut counters = PowermetricsCounters::default();
    for s in &parsed.samples {
        counters.add(s);
    }
    // a: 2000 mW * 0.5 s = 1000 mJ cpu, 4000 mW -> 2000 mJ gpu, 100 mW -> 50 mJ ane.
    assert!(close(counters.cpu_mj, 1000.0 + 100.5 + 50.0, 1e-9));
    assert!(close(counters.gpu_mj, 2000.0 + 200.25 + 60.0, 1e-9));
    assert!(close(counters.ane_mj, 50.0, 1e-9));
    assert_eq!(counters.elapsed_ns, 750_000_000);
    assert_eq!(counters.samples, 3);
    assert_eq!(counters.thermal_pressure.as_deref(), Some("Heavy"));
}

#[cfg(unix)]
mod process {
    use std::process::Command;

    use crate::math::Domain;
    use crate::sources::powermetrics::PowermetricsSource;
    use crate::sources::EnergySource;

    #[test]
    fn a_process_writing_the_stream_is_a_source() {
        let path = format!(
            "{}/tests/fixtures/powermetrics/m2_three_samples.plist",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut cmd = Command::new("cat");
        cmd.arg(path);
        let mut src = PowermetricsSource::spawn(cmd);
        assert!(src.info().availability.is_available());
        src.wait_for_end();
        let c = src.counters();
        assert_eq!(c.samples, 3);
        assert_eq!(src.parse_errors(), 0);
        let reading = src.read().unwrap();
        let cpu = reading
            .rows
            .iter()
            .find(|r| r.channel == "cpu_energy")
            .unwrap();
        assert_eq!(cpu.value, 1_215_000);
        assert_eq!(cpu.unit, "uJ");
        assert_eq!(src.thermal_pressure().as_deref(), Some("Moderate"));
        let info = src.info();
        assert_eq!(info.domains, vec![Domain::Cpu, Domain::Gpu, Domain::Ane]);
        assert!(info.limitations.iter().any(|l| l.contains("exited")));
    }

    #[test]
    fn a_missing_program_is_unavailable() {
        let mut src = PowermetricsSource::spawn(Command::new("/nonexistent/powermetrics"));
        let info = src.info();
        assert!(!info.availability.is_available());
        assert!(info
            .label()
            .starts_with("unavailable: cannot start powermetrics"));
        assert!(src.read().is_err());
    }

    #[test]
    fn a_process_with_no_samples_errors_on_read() {
        let mut src = PowermetricsSource::spawn(Command::new("true"));
        src.wait_for_end();
        assert!(src.read().is_err());
    }
}
