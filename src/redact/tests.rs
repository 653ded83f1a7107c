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

/// A redactor that pseudonymizes `web01` and nothing of this machine's, keyed as `opts` says.
fn keyed(opts: Options) -> Result<Redactor, RuleError> {
    Redactor::new(
        &opts
            .with_hostnames(vec!["web01".into()])
            .with_usernames(Vec::new()),
    )
}

#[test]
fn a_host_key_file_is_created_where_the_host_says_and_keys_like_a_named_file() {
    let d = tempfile::tempdir().unwrap();
    let key = d.path().join("mytool").join("pseudonym.key");
    let host =
        keyed(Options::default().with_pseudonym_key_source(KeySource::DefaultFile(key.clone())))
            .unwrap();
    let out = red(&host, "on web01\n", Format::Text);
    assert!(out.starts_with("on host-"), "{out}");
    assert!(host.warnings().is_empty(), "{:?}", host.warnings());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        key_path(
            &Options::default().with_pseudonym_key_source(KeySource::DefaultFile(key.clone()))
        ),
        Some(key.clone())
    );
    // The map `reveal` reads sits beside the host's key.
    host.save_reveal_map().unwrap();
    assert!(reveal::map_path(&key).is_file());
    let named = keyed(Options::default().with_pseudonym_key(key.clone())).unwrap();
    assert_eq!(red(&named, "on web01\n", Format::Text), out);
}

#[test]
fn key_bytes_from_the_host_key_like_the_same_key_in_a_file() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("key");
    std::fs::write(&file, format!("{}\n", "ab".repeat(32))).unwrap();
    let from_file = keyed(Options::default().with_pseudonym_key(file)).unwrap();
    let key = pseudonym::PseudonymKey::parse("ab".repeat(32).as_bytes()).unwrap();
    assert_eq!(key, pseudonym::PseudonymKey::from_bytes([0xab; 32]));
    assert_eq!(format!("{key:?}"), "PseudonymKey(..)");
    let opts = Options::default().with_pseudonym_key_source(KeySource::Bytes(key));
    assert_eq!(key_path(&opts), None);
    let given = keyed(opts).unwrap();
    assert_eq!(
        red(&given, "on web01\n", Format::Text),
        red(&from_file, "on web01\n", Format::Text)
    );
    assert!(pseudonym::PseudonymKey::parse(b"not a key").is_none());
}

#[test]
fn a_named_key_file_wins_over_the_host_source() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("named.key");
    let opts = Options::default()
        .with_pseudonym_key(file.clone())
        .with_pseudonym_key_source(KeySource::Bytes(pseudonym::PseudonymKey::from_bytes(
            [7; 32],
        )));
    assert_eq!(key_path(&opts), Some(file.clone()));
    let r = keyed(opts).unwrap();
    let bytes = keyed(
        Options::default().with_pseudonym_key_source(KeySource::Bytes(
            pseudonym::PseudonymKey::from_bytes([7; 32]),
        )),
    )
    .unwrap();
    assert!(file.is_file());
    assert_ne!(
        red(&r, "on web01\n", Format::Text),
        red(&bytes, "on web01\n", Format::Text)
    );
}

#[test]
fn a_host_key_file_that_cannot_be_made_falls_back_but_a_named_one_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    // A path under a regular file can be neither read nor created.
    std::fs::write(d.path().join("plain"), "x").unwrap();
    let key = d.path().join("plain").join("pseudonym.key");
    let host =
        keyed(Options::default().with_pseudonym_key_source(KeySource::DefaultFile(key.clone())))
            .unwrap();
    assert!(red(&host, "on web01\n", Format::Text).starts_with("on host-"));
    assert!(
        host.warnings()
            .iter()
            .any(|w| w.contains("using a key for this run only")),
        "{:?}",
        host.warnings()
    );
    let err = keyed(Options::default().with_pseudonym_key(key)).unwrap_err();
    assert!(err.to_string().contains("pseudonym key"), "{err}");
}

#[test]
fn a_run_only_key_differs_between_runs_and_keeps_no_file() {
    let opts = Options::default().with_pseudonym_key_source(KeySource::RunOnly);
    assert_eq!(key_path(&opts), None);
    let a = keyed(opts.clone()).unwrap();
    let b = keyed(opts).unwrap();
    assert!(a.warnings().is_empty(), "{:?}", a.warnings());
    assert_ne!(
        red(&a, "on web01\n", Format::Text),
        red(&b, "on web01\n", Format::Text)
    );
    assert!(a.reveal_map.is_none());
}
