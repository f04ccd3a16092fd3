use super::*;
use crate::report::build_cell;
use crate::spec::{RunSpec, SuiteName};
use crate::suite::Suite;
use crate::testkit::synthetic_cell;

fn spec() -> RunSpec {
    let mut s = RunSpec::new("m", "mlx", SuiteName::Quick);
    s.reps = Some(2);
    s.prompt_tokens = Some(64);
    s
}

fn err(s: &RunSpec) -> String {
    s.validate().unwrap_err().to_string()
}

#[test]
fn depths_make_one_cell_each_named_by_depth() {
    let mut s = spec();
    s.depths = Some(vec![0, 256, 1024]);
    let plan = s.plan(&Suite::seed()).unwrap();
    let got: Vec<(&str, Option<u32>)> = plan
        .iter()
        .map(|c| (c.test.as_str(), c.depth_tokens))
        .collect();
    assert_eq!(
        got,
        [
            ("short.1.p64.d0", Some(0)),
            ("short.1.p64.d256", Some(256)),
            ("short.1.p64.d1024", Some(1024))
        ]
    );
    assert!(plan.iter().all(|c| c.prefix.is_none() && c.reps == 2));
}

#[test]
fn a_cached_prefix_makes_a_cold_and_a_cached_cell() {
    let mut s = spec();
    s.cached_prefix_tokens = Some(500);
    let plan = s.plan(&Suite::seed()).unwrap();
    let got: Vec<(&str, Option<PrefixPlan>)> =
        plan.iter().map(|c| (c.test.as_str(), c.prefix)).collect();
    let p = |cached| {
        Some(PrefixPlan {
            prefix_tokens: 500,
            cached,
        })
    };
    assert_eq!(
        got,
        [
            ("short.1.p64.prefix500.cold", p(false)),
            ("short.1.p64.prefix500.cached", p(true))
        ]
    );
}

#[test]
fn the_long_context_suite_plans_its_depths_unless_given() {
    let s = RunSpec::new("m", "mlx", SuiteName::LongContext);
    let plan = s.plan(&Suite::seed()).unwrap();
    let depths: Vec<u32> = plan.iter().filter_map(|c| c.depth_tokens).collect();
    assert_eq!(depths, long_context_depths());
    assert_eq!(depths[..3], [0, 1024, 2048]);
    assert!(plan
        .iter()
        .all(|c| c.gen_tokens == LONG_CONTEXT_GEN_TOKENS && c.reps == LONG_CONTEXT_REPS));
    let mut given = s.clone();
    given.depths = Some(vec![0, 512]);
    assert_eq!(given.plan(&Suite::seed()).unwrap().len(), 2);
    assert_eq!("long-context".parse::<SuiteName>().unwrap(), s.suite);
}

#[test]
fn nonsense_is_refused_with_one_line() {
    let mut s = spec();
    s.depths = Some(vec![]);
    assert_eq!(err(&s), "invalid run spec: the depth list is empty");
    s.depths = Some(vec![0, 4096, 0]);
    assert!(err(&s).contains("depth 0 is listed twice"));
    s.depths = Some(vec![MAX_DEPTH_TOKENS + 1]);
    assert!(err(&s).contains("out of range"));
    s.depths = Some((0..40).collect());
    assert!(err(&s).contains("too many"));
    s.depths = Some(vec![0, 16]);
    s.cached_prefix_tokens = Some(8);
    assert!(err(&s).contains("either --depth or --cached-prefix"));
    s.depths = None;
    s.cached_prefix_tokens = Some(0);
    assert!(err(&s).contains("--cached-prefix 0 is out of range"));
    s.cached_prefix_tokens = Some(8);
    s.concurrency = Some(vec![1, 2]);
    s.batch_sizes = None;
    assert!(err(&s).contains("not with --concurrency"));
    s.concurrency = None;
    assert!(s.validate().is_ok());
}

fn report_cell(test: &str, ttft_ms: &[f64], f: impl Fn(&mut CellPlan)) -> CellReport {
    let mut raw = synthetic_cell(&[100.0, 100.0, 100.0], ttft_ms, 1_000_000);
    raw.plan.test = test.into();
    f(&mut raw.plan);
    for (i, t) in raw.trials.iter_mut().enumerate() {
        t.counters.kv_cache_bytes = Some(1000 * (i as u64 + 1));
    }
    build_cell(&raw)
}

#[test]
fn depth_lines_and_table_carry_depth_and_kv_cache() {
    let cells = [
        report_cell("short.1.d0", &[10.0, 10.0, 10.0], |p| {
            p.depth_tokens = Some(0)
        }),
        report_cell("short.1.d256", &[20.0, 20.0, 20.0], |p| {
            p.depth_tokens = Some(256)
        }),
        report_cell("short.1", &[5.0, 5.0, 5.0], |_| {}),
    ];
    let lines = depth_lines(&cells);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[1].test.as_str(), lines[1].depth_tokens),
        ("short.1", 256)
    );
    assert_eq!(
        lines[1].kv_cache_bytes,
        Some(2000),
        "mean of 1000, 2000, 3000"
    );
    let ttft = lines[1].ttft_p50_ms.unwrap();
    assert!((ttft - 20.0).abs() < 1.0, "{ttft}");
    let t = depth_table(&cells).unwrap();
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[1][2], "256");
    assert_eq!(depth_notes(&cells).len(), 1);
    assert!(depth_table(&cells[2..]).is_none() && depth_notes(&cells[2..]).is_empty());
}

#[test]
fn a_cached_cell_is_paired_with_its_cold_cell() {
    let prefix = |cached| {
        move |p: &mut CellPlan| {
            p.prefix = Some(PrefixPlan {
                prefix_tokens: 100,
                cached,
            })
        }
    };
    let cells = [
        report_cell("short.1.prefix100.cold", &[40.0, 40.0, 40.0], prefix(false)),
        report_cell(
            "short.1.prefix100.cached",
            &[10.0, 10.0, 10.0],
            prefix(true),
        ),
    ];
    let lines = prompt_cache_lines(&cells);
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!((l.test.as_str(), l.prefix_tokens), ("short.1", 100));
    let saved = l.saved_pct.unwrap();
    assert!((saved - 75.0).abs() < 3.0, "{saved}");
    assert_eq!(prompt_cache_table(&cells).unwrap().rows.len(), 1);
    assert!(
        prompt_cache_lines(&cells[1..]).is_empty(),
        "no cold cell, no pair"
    );
    assert_eq!(prompt_cache_notes(&cells).len(), 1);
}
