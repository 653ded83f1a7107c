//! `inspect` and `diff` on real bundles, as insta snapshots (tool version and bundle ids
//! filtered), plus the bounds on text diffs.

use super::*;

fn a_and_b() -> (Test, PathBuf, Test, PathBuf) {
    let a = demo_machine(
        "1.2.0",
        "6.1.0-18-amd64",
        "started\nlistening on :8080\nready\n",
    );
    let pa = a.collect();
    let b = demo_machine(
        "1.3.0",
        "6.1.0-18-amd64",
        "started\nlistening on :8080\nerror: worker 3 panicked\nready\n",
    )
    .binary_file("root/srv/demo/fn.wasm", b"\0asm\x01\0\0\0\x02\xff");
    std::fs::remove_file(b.path().join("root/etc/demo/config.toml")).expect("rm");
    let pb = b.collect();
    (a, pa, b, pb)
}

#[test]
fn inspect_shows_one_screen() {
    let (_a, pa, _b, pb) = a_and_b();
    let (code, out, err) = run_code(&["inspect", pa.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    let id = bundle_id(&pa);
    insta::assert_snapshot!("inspect_a", filter(&out, &[(&id, "[ID-A]")]));
    let (_, out, _) = run_code(&["inspect", pb.to_str().expect("utf-8")]);
    insta::assert_snapshot!("inspect_b", filter(&out, &[(&bundle_id(&pb), "[ID-B]")]));
    assert!(out.lines().count() < 40, "more than one screen:\n{out}");
}

#[test]
fn inspect_json_carries_the_same_facts() {
    let (_a, pa, _b, _pb) = a_and_b();
    let (code, out, _) = run_code(&["inspect", "--json", pa.to_str().expect("utf-8")]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["id"], bundle_id(&pa));
    assert_eq!(v["facts"]["demo_version"]["value"], "1.2.0");
    assert_eq!(v["completeness"]["required"], 3);
    assert_eq!(v["completeness"]["present"], 3);
}

#[test]
fn diff_shows_what_changed_between_versions() {
    let (_a, pa, _b, pb) = a_and_b();
    let (code, out, err) = run_code(&[
        "diff",
        pa.to_str().expect("utf-8"),
        pb.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let ids = [(bundle_id(&pa), "[ID-A]"), (bundle_id(&pb), "[ID-B]")];
    let ids: Vec<(&str, &str)> = ids.iter().map(|(i, l)| (i.as_str(), *l)).collect();
    insta::assert_snapshot!("diff_a_b", filter(&out, &ids));

    let (_, json, _) = run_code(&[
        "diff",
        "--json",
        pa.to_str().expect("utf-8"),
        pb.to_str().expect("utf-8"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["facts"][0]["name"], "demo_version");
    assert_eq!(v["facts"][0]["a"], "1.2.0");
    assert_eq!(v["facts"][0]["b"], "1.3.0");

    let (_, same, _) = run_code(&[
        "diff",
        pa.to_str().expect("utf-8"),
        pa.to_str().expect("utf-8"),
    ]);
    assert!(same.contains("no differences"), "{same}");
}

#[test]
fn text_diffs_are_bounded() {
    let long_a: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    let long_b: String = (0..1000).map(|i| format!("line {}\n", i * 2)).collect();
    let a = demo_machine("1.2.0", "6.1.0", &long_a);
    let pa = a.collect();
    let b = demo_machine("1.2.0", "6.1.0", &long_b);
    let pb = b.collect();
    let (code, out, _) = run_code(&[
        "diff",
        "--max-lines",
        "40",
        pa.to_str().expect("utf-8"),
        pb.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0);
    let diff_lines = out.lines().filter(|l| l.starts_with("    ")).count();
    assert!(diff_lines <= 41, "{diff_lines} lines:\n{out}");
    assert!(out.contains("more diff lines not shown"), "{out}");
}
