//! `inspect --html` and `diff --html` in a real browser: Debian's `chromium`, headless, loads
//! each report from disk and dumps the DOM after its scripts ran.
//!
//! A report of the Kestrel fixture bundle must show every section; a report of a bundle whose
//! log, project name and facts carry markup must show that markup as text, and nothing it
//! tries (retitling the page, adding an element, an image's `onerror`, a `javascript:` link)
//! may happen. A control page with the same markup unescaped shows that the DOM checks would
//! notice if it did. The report's own filter script must run (the policy names its hash).
//!
//! Without `chromium` the browser tests print why and pass, except under CI (`CI` set), where
//! a missing browser is a failure: CI installs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixtures::{self, KESTREL_SECRETS};
use crate::harness::{Output, Server, Test};
use crate::maintainer::{Collect, demo_machine, demo_spec};

/// How long one page load may take before the browser is killed.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// What the hostile bundle's log and project name try. Each would retitle the page or add an
/// element that the DOM checks look for.
const HOSTILE_LOG: &str = "starting\n\
<script>document.title='INJECTED';var m=document.createElement('mark');m.id='injected';document.body.appendChild(m);</script>\n\
\"><img src=x onerror=\"document.title='INJECTED-IMG'\">\n\
<a href=\"javascript:document.title='INJECTED-LINK'\">open</a>\n\
' onmouseover='document.title=1' x='\n\
ready\n";

const METRICS: &str = "kestrel_events_received 42\nkestrel_alerts_generated 3\n";

/// The browser, when installed; `None` (after saying why) when it is not and CI is not set.
fn chromium() -> Option<PathBuf> {
    let found = which_chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing, and CI is expected to install it"
        );
        eprintln!("skipping: chromium is not installed (apt-get install chromium)");
    }
    found
}

fn which_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
}

