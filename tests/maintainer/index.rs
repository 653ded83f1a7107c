//! `index`: 200 real bundles written by `collect` (Kestrel and Gojinn machines that differ in
//! versions, BTF, journal and Gojinn module) into one SQLite database; re-indexing adds
//! nothing; hostile files land in `rejected`; and the README's queries, read from the README
//! itself, answer what the machines were built to answer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::*;
use crate::harness::builtin_spec_text;

const KESTREL_BUNDLES: usize = 120;
const GOJINN_BUNDLES: usize = 80;
const KESTREL_VERSIONS: [&str; 4] = ["0.1.0", "0.2.0", "0.2.1", "0.3.0"];
const CADDY_VERSIONS: [&str; 3] = ["v2.7.6", "v2.8.4", "v2.9.1"];

/// The built-in spec `name` cut down to the `[[collect]]` items and `[[check]]`s named, their
/// text taken verbatim: the bundles carry the real item ids, fact names and check ids, but a
/// collect runs three commands, not thirty.
fn cut_spec(name: &str, items: &[&str], checks: &[&str]) -> String {
    let text = builtin_spec_text(name);
    let mut out = String::new();
    let mut keep = true;
    let mut section = String::new();
    let mut flush = |section: &mut String, keep: bool| {
        if keep {
            out.push_str(section);
        }
        section.clear();
    };
    for line in text.lines() {
        if line.starts_with('[') {
            flush(&mut section, keep);
            keep = line == "[project]";
            if line == "[[collect]]" || line == "[[check]]" {
                keep = false;
                section.push_str(line);
                section.push('\n');
                continue;
            }
        }
        if let Some(id) = line
            .strip_prefix("id = \"")
            .and_then(|r| r.strip_suffix('"'))
            && (section.starts_with("[[collect]]") && items.contains(&id)
                || section.starts_with("[[check]]") && checks.contains(&id))
        {
            keep = true;
        }
        section.push_str(line);
        section.push('\n');
    }
    flush(&mut section, keep);
    out
}

/// Kestrel machine `n`: its version, whether the kernel has BTF, whether there is a journal.
struct KestrelMachine {
    version: &'static str,
    btf: bool,
    journal: bool,
}

fn kestrel_machine(n: usize) -> KestrelMachine {
    KestrelMachine {
        version: KESTREL_VERSIONS[n % KESTREL_VERSIONS.len()],
        // Every other 0.1.0 machine and a few 0.2.1 ones lack BTF; no 0.2.0 or 0.3.0 one does.
        btf: !(n.is_multiple_of(8) || n % 12 == 2),
        journal: n % 7 != 3,
    }
}

/// Gojinn machine `n`: Caddy's version, whether Gojinn is compiled in, whether there is a
/// journal.
struct GojinnMachine {
    caddy: &'static str,
    gojinn: bool,
    journal: bool,
}

fn gojinn_machine(n: usize) -> GojinnMachine {
    GojinnMachine {
        caddy: CADDY_VERSIONS[n % CADDY_VERSIONS.len()],
        // Only some v2.7.6 machines run a stock Caddy.
        gojinn: !n.is_multiple_of(6),
        journal: n % 5 != 1,
    }
}

/// A fake `journalctl` printing `lines`, or the journal's own "nothing here" line.
fn journalctl(journal: bool, lines: &str) -> String {
    if journal {
        format!("printf '%s\\n' '{lines}'\n")
    } else {
        "echo '-- No entries --'\n".into()
    }
}

fn kestrel_bundle(spec: &str, n: usize) -> (Test, PathBuf) {
    let m = kestrel_machine(n);
    let mut t = Test::new()
        .spec(spec)
        // One second apart: every bundle has its own creation time, so its own id.
        .env("SOURCE_DATE_EPOCH", &(1_790_000_000 + n).to_string())
        .fake_output("kestrel", &format!("kestrel {}\n", m.version))
        .fake_command(
            "journalctl",
            &journalctl(
                m.journal,
                &format!(
                    "Dec 01 10:00:{:02} host kestrel[{n}]: engine started",
                    n % 60
                ),
            ),
        );
    std::fs::create_dir_all(t.join("root/sys/kernel/btf")).expect("mkdir btf");
    if m.btf {
        t = t.binary_file("root/sys/kernel/btf/vmlinux", b"\x9f\xeb\x01\x00btf");
    }
    let bundle = t.collect();
    (t, bundle)
}

