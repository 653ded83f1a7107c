//! Secrets at the edges: keys whose first lines were cut off by a tail or a head-and-tail
//! cap, tokens cut in two by a byte cap, and rule files that would protect nothing.

use crate::harness::Test;

/// A fake private key body: `lines` lines of 64 base64 characters and a short last one,
/// from a fixed seed.
fn key_body(lines: usize, seed: u64) -> Vec<String> {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        B64[(x >> 58) as usize] as char
    };
    let mut out: Vec<String> = (0..lines)
        .map(|_| (0..64).map(|_| next()).collect())
        .collect();
    out.push((0..20).map(|_| next()).collect::<String>() + "==");
    out
}

fn pem(body: &[String]) -> String {
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        body.join("\n")
    )
}

fn file_spec(extra: &str) -> String {
    format!(
        "schema = 1\n\n[project]\nname = \"cuts\"\n\n[[collect]]\nid = \"app-log\"\n\
         kind = \"file\"\npath = \"/var/log/app.log\"\n{extra}\n"
    )
}

fn collect(t: Test) -> crate::harness::Output {
    let o = t
        .args([
            "collect",
            "--spec",
            "[TMP]/spec.toml",
            "--sysroot",
            "[TMP]/root",
            "--out",
            "[TMP]/out",
        ])
        .run();
    o.success();
    o
}

/// Every body line, and every 12-byte piece of each, for leak checks.
fn pieces(body: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for line in body {
        for at in (0..line.len().saturating_sub(12)).step_by(6) {
            out.push(line[at..at + 12].to_string());
        }
    }
    out
}

#[test]
fn key_whose_begin_line_was_cut_by_tail_lines_is_masked() {
    let body = key_body(12, 0x5eed);
    let mut log = String::from("starting app\n");
    log.push_str(&pem(&body));
    log.push_str("listening on :8080\n");
    // The last 6 lines: 4 body lines, the END line, one log line; BEGIN is cut off.
    let t = Test::new()
        .spec(&file_spec("tail_lines = 6"))
        .file("root/var/log/app.log", &log);
    let o = collect(t);
    let owned = pieces(&body);
    let secrets: Vec<&str> = owned.iter().map(String::as_str).collect();
    o.assert_no_secrets(&secrets);
    let text = o.bundle().text("files/app-log/app.log");
    assert!(text.contains("-----END PRIVATE KEY-----"), "{text}");
    assert!(text.contains("listening on :8080"), "{text}");
}

#[test]
fn key_cut_by_head_and_tail_is_masked_on_both_sides() {
    let body = key_body(40, 0xfeed);
    let mut log = String::new();
    for n in 0..60 {
        log.push_str(&format!("request {n} served in 3 ms\n"));
    }
    // The cap keeps about 1 KiB at each end: the BEGIN line is in neither half.
    let head_len = log.len();
    log.push_str(&pem(&body));
    let mut tail = String::new();
    for n in 0..2 {
        tail.push_str(&format!("shutdown step {n}\n"));
    }
    log.push_str(&tail);
    assert!(head_len > 1024);
    let t = Test::new()
        .spec(&file_spec("max_bytes = 2048"))
        .file("root/var/log/app.log", &log);
    let o = collect(t);
    let owned = pieces(&body);
    let secrets: Vec<&str> = owned.iter().map(String::as_str).collect();
    o.assert_no_secrets(&secrets);
    let text = o.bundle().text("files/app-log/app.log");
    assert!(text.contains("bytes omitted"), "{text}");
}

#[test]
fn key_body_right_after_a_cut_is_masked_without_its_end_line() {
    // The tail holds body lines only: the END line is past a head cut, not in the file.
    let body = key_body(30, 0xabcd);
    let mut log = String::from("-----BEGIN PRIVATE KEY-----\n");
    log.push_str(&body.join("\n"));
    log.push('\n');
    let t = Test::new()
        .spec(&file_spec("tail_lines = 5"))
        .file("root/var/log/app.log", &log);
    let o = collect(t);
    let owned = pieces(&body[body.len() - 5..]);
    let secrets: Vec<&str> = owned.iter().map(String::as_str).collect();
    o.assert_no_secrets(&secrets);
}

