//! `fleet --html FILE`: the fleet report as one self-contained HTML page, with the same
//! content as `fleet.md` ([`super::report`]).
//!
//! Host names, facts, check ids and messages, item ids and failure messages come from the
//! inventory, the hosts and their bundles: every one passes [`crate::bundle::html::escape`]. The page
//! starts like the `inspect --html` pages ([`crate::bundle::html`]): a Content-Security-Policy that
//! allows its inline style and nothing else (no script at all here), and the same style. Ids
//! and links are fixed names, classes come from fixed status and outcome names, and the page
//! loads nothing.

use std::fmt::Write as _;

use super::host::{HostReport, Status};
use super::report::{Fleet, MAX_COLUMNS, ValueGroup};
use crate::bundle::html::{self, escape};
use crate::bundle::manifest::Tool;

/// The page of `fleet`.
pub fn page(fleet: &Fleet) -> String {
    let mut out = String::new();
    html::head(&mut out, &format!("Fleet report: {}", fleet.spec), false);
    summary(&mut out, fleet);
    out.push_str(
        "<nav><a href=\"#hosts\">Hosts</a><a href=\"#differ\">Facts that differ</a>\
         <a href=\"#same\">Facts the same</a><a href=\"#checks\">Checks</a>\
         <a href=\"#missing\">Missing required</a><a href=\"#failed\">Failed hosts</a></nav>\n",
    );
    let groups = fleet.fact_groups();
    let differing: Vec<(&String, &Vec<ValueGroup>)> =
        groups.iter().filter(|(_, g)| g.len() > 1).collect();
    hosts(&mut out, fleet, &differing);
    facts_that_differ(&mut out, &differing);
    facts_the_same(&mut out, &groups);
    checks(&mut out, fleet);
    missing(&mut out, fleet);
    failed(&mut out, fleet);
    let tool = Tool::this();
    let _ = writeln!(
        out,
        "<footer><p class=\"note\">Written by {} {}. Everything from the hosts and their bundles \
         is shown as text; the page loads nothing.</p></footer>",
        tool.name, tool.version
    );
    out.push_str("</body>\n</html>\n");
    out
}

fn text(out: &mut String, text: &str) {
    escape(out, text);
}

/// A status or outcome badge: `class` is one of the fixed names, never host text.
fn badge(out: &mut String, class: &str, label: &str) {
    let _ = write!(out, "<span class=\"b {class}\">{label}</span>");
}

