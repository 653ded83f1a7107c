//! `check`: the spec's checks replayed on fixture bundles from a kernel 5.4 machine (fails)
//! and a 6.1 machine (passes); `collect` shows the same outcome and still exits 0.

use super::*;

#[test]
fn kernel_5_4_fails_and_6_1_passes() {
    let old = demo_machine("1.3.0", "5.4.0-150-generic", "ok\n");
    let old_bundle = old.collect();
    let (code, out, err) = run_code(&["check", old_bundle.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("FAIL    kernel-floor"), "{out}");
    assert!(out.contains("Demo needs Linux 5.10 or newer"), "{out}");
    assert!(out.contains("1 failed, 0 warned, 1 passed"), "{out}");

    let new = demo_machine("1.3.0", "6.1.0-18-amd64", "ok\n");
    let new_bundle = new.collect();
    let (code, out, err) = run_code(&["check", new_bundle.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASS    kernel-floor"), "{out}");
    assert!(out.contains("0 failed, 0 warned, 2 passed"), "{out}");
}

#[test]
fn collect_records_the_same_outcome_and_exits_zero() {
    let m = demo_machine("1.2.0", "5.4.0-150-generic", "ok\n");
    let tmp = m.path();
    let out = m.collect_output();
    out.success()
        .stdout_has("check FAIL kernel-floor")
        .stdout_has("check WARN old-demo");
    let issue = std::fs::read_to_string(tmp.join("out/demo-issue.md")).expect("issue");
    assert!(issue.contains("kernel-floor"), "{issue}");

    let bundle = m.collect();
    let (code, json, _) = run_code(&["check", "--json", bundle.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        value["checks"], value["recorded"],
        "replay differs from collect"
    );
}

#[test]
fn a_newer_spec_can_be_checked_against_an_old_bundle() {
    let m = demo_machine("1.2.0", "6.1.0-18-amd64", "ok\n");
    let bundle = m.collect();
    let newer = m.path().join("newer.toml");
    let text = demo_spec().replace("kernel < 5.10", "kernel < 6.6");
    std::fs::write(&newer, text).expect("write");
    let b = bundle.to_str().expect("utf-8");
    let (code, _, _) = run_code(&["check", b]);
    assert_eq!(code, 0);
    let (code, out, err) = run_code(&["check", b, "--spec", newer.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("FAIL    kernel-floor  kernel < 6.6"), "{out}");
    assert!(out.contains("WARN    old-demo"), "{out}");

    let (code, _, err) = run_code(&["check", b, "--spec", "/nonexistent/spec.toml"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn missing_fact_is_unknown_not_a_failure() {
    let m = demo_machine("1.3.0", "6.1.0", "ok\n");
    std::fs::remove_file(m.path().join("bin/uname")).expect("rm");
    let bundle = m.collect();
    let (code, out, _) = run_code(&["check", bundle.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("UNKNOWN kernel-floor"), "{out}");
}
