//! Secrets planted in every input a run takes (a config file, a log, command output, an
//! environment variable, the title, the description) never reach the body, the bundle's
//! `issue.md`, the link or the `gh` line.

use super::{bin, bundle_in, success};

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
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("app.toml"),
        format!(
            "[db]\npassword = \"{}\"\ndsn = \"{}\"\n",
            SECRETS[1], SECRETS[5]
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("app.log"),
        format!(
            "INFO start\nWARN token={}\nERROR auth failed for key {}\n",
            SECRETS[0], SECRETS[2]
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("spec.toml"),
        "schema = 1\n[project]\nname = \"app\"\nrepository = \"https://github.com/o/app\"\n\
         [[collect]]\nid = \"config\"\nkind = \"file\"\npath = \"app.toml\"\nformat = \"toml\"\nrequired = true\n\
         [[collect]]\nid = \"log\"\nkind = \"file\"\npath = \"app.log\"\nlog = true\nrequired = true\n\
         [[collect]]\nid = \"echo\"\nkind = \"command\"\nargv = [\"sh\", \"-c\", \"echo api_key=$0\", \"sk_live_PLANTED0000000000000000\"]\nfact = { name = \"echoed\", regex = 'api_key=(\\S+)' }\n\
         [[collect]]\nid = \"env\"\nkind = \"env\"\nvars = [\"APP_TOKEN\"]\n\
         [issue]\nsections = [\"Description\", \"Environment\", \"Logs\", \"Configuration\"]\n",
    )
    .unwrap();
    std::fs::write(d.join("desc.md"), format!("It fails with {}\n", SECRETS[3])).unwrap();
    let out = bin()
        .current_dir(d)
        .env("APP_TOKEN", SECRETS[0])
        .args([
            "collect",
            "--spec",
            "spec.toml",
            "--out",
            "out",
            "--describe",
            "desc.md",
        ])
        .arg("--title")
        .arg(format!("login broken, password={}", SECRETS[1]))
        .output()
        .unwrap();
    let summary = success(out);
    let body = std::fs::read_to_string(d.join("out/app-issue.md")).unwrap();
    let bundle = bundle_in(&d.join("out"));
    let rerendered = bin()
        .args(["issue", bundle.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let rerendered = String::from_utf8_lossy(&rerendered.stdout).into_owned();
    // The inputs really were collected: the secrets were there to be found.
    assert!(body.contains("INFO start"), "{body}");
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
