//! `benchbar export RUN... --bundle FILE` and `benchbar import FILE` between two histories (two
//! machines): the runs arrive with origin `import` and their measurements intact; a second
//! import, an altered bundle and a baseline from an imported run are refused with one line.

mod common;

use common::{assert_one_line_error, Env};

fn json(env: &Env, args: &[&str]) -> serde_json::Value {
    let out = env.cmd().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn runs_travel_between_histories_in_a_bundle() {
    let (here, there) = (Env::new(), Env::new());
    let a = here.run("test-double", 2);
    let b = here.run("test-double", 2);
    let file = here.dir.path().join("two-runs.json");
    let file_arg = file.to_str().unwrap();

    // Several runs need --bundle.
    let out = here
        .cmd()
        .args(["export", &a.to_string(), &b.to_string()])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["--bundle"]);

    here.cmd()
        .args([
            "export",
            &a.to_string(),
            &b.to_string(),
            "--bundle",
            file_arg,
        ])
        .assert()
        .success();
    let out = there.cmd().args(["import", file_arg]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.matches("from another machine").count(), 2, "{said}");

    let h = json(&there, &["history", "--format", "json"]);
    let lines = h.as_array().unwrap();
    assert_eq!(lines.len(), 2);
    for line in lines {
        assert_eq!(line["origin"], "import");
    }
    // The measurement is the same: cells with their raw trials.
    let newest = lines[0]["run_id"].as_i64().unwrap();
    let theirs = json(&there, &["export", &newest.to_string()]);
    let ours = json(&here, &["export", &b.to_string()]);
    assert_eq!(theirs["cells"], ours["cells"]);
    assert_eq!(theirs["machine"], ours["machine"]);

    // Never a baseline there; never imported twice.
    let out = there
        .cmd()
        .args(["baseline", "set", &newest.to_string()])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["imported"]);
    let out = there.cmd().args(["import", file_arg]).output().unwrap();
    assert_one_line_error(&out, &["already in the history as run"]);
    assert_eq!(there.run_count(), 2);

    // An altered bundle is refused, naming the file.
    let text = std::fs::read_to_string(&file).unwrap();
    let altered = text.replacen("\"completed\"", "\"cancelled\"", 1);
    assert_ne!(altered, text);
    let bad = here.dir.path().join("altered.json");
    std::fs::write(&bad, altered).unwrap();
    let fresh = Env::new();
    let out = fresh
        .cmd()
        .args(["import", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_one_line_error(&out, &["altered.json", "SHA-256"]);
    assert_eq!(fresh.run_count(), 0);
}