fn gojinn_bundle(spec: &str, n: usize) -> (Test, PathBuf) {
    let m = gojinn_machine(n);
    let modules = if m.gojinn {
        "http.handlers.file_server\\nhttp.handlers.gojinn v0.9.2\\n"
    } else {
        "http.handlers.file_server\\n"
    };
    let t = Test::new()
        .spec(spec)
        .env("SOURCE_DATE_EPOCH", &(1_790_000_000 + n).to_string())
        .file("root/etc/hostname", "gojinn-host\n")
        .fake_command(
            "caddy",
            &format!(
                "case \"$1\" in\n  version) echo '{} h1:abc=' ;;\n  list-modules) printf '{modules}' ;;\nesac\n",
                m.caddy
            ),
        )
        .fake_command(
            "journalctl",
            &journalctl(m.journal, &format!("{{\"level\":\"info\",\"msg\":\"serving {n}\"}}")),
        );
    let bundle = t.collect();
    (t, bundle)
}

/// Collect every machine's bundle, a few at a time.
fn collect_all() -> Vec<(Test, PathBuf)> {
    let kestrel = cut_spec(
        "kestrel",
        &["kestrel-version", "journal", "btf"],
        &["btf-present"],
    );
    let gojinn = cut_spec(
        "gojinn",
        &["caddy-version", "caddy-modules", "journal-caddy"],
        &["gojinn-module"],
    );
    let jobs: Vec<(bool, usize)> = (0..KESTREL_BUNDLES)
        .map(|n| (true, n))
        .chain((0..GOJINN_BUNDLES).map(|n| (false, n)))
        .collect();
    let workers = 4;
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(workers))
            .map(|chunk| {
                let (kestrel, gojinn) = (&kestrel, &gojinn);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|&(is_kestrel, n)| {
                            if is_kestrel {
                                kestrel_bundle(kestrel, n)
                            } else {
                                gojinn_bundle(gojinn, n)
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("collect worker"))
            .collect()
    })
}

/// The ```sql blocks of the README's `index` section, in order.
fn readme_queries() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let section: String = readme
        .lines()
        .skip_while(|l| l.trim_end() != "### Indexing many bundles")
        .skip(1)
        .take_while(|l| !l.starts_with("## ") && !l.starts_with("### "))
        .map(|l| format!("{l}\n"))
        .collect();
    section
        .split("```sql\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap_or_default().to_string())
        .collect()
}

