use super::*;
use crate::report::build_cell;
use crate::sample::TrialSample;
use crate::spec::{CellPlan, PromptSpec, RunSpec, SuiteName};
use crate::suite::{Category, Suite};

const MS: u64 = 1_000_000;

/// A request sent at `sent_ms` with tokens at these offsets from its send time.
fn req(sent_ms: u64, offsets_ms: &[u64]) -> RequestSample {
    RequestSample {
        prompt_tokens: 10,
        requested_tokens: offsets_ms.len() as u32,
        start_offset_ns: sent_ms * MS,
        token_offsets_ns: offsets_ms.iter().map(|o| o * MS).collect(),
    }
}

fn spec(levels: Option<Vec<u32>>) -> RunSpec {
    let mut s = RunSpec::new("m", "openai", SuiteName::Quick);
    s.concurrency = levels;
    s.reps = Some(2);
    s
}

fn refused(s: &RunSpec, needle: &str) {
    match s.validate() {
        Err(Error::InvalidSpec(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected a refusal naming '{needle}', got {other:?}"),
    }
}

#[test]
fn nonsense_sweeps_are_refused_with_one_line() {
    let mut s = spec(None);
    s.slo = Some(Slo {
        ttft_ms: Some(500.0),
        itl_ms: None,
    });
    refused(&s, "needs concurrency levels");
    let mut s = spec(None);
    s.requests_per_level = Some(8);
    refused(&s, "--requests needs concurrency levels");
    refused(&spec(Some(vec![])), "empty");
    refused(&spec(Some(vec![1, 0])), "level 0 is out of range");
    refused(&spec(Some(vec![MAX_CONCURRENCY + 1])), "out of range");
    refused(&spec(Some(vec![1, 2, 2])), "level 2 is listed twice");
    let mut s = spec(Some(vec![1, 2]));
    s.batch_sizes = Some(vec![1]);
    refused(&s, "not both");
    for bad in [0.0, -5.0, f64::NAN] {
        let mut s = spec(Some(vec![1, 2]));
        s.slo = Some(Slo {
            ttft_ms: None,
            itl_ms: Some(bad),
        });
        refused(&s, "--slo-itl-ms must be");
    }
    let mut s = spec(Some(vec![1, 8]));
    s.requests_per_level = Some(4);
    refused(&s, "at least the highest concurrency level (8)");
    s.requests_per_level = Some(8);
    assert!(s.validate().is_ok());
}

#[test]
fn a_level_is_one_cell_per_prompt_with_its_requests_and_slo() {
    let mut s = spec(Some(vec![1, 4, 16]));
    s.slo = Some(Slo {
        ttft_ms: Some(250.0),
        itl_ms: None,
    });
    let plan = s.plan(&Suite::seed()).unwrap();
    let levels: Vec<(u32, u32)> = plan
        .iter()
        .map(|c| (c.batch_size, c.load.unwrap().requests))
        .collect();
    assert_eq!(levels, [(1, 8), (4, 16), (16, 64)], "4 x level, at least 8");
    // Named apart from batch cells, so that no comparison pairs a level with a batch.
    assert!(
        plan.iter().all(|c| c.test == "short.1.concurrent"),
        "{plan:?}"
    );
    assert!(plan
        .iter()
        .all(|c| c.load.unwrap().slo.unwrap().ttft_ms == Some(250.0)
            && c.load.unwrap().concurrency == c.batch_size));
    s.requests_per_level = Some(20);
    let plan = s.plan(&Suite::seed()).unwrap();
    assert!(plan.iter().all(|c| c.load.unwrap().requests == 20));
    // Without levels no cell has a load.
    assert!(spec(None)
        .plan(&Suite::seed())
        .unwrap()
        .iter()
        .all(|c| c.load.is_none()));
}

#[test]
fn in_flight_counts_overlap_not_touching_ends() {
    // a: 0-30 ms, b: 10-40 ms, c sent at 30 ms as a ends: at most 2 at once.
    let rs = [req(0, &[10, 30]), req(10, &[5, 30]), req(30, &[5, 10])];
    assert_eq!(max_in_flight(&rs), 2);
    assert_eq!(max_in_flight(&rs[..1]), 1);
    assert_eq!(max_in_flight(&[]), 0);
}

#[test]
fn slo_needs_every_bound_and_a_measurement() {
    // TTFT 20 ms, gaps 10 and 30 ms: mean ITL 20 ms.
    let r = req(0, &[20, 30, 60]);
    let slo = |ttft_ms, itl_ms| Slo { ttft_ms, itl_ms };
    assert!(slo(Some(20.0), None).met(&r));
    assert!(!slo(Some(19.9), None).met(&r));
    assert!(slo(None, Some(20.0)).met(&r), "mean, not the largest gap");
    assert!(!slo(Some(20.0), Some(19.0)).met(&r));
    // One token: no ITL to judge, so the ITL bound is not met.
    assert!(!slo(None, Some(1000.0)).met(&req(0, &[5])));
    assert_eq!(
        slo(Some(500.0), Some(50.0)).describe(),
        "TTFT ≤ 500 ms, mean ITL ≤ 50 ms"
    );
}

fn load_cell(slo: Option<Slo>, trials: Vec<TrialSample>) -> CellRaw {
    CellRaw {
        plan: CellPlan {
            test: "short.1".into(),
            category: Category::Short,
            prompt: PromptSpec::Synthetic { tokens: 10 },
            batch_size: 2,
            gen_tokens: 3,
            reps: trials.len() as u32,
            adaptive: None,
            warmup: 0,
            load: Some(LoadPlan {
                concurrency: 2,
                requests: 3,
                slo,
            }),
            depth_tokens: None,
            prefix: None,
        },
        trials,
        power: None,
    }
}

fn trial(index: u32, wall_ms: u64, requests: Vec<RequestSample>) -> TrialSample {
    TrialSample {
        index,
        wall_ns: wall_ms * MS,
        requests,
        counters: Default::default(),
        energy: None,
        error: None,
    }
}

#[test]
fn goodput_counts_the_requests_meeting_the_slo_over_wall_time() {
    // Two trials of 3 requests (3 tokens each), 0.5 s each: 6 requests, 18 tokens in 1 s.
    // TTFTs 10, 10, 200 ms in each trial: with TTFT <= 100 ms, 4 requests meet it.
    let t = |i| {
        trial(
            i,
            500,
            vec![
                req(0, &[10, 20, 30]),
                req(0, &[10, 20, 30]),
                req(30, &[200, 210, 220]),
            ],
        )
    };
    let mut failed = trial(2, 9_000, vec![]);
    failed.error = Some("boom".into());
    let slo = Slo {
        ttft_ms: Some(100.0),
        itl_ms: None,
    };
    let raw = load_cell(Some(slo), vec![t(0), t(1), failed]);
    let l = load_report(&raw).unwrap();
    assert_eq!(l.completed_requests, 6, "failed trials are left out");
    assert!((l.wall_s - 1.0).abs() < 1e-12);
    assert_eq!(l.request_rate_rps, Some(6.0));
    assert_eq!(l.output_tps, Some(18.0));
    assert_eq!(l.slo_met_requests, Some(4));
    assert_eq!(l.goodput_rps, Some(4.0));
    assert_eq!(l.goodput_tps, Some(12.0));
    assert_eq!(l.max_in_flight, 2);
    // The report carries it, and the latency summary pools the 6 requests (p95 absent).
    let cell = build_cell(&raw);
    assert_eq!(cell.load.as_ref(), Some(&l));
    let ttft = cell.summary.ttft_ms.as_ref().unwrap();
    assert_eq!((ttft.n, ttft.p50, ttft.p95), (6, Some(10.0), None));
    let line = &level_lines(std::slice::from_ref(&cell))[0];
    assert_eq!(
        (
            line.concurrency,
            line.output_tps,
            line.ttft_p50_ms,
            line.goodput_rps
        ),
        (2, Some(18.0), Some(10.0), Some(4.0))
    );
    let table = sweep_table(std::slice::from_ref(&cell)).unwrap();
    assert_eq!(table.rows.len(), 1);
    assert!(table.rows[0].contains(&"4/6 · 4.00 req/s".to_string()));
    assert!(table.rows[0].contains(&"10.00 / -".to_string()));
    assert!(sweep_notes(std::slice::from_ref(&cell))[1].contains("TTFT ≤ 100 ms"));
    // Without an SLO there is no goodput.
    let l = load_report(&load_cell(None, vec![t(0)])).unwrap();
    assert_eq!((l.slo_met_requests, l.goodput_rps), (None, None));
    // A batch cell has no load report and no sweep table.
    let mut batch = load_cell(None, vec![t(0)]);
    batch.plan.load = None;
    assert!(load_report(&batch).is_none());
    assert!(sweep_table(&[build_cell(&batch)]).is_none());
}

#[test]
fn levels_are_not_graded_as_single_requests_or_batches() {
    let t = trial(0, 500, vec![req(0, &[10, 20, 30]), req(0, &[10, 20, 30])]);
    let level = build_cell(&load_cell(None, vec![t.clone()]));
    let m = crate::report::measured(std::slice::from_ref(&level));
    assert_eq!((m.single_batch_tps, m.optimal_batch_tps), (None, None));
    assert!(m.batch_tps.is_empty());
    // The same trial as a batch cell is graded.
    let mut raw = load_cell(None, vec![t]);
    raw.plan.load = None;
    let m = crate::report::measured(&[build_cell(&raw)]);
    assert!(m.optimal_batch_tps.is_some() && m.batch_tps.contains_key(&2));
}
