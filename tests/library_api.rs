//! The library as a host tool embeds it: options built with the `with_*` methods, the
//! pseudonym key where the host keeps it, the bundle written into memory, and the summary the
//! CLI prints, each compared with what the real binary does for the same inputs.

use std::io::Cursor;
use std::path::Path;

use support_bundle::bundle::timestamp::Timestamp;
use support_bundle::redact::{self, KeySource, pseudonym::PseudonymKey};
use support_bundle::run::{self, summary::Summary};
use support_bundle::spec;

use crate::harness::{Bundle, EPOCH, PSEUDONYM_KEY, Test};

const SPEC: &str = r#"schema = 1
[project]
name = "hostapp"
repository = "https://github.com/example/hostapp"
[[collect]]
id = "config"
kind = "file"
path = "app.conf"
"#;

const CONFIG: &str =
    "[server]\nlisten = \"10.20.30.40:8443\"\napi_key = \"zq8X4mLr9TpW2sVb7NcK\"\n";

/// A project with one config file holding an address and a secret.
fn project() -> Test {
    Test::new().spec(SPEC).file("work/app.conf", CONFIG).args([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "[TMP]/out",
    ])
}

/// The options the CLI resolves for `t`'s run, built the way a host builds them, with the
/// redaction options `redaction`.
fn host_options(t: &Test, redaction: redact::Options) -> run::Options {
    let spec_path = t.join("spec.toml");
    let spec = spec::load(spec_path.to_str().expect("a UTF-8 temp path")).expect("spec loads");
    run::Options::from_env(spec)
        .expect("options")
        .with_cwd(t.join("work"))
        .with_home(t.join("home"))
        .with_path_env(t.path_env())
        .with_created(Timestamp::from_source_date_epoch(Some(EPOCH)).expect("epoch"))
        .with_out_dir(t.join("out"))
        .with_redaction(redaction)
}

/// The key the harness gives the CLI (in a file named by the environment), handed over as
/// bytes.
fn cli_key() -> redact::Options {
    redact::Options::default()
        .with_pseudonym_key_source(KeySource::Bytes(PseudonymKey::from_bytes(PSEUDONYM_KEY)))
}

#[test]
fn a_bundle_written_into_memory_has_the_bytes_of_the_cli_bundle() {
    let t = project();
    let cli = t.run();
    cli.success();
    let from_cli = cli.bundle();
    assert!(
        !from_cli
            .text("files/config/app.conf")
            .contains("zq8X4mLr9TpW2sVb7NcK")
    );

    let out_files = cli.out_files();
    let mut zip = Cursor::new(Vec::new());
    let collected =
        run::collect_into(&host_options(&t, cli_key()), &|_| {}, &mut zip).expect("collects");
    assert_eq!(collected.file_name, from_cli.file_name);
    assert_eq!(
        zip.get_ref().len(),
        from_cli.bytes.len(),
        "sizes differ: {}",
        collected.warnings.join("; ")
    );
    assert!(zip.get_ref() == &from_cli.bytes, "the bytes differ");
    assert!(collected.issue_text.contains(&collected.id));
    assert_eq!(
        collected.issue_text,
        cli.issue(),
        "the issue text is what the CLI writes to the issue file"
    );
    // Nothing was written by the in-memory run.
    assert_eq!(cli.out_files(), out_files);
}

#[test]
fn the_summary_a_host_renders_is_what_the_cli_prints() {
    let t = project();
    let cli = t.run();
    cli.success();
    let before = cli.bundle();
    let outcome = run::collect(&host_options(&t, cli_key()), &|_| {}).expect("collects");
    assert_eq!(outcome.bundle, before.path, "the same bundle, rewritten");
    assert_eq!(
        outcome.kept_issue, None,
        "the issue file is ours, not edited"
    );
    let rendered = Summary::new(&outcome).render();
    assert!(rendered.contains("values redacted"), "{rendered}");
    let printed = &cli.stdout;
    assert!(
        &rendered == printed,
        "\n{}",
        crate::harness::line_diff(printed, &rendered)
    );
    assert_eq!(std::fs::read(&before.path).expect("bundle"), before.bytes);
}

