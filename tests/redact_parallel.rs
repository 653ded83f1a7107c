//! `redact FILE` on a large input: blocks of whole lines on several threads give exactly the
//! bytes one thread gives, numbered masks and pseudonyms included, with every planted secret
//! gone.

use crate::harness::Test;

/// Generated logs with planted secrets, shared with the benches.
#[allow(dead_code, unreachable_pub)]
#[path = "support/testdata.rs"]
mod testdata;

#[test]
fn redact_on_several_threads_writes_what_one_thread_writes() {
    // Past the size from which `redact` splits the input into blocks.
    let mut text = Vec::new();
    let mut secrets = Vec::new();
    let mut seed = 11;
    while text.len() < 5 << 20 {
        let c = testdata::mixed_corpus(seed, 4000);
        text.extend_from_slice(c.text.as_bytes());
        secrets.extend(c.secrets);
        let c = testdata::corpus(seed, 2000, 20);
        text.extend_from_slice(c.text.as_bytes());
        secrets.extend(c.secrets);
        seed += 1;
    }
    let t = Test::new().binary_file("big.log", &text);
    let one = t.run_with(["redact", "--threads", "1", "[TMP]/big.log"]);
    one.success();
    let three = t.run_with(["redact", "--threads", "3", "[TMP]/big.log"]);
    three.success();
    assert!(
        one.stdout == three.stdout,
        "3 threads wrote {} bytes, 1 thread {}",
        three.stdout.len(),
        one.stdout.len()
    );
    assert!(one.stdout.contains("[REDACTED:"), "{}", &one.stdout[..2000]);
    assert!(one.stdout.contains(":40]"), "masks are numbered past 40");
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| three.stdout.contains(s.as_str()))
        .collect();
    assert!(leaked.is_empty(), "{} leaked: {leaked:?}", leaked.len());
}

#[test]
fn threads_must_be_at_least_one() {
    Test::new()
        .file("a.log", "password=hunter2hunter2\n")
        .args(["redact", "--threads", "0", "[TMP]/a.log"])
        .run()
        .status(2)
        .stderr_has("--threads");
}
