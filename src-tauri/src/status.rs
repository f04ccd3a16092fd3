//! The tray's status line: `Qwen3-1.7B-4bit · 118 tok/s ✅ · 2 h ago`.

use benchbar_core::report::RunReport;
use benchbar_core::targets::Mark;
use chrono::{DateTime, Utc};

/// How long ago, for people: `just now`, `5 min ago`, `2 h ago`, `3 d ago`.
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - then).num_seconds().max(0);
    match s {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

/// The status line of a run: model, decode tok/s of its first cell with the grade of the
/// single-batch target when the model has a row, and when it ran.
pub fn status_line(r: &RunReport, now: DateTime<Utc>) -> String {
    let decode = r
        .cells
        .first()
        .and_then(|c| c.summary.decode_tps.as_ref())
        .map(|s| format!("{:.0} tok/s", s.mean));
    let mark = r
        .grades
        .iter()
        .find(|g| g.metric == "single_batch_tps")
        .map(|g| g.grade)
        .filter(|m| *m != Mark::NotMeasured)
        .map(|m| format!(" {}", m.symbol()))
        .unwrap_or_default();
    let value = match decode {
        Some(d) => format!("{d}{mark}"),
        None => r.status.as_str().to_string(),
    };
    format!("{} · {value} · {}", r.model.id, ago(r.started_at, now))
}

/// The menu-bar title when idle: the default model's last decode tok/s (`118 tok/s`), None
/// when that run has no decode figure.
pub fn idle_title(r: &RunReport) -> Option<String> {
    let tps = r.cells.first()?.summary.decode_tps.as_ref()?.mean;
    Some(speed(tps))
}

/// The menu-bar title during a run: the live tok/s (`▸ 42 tok/s`).
pub fn live_title(tps: f64) -> String {
    format!("▸ {}", speed(tps))
}

fn speed(tps: f64) -> String {
    if tps >= 100.0 {
        format!("{tps:.0} tok/s")
    } else {
        format!("{tps:.1} tok/s")
    }
}

/// The tray's tooltip while a run is going: `BenchBar: 3/8 tg128`.
pub fn progress_title(cell: usize, total: usize, test: &str) -> String {
    format!("BenchBar: {}/{total} {test}", cell + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchbar_core::report::build_report;
    use benchbar_core::targets::TargetMatrix;
    use benchbar_core::testkit::{synthetic_cell, synthetic_meta};

    #[test]
    fn titles_show_the_speed() {
        let meta = synthetic_meta(Some(3), "Qwen3-1.7B-4bit", "v1");
        let cells = vec![synthetic_cell(&[118.0, 118.5], &[20.0, 21.0], 1 << 30)];
        let r = build_report(&meta, &cells, &TargetMatrix::seed());
        assert_eq!(idle_title(&r).as_deref(), Some("118 tok/s"));
        assert_eq!(live_title(42.26), "▸ 42.3 tok/s");
        let empty = build_report(&meta, &[], &TargetMatrix::seed());
        assert_eq!(idle_title(&empty), None);
    }

    #[test]
    fn relative_times() {
        let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(ago(at("2026-11-26T11:59:30Z"), now), "just now");
        assert_eq!(ago(at("2026-11-26T11:55:00Z"), now), "5 min ago");
        assert_eq!(ago(at("2026-11-26T09:30:00Z"), now), "2 h ago");
        assert_eq!(ago(at("2026-11-23T12:00:00Z"), now), "3 d ago");
        // A clock that went backwards is not "in -5 min".
        assert_eq!(ago(at("2026-11-26T12:05:00Z"), now), "just now");
    }

    #[test]
    fn line_names_model_speed_grade_and_age() {
        let meta = synthetic_meta(Some(3), "Qwen3-1.7B-4bit", "v1");
        let cells = vec![synthetic_cell(
            &[118.0, 118.5, 117.5],
            &[20.0, 21.0, 19.0],
            1 << 30,
        )];
        let r = build_report(&meta, &cells, &TargetMatrix::seed());
        let now = meta.started_at + chrono::Duration::hours(2);
        let line = status_line(&r, now);
        assert!(line.starts_with("Qwen3-1.7B-4bit · 118 tok/s"), "{line}");
        assert!(line.ends_with(" · 2 h ago"), "{line}");
        let g = r
            .grades
            .iter()
            .find(|g| g.metric == "single_batch_tps")
            .unwrap();
        assert!(line.contains(g.grade.symbol()), "{line}");
        assert_eq!(progress_title(2, 8, "tg128"), "BenchBar: 3/8 tg128");
    }
}