#[test]
fn a_host_keeps_the_pseudonym_key_where_it_chooses() {
    let t = project();
    let key = t.join("host-config/pseudonym.key");
    let redaction =
        redact::Options::default().with_pseudonym_key_source(KeySource::DefaultFile(key.clone()));
    let opts = host_options(&t, redaction).with_out_dir(t.join("host-out"));
    let outcome = run::collect(&opts, &|_| {}).expect("collects");
    assert!(key.is_file(), "the host's key was created");
    assert!(
        redact::reveal::map_path(&key).is_file(),
        "the map `reveal` reads sits beside the host's key"
    );
    assert!(
        !t.join("home/.config/support-bundle").exists(),
        "the CLI's key location is left alone"
    );
    let bundle = Bundle::open(&outcome.bundle).expect("bundle opens");
    let config = bundle.text("files/config/app.conf");
    assert!(!config.contains("10.20.30.40"), "{config}");

    // The CLI, pointed at the host's key, makes the same pseudonym, and `reveal` maps it back.
    let pseudonym = pseudonym_in(&config);
    let with_key = Test::new()
        .stdin("10.20.30.40\n")
        .args(["redact", "--pseudonym-key", key.to_str().unwrap(), "-"])
        .run();
    with_key.success();
    assert_eq!(with_key.stdout.trim(), pseudonym);
    t.run_with([
        "reveal",
        "--pseudonym-key",
        key.to_str().unwrap(),
        &pseudonym,
    ])
    .success()
    .stdout_has("10.20.30.40");
}

/// The `ip-xxxxxx` pseudonym in `text`.
fn pseudonym_in(text: &str) -> String {
    let start = text
        .find("ip-")
        .unwrap_or_else(|| panic!("no ip pseudonym in {text}"));
    text[start..start + 9].to_string()
}

#[test]
fn a_host_key_given_as_bytes_writes_no_key_file() {
    let t = project();
    let opts = host_options(&t, cli_key()).with_out_dir(t.join("host-out"));
    let home_before = listing(&t.join("home"));
    run::collect(&opts, &|_| {}).expect("collects");
    assert_eq!(listing(&t.join("home")), home_before);
    assert!(
        !t.join("pseudonym.map").exists(),
        "no map beside the CLI's key either"
    );
}

/// Every path under `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            out.push(e.path().display().to_string());
            if e.path().is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_security_report_written_into_memory_is_sealed_to_the_spec_keys() {
    let key = age::x25519::Identity::generate();
    let sealed_spec = SPEC.replace(
        "repository = \"https://github.com/example/hostapp\"\n",
        &format!(
            "repository = \"https://github.com/example/hostapp\"\nsecurity = \"Mail \
             security@example.org\"\nsecurity_recipient = \"{}\"\n",
            key.to_public()
        ),
    );
    let t = Test::new().spec(&sealed_spec).file("work/app.conf", CONFIG);
    let opts = host_options(&t, cli_key()).with_security(true);
    let mut out = Cursor::new(Vec::new());
    let collected = run::collect_into(&opts, &|_| {}, &mut out).expect("collects");
    assert!(
        collected.file_name.ends_with(".zip.age"),
        "{}",
        collected.file_name
    );
    let sealed = out.into_inner();
    // Only ciphertext reached the writer: no zip signature, no planted value.
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert!(!sealed.windows(4).any(|w| w == b"PK\x03\x04"));
    let decryptor = age::Decryptor::new(&sealed[..]).expect("an age file");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut decryptor
            .decrypt(std::iter::once(&key as &dyn age::Identity))
            .expect("the spec's key opens it"),
        &mut plain,
    )
    .expect("decrypts");
    assert!(plain.starts_with(b"PK\x03\x04"), "a zip inside");
    assert!(
        collected
            .issue_text
            .contains("encrypted to the project's maintainers")
    );
    assert!(!collected.issue_text.contains("zq8X4mLr9TpW2sVb7NcK"));
}
