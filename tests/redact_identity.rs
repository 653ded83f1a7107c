//! `redact` on a stream: numbered masks that tell secrets apart, host names under the
//! `--domain`s, and `reveal` mapping pseudonyms back on the machine that made them.

use crate::harness::Test;

const TENANTS: &str = "tenant=acme api_key=Qm7rT2xV9pL4wZ8k status=500\n\
                       tenant=zenith api_key=Hj3nB6yR1sD5fG0c status=200\n\
                       retry tenant=acme api_key=Qm7rT2xV9pL4wZ8k status=500\n";

#[test]
fn equal_secrets_read_alike_and_different_ones_differently() {
    let t = Test::new().args(["redact"]).stdin(TENANTS);
    let out = t.run();
    out.success();
    out.stdout_is(
        "tenant=acme api_key=[REDACTED:token:1] status=500\n\
         tenant=zenith api_key=[REDACTED:token:2] status=200\n\
         retry tenant=acme api_key=[REDACTED:token:1] status=500\n",
    );
    // Same input, same bytes.
    assert_eq!(t.run().stdout, out.stdout);
}

#[test]
fn host_names_under_a_named_domain_are_pseudonymized() {
    let input = "web7.corp.example.net calls db.corp.example.net, not corp.example.net.au or \
                 www.example.org\n";
    let out = Test::new()
        .args(["redact", "--domain", "corp.example.net"])
        .stdin(input)
        .run();
    out.success();
    let text = &out.stdout;
    assert!(
        !text.contains("web7") && !text.contains("db.corp"),
        "{text}"
    );
    assert!(text.starts_with("host-"), "{text}");
    assert!(
        text.contains("corp.example.net.au or www.example.org"),
        "{text}"
    );
    // Without the flag the names stay: the domain is what decides.
    let plain = Test::new().args(["redact"]).stdin(input).run();
    plain.stdout_is(input);
}

#[test]
fn reveal_maps_a_pseudonym_made_by_redact_back() {
    let t = Test::new()
        .args(["redact"])
        .stdin("peer 10.20.30.40 refused\n");
    let out = t.run();
    out.success();
    let pseudonym = out
        .stdout
        .split_whitespace()
        .nth(1)
        .expect("pseudonym")
        .to_string();
    assert!(pseudonym.starts_with("ip-"), "{}", out.stdout);
    t.run_with(["reveal", &pseudonym])
        .success()
        .stdout_is(&format!("{pseudonym}  10.20.30.40\n"));
    let both = t.run_with(["reveal", &pseudonym, "ip-ffffff"]);
    assert_eq!(both.code(), 1, "{}", both.stderr);
    both.stdout_is(&format!("{pseudonym}  10.20.30.40\n"));
    both.stderr_has("unknown pseudonym `ip-ffffff`");
    // With --keep-identifiers nothing is pseudonymized and nothing is added.
    t.run_with(["reveal", "--forget"]).success();
    let kept = t.run_with(["redact", "--keep-identifiers"]);
    kept.success().stdout_is("peer 10.20.30.40 refused\n");
    assert!(!t.path().join("pseudonym.map").exists());
}

#[test]
fn reveal_knows_a_pseudonym_made_for_the_title_of_issue_bundle() {
    let t = Test::new()
        .spec(
            "schema = 1\n[project]\nname = \"mini\"\nrepository = \"https://github.com/example/mini\"\n\
             [[collect]]\nid = \"os\"\nkind = \"system\"\n",
        )
        .args(["collect", "--spec", "[TMP]/spec.toml", "--out", "[TMP]/out"]);
    let collected = t.run();
    collected.success();
    let bundle = collected.bundle();
    let path = bundle.path.to_str().expect("utf-8 path");
    let out = t.run_with([
        "issue",
        path,
        "--title",
        "peer 10.20.30.41 refused",
        "--json",
    ]);
    out.success();
    let pseudonym = out
        .stdout
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| w.starts_with("ip-"))
        .expect("the address got a pseudonym")
        .to_string();
    assert!(!out.stdout.contains("10.20.30.41"), "{}", out.stdout);
    t.run_with(["reveal", &pseudonym])
        .success()
        .stdout_is(&format!("{pseudonym}  10.20.30.41\n"));
}