/// Rows of `sql` as strings (NULL as `NULL`).
fn query(db: &Path, sql: &str) -> Vec<Vec<String>> {
    let conn = Connection::open(db).expect("open db");
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    let columns = stmt.column_count();
    stmt.query_map([], |row| {
        (0..columns)
            .map(|i| {
                row.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                    rusqlite::types::Value::Null => "NULL".to_string(),
                    rusqlite::types::Value::Integer(n) => n.to_string(),
                    rusqlite::types::Value::Real(x) => x.to_string(),
                    rusqlite::types::Value::Text(s) => s,
                    rusqlite::types::Value::Blob(b) => format!("{b:?}"),
                })
            })
            .collect()
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn counts(db: &Path) -> Vec<(String, i64)> {
    let conn = Connection::open(db).expect("open db");
    ["bundles", "facts", "items", "checks", "rejected"]
        .iter()
        .map(|t| {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .expect("count");
            (t.to_string(), n)
        })
        .collect()
}

#[test]
fn two_hundred_bundles_index_reindex_and_answer_the_readme_queries() {
    let started = Instant::now();
    let machines = collect_all();
    println!(
        "collected {} bundles in {:.1?}",
        machines.len(),
        started.elapsed()
    );
    let bundles: Vec<String> = machines
        .iter()
        .map(|(_, p)| p.to_string_lossy().into_owned())
        .collect();
    let unique: BTreeSet<&String> = bundles.iter().collect();
    assert_eq!(unique.len(), KESTREL_BUNDLES + GOJINN_BUNDLES);

    let t = Test::new();
    let db = t.join("triage.db");
    let jsonl = t.join("rows.jsonl");
    let mut args = vec![
        "index",
        "--db",
        "[TMP]/triage.db",
        "--jsonl",
        "[TMP]/rows.jsonl",
    ];
    args.extend(bundles.iter().map(String::as_str));

    let first = t.run_with(&args);
    first.success();
    println!("indexed 200 bundles in {:.2?}", first.elapsed);
    first.finished_within(Duration::from_secs(60));
    expect!(
        first,
        first
            .stdout
            .contains("200 indexed (200 new, 0 replaced), 0 rejected"),
        "summary"
    );
    let after_first = counts(&db);
    let total = |c: &[(String, i64)], t: &str| c.iter().find(|(n, _)| n == t).map(|x| x.1);
    assert_eq!(total(&after_first, "bundles"), Some(200), "{after_first:?}");
    assert_eq!(total(&after_first, "rejected"), Some(0), "{after_first:?}");
    // Three items and one check per bundle, whatever their outcome.
    assert_eq!(total(&after_first, "items"), Some(600), "{after_first:?}");
    assert_eq!(total(&after_first, "checks"), Some(200), "{after_first:?}");

    // The JSON Lines hold exactly the rows of the database.
    let text = std::fs::read_to_string(&jsonl).expect("jsonl");
    for (table, n) in &after_first {
        let lines = text
            .lines()
            .filter(|l| l.starts_with(&format!("{{\"table\":\"{table}\",")))
            .count();
        assert_eq!(lines as i64, *n, "{table}");
    }
    assert_eq!(
        text.lines().count() as i64,
        after_first.iter().map(|(_, n)| n).sum::<i64>()
    );
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON");
    }

    // Again, with --json: everything replaced, nothing added.
    let mut again = args.clone();
    again.push("--json");
    let second = t.run_with(&again);
    second.success();
    println!("re-indexed 200 bundles in {:.2?}", second.elapsed);
    let report: serde_json::Value = serde_json::from_str(&second.stdout).expect("json");
    assert_eq!(report["format_version"], 1);
    let indexed = report["indexed"].as_array().expect("indexed");
    assert_eq!(indexed.len(), 200);
    assert!(
        indexed
            .iter()
            .all(|b| b["replaced"] == true && b["verdict"] == "intact")
    );
    assert_eq!(
        counts(&db),
        after_first,
        "re-indexing changed the row counts"
    );

    // The README's three queries, as written there.
    let queries = readme_queries();
    assert_eq!(
        queries.len(),
        3,
        "README index section queries: {queries:?}"
    );

    // Which Kestrel versions fail `btf-present`, with how many bundles.
    let mut want = std::collections::BTreeMap::new();
    for n in 0..KESTREL_BUNDLES {
        let m = kestrel_machine(n);
        if !m.btf {
            *want.entry(m.version.to_string()).or_insert(0) += 1;
        }
    }
    let want: Vec<Vec<String>> = want
        .into_iter()
        .map(|(v, n): (String, i32)| vec![v, n.to_string()])
        .collect();
    assert_eq!(want.len(), 2, "the machines are meant to split by version");
    assert_eq!(query(&db, &queries[0]), want, "{}", queries[0]);

    // Bundles whose journal is missing.
    let got: BTreeSet<String> = query(&db, &queries[1])
        .into_iter()
        .map(|row| row.join(" "))
        .collect();
    let mut want_missing = BTreeSet::new();
    for (i, (_, path)) in machines.iter().enumerate() {
        let (project, journal) = if i < KESTREL_BUNDLES {
            ("kestrel", kestrel_machine(i).journal)
        } else {
            ("gojinn", gojinn_machine(i - KESTREL_BUNDLES).journal)
        };
        if !journal {
            let path = std::fs::canonicalize(path).expect("canonical");
            want_missing.insert(format!("{project} {}", path.display()));
        }
    }
    assert!(want_missing.len() > 20, "too few journal-less machines");
    assert_eq!(got, want_missing, "{}", queries[1]);

    // Caddy versions without Gojinn.
    let want: BTreeSet<&str> = (0..GOJINN_BUNDLES)
        .map(gojinn_machine)
        .filter(|m| !m.gojinn)
        .map(|m| m.caddy)
        .collect();
    assert_eq!(
        want.len(),
        1,
        "only one Caddy version is meant to lack Gojinn"
    );
    let got: Vec<Vec<String>> = query(&db, &queries[2]);
    let want: Vec<Vec<String>> = want.into_iter().map(|v| vec![v.to_string()]).collect();
    assert_eq!(got, want, "{}", queries[2]);
}

