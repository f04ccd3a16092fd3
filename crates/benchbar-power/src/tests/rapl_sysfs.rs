//! The RAPL source against fake powercap trees in a tempdir.

use std::fs;
use std::io;
use std::path::Path;

use crate::math::{Domain, EnergyAccumulator};
use crate::sources::rapl::RaplSource;
use crate::sources::EnergySource;

fn zone(root: &Path, dir: &str, name: Option<&str>, energy: Option<&str>, max: Option<&str>) {
    let d = root.join(dir);
    fs::create_dir_all(&d).unwrap();
    if let Some(n) = name {
        fs::write(d.join("name"), format!("{n}\n")).unwrap();
    }
    if let Some(e) = energy {
        fs::write(d.join("energy_uj"), e).unwrap();
    }
    if let Some(m) = max {
        fs::write(d.join("max_energy_range_uj"), m).unwrap();
    }
}

fn set_energy(root: &Path, dir: &str, value: u64) {
    fs::write(root.join(dir).join("energy_uj"), format!("{value}\n")).unwrap();
}

/// A typical laptop tree: two packages, their subzones (listed at top level too, as in
/// /sys/class/powercap), a psys zone, and the `intel-rapl` control type.
fn typical_tree(root: &Path) {
    fs::create_dir_all(root.join("intel-rapl")).unwrap();
    fs::write(root.join("intel-rapl").join("enabled"), "1\n").unwrap();
    zone(
        root,
        "intel-rapl:0",
        Some("package-0"),
        Some("1000000\n"),
        Some("262143328850\n"),
    );
    zone(
        root,
        "intel-rapl:0:0",
        Some("core"),
        Some("400000\n"),
        Some("262143328850\n"),
    );
    zone(
        root,
        "intel-rapl:0:1",
        Some("uncore"),
        Some("5000\n"),
        Some("262143328850\n"),
    );
    zone(
        root,
        "intel-rapl:0:2",
        Some("dram"),
        Some("7000\n"),
        Some("262143328850\n"),
    );
    zone(
        root,
        "intel-rapl:1",
        Some("psys"),
        Some("9000000\n"),
        Some("262143328850\n"),
    );
    zone(
        root,
        "intel-rapl:2",
        Some("package-1"),
        Some("2000000\n"),
        Some("262143328850\n"),
    );
}

#[test]
fn packages_only_no_subzones_no_psys() {
    let dir = tempfile::tempdir().unwrap();
    typical_tree(dir.path());
    let mut src = RaplSource::open(dir.path());
    let info = src.info();
    assert!(info.availability.is_available(), "{info:?}");
    assert_eq!(info.name, "rapl");
    assert_eq!(info.domains, vec![Domain::Package]);
    assert_eq!(src.channels(), vec!["package-0", "package-1"]);
    assert!(info.limitations.iter().any(|l| l.contains("psys")));
    let r = src.read().unwrap();
    assert_eq!(r.rows.len(), 2);
    assert_eq!(r.rows[0].value, 1_000_000);
    assert_eq!(r.rows[0].unit, "uJ");
    assert_eq!(r.rows[0].max_range, Some(262_143_328_850));
    assert_eq!(r.rows[1].channel, "package-1");
}

#[test]
fn counters_advance_and_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    zone(
        root,
        "intel-rapl:0",
        Some("package-0"),
        Some("999000"),
        Some("1000000"),
    );
    let mut src = RaplSource::open(root);
    let mut acc = EnergyAccumulator::new();
    acc.update(&src.read().unwrap().rows);
    // 1000 uJ to the top, then 500 after zero.
    set_energy(root, "intel-rapl:0", 500);
    let t = acc.update(&src.read().unwrap().rows);
    assert!((t[&Domain::Package] - 0.0015).abs() < 1e-12);
    set_energy(root, "intel-rapl:0", 2_500);
    let t = acc.update(&src.read().unwrap().rows);
    assert!((t[&Domain::Package] - 0.0035).abs() < 1e-12);
    assert_eq!(acc.wraps(), 1);
    assert_eq!(acc.dropped_samples(), 0);
}

#[test]
fn missing_range_means_backwards_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    zone(root, "intel-rapl:0", Some("package-0"), Some("5000"), None);
    let mut src = RaplSource::open(root);
    assert!(src
        .info()
        .limitations
        .iter()
        .any(|l| l.contains("max_energy_range_uj")));
    let mut acc = EnergyAccumulator::new();
    acc.update(&src.read().unwrap().rows);
    set_energy(root, "intel-rapl:0", 100);
    let t = acc.update(&src.read().unwrap().rows);
    assert_eq!(t[&Domain::Package], 0.0);
    assert_eq!(acc.dropped_samples(), 1);
    set_energy(root, "intel-rapl:0", 1100);
    let t = acc.update(&src.read().unwrap().rows);
    assert!((t[&Domain::Package] - 0.001).abs() < 1e-12);
}

