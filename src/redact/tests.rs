//! Unit tests for the public API on small inputs; the planted-secret corpus lives in
//! `tests/redact_engine.rs`.

use super::*;

pub(crate) fn opts(dir: &std::path::Path) -> Options {
    Options {
        pseudonym_key: Some(dir.join("key")),
        hostnames: Some(vec!["web01".into(), "web01.corp.example.net".into()]),
        usernames: Some(vec!["alice".into()]),
        ..Options::default()
    }
}

fn red(r: &Redactor, s: &str, f: Format) -> String {
    let mut c = Counts::default();
    String::from_utf8(r.redact_bytes(s.as_bytes(), f, &mut c)).unwrap()
}

#[test]
fn smoke() {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&opts(d.path())).unwrap();
    let out = red(
        &r,
        "key AKIAIOSFODNN7EXAMPLF from 10.1.2.3 on web01\n",
        Format::Text,
    );
    assert!(out.contains("[REDACTED:aws-access-key-id]"), "{out}");
    assert!(!out.contains("10.1.2.3") && out.contains("ip-"), "{out}");
    assert!(out.contains("host-"), "{out}");
}

#[test]
fn default_keywords_fit_the_packed_searcher() {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&opts(d.path())).unwrap();
    let (packed, anchors) = r.c.prefilter.anchors();
    assert!(packed, "{} anchors: {anchors:?}", anchors.len());
}