#[test]
fn hostile_and_tampered_files_are_recorded_and_the_rest_indexed() {
    let m = demo_machine("1.3.0", "6.1.0-18-amd64", "started\n");
    let good = m.collect();
    let tmp = m.path();

    // A zip whose entry climbs out of any extraction directory, next to a real manifest.
    let mut entries = read_entries(&good);
    entries.push((
        "../../etc/cron.d/evil".into(),
        b"* * * * * root sh\n".to_vec(),
    ));
    let traversal = tmp.join("traversal.zip");
    write_zip(&traversal, &entries);
    // Not a zip at all.
    let garbage = tmp.join("garbage.zip");
    std::fs::write(&garbage, b"this is not a zip, just text pretending\n").expect("write");
    // A real bundle whose log was changed after collection: indexed, but as tampered.
    let mut entries = read_entries(&good);
    for (name, data) in &mut entries {
        if name.starts_with("files/log/") {
            data.extend_from_slice(b"appended later\n");
        }
    }
    let tampered = tmp.join("tampered.zip");
    write_zip(&tampered, &entries);

    let db = tmp.join("triage.db");
    let canon = |p: &Path| std::fs::canonicalize(p).expect("canonical");

    // Alone, the tampered copy is indexed, marked as such.
    m.run_with(["index", "--db", "[TMP]/triage.db", "[TMP]/tampered.zip"])
        .status(1)
        .stdout_has("TAMPERED")
        .stdout_has("1 indexed (1 new, 0 replaced), 0 rejected");
    assert_eq!(
        query(&db, "SELECT path, verdict, problems FROM bundles"),
        vec![vec![
            canon(&tampered).to_string_lossy().into_owned(),
            "tampered".into(),
            // The log's size and its content.
            "2".into()
        ]]
    );

    let args = [
        "index",
        "--db",
        "[TMP]/triage.db",
        good.to_str().expect("utf-8"),
        "[TMP]/traversal.zip",
        "[TMP]/garbage.zip",
        "[TMP]/tampered.zip",
    ];
    let out = m.run_with(args);
    out.status(1)
        .stdout_has("has an unsafe name")
        .stdout_has("not a readable zip")
        .stdout_has("the intact bundle with this id is already indexed")
        .stdout_has("1 indexed (0 new, 1 replaced), 3 rejected");

    // The intact bundle took its id over; the tampered copy can no longer hide it.
    assert_eq!(
        query(&db, "SELECT path, verdict FROM bundles"),
        vec![vec![
            canon(&good).to_string_lossy().into_owned(),
            "intact".into()
        ]]
    );
    let rejected = query(
        &db,
        "SELECT path, sha256, reason FROM rejected ORDER BY path",
    );
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert_eq!(rejected[0][0], canon(&garbage).to_string_lossy());
    assert_eq!(
        rejected[0][1],
        crate::harness::sha256_hex(&std::fs::read(&garbage).expect("read"))
    );
    assert_eq!(rejected[1][0], canon(&tampered).to_string_lossy());
    assert_eq!(rejected[2][0], canon(&traversal).to_string_lossy());
    assert!(
        rejected[2][2].contains("../../etc/cron.d/evil"),
        "{rejected:?}"
    );

    // Again: the refusals are refreshed, not repeated.
    let before = counts(&db);
    m.run_with(args).status(1);
    assert_eq!(counts(&db), before);
}

#[test]
fn a_database_that_is_not_an_index_is_refused_untouched() {
    let m = demo_machine("1.3.0", "6.1.0-18-amd64", "started\n");
    let bundle = m.collect();
    let b = bundle.to_str().expect("utf-8");
    let other = m.path().join("other.db");
    Connection::open(&other)
        .expect("open")
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .expect("create");
    let before = std::fs::read(&other).expect("read");
    m.run_with(["index", "--db", "[TMP]/other.db", b])
        .status(2)
        .stderr_has("is not a support-bundle index");
    assert_eq!(std::fs::read(&other).expect("read"), before);

    std::fs::write(m.path().join("notes.txt"), "plain text\n".repeat(100)).expect("write");
    m.run_with(["index", "--db", "[TMP]/notes.txt", b])
        .status(2)
        .stderr_has("is not a SQLite database");

    // A newer schema, as a later release would write it.
    m.run_with(["index", "--db", "[TMP]/new.db", b]).success();
    Connection::open(m.path().join("new.db"))
        .expect("open")
        .pragma_update(None, "user_version", 99)
        .expect("bump");
    m.run_with(["index", "--db", "[TMP]/new.db", b])
        .status(2)
        .stderr_has("schema version 99");
}
