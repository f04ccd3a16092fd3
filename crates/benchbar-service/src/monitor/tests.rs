//! Scheduler timing with a hand-driven clock.

use super::*;

fn t0() -> DateTime<Utc> {
    "2026-11-26T08:00:00Z".parse().unwrap()
}

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

fn at(m: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::minutes(m)
}

fn mains() -> PowerConditions {
    PowerConditions {
        on_battery: Some(false),
        low_power_mode: Some(false),
    }
}

fn every(m: u64) -> Monitor {
    Monitor::new(MonitorConfig::new(minutes(m)).unwrap(), t0())
}

#[test]
fn first_sample_at_once_then_on_a_fixed_grid() {
    let lock = RunLock::new();
    let mut m = every(30);
    assert!(matches!(m.tick(at(0), &lock, mains), Decision::Run(_)));
    assert_eq!(m.next_due(), at(30));
    match m.tick(at(10), &lock, mains) {
        Decision::Wait(d) => assert_eq!(d, minutes(20)),
        other => panic!("{other:?}"),
    }
    // A sample taken 2 minutes late does not shift the grid.
    assert!(matches!(m.tick(at(32), &lock, mains), Decision::Run(_)));
    m.finished(at(33));
    assert_eq!(m.next_due(), at(60));
}

#[test]
fn a_sample_longer_than_the_interval_drops_the_missed_slots() {
    let lock = RunLock::new();
    let mut m = every(5);
    let Decision::Run(guard) = m.tick(at(0), &lock, mains) else {
        panic!("first sample is due at once");
    };
    // The sample runs 12 minutes: the slots at 5 and 10 passed while it ran.
    drop(guard);
    m.finished(at(12));
    assert_eq!(m.next_due(), at(15));
    assert!(matches!(m.tick(at(12), &lock, mains), Decision::Wait(_)));
}

#[test]
fn battery_and_low_power_skip_to_the_next_slot_unless_allowed() {
    let lock = RunLock::new();
    let battery = || PowerConditions {
        on_battery: Some(true),
        low_power_mode: Some(false),
    };
    let low_power = || PowerConditions {
        on_battery: Some(false),
        low_power_mode: Some(true),
    };
    let mut m = every(30);
    assert!(matches!(
        m.tick(at(0), &lock, battery),
        Decision::Skip(SkipReason::OnBattery)
    ));
    assert_eq!(m.next_due(), at(30));
    assert!(matches!(
        m.tick(at(30), &lock, low_power),
        Decision::Skip(SkipReason::LowPowerMode)
    ));
    // Unknown power state never skips.
    assert!(matches!(
        m.tick(at(60), &lock, PowerConditions::default),
        Decision::Run(_)
    ));
    let mut cfg = MonitorConfig::new(minutes(30)).unwrap();
    cfg.skip_on_battery = false;
    let mut allowed = Monitor::new(cfg, t0());
    assert!(matches!(
        allowed.tick(at(0), &lock, battery),
        Decision::Run(_)
    ));
}

#[test]
fn power_is_read_only_when_a_sample_is_due() {
    let lock = RunLock::new();
    let mut m = every(30);
    let _ = m.tick(at(0), &lock, mains);
    let mut reads = 0;
    let _ = m.tick(at(1), &lock, || {
        reads += 1;
        mains()
    });
    assert_eq!(reads, 0);
}

#[test]
fn never_overlaps_a_user_started_run() {
    let lock = RunLock::new();
    let app = lock.clone();
    let user_run = app.try_acquire(RunOrigin::App).unwrap();
    let mut m = every(30);
    assert!(matches!(
        m.tick(at(0), &lock, mains),
        Decision::Skip(SkipReason::Busy(RunOrigin::App))
    ));
    drop(user_run);
    let Decision::Run(sample) = m.tick(at(30), &lock, mains) else {
        panic!("the slot after the user's run is taken");
    };
    // While the sample runs, the app's "Run quick benchmark" is refused, not overlapped.
    assert_eq!(
        app.try_acquire(RunOrigin::App).unwrap_err().held_by,
        RunOrigin::Monitor
    );
    drop(sample);
    assert!(app.try_acquire(RunOrigin::App).is_ok());
}

#[test]
fn run_loop_samples_on_the_grid_until_stopped() {
    let clock = ManualClock::new(t0());
    let lock = RunLock::new();
    let stop = AtomicBool::new(false);
    let mut m = every(30);
    let mut taken = Vec::new();
    let mut events = Vec::new();
    run_loop(
        &mut m,
        &clock,
        &lock,
        &stop,
        &mut mains,
        &mut |e| events.push(e),
        &mut |guard| {
            assert_eq!(guard.origin(), RunOrigin::Monitor);
            taken.push(clock.now());
            // Each sample takes 90 s of (hand-driven) time.
            clock.advance(Duration::from_secs(90));
            taken.len() < 5
        },
    );
    assert_eq!(taken, vec![at(0), at(30), at(60), at(90), at(120)]);
    assert_eq!(
        events,
        (1..=4)
            .map(|k| MonitorEvent::NextAt(at(30 * k)))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        lock.holder(),
        None,
        "the lock is released after each sample"
    );
}

#[test]
fn run_loop_skips_while_the_app_runs_and_stops_on_the_flag() {
    let clock = ManualClock::new(t0());
    let lock = RunLock::new();
    let user_run = lock.try_acquire(RunOrigin::App).unwrap();
    let stop = AtomicBool::new(false);
    let mut m = every(10);
    let mut samples = 0;
    let mut skips = Vec::new();
    let mut user_run = Some(user_run);
    run_loop(
        &mut m,
        &clock,
        &lock,
        &stop,
        &mut || {
            // The user's run ends after 25 minutes.
            if clock.now() >= at(25) {
                user_run.take();
            }
            mains()
        },
        &mut |e| {
            if let MonitorEvent::Skipped(r) = e {
                skips.push((clock.now(), r));
            }
        },
        &mut |_| {
            samples += 1;
            stop.store(true, Ordering::Relaxed);
            true
        },
    );
    assert_eq!(
        skips,
        vec![
            (at(0), SkipReason::Busy(RunOrigin::App)),
            (at(10), SkipReason::Busy(RunOrigin::App)),
            (at(20), SkipReason::Busy(RunOrigin::App)),
        ]
    );
    assert_eq!(samples, 1);
    assert_eq!(clock.now(), at(30));
}

#[test]
fn retention_cutoff_is_the_window_before_now() {
    let mut cfg = MonitorConfig::new(minutes(30)).unwrap();
    cfg.retention = Duration::from_secs(6 * 3600);
    let m = Monitor::new(cfg, t0());
    assert_eq!(m.retention_cutoff(at(0)), t0() - chrono::Duration::hours(6));
    assert!(MonitorConfig::new(Duration::from_secs(59)).is_err());
}