/// Load `page` in headless chromium and return the DOM after its scripts ran. The browser
/// runs in its own process group with a fresh profile, and the group is killed when the load
/// takes longer than [`BROWSER_TIMEOUT`] or once it is done (helpers can outlive the main
/// process).
fn dump_dom(browser: &Path, page: &Path) -> String {
    use std::os::unix::process::CommandExt;

    let profile = tempfile::tempdir().expect("profile dir");
    let out = profile.path().join("dom.html");
    let err = profile.path().join("stderr.txt");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("dom file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let group = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break Some(status);
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let status = status
        .unwrap_or_else(|| panic!("chromium did not finish within {BROWSER_TIMEOUT:?}:\n{stderr}"));
    let dom = std::fs::read_to_string(&out).expect("read dom");
    assert!(
        status.success() && dom.contains("</html>"),
        "chromium failed ({status}):\n{stderr}"
    );
    dom
}

/// The page's title as the browser ended up with it.
fn title(dom: &str) -> &str {
    let start = dom.find("<title>").expect("title") + "<title>".len();
    let end = dom[start..].find("</title>").expect("title end") + start;
    &dom[start..end]
}

/// `inspect BUNDLE --html FILE` in `t`'s tempdir; returns the file.
fn inspect_html(t: &Test, bundle: &Path, name: &str) -> PathBuf {
    let file = t.join(name);
    let out = t.run_with([
        "inspect",
        bundle.to_str().expect("utf-8"),
        "--html",
        file.to_str().expect("utf-8"),
    ]);
    out.success().stdout_has("wrote ");
    file
}

/// The Kestrel fixture bundle, metrics served by a real loopback server.
fn kestrel_bundle() -> (Test, PathBuf, Output) {
    let server = Server::start(METRICS.as_bytes(), "text/plain; version=0.0.4");
    let t = fixtures::kestrel(Test::new());
    let out = t.run_with([
        "collect",
        "--no-progress",
        "--sysroot",
        "[TMP]/root",
        "--spec",
        "kestrel",
        "--var",
        &format!("metrics_url={}", server.url("/metrics")),
        "--out",
        "[TMP]/out",
    ]);
    out.success();
    let path = out.bundle().path;
    (t, path, out)
}

/// A demo bundle whose log, project name and version fact carry markup.
fn hostile_bundle() -> (Test, PathBuf) {
    let spec = demo_spec().replace(
        "display = \"Demo\"",
        "display = \"Demo <script>document.title='INJECTED-NAME'</script>\"",
    );
    // Enough lines before the markup that the log's tail is folded.
    let log: String = (1..=60)
        .map(|n| format!("worker {n} ok\n"))
        .collect::<String>()
        + HOSTILE_LOG;
    let t = demo_machine("1.2.0", "6.1.0-18-amd64", &log)
        .spec(&spec)
        .fake_output(
            "demo",
            "demo 1.2.0\"><img src=x onerror=\"document.title='INJECTED-FACT'\">\n",
        );
    let path = t.collect();
    (t, path)
}

/// Markup the browser would have made had anything from the hostile bundle been parsed.
fn assert_nothing_injected(dom: &str) {
    assert!(
        !title(dom).starts_with("INJECTED"),
        "a script from the bundle ran: title {:?}",
        title(dom)
    );
    // Text nodes keep their quotes when serialised; these can only be elements.
    for made in ["<mark", "<img", "<a href=\"javascript:"] {
        assert!(!dom.contains(made), "the DOM holds `{made}`:\n{dom}");
    }
    // Only the report's own script element exists.
    assert_eq!(dom.matches("<script").count(), 1, "{dom}");
}

#[test]
fn the_kestrel_report_shows_every_section_in_a_browser() {
    let Some(browser) = chromium() else { return };
    let (t, bundle, _) = kestrel_bundle();
    let page = inspect_html(&t, &bundle, "report.html");
    let html = std::fs::read_to_string(&page).expect("read report");
    for secret in KESTREL_SECRETS {
        assert!(!html.contains(secret), "the report shows {secret}");
    }
    let dom = dump_dom(&browser, &page);
    for section in [
        "id=\"summary\"",
        "id=\"checks\"",
        "id=\"completeness\"",
        "id=\"facts\"",
        "id=\"items\"",
        "id=\"contents\"",
        "id=\"redactions\"",
    ] {
        assert!(dom.contains(section), "no {section} in:\n{dom}");
    }
    // The filter script ran: the policy's hash matches it, and it showed the filter box.
    assert!(dom.contains("data-filter=\"ready\""), "{dom}");
    assert!(
        dom.contains("<input id=\"filter\" type=\"search\""),
        "{dom}"
    );
    assert!(!dom.contains("aria-label=\"Filter lines\" hidden"), "{dom}");
    assert!(dom.contains("Verify: intact"), "{dom}");
    assert!(dom.contains("<title>Kestrel bundle "), "{}", title(&dom));
    assert!(dom.contains(fixtures::KESTREL_VERSION), "{dom}");
    // Outcomes and statuses as coloured badges; the journal as a log, folded to its tail.
    assert!(dom.contains("<span class=\"b pass\">pass</span>"), "{dom}");
    assert!(dom.contains("<span class=\"b ok\">ok</span>"), "{dom}");
    assert!(dom.contains("<li class=\"present\">"), "{dom}");
    assert!(dom.contains("Starting Kestrel detection engine"), "{dom}");
    assert!(dom.contains("<td class=\"n\">"), "{dom}");
}

#[test]
fn a_hostile_bundle_report_runs_nothing_from_the_bundle() {
    let Some(browser) = chromium() else { return };
    let (t, bundle) = hostile_bundle();
    let page = inspect_html(&t, &bundle, "report.html");
    let dom = dump_dom(&browser, &page);
    assert_nothing_injected(&dom);
    // The markup is there, as text a reader can see.
    for shown in [
        "&lt;script&gt;document.title='INJECTED';",
        "\"&gt;&lt;img src=x onerror=\"document.title='INJECTED-IMG'\"&gt;",
        "&lt;a href=\"javascript:document.title='INJECTED-LINK'\"&gt;open&lt;/a&gt;",
        "Demo &lt;script&gt;document.title='INJECTED-NAME'&lt;/script&gt;",
        "1.2.0\"&gt;&lt;img src=x onerror=",
    ] {
        assert!(dom.contains(shown), "not shown as text: {shown}\n{dom}");
    }
    assert!(dom.contains("data-filter=\"ready\""), "{dom}");
    // The log is folded to its tail, the earlier lines one click away.
    assert!(
        dom.contains("<details><summary>26 earlier lines</summary>"),
        "{dom}"
    );
}

#[test]
fn a_diff_report_shows_both_sides_in_a_browser() {
    let Some(browser) = chromium() else { return };
    let a = demo_machine("1.2.0", "6.1.0-18-amd64", "started\nready\n");
    let pa = a.collect();
    let (_h, pb) = hostile_bundle();
    let file = a.join("diff.html");
    a.run_with([
        "diff",
        pa.to_str().expect("utf-8"),
        pb.to_str().expect("utf-8"),
        "--html",
        file.to_str().expect("utf-8"),
    ])
    .success();
    let dom = dump_dom(&browser, &file);
    assert_nothing_injected_but_no_script(&dom);
    for expected in [
        "id=\"facts\"",
        "id=\"checks\"",
        "id=\"items\"",
        "<tr class=\"changed\"><td>demo_version</td><td><code>1.2.0</code></td>",
        "<span class=\"add\">+&lt;script&gt;document.title=",
        "<span class=\"del\">-started</span>",
        "<span class=\"hunk\">@@",
        "Verify: intact",
    ] {
        assert!(dom.contains(expected), "no {expected} in:\n{dom}");
    }
}

/// The filter box keeps only matching lines. The page is driven by a script appended to a copy
/// whose policy is removed (the report's own policy would rightly refuse the driver).
#[test]
fn the_filter_box_keeps_only_matching_lines() {
    let Some(browser) = chromium() else { return };
    let (t, bundle) = hostile_bundle();
    let page = inspect_html(&t, &bundle, "report.html");
    let html = std::fs::read_to_string(&page).expect("read");
    let policy_line = html
        .lines()
        .find(|l| l.contains("Content-Security-Policy"))
        .expect("policy line");
    let driver = "<script>var box = document.getElementById('filter'); box.value = 'WORKER 5'; \
        box.dispatchEvent(new Event('input'));</script>";
    let driven = html
        .replace(policy_line, "")
        .replace("</body>", &format!("{driver}</body>"));
    let copy = t.join("driven.html");
    std::fs::write(&copy, driven).expect("write copy");
    let dom = dump_dom(&browser, &copy);
    // `worker 5` and `worker 50`..`worker 59` match, case-insensitively; nothing else stays.
    assert!(dom.contains("11 matching lines"), "{dom}");
    assert!(dom.contains("data-hits=\"1\">worker 5 ok</pre>"), "{dom}");
    assert!(
        dom.contains("data-hits=\"10\">worker 50 ok\nworker 51 ok"),
        "{dom}"
    );
    assert!(
        !dom.contains("worker 4 ok") && !dom.contains("starting"),
        "{dom}"
    );
    // The config item has no match and is hidden; the folded lines were opened.
    assert!(dom.contains("<details open=\"\">"), "{dom}");
    assert!(
        dom.contains("<section class=\"content\" id=\"c2\" hidden=\"\">"),
        "{dom}"
    );
}

/// Like [`assert_nothing_injected`], for a page that has no script of its own.
fn assert_nothing_injected_but_no_script(dom: &str) {
    assert!(!title(dom).starts_with("INJECTED"), "{}", title(dom));
    for made in ["<mark", "<img", "<a href=\"javascript:", "<script"] {
        assert!(!dom.contains(made), "the DOM holds `{made}`:\n{dom}");
    }
}

/// The checks above can fail: the same markup in a page that does not escape it retitles the
/// page and adds its element.
#[test]
fn unescaped_markup_would_be_caught() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("control.html");
    std::fs::write(
        &page,
        format!("<!DOCTYPE html><html><head><title>t</title></head><body><pre>{HOSTILE_LOG}</pre></body></html>"),
    )
    .expect("write control page");
    let dom = dump_dom(&browser, &page);
    // The image's handler runs last: it retitles the page after the script did.
    assert_eq!(title(&dom), "INJECTED-IMG", "{dom}");
    assert!(dom.contains("<mark id=\"injected\">"), "{dom}");
}