fn status_badge(out: &mut String, status: Status) {
    let class = if status == Status::Ok { "ok" } else { "failed" };
    badge(out, class, status.as_str());
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn summary(out: &mut String, fleet: &Fleet) {
    let ok = fleet.ok().count();
    out.push_str("<header id=\"summary\"><h1>Fleet report</h1>\n<dl><dt>Spec</dt><dd><code>");
    text(out, &fleet.spec);
    let _ = writeln!(
        out,
        "</code></dd><dt>Hosts</dt><dd>{} host{}: {ok} collected, {} failed</dd>\
         <dt>Wall time</dt><dd>{:.1} s</dd><dt>Parallel</dt><dd>up to {} at once</dd></dl>\
         </header>",
        fleet.hosts.len(),
        plural(fleet.hosts.len()),
        fleet.hosts.len() - ok,
        fleet.seconds,
        fleet.parallel
    );
}

fn hosts(out: &mut String, fleet: &Fleet, differing: &[(&String, &Vec<ValueGroup>)]) {
    let columns: Vec<&String> = differing
        .iter()
        .take(MAX_COLUMNS)
        .map(|(n, _)| *n)
        .collect();
    out.push_str("<section id=\"hosts\"><h2>Hosts</h2>\n");
    if differing.len() > columns.len() {
        let _ = writeln!(
            out,
            "<p class=\"note\">The first {} of {} facts that differ are columns here; every one \
             is under Facts that differ.</p>",
            columns.len(),
            differing.len()
        );
    }
    out.push_str("<table><tr><th>Host</th><th>Status</th>");
    for c in &columns {
        out.push_str("<th>");
        text(out, c);
        out.push_str("</th>");
    }
    out.push_str("<th>Flagged checks</th><th>Missing required</th></tr>\n");
    for h in &fleet.hosts {
        out.push_str("<tr><td class=\"k\">");
        text(out, &h.name);
        out.push_str("</td><td>");
        status_badge(out, h.status);
        out.push_str("</td>");
        for c in &columns {
            out.push_str("<td>");
            if let Some(v) = h.facts.get(*c) {
                text(out, v);
            }
            out.push_str("</td>");
        }
        if h.status == Status::Ok {
            let _ = writeln!(
                out,
                "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                h.checks.len(),
                h.missing.len()
            );
        } else {
            out.push_str("<td></td><td></td></tr>\n");
        }
    }
    out.push_str("</table></section>\n");
}

fn facts_that_differ(out: &mut String, differing: &[(&String, &Vec<ValueGroup>)]) {
    out.push_str("<section id=\"differ\"><h2>Facts that differ</h2>\n");
    if differing.is_empty() {
        out.push_str(
            "<p class=\"note\">None: every collected host reports the same facts.</p></section>\n",
        );
        return;
    }
    out.push_str("<table><tr><th>Fact</th><th>Value</th><th>Hosts</th></tr>\n");
    for (name, groups) in differing {
        for (i, g) in groups.iter().enumerate() {
            out.push_str("<tr>");
            if i == 0 {
                let _ = write!(out, "<td class=\"k\" rowspan=\"{}\">", groups.len());
                text(out, name);
                out.push_str("</td>");
            }
            out.push_str("<td>");
            match &g.value {
                Some(v) => {
                    out.push_str("<code>");
                    text(out, v);
                    out.push_str("</code>");
                }
                None => out.push_str("<span class=\"note\">not found</span>"),
            }
            let _ = write!(
                out,
                "</td><td>{} host{}: ",
                g.hosts.len(),
                plural(g.hosts.len())
            );
            text(out, &g.hosts.join(", "));
            out.push_str("</td></tr>\n");
        }
    }
    out.push_str("</table></section>\n");
}

fn facts_the_same(out: &mut String, groups: &std::collections::BTreeMap<String, Vec<ValueGroup>>) {
    let same: Vec<(&String, &Vec<ValueGroup>)> =
        groups.iter().filter(|(_, g)| g.len() == 1).collect();
    out.push_str("<section id=\"same\"><h2>Facts the same on every collected host</h2>\n");
    if same.is_empty() {
        out.push_str("<p class=\"note\">None.</p></section>\n");
        return;
    }
    out.push_str("<dl>");
    for (name, groups) in same {
        out.push_str("<dt>");
        text(out, name);
        out.push_str("</dt><dd>");
        match &groups[0].value {
            Some(v) => {
                out.push_str("<code>");
                text(out, v);
                out.push_str("</code>");
            }
            None => out.push_str("not found"),
        }
        out.push_str("</dd>");
    }
    out.push_str("</dl></section>\n");
}

fn checks(out: &mut String, fleet: &Fleet) {
    out.push_str("<section id=\"checks\"><h2>Failing and warning checks</h2>\n");
    let flagged: Vec<&HostReport> = fleet.ok().filter(|h| !h.checks.is_empty()).collect();
    if flagged.is_empty() {
        out.push_str("<p class=\"note\">None.</p></section>\n");
        return;
    }
    out.push_str("<table><tr><th>Host</th><th>Outcome</th><th>Check</th><th>Says</th></tr>\n");
    for h in flagged {
        for c in &h.checks {
            out.push_str("<tr><td class=\"k\">");
            text(out, &h.name);
            out.push_str("</td><td>");
            let outcome = c.outcome.as_str();
            badge(out, outcome, outcome);
            out.push_str("</td><td class=\"k\"><code>");
            text(out, &c.id);
            out.push_str("</code></td><td>");
            text(out, &c.message);
            out.push_str("</td></tr>\n");
        }
    }
    out.push_str("</table></section>\n");
}

fn missing(out: &mut String, fleet: &Fleet) {
    out.push_str("<section id=\"missing\"><h2>Missing required items</h2>\n");
    let hosts: Vec<&HostReport> = fleet.ok().filter(|h| !h.missing.is_empty()).collect();
    if hosts.is_empty() {
        out.push_str("<p class=\"note\">None.</p></section>\n");
        return;
    }
    out.push_str("<table><tr><th>Host</th><th>Items</th></tr>\n");
    for h in hosts {
        out.push_str("<tr><td class=\"k\">");
        text(out, &h.name);
        out.push_str("</td><td>");
        for (i, id) in h.missing.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str("<code>");
            text(out, id);
            out.push_str("</code>");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</table></section>\n");
}

fn failed(out: &mut String, fleet: &Fleet) {
    out.push_str("<section id=\"failed\"><h2>Hosts that failed</h2>\n");
    let failed: Vec<&HostReport> = fleet
        .hosts
        .iter()
        .filter(|h| h.status != Status::Ok)
        .collect();
    if failed.is_empty() {
        out.push_str("<p class=\"note\">None.</p></section>\n");
        return;
    }
    out.push_str("<table><tr><th>Host</th><th>Status</th><th>Why</th></tr>\n");
    for h in failed {
        out.push_str("<tr><td class=\"k\">");
        text(out, &h.name);
        out.push_str("</td><td>");
        status_badge(out, h.status);
        out.push_str("</td><td>");
        text(out, h.message.as_deref().unwrap_or_default());
        out.push_str("</td></tr>\n");
    }
    out.push_str("</table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::CheckResult;
    use crate::fleet::host::FlaggedCheck;

    const SCRIPT: &str = "<script>alert(1)</script>";
    const BREAKOUT: &str = "\"><img src=x onerror=alert(1)>";

    fn host(name: &str, kernel: &str) -> HostReport {
        let mut h = HostReport::not_run(name.into(), Status::Ok, "");
        h.message = None;
        h.facts.insert("kernel".into(), kernel.into());
        h.facts.insert("os".into(), "linux".into());
        h
    }

    /// A fleet whose every host- and bundle-sourced string is hostile somewhere.
    fn hostile() -> Fleet {
        let mut a = host("web-1", SCRIPT);
        a.facts.insert(BREAKOUT.into(), "x".into());
        a.checks.push(FlaggedCheck {
            id: BREAKOUT.into(),
            outcome: CheckResult::Warn,
            message: format!("kernel {SCRIPT} <a href=\"https://evil.example\">see</a>"),
        });
        a.missing.push(SCRIPT.into());
        let b = host(BREAKOUT, "6.1.0");
        let c = host("web-3", "6.1.0");
        let down = HostReport::not_run(
            "db".into(),
            Status::Unreachable,
            &format!("ssh: {BREAKOUT} <link href=\"http://evil.example/x.css\">"),
        );
        Fleet {
            spec: format!("spec {SCRIPT}"),
            seconds: 2.04,
            parallel: 4,
            hosts: vec![a, b, c, down],
        }
    }

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        escape(&mut out, text);
        out
    }

    #[test]
    fn hostile_host_and_bundle_text_appears_only_escaped() {
        let page = page(&hostile());
        for raw in [
            SCRIPT,
            BREAKOUT,
            "<script",
            "<img",
            "<a href=\"https",
            "<link",
        ] {
            assert!(!page.contains(raw), "`{raw}` unescaped in:\n{page}");
        }
        assert!(page.contains(&escaped(SCRIPT)), "{page}");
        assert!(page.contains(&escaped(BREAKOUT)), "{page}");
        for external in [
            "src=\"http",
            "href=\"http",
            "src='http",
            "href='http",
            "url(",
        ] {
            assert!(!page.contains(external), "`{external}` in:\n{page}");
        }
        // Every link is to a fixed section of the page itself.
        for (i, _) in page.match_indices("href=\"") {
            assert_eq!(&page[i + 6..i + 7], "#", "{}", &page[i..i + 40]);
        }
        let csp = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';";
        let at = page.find(csp).expect("the policy");
        assert!(at < page.find("<title>").unwrap(), "{page}");
        assert!(page.contains("script-src 'none'"), "{page}");
    }

    #[test]
    fn the_page_has_the_reports_sections() {
        let page = page(&hostile());
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(page.ends_with("</html>\n"), "{page}");
        for needle in [
            "<dt>Hosts</dt><dd>4 hosts: 3 collected, 1 failed</dd>",
            "<dt>Wall time</dt><dd>2.0 s</dd><dt>Parallel</dt><dd>up to 4 at once</dd>",
            // The hosts table has the differing facts as columns; `os` is the same everywhere.
            "<th>Host</th><th>Status</th><th>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</th>\
             <th>kernel</th><th>Flagged checks</th>",
            "<tr><td class=\"k\">db</td><td><span class=\"b failed\">unreachable</span></td>",
            // Facts that differ, grouped by value, most hosts first.
            "<td><code>6.1.0</code></td><td>2 hosts: &quot;&gt;&lt;img src=x \
             onerror=alert(1)&gt;, web-3</td>",
            "<td><span class=\"note\">not found</span></td><td>2 hosts: ",
            "<dt>os</dt><dd><code>linux</code></dd>",
            "<span class=\"b warn\">warn</span>",
            "<td class=\"k\">web-1</td><td><code>&lt;script&gt;",
            "<h2>Hosts that failed</h2>",
        ] {
            assert!(page.contains(needle), "missing `{needle}` in:\n{page}");
        }
    }

    #[test]
    fn a_fleet_with_nothing_flagged_says_none() {
        let fleet = Fleet {
            spec: "built-in:kestrel".into(),
            seconds: 1.0,
            parallel: 2,
            hosts: vec![host("a", "6.1"), host("b", "6.1")],
        };
        let page = page(&fleet);
        assert!(page.contains("None: every collected host reports the same facts."));
        assert!(page.contains("<h2>Hosts that failed</h2>\n<p class=\"note\">None.</p>"));
        assert_eq!(
            page,
            super::page(&fleet),
            "the same fleet gives the same page"
        );
    }
}
