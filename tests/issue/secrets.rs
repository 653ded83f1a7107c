//! Secrets planted in every input a run takes (a config file, a log, command output, an
//! environment variable, the title, the description) never reach the body, the bundle's
//! `issue.md`, the link or the `gh` line.

use super::{Test, bundle_in, success};

const SECRETS: [&str; 6] = [
    "ghp_PLANTEDaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
    "hunter2PLANTEDpassword",
    "AKIAPLANTED00000000A",
    "xoxb-123456789012-PLANTED000000",
    "sk_live_PLANTED0000000000000000",
    "postgres://admin:PLANTEDdbpass@db.internal:5432/app",
];

#[test]
fn planted_secrets_reach_no_output() {
    // `sh` runs the echo item, so the system directories are on `PATH`.
    let t = Test::new()
        .system_path()
        .env("APP_TOKEN", SECRETS[0])
        .file(
            "work/app.toml",
            &format!(
                "[db]\npassword = \"{}\"\ndsn = \"{}\"\n",
                SECRETS[1], SECRETS[5]
            ),
        )
        .file(
            "work/app.log",
            &format!(
                "INFO start\nWARN token={}\nERROR auth failed for key {}\n",
                SECRETS[0], SECRETS[2]
            ),
        )
        .file(
            "work/spec.toml",
            "schema = 1\n[project]\nname = \"app\"\nrepository = \"https://github.com/o/app\"\n\
             [[collect]]\nid = \"config\"\nkind = \"file\"\npath = \"app.toml\"\nformat = \"toml\"\nrequired = true\n\
             [[collect]]\nid = \"log\"\nkind = \"file\"\npath = \"app.log\"\nlog = true\nrequired = true\n\
             [[collect]]\nid = \"echo\"\nkind = \"command\"\nargv = [\"sh\", \"-c\", \"echo api_key=$0\", \"sk_live_PLANTED0000000000000000\"]\nfact = { name = \"echoed\", regex = 'api_key\\W(\\S+)' }\n\
             [[collect]]\nid = \"env\"\nkind = \"env\"\nvars = [\"APP_TOKEN\"]\n\
             [issue]\nsections = [\"Description\", \"Environment\", \"Logs\", \"Configuration\"]\n",
        )
        .file("work/desc.md", &format!("It fails with {}\n", SECRETS[3]));
    let title = format!("login broken, password={}", SECRETS[1]);
    let summary = success(t.run_with([
        "collect",
        "--spec",
        "spec.toml",
        "--out",
        "out",
        "--describe",
        "desc.md",
        "--title",
        &title,
    ]));
    let body = std::fs::read_to_string(t.join("work/out/app-issue.md")).unwrap();
    let bundle = bundle_in(&t.join("work/out"));
    let rerendered = success(t.run_with(["issue", bundle.to_str().unwrap(), "--json"]));
    // The inputs really were collected: the secrets were there to be found.
    assert!(body.contains("INFO start"), "{body}");
    assert!(
        body.contains("| echoed | [REDACTED:"),
        "the fact was not extracted:\n{body}"
    );
    for secret in SECRETS {
        for (what, text) in [
            ("body", &body),
            ("summary (link, gh line)", &summary),
            ("issue BUNDLE --json", &rerendered),
        ] {
            let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
            assert!(!decoded.contains(secret), "{secret} leaked into the {what}");
        }
    }
}

/// `collect` stores the spec redacted; a fact regex that reads like `key=value` must not be cut
/// by the redaction, or `issue BUNDLE` can no longer load the bundle's spec.
#[test]
fn a_key_equals_regex_keeps_the_stored_spec_loadable() {
    let t = Test::new().system_path().file(
        "work/spec.toml",
        "schema = 1\n[project]\nname = \"app\"\nrepository = \"https://github.com/o/app\"\n\
         [[collect]]\nid = \"echo\"\nkind = \"command\"\nargv = [\"sh\", \"-c\", \"echo api_key=$0\", \"sk_live_PLANTED0000000000000000\"]\nfact = { name = \"echoed\", regex = 'api_key=(\\S+)' }\n",
    );
    success(t.run_with(["collect", "--spec", "spec.toml", "--out", "out"]));
    let bundle = bundle_in(&t.join("work/out"));
    success(t.run_with(["issue", bundle.to_str().unwrap(), "--json"]));
}

/// Secret spec variables: one named like a secret in `[vars]`, one named like a secret and set
/// with `--var`, and one whose name says nothing but whose value is a token.
const VAR_SECRETS: [&str; 3] = [
    "tok-PLANTEDvar1234567890",
    "PLANTEDoverride-pw-77",
    "ghp_PLANTEDvarbbbbbbbbbbbbbbbbbbbbbbbbbbbb2",
];