#[test]
fn the_report_is_the_same_bytes_every_time_and_private() {
    use std::os::unix::fs::PermissionsExt;

    let (t, bundle) = hostile_bundle();
    let one = inspect_html(&t, &bundle, "one.html");
    let two = inspect_html(&t, &bundle, "two.html");
    let bytes = std::fs::read(&one).expect("read");
    assert_eq!(bytes, std::fs::read(&two).expect("read"));
    let mode = std::fs::metadata(&one).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // No leftover temp file next to it.
    let names: Vec<String> = std::fs::read_dir(t.path())
        .expect("list")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".html") || n.contains(".tmp"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_tampered_bundle_still_gets_a_report_that_says_so() {
    let (t, bundle) = hostile_bundle();
    let bad = t.join("tampered.zip");
    let mut entries = crate::maintainer::read_entries(&bundle);
    let log = entries
        .iter_mut()
        .find(|(n, _)| n.ends_with("demo.log"))
        .expect("log entry");
    log.1 = b"rewritten after the fact\n".to_vec();
    crate::maintainer::write_zip(&bad, &entries);
    let page = inspect_html(&t, &bad, "tampered.html");
    let html = std::fs::read_to_string(page).expect("read");
    assert!(html.contains("Verify: TAMPERED, 2 problems"), "{html}");
    assert!(
        html.contains("files/log/demo.log: content changed"),
        "{html}"
    );
    assert!(html.contains("rewritten after the fact"), "{html}");
}

#[test]
fn html_and_json_do_not_mix() {
    let (t, bundle) = hostile_bundle();
    t.run_with([
        "inspect",
        bundle.to_str().expect("utf-8"),
        "--json",
        "--html",
        "[TMP]/r.html",
    ])
    .status(2);
    assert!(!t.join("r.html").exists());
}

/// Writes the Kestrel fixture bundle to `$REPORT_BUNDLE` for `scripts/screenshot-report.sh`.
#[test]
#[ignore = "run by scripts/screenshot-report.sh"]
fn kestrel_bundle_for_the_screenshot() {
    let to = std::env::var_os("REPORT_BUNDLE").expect("REPORT_BUNDLE names where to write");
    let (_t, bundle, _) = kestrel_bundle();
    std::fs::copy(&bundle, to).expect("copy bundle");
}