#[test]
fn token_cut_by_a_byte_cap_leaves_no_fragment() {
    // One long line without newlines: the cap cuts it at raw byte offsets, inside tokens.
    let token_a = "ghp_Xq7vB2mK9pL4rT8wYz3nQ6sD1fG5hJ0kLmNo";
    let token_b = "ghp_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYz";
    // Each half of the cap is 1024 bytes: both tokens straddle a cut, by a few bytes.
    for shift in [0usize, 3, 10, 17] {
        let mut line = "x".repeat(1000 - shift);
        line.push(' ');
        line.push_str(token_a);
        line.push(' ');
        line.push_str(&"y".repeat(3000));
        line.push(' ');
        line.push_str(token_b);
        line.push(' ');
        line.push_str(&"z".repeat(1000 - shift));
        let t = Test::new()
            .spec(&file_spec("max_bytes = 2048"))
            .file("root/var/log/app.log", &line);
        let o = collect(t);
        let frags: Vec<String> = [token_a, token_b]
            .iter()
            .flat_map(|tok| (4..tok.len() - 8).map(|at| tok[at..at + 8].to_string()))
            .collect();
        let secrets: Vec<&str> = frags.iter().map(String::as_str).collect();
        o.assert_no_secrets(&secrets);
    }
}

#[test]
fn tail_cut_inside_a_long_line_drops_the_partial_token() {
    let token = "ghp_Qw3Er4Ty5Ui6Op7As8Df9Gh0Jk1Lz2Xc3Vb4Nm";
    for shift in [5usize, 16, 30] {
        let mut line = "a".repeat(500);
        line.push(' ');
        line.push_str(token);
        line.push(' ');
        line.push_str(&"b".repeat(1024 - token.len() + shift - 2));
        line.push('\n');
        let t = Test::new()
            .spec(&file_spec("tail_lines = 1\nmax_bytes = 1024"))
            .file("root/var/log/app.log", &line);
        let o = collect(t);
        let frags: Vec<String> = (4..token.len() - 8)
            .map(|at| token[at..at + 8].to_string())
            .collect();
        let secrets: Vec<&str> = frags.iter().map(String::as_str).collect();
        o.assert_no_secrets(&secrets);
    }
}

#[test]
fn misspelled_rule_table_fails_closed() {
    let t = Test::new()
        .file(
            "myrules.toml",
            "# mine\n[[rule]]\nid = \"acme\"\nregex = '''acme_[A-Z]{8}'''\n",
        )
        .args(["redact", "--rules", "[TMP]/myrules.toml"])
        .stdin("token acme_ABCDEFGH\n");
    let o = t.run();
    o.status(2);
    o.stderr_has("myrules.toml:2: unknown top-level field or table `rule` (did you mean `rules`?)");
    assert!(!o.stdout.contains("acme_ABCDEFGH"), "{}", o.stdout);
}

#[test]
fn rule_file_without_rules_fails_closed() {
    let t = Test::new()
        .file("empty.toml", "title = \"nothing yet\"\n")
        .args(["redact", "--rules", "[TMP]/empty.toml"])
        .stdin("token acme_ABCDEFGH\n");
    let o = t.run();
    o.status(2);
    o.stderr_has("empty.toml:1: defines no rule");
}

#[test]
fn journal_output_starting_inside_a_key_is_masked() {
    // What `journalctl -n` prints when its first lines fall inside a logged key.
    let body = key_body(8, 0x7777);
    let mut out = String::new();
    for line in body.iter().skip(3) {
        out.push_str(&format!("Dec 03 10:00:00 web app[42]: {line}\n"));
    }
    out.push_str("Dec 03 10:00:00 web app[42]: -----END PRIVATE KEY-----\n");
    out.push_str("Dec 03 10:00:01 web app[42]: ready\n");
    let o = Test::new().args(["redact"]).stdin(out).run();
    o.success();
    for piece in pieces(&body[3..]) {
        assert!(!o.stdout.contains(&piece), "{piece} in:\n{}", o.stdout);
    }
    assert!(
        o.stdout.contains("app[42]: [REDACTED:private-key]\n"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("-----END PRIVATE KEY-----"),
        "{}",
        o.stdout
    );
}