fn secret_vars_spec() -> String {
    format!(
        "schema = 1\n[project]\nname = \"app\"\nrepository = \"https://github.com/o/app\"\n\
         [vars]\napi_token = \"{}\"\ndb_password = \"\"\ndeploy = \"{}\"\n\
         [[collect]]\nid = \"login\"\nkind = \"command\"\n\
         argv = [\"sh\", \"-c\", \"echo login as $0 with $1 via $2\", \"{{api_token}}\", \"{{db_password}}\", \"{{deploy}}\"]\n",
        VAR_SECRETS[0], VAR_SECRETS[2]
    )
}

#[test]
fn secret_spec_variables_are_masked_in_sources_output_summary_and_dry_runs() {
    let t = Test::new()
        .system_path()
        .file("work/spec.toml", &secret_vars_spec());
    let var = format!("db_password={}", VAR_SECRETS[1]);
    let base = ["collect", "--spec", "spec.toml", "--var", &var];
    let mut outputs = Vec::new();
    for extra in [&["--dry-run"][..], &["--dry-run", "--json"]] {
        let out = t.run_with(base.iter().chain(extra));
        outputs.push((format!("{extra:?}"), success(out)));
    }
    // The plan does show the step, with the secrets masked in its command line.
    assert!(outputs[0].1.contains("login as"), "{}", outputs[0].1);
    for json in [false, true] {
        let mut args = base.to_vec();
        args.extend(["--out", if json { "out-json" } else { "out" }]);
        if json {
            args.push("--json");
        }
        outputs.push((format!("summary (json: {json})"), success(t.run_with(args))));
    }
    let bundle = bundle_in(&t.join("work/out"));
    for (name, data) in crate::maintainer::read_entries(&bundle) {
        outputs.push((name, String::from_utf8_lossy(&data).into_owned()));
    }
    outputs.push((
        "issue file".into(),
        std::fs::read_to_string(t.join("work/out/app-issue.md")).unwrap(),
    ));
    let command = &outputs
        .iter()
        .find(|(n, _)| n == "commands/login.txt")
        .unwrap()
        .1;
    // The command ran with the values; its output has them masked.
    assert!(command.starts_with("login as [REDACTED:"), "{command}");
    for secret in VAR_SECRETS {
        for (what, text) in &outputs {
            assert!(
                !text.contains(secret),
                "{secret} leaked into {what}:\n{text}"
            );
        }
    }
}

/// Specs whose text, redacted as TOML, no longer loads: a key rule inside a fact regex (single
/// and double quoted), a masked value next to the brackets and quotes that end its array or
/// inline table, a secret in a comment. The bundle stores each one loadable, without the secret.
#[test]
fn hostile_specs_are_stored_loadable_and_without_their_secrets() {
    let items = [
        "[[collect]]\nid = \"a\"\nkind = \"command\"\nargv = [\"sh\", \"-c\", \"echo password=hunter2PLANTED\"]\n\
         fact = { name = \"pw\", regex = 'password=(\\S+)' }\n",
        "# token = PLANTEDcomment0123456789\n[[collect]]\nid = \"a\"\nkind = \"command\"\n\
         argv = [\"sh\", \"-c\", \"echo secret=\\\"x\\\"\"]\n\
         fact = { name = \"s\", regex = \"secret=\\\"(\\\\S+)\\\"\" }\n",
        "[vars]\npassword = \"PLANTED]]pw\\\"x'\"\n[[collect]]\nid = \"a\"\nkind = \"command\"\n\
         argv = [\"sh\", \"-c\", \"echo {password}]]\"]\n\
         fact = { name = \"k\", regex = 'api_key=(\\S+)' }\n",
        "[[collect]]\nid = \"a\"\nkind = \"command\"\n\
         argv = [\"sh\", \"-c\", \"echo token=PLANTEDtoken0123456789abcdef\"]\n\
         fact = { name = \"t\", regex = '(?:token|password)=(\\S+)' }\n",
    ];
    for item in items {
        let spec = format!(
            "schema = 1\n[project]\nname = \"app\"\nrepository = \"https://github.com/o/app\"\n{item}"
        );
        let t = Test::new().system_path().file("work/spec.toml", &spec);
        let run = t.run_with(["collect", "--spec", "spec.toml", "--out", "out"]);
        run.success();
        assert!(!run.stderr.contains("does not load"), "{spec}\n{run}");
        let bundle = bundle_in(&t.join("work/out"));
        let bundle = bundle.to_str().unwrap();
        let stored = crate::maintainer::read_entries(bundle.as_ref())
            .into_iter()
            .find(|(n, _)| n == "spec.toml")
            .map(|(_, d)| String::from_utf8(d).unwrap())
            .unwrap();
        assert!(!stored.contains("PLANTED"), "{stored}");
        success(t.run_with(["issue", bundle, "--json"]));
        success(t.run_with(["check", bundle]));
        success(t.run_with(["inspect", bundle]));
    }
}