#[test]
fn garbage_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    zone(
        root,
        "intel-rapl:0",
        Some("package-0"),
        Some("not a number\n"),
        Some("1000"),
    );
    zone(root, "intel-rapl:1", Some("package-1"), None, Some("1000"));
    // No `name` file: the directory name is used; not a package, so skipped.
    zone(root, "intel-rapl:2", None, Some("5"), None);
    let src = RaplSource::open(root);
    let info = src.info();
    let reason = info.availability.reason().expect("unavailable");
    assert!(reason.starts_with("RAPL unreadable"), "{reason}");
    assert!(reason.contains("not a microjoule counter"), "{reason}");
    assert!(reason.contains("intel-rapl:1"), "{reason}");
    assert!(info.label().starts_with("unavailable: "));

    // One good package among bad ones: available, the bad ones listed.
    zone(
        root,
        "intel-rapl:3",
        Some("package-3"),
        Some("42"),
        Some("garbage"),
    );
    let mut src = RaplSource::open(root);
    let info = src.info();
    assert!(info.availability.is_available());
    assert!(info
        .limitations
        .iter()
        .any(|l| l.contains("not a microjoule")));
    let r = src.read().unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].value, 42);
    assert_eq!(r.rows[0].max_range, None, "garbage range ignored");

    // The file disappears after open: the read fails, no panic.
    fs::remove_file(root.join("intel-rapl:3").join("energy_uj")).unwrap();
    assert!(src.read().is_err());
    // Garbage appears later: also an error.
    fs::write(root.join("intel-rapl:3").join("energy_uj"), "\u{0}\u{1}").unwrap();
    assert!(src.read().is_err());
}

fn deny_energy(path: &Path) -> io::Result<String> {
    if path.file_name().is_some_and(|n| n == "energy_uj") {
        Err(io::Error::from(io::ErrorKind::PermissionDenied))
    } else {
        fs::read_to_string(path)
    }
}

fn deny_package0(path: &Path) -> io::Result<String> {
    if path.ends_with("intel-rapl:0/energy_uj") {
        Err(io::Error::from(io::ErrorKind::PermissionDenied))
    } else {
        fs::read_to_string(path)
    }
}

#[test]
fn root_only_energy_is_reported_once_as_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    typical_tree(dir.path());
    let mut src = RaplSource::open_with_reader(dir.path(), deny_energy);
    let info = src.info();
    let reason = info.availability.reason().expect("unavailable");
    assert!(reason.contains("root-only"), "{reason}");
    assert!(reason.contains("intel-rapl:0/energy_uj"), "{reason}");
    assert_eq!(reason.matches("root-only").count(), 1);
    assert!(src.read().is_err());

    // Only one package denied: available, the denial noted.
    let src = RaplSource::open_with_reader(dir.path(), deny_package0);
    let info = src.info();
    assert!(info.availability.is_available());
    assert_eq!(src.channels(), vec!["package-1"]);
    assert!(info.limitations.iter().any(|l| l.contains("root-only")));
}

#[cfg(unix)]
#[test]
fn real_permission_bits_when_not_root() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    zone(
        dir.path(),
        "intel-rapl:0",
        Some("package-0"),
        Some("1"),
        Some("10"),
    );
    let f = dir.path().join("intel-rapl:0").join("energy_uj");
    fs::set_permissions(&f, fs::Permissions::from_mode(0o000)).unwrap();
    let src = RaplSource::open(dir.path());
    // Root reads mode-000 files, so only check the reason when the denial is real.
    if fs::read_to_string(&f).is_err() {
        let reason = src.info().availability.reason().unwrap().to_owned();
        assert!(reason.contains("root-only"), "{reason}");
    } else {
        assert!(src.info().availability.is_available());
    }
}

#[test]
fn absent_tree_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let src = RaplSource::open(&dir.path().join("nope"));
    let reason = src.info().availability.reason().unwrap().to_owned();
    assert!(reason.starts_with("RAPL not present"), "{reason}");
    // A powercap dir with other drivers only.
    zone(dir.path(), "dtpm", Some("dtpm"), None, None);
    zone(
        dir.path(),
        "intel-rapl-mmio:0",
        Some("package-0"),
        Some("5"),
        None,
    );
    let src = RaplSource::open(dir.path());
    assert!(src
        .info()
        .availability
        .reason()
        .unwrap()
        .contains("no intel-rapl:N zone"));
}
