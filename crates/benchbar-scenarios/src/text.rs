//! Plain-text rendering of the scenario list and of a result (the CLI's table format).

use std::fmt::Write;

use benchbar_core::stats::Stats;

use crate::{ScenarioInfo, ScenarioKind, ScenarioResult};

/// `benchbar scenario --list`.
pub fn list_table(infos: &[ScenarioInfo]) -> String {
    let mut s = String::new();
    for i in infos {
        let _ = writeln!(
            s,
            "{:<15} {} — {} {}",
            i.name.as_str(),
            i.title,
            i.items,
            i.item_unit
        );
        let _ = writeln!(s, "{:<15} {}", "", i.description);
        for t in &i.seed_targets {
            let _ = writeln!(s, "{:<15} target   {t}", "");
        }
        for e in &i.seed_expected {
            let _ = writeln!(s, "{:<15} expected {e}", "");
        }
    }
    s
}

fn stats_line(st: &Stats) -> String {
    let mut s = format!(
        "mean {:.1} · median {:.1} · min {:.1} · max {:.1}",
        st.mean, st.median, st.min, st.max
    );
    if let Some(sd) = st.sd {
        let _ = write!(s, " · sd {sd:.1}");
    }
    if let Some(p95) = st.p95 {
        let _ = write!(s, " · p95 {p95:.1}");
    }
    let _ = write!(s, " (n={})", st.n);
    s
}

/// A result as aligned text.
pub fn result_table(r: &ScenarioResult, run_id: Option<i64>) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: String| {
        let _ = writeln!(s, "{k:<12} {v}");
    };
    let unit = crate::kind::item_unit(r.scenario);
    line(
        "scenario",
        format!("{} ({})", r.scenario, r.scenario.seed_name()),
    );
    line(
        "model",
        format!(
            "{} · engine {} ({})",
            r.model.id, r.engine.name, r.engine.version
        ),
    );
    line(
        "items",
        if r.scenario == ScenarioKind::Rag {
            format!(
                "{} of {} {unit}, one at a time, answers up to {} (simple) / {} (complex) tokens",
                r.items_run,
                r.items_total,
                r.max_tokens.min(crate::rag::MAX_TOKENS_SIMPLE),
                r.max_tokens
            )
        } else {
            format!(
                "{} of {} {unit}, batch {}, up to {} tokens each",
                r.items_run, r.items_total, r.batch_size, r.max_tokens
            )
        },
    );
    line(
        "time",
        format!("{:.2} s ({:.1} {unit}/min)", r.wall_s, r.items_per_minute),
    );
    if let Some(t) = &r.target {
        line(
            "full set",
            format!(
                "{:.1} s{} vs {} {} ({})",
                t.full_set_s,
                if t.projected { " projected" } else { "" },
                t.target,
                t.mark,
                t.note
            ),
        );
    }
    if let Some(st) = &r.latency_ms {
        line("latency ms", stats_line(st));
    }
    line(
        "tokens",
        format!(
            "in {} · out {}{}",
            r.prompt_tokens,
            r.generated_tokens,
            r.generated_tps
                .map(|t| format!(" ({t:.1} generated tok/s)"))
                .unwrap_or_default()
        ),
    );
    line(
        "energy",
        match (r.energy_j, r.energy_per_item_j) {
            (Some(j), Some(per)) => format!("{j:.1} J ({per:.2} J per item)"),
            _ => "not measured (no usable energy source, or --no-power)".into(),
        },
    );
    for (n, c) in r.checks.iter().enumerate() {
        let v = match (&c.unavailable, c.rate) {
            (Some(why), _) => format!("{}: not checked: {why}", c.name),
            (None, Some(rate)) => format!(
                "{} {}/{} ({:.1}%): {}",
                c.name,
                c.passed,
                c.checked,
                rate * 100.0,
                c.description
            ),
            (None, None) => format!("{}: nothing to check", c.name),
        };
        line(if n == 0 { "checks" } else { "" }, v);
    }
    if let Some(rag) = &r.rag {
        line(
            "embeddings",
            format!(
                "{} chunks in {:.2} s ({:.0} chunks/min), dim {}, {}",
                rag.chunks,
                rag.embed_kb_s,
                rag.chunks_per_minute,
                rag.embedding_dim,
                rag.embedding_method
            ),
        );
        for st in &rag.stages {
            let mark = st.mark.map(|m| m.to_string()).unwrap_or("–".into());
            line(
                "stage",
                format!(
                    "{}: {:.4} s {mark} (seed: {}; {})",
                    st.stage, st.measured_s, st.target, st.how
                ),
            );
        }
        for (k, st) in [
            ("simple", &rag.e2e_simple_ms),
            ("complex", &rag.e2e_complex_ms),
        ] {
            if let Some(st) = st {
                line(&format!("e2e {k} ms"), stats_line(st));
            }
        }
    }
    if let Some(recall) = r.rag.as_ref().and_then(|g| g.retrieval_recall) {
        line(
            "recall",
            format!("{:.1}% of gold chunks retrieved", recall * 100.0),
        );
    }
    for w in &r.warnings {
        line("warning", w.clone());
    }
    line(
        "saved",
        match run_id {
            Some(id) => format!("run {id} (benchbar history; benchbar scenario --show {id})"),
            None => "not saved (--no-save)".into(),
        },
    );
    s
}
