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
    assert!(out.contains("[REDACTED:aws-access-key-id:1]"), "{out}");
    assert!(!out.contains("10.1.2.3") && out.contains("ip-"), "{out}");
    assert!(out.contains("host-"), "{out}");
}

#[test]
fn equal_secrets_share_a_number_and_different_ones_do_not() {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&opts(d.path())).unwrap();
    let a = "tenant=acme api_key=Qm7rT2xV9pL4wZ8k status=500\n\
             tenant=zenith api_key=Hj3nB6yR1sD5fG0c status=200\n";
    let out = red(&r, a, Format::Text);
    assert_eq!(
        out,
        "tenant=acme api_key=[REDACTED:token:1] status=500\n\
         tenant=zenith api_key=[REDACTED:token:2] status=200\n"
    );
    // Numbers hold across everything one redactor does: a later input names tenant 1 again.
    let later = red(&r, "retry api_key=Qm7rT2xV9pL4wZ8k\n", Format::Text);
    assert_eq!(later, "retry api_key=[REDACTED:token:1]\n");
    // Each rule counts on its own.
    let pw = red(&r, "password=Zq8-w!x2Lm\n", Format::Text);
    assert_eq!(pw, "password=[REDACTED:password:1]\n");
    // Same input, same bytes: numbering is by first sight, not by anything random.
    let again = Redactor::new(&opts(d.path())).unwrap();
    assert_eq!(red(&again, a, Format::Text), out);
}

#[test]
fn a_secret_over_several_lines_keeps_one_number() {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&opts(d.path())).unwrap();
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7Kp0\nQ2hvb3NlIGEgbG9uZyBr\n-----END RSA PRIVATE KEY-----\n";
    let out = red(&r, pem, Format::Text);
    let labels: Vec<&str> = out
        .lines()
        .filter_map(|l| {
            l.strip_prefix("[REDACTED:")
                .and_then(|l| l.strip_suffix(']'))
        })
        .collect();
    assert_eq!(labels.len(), 2, "{out}");
    assert!(labels.iter().all(|l| *l == labels[0]), "{out}");
    assert!(labels[0].ends_with(":1"), "{out}");
}

#[test]
fn a_yaml_block_secret_keeps_one_number_and_the_next_secret_gets_the_next() {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&opts(d.path())).unwrap();
    let yaml = "tls:\n  private_key: |\n    c3a18f5e07d2b94a\n    80416392751804\n  \
                client_secret: Hj3nB6yR1sD5fG0c\n  secret_token: Hj3nB6yR1sD5fG0c\n";
    let out = red(&r, yaml, Format::Yaml);
    let labels: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split("[REDACTED:").nth(1))
        .collect();
    assert_eq!(labels.len(), 4, "{out}");
    assert_eq!(labels[0], labels[1], "{out}");
    assert_ne!(labels[1], labels[2], "{out}");
    assert_eq!(labels[2], labels[3], "{out}");
}

#[test]
fn default_keywords_fit_the_packed_searcher() {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&opts(d.path())).unwrap();
    let (packed, anchors) = r.c.prefilter.anchors();
    assert!(packed, "{} anchors: {anchors:?}", anchors.len());
}

mod fuzz {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        // Each case compiles a rule set with the defaults: keep the count modest.
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Any rule-file text loads or gives a rule error, never a panic.
        #[test]
        fn any_rule_file_loads_or_errs(text in "\\PC{0,300}") {
            let d = tempfile::tempdir().unwrap();
            let file = d.path().join("rules.toml");
            std::fs::write(&file, &text).unwrap();
            let o = Options { rule_files: vec![file], no_default_rules: true, ..opts(d.path()) };
            if let Err(e) = Redactor::new(&o) {
                prop_assert!(!e.to_string().is_empty());
            }
        }

        /// Any input in any format, drawn mostly from the characters the key extractors
        /// look at, never panics and keeps every line.
        #[test]
        fn any_input_in_any_format_never_panics(
            input in "([a-zA-Z_]{1,9}|[ =:\\-<>/(),;'\"\\[\\]{}@?&#$]|\n|password|sshpass -p|mysql -p|curl -u |NetworkCredential\\(|Environment=|header_up |://){0,60}",
            format in 0usize..Format::ALL.len(),
        ) {
            let d = tempfile::tempdir().unwrap();
            let r = Redactor::new(&opts(d.path())).unwrap();
            let mut c = Counts::default();
            let out = r.redact_bytes(input.as_bytes(), Format::ALL[format], &mut c);
            prop_assert_eq!(
                out.iter().filter(|&&b| b == b'\n').count(),
                input.matches('\n').count()
            );
        }

        /// Rule files with arbitrary regexes, keywords and entropy values never panic, and
        /// the engine they build never panics on arbitrary input.
        #[test]
        fn arbitrary_rules_and_input_never_panic(
            regex in "\\PC{0,40}",
            keyword in "[a-z_]{0,6}",
            entropy in 0.0f64..8.0,
            input in prop::collection::vec(any::<u8>(), 0..512),
        ) {
            let d = tempfile::tempdir().unwrap();
            let file = d.path().join("rules.toml");
            let rule = format!(
                "[[rules]]\nid = \"fuzz\"\nregex = '''{}'''\nkeywords = [\"{keyword}\"]\nentropy = {entropy}\n",
                regex.replace("'''", "")
            );
            std::fs::write(&file, rule).unwrap();
            let o = Options { rule_files: vec![file], ..opts(d.path()) };
            if let Ok(r) = Redactor::new(&o) {
                let mut c = Counts::default();
                let _ = r.redact_bytes(&input, Format::Text, &mut c);
            }
        }
    }
}
