//! `inspect --html` and `diff --html`: the same views as one self-contained HTML page.
//!
//! A bundle is hostile input, and a page is a program a browser runs, so:
//! - every string read from a bundle passes [`escape`] (text and double-quoted attributes
//!   alike); element ids and links are built from indexes, never from bundle strings;
//! - the page carries a Content-Security-Policy that allows nothing but its own inline style
//!   and the one inline script named by its sha256 (no fetch, no images, no fonts, no frames,
//!   no forms), so even markup that slipped through could neither run nor call out;
//! - the script only reads and sets `textContent`, never parses HTML.
//!
//! The page is a pure function of the bundle: no clock, no paths, no randomness, maps in
//! sorted order, so the same bundle gives the same bytes. Its size is bounded: text shown per
//! item and per page is capped ([`Limits`]), and the page says where it cut.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Read;

use sha2::Digest;

use super::diff::{self, BundleDiff};
use super::inspect::{self, Inspection};
use super::manifest::{CheckOutcome, CheckResult, ItemRecord, Manifest, Tool};
use super::reader::{Bundle, ReadError};
use super::verify::{self, Verification};
use crate::completeness::{self, State};
use crate::item::Status;
use crate::sanitize::is_unsafe;
use crate::spec::Spec;

/// Bounds on the text a page shows: [`Limits::default`], then the `with_*` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of one item's content shown: the start of a file, the end of a log.
    pub item_bytes: u64,
    /// Bytes of content shown over the whole page; items past it are listed, not shown.
    pub page_bytes: u64,
    /// Lines of a log shown open; the rest sits in a collapsed block above them.
    pub tail_lines: usize,
}

impl Limits {
    builder_methods! {
        /// Bytes of one item's content shown.
        with_item_bytes => item_bytes: u64;
        /// Bytes of content shown over the whole page.
        with_page_bytes => page_bytes: u64;
        /// Lines of a log shown open.
        with_tail_lines => tail_lines: usize;
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            item_bytes: 64 * 1024,
            page_bytes: 4 * 1024 * 1024,
            tail_lines: 40,
        }
    }
}

/// The filter box: shows only the lines of each text block that contain what is typed. It
/// reads and writes `textContent` only, so bundle text is never parsed as markup. Its sha256
/// is what the page's policy allows to run; `data-filter="ready"` tells that it did.
const SCRIPT: &str = r#"(function () {
  var box = document.getElementById("filter");
  var count = document.getElementById("filter-count");
  if (!box) return;
  var blocks = Array.prototype.slice.call(document.querySelectorAll("pre.text"));
  var full = blocks.map(function (p) { return p.textContent; });
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.content"));
  box.hidden = false;
  box.addEventListener("input", function () {
    var q = box.value.toLowerCase();
    var total = 0;
    blocks.forEach(function (p, i) {
      if (!q) { p.textContent = full[i]; p.removeAttribute("data-hits"); return; }
      var lines = full[i].split("\n").filter(function (l) {
        return l.toLowerCase().indexOf(q) >= 0;
      });
      p.textContent = lines.join("\n");
      p.setAttribute("data-hits", String(lines.length));
      total += lines.length;
    });
    sections.forEach(function (s) {
      var hits = 0;
      s.querySelectorAll("pre.text").forEach(function (p) {
        hits += Number(p.getAttribute("data-hits") || 0);
      });
      s.hidden = q !== "" && hits === 0;
      if (q) s.querySelectorAll("details").forEach(function (d) { d.open = true; });
    });
    count.textContent = q ? total + " matching lines" : "";
  });
  // A log's tail opens at its last line.
  document.querySelectorAll("pre.tail").forEach(function (p) { p.scrollTop = p.scrollHeight; });
  document.documentElement.setAttribute("data-filter", "ready");
})();
"#;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#1d1d1f;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ddd}
h3{font-size:1rem;margin:1rem 0 .3rem}code,pre{font:12.5px/1.4 ui-monospace,monospace}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:.5rem;overflow:auto;max-height:32rem;white-space:pre-wrap;word-break:break-all;margin:.2rem 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
th{background:#fafafa}td.n{text-align:right;white-space:nowrap}td.k,td a{white-space:nowrap}
dl{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem;margin:.5rem 0}dt{color:#666}dd{margin:0}
nav a{margin-right:.8rem}.note{color:#666;font-size:.9em;margin:.2rem 0}
.b{display:inline-block;min-width:4.2em;text-align:center;border-radius:3px;padding:0 .3em;font-weight:600;font-size:.85em}
.pass,.ok{background:#dafbe1;color:#116329}.warn,.truncated{background:#fff8c5;color:#7d4e00}
.fail,.failed,.missing,.denied,.timeout{background:#ffebe9;color:#a40e26}.unknown,.skipped{background:#eaeef2;color:#424a53}
.verdict{padding:.5rem .8rem;border-radius:4px;font-weight:600}.verdict.intact{background:#dafbe1;color:#116329}
.verdict.tampered{background:#ffebe9;color:#a40e26}.verdict ul{font-weight:400}
ul.checklist{list-style:none;padding-left:0}ul.checklist li::before{display:inline-block;width:1.4em;font-weight:700}
ul.checklist li.present::before{content:'\\2713';color:#116329}ul.checklist li.absent::before{content:'\\2717';color:#a40e26}
tr.changed td{background:#fff8c5}.diff .add{background:#dafbe1;display:block}.diff .del{background:#ffebe9;display:block}
.diff .hunk{color:#0550ae;display:block}.diff .head{font-weight:700;display:block}
#filter{width:20rem;padding:.3rem}summary{cursor:pointer;color:#0550ae}
";

/// The `inspect --html` page of `bundle`.
pub fn inspect_page(bundle: &mut Bundle, limits: Limits) -> Result<String, ReadError> {
    let info = inspect::inspect(bundle)?;
    let verification = verify::verify(bundle)?;
    let (manifest, _) = bundle.manifest()?;
    let spec = stored_spec(bundle);
    let mut page = Page::new(limits);
    page.head(
        &format!("{} bundle {}", info.project.display, short(&info.id)),
        true,
    );
    page.summary(&info, &verification);
    page.out.push_str(
        "<nav><a href=\"#checks\">Checks</a><a href=\"#completeness\">Completeness</a>\
         <a href=\"#facts\">Facts</a><a href=\"#items\">Items</a><a href=\"#contents\">Contents</a>\
         <a href=\"#redactions\">Redactions</a></nav>\n",
    );
    page.checks(&info.checks);
    page.completeness(&info, spec.as_ref(), &manifest);
    page.facts(&info);
    page.items(&info.items);
    page.contents(bundle, &info.items, spec.as_ref())?;
    page.redactions(&info);
    page.footer(true);
    Ok(page.out)
}

/// The `diff --html` page of `a` against `b`: both sides' facts and checks side by side,
/// changed items with their unified diffs highlighted.
pub fn diff_page(
    a: &mut Bundle,
    b: &mut Bundle,
    opts: diff::Options,
    limits: Limits,
) -> Result<String, ReadError> {
    let changes = diff::diff(a, b, opts)?;
    let (ia, ib) = (inspect::inspect(a)?, inspect::inspect(b)?);
    let (va, vb) = (verify::verify(a)?, verify::verify(b)?);
    let mut page = Page::new(limits);
    page.head(
        &format!(
            "{} bundle {} vs {}",
            changes.b.project,
            short(&changes.a.id),
            short(&changes.b.id)
        ),
        false,
    );
    page.out.push_str("<header id=\"summary\"><h1>");
    page.text(&ia.project.display);
    page.out.push_str(" — what changed</h1>\n");
    for (label, info, v) in [("A", &ia, &va), ("B", &ib, &vb)] {
        let _ = write!(page.out, "<h3>{label}: bundle <code>");
        page.text(&info.id);
        page.out.push_str("</code></h3>\n<dl>");
        page.term("Project", &info.project.display);
        page.term("Written by", &tool(&info.tool));
        page.term("Created", &info.created);
        page.term("Spec", &info.spec.origin);
        page.out.push_str("</dl>\n");
        page.verdict(v);
    }
    if changes.is_empty() {
        page.out
            .push_str("<p class=\"note\">No differences in facts, items or checks.</p>\n");
    }
    page.out.push_str("</header>\n");
    page.facts_side_by_side(&ia, &ib);
    page.checks_side_by_side(&ia.checks, &ib.checks);
    page.item_changes(&changes);
    page.footer(false);
    Ok(page.out)
}

/// The spec stored in the bundle, when it can be read: which items are logs, which required.
fn stored_spec(bundle: &mut Bundle) -> Option<Spec> {
    super::recheck::stored_spec(bundle).ok()
}

/// Append `text` to `out`, escaped for HTML text and double-quoted attribute values alike.
/// Control and bidirectional characters are shown as `\u{..}` escapes, as on a terminal.
pub fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_unsafe(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
}

/// The Content-Security-Policy of a page: nothing but inline style and, when `script`, the
/// filter script by its hash.
fn policy(script: bool) -> String {
    let scripts = if script {
        format!(
            "'sha256-{}'",
            base64(&sha2::Sha256::digest(SCRIPT.as_bytes()))
        )
    } else {
        "'none'".into()
    };
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src {scripts}; img-src 'none'; \
         connect-src 'none'; font-src 'none'; frame-src 'none'; object-src 'none'; \
         base-uri 'none'; form-action 'none'"
    )
}

/// Start a page in `out`: doctype, the Content-Security-Policy `<meta>` (before anything read
/// from a bundle), no referrer, `title` escaped, the inline style, and `<body>`. Without
/// `script` the policy allows no script at all. Shared by every HTML page the crate writes
/// (`inspect --html`, `diff --html`, the fleet report), so they carry one policy and one look.
pub(crate) fn head(out: &mut String, title: &str, script: bool) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
        policy(script)
    );
    escape(out, title);
    let _ = write!(out, "</title>\n<style>{STYLE}</style>\n</head>\n<body>\n");
}

/// Standard base64 with padding (what a CSP hash source is written in).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn tool(t: &Tool) -> String {
    format!("{} {}", t.name, t.version)
}

/// `1234 B`, `12.1 KiB`, `3.0 MiB`.
fn size(n: u64) -> String {
    const KIB: f64 = 1024.0;
    // Precision beyond a tenth is noise here; the exact count is in the manifest.
    #[allow(clippy::cast_precision_loss)]
    let f = n as f64;
    if n < 1024 {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{:.1} MiB", f / KIB / KIB)
    }
}

/// A page being written, and what is left of its text budget.
struct Page {
    out: String,
    limits: Limits,
    budget: u64,
}

impl Page {
    fn new(limits: Limits) -> Page {
        Page {
            out: String::new(),
            limits,
            budget: limits.page_bytes,
        }
    }

    fn text(&mut self, text: &str) {
        escape(&mut self.out, text);
    }

    fn head(&mut self, title: &str, script: bool) {
        head(&mut self.out, title, script);
    }

    fn footer(&mut self, script: bool) {
        let l = self.limits;
        let _ = writeln!(
            self.out,
            "<footer><p class=\"note\">Written by {}. Everything from the bundle is shown as \
             text; the page loads nothing. Content shown is capped at {} per item (the start of \
             a file, the end of a log) and {} per page.</p></footer>",
            tool(&Tool::this()),
            size(l.item_bytes),
            size(l.page_bytes)
        );
        if script {
            let _ = writeln!(self.out, "<script>{SCRIPT}</script>");
        }
        self.out.push_str("</body>\n</html>\n");
    }

    fn term(&mut self, name: &str, value: &str) {
        let _ = write!(self.out, "<dt>{name}</dt><dd>");
        self.text(value);
        self.out.push_str("</dd>");
    }

    fn badge(&mut self, class: &str) {
        // `class` is one of the fixed status or outcome names, never bundle text.
        let _ = write!(self.out, "<span class=\"b {class}\">{class}</span>");
    }

    fn summary(&mut self, info: &Inspection, v: &Verification) {
        self.out.push_str("<header id=\"summary\"><h1>");
        self.text(&info.project.display);
        let _ = write!(
            self.out,
            " <small>bundle {}</small></h1>\n<dl>",
            short(&info.id)
        );
        self.term("Project", &info.project.name);
        if let Some(repo) = &info.project.repository {
            self.term("Repository", repo);
        }
        self.term("Bundle id", &info.id);
        self.term("Written by", &tool(&info.tool));
        self.term("Created", &info.created);
        self.term("Spec", &info.spec.origin);
        self.term("Format", &info.format);
        if info.private {
            self.term("Private", "yes: not for a public issue");
        }
        self.out.push_str("</dl>\n");
        self.verdict(v);
        self.out.push_str("</header>\n");
    }

    fn verdict(&mut self, v: &Verification) {
        if v.intact() {
            let _ = writeln!(
                self.out,
                "<p class=\"verdict intact\">Verify: intact ({} entries match the manifest)</p>",
                v.entries
            );
            return;
        }
        let _ = write!(
            self.out,
            "<div class=\"verdict tampered\">Verify: TAMPERED, {} problem{}<ul>",
            v.problems.len(),
            if v.problems.len() == 1 { "" } else { "s" }
        );
        for p in &v.problems {
            self.out.push_str("<li>");
            self.text(&p.to_string());
            self.out.push_str("</li>");
        }
        self.out.push_str("</ul></div>\n");
    }

    fn checks(&mut self, checks: &[CheckOutcome]) {
        let count = |r: CheckResult| checks.iter().filter(|c| c.outcome == r).count();
        let _ = writeln!(
            self.out,
            "<section id=\"checks\"><h2>Checks</h2>\n<p class=\"note\">{} pass, {} warn, {} \
             fail, {} unknown</p>",
            count(CheckResult::Pass),
            count(CheckResult::Warn),
            count(CheckResult::Fail),
            count(CheckResult::Unknown)
        );
        if checks.is_empty() {
            self.out
                .push_str("<p class=\"note\">No checks.</p></section>\n");
            return;
        }
        self.out.push_str(
            "<table><tr><th>Outcome</th><th>Check</th><th>Condition</th><th>Says</th></tr>\n",
        );
        for c in checks {
            self.out.push_str("<tr><td>");
            self.badge(c.outcome.as_str());
            self.out.push_str("</td><td class=\"k\">");
            self.text(&c.id);
            self.out.push_str("</td><td><code>");
            self.text(&c.when);
            self.out.push_str("</code></td><td>");
            self.text(&c.explained());
            self.out.push_str("</td></tr>\n");
        }
        self.out.push_str("</table></section>\n");
    }

    fn completeness(&mut self, info: &Inspection, spec: Option<&Spec>, manifest: &Manifest) {
        let c = &info.completeness;
        let _ = writeln!(
            self.out,
            "<section id=\"completeness\"><h2>Completeness</h2>\n<p class=\"note\">{}/{} \
             required items present (judged by the {})</p>\n<ul class=\"checklist\">",
            c.present,
            c.required,
            if c.basis == "stored spec" {
                "stored spec"
            } else {
                "items alone: the stored spec could not be read"
            }
        );
        match spec {
            Some(spec) => {
                for r in completeness::assess(spec, manifest) {
                    let label = r.item.label.as_deref().unwrap_or(&r.item.id);
                    match &r.state {
                        State::Present { .. } => {
                            self.out.push_str("<li class=\"present\">");
                            self.text(label);
                        }
                        State::Missing { reason, .. } => {
                            self.out.push_str("<li class=\"absent\">");
                            self.text(label);
                            self.out.push_str(": ");
                            self.text(reason);
                        }
                    }
                    self.out.push_str("</li>\n");
                }
            }
            None => {
                for id in &c.missing {
                    self.out.push_str("<li class=\"absent\">");
                    self.text(id);
                    if let Some(why) = c.reasons.get(id) {
                        self.out.push_str(": ");
                        self.text(why);
                    }
                    self.out.push_str("</li>\n");
                }
            }
        }
        self.out.push_str("</ul></section>\n");
    }

    fn facts(&mut self, info: &Inspection) {
        self.out.push_str(
            "<section id=\"facts\"><h2>Facts</h2>\n<table><tr><th>Fact</th><th>Value</th>\
             <th>From item</th><th>Line</th></tr>\n",
        );
        if info.facts.is_empty() {
            self.out
                .push_str("<tr><td colspan=\"4\" class=\"note\">No facts.</td></tr>\n");
        }
        for (name, fact) in &info.facts {
            self.out.push_str("<tr><td>");
            self.text(name);
            self.out.push_str("</td><td><code>");
            self.text(&fact.value);
            self.out.push_str("</code></td><td>");
            match info.items.iter().position(|i| i.id == fact.item) {
                Some(at) => {
                    let _ = write!(self.out, "<a href=\"#i{at}\">");
                    self.text(&fact.item);
                    self.out.push_str("</a>");
                }
                None => self.text(&fact.item),
            }
            self.out.push_str("</td><td><code>");
            self.text(fact.line.as_deref().unwrap_or(""));
            self.out.push_str("</code></td></tr>\n");
        }
        self.out.push_str("</table></section>\n");
    }

    fn items(&mut self, items: &[ItemRecord]) {
        self.out.push_str(
            "<section id=\"items\"><h2>Items</h2>\n<table><tr><th>Status</th><th>Item</th>\
             <th>Kind</th><th>Entry or source</th><th>Size</th><th>Redactions</th><th>Detail</th>\
             </tr>\n",
        );
        for (at, item) in items.iter().enumerate() {
            let _ = write!(self.out, "<tr id=\"i{at}\"><td>");
            self.badge(item.status.as_str());
            self.out.push_str("</td><td>");
            if shows_text(item) {
                let _ = write!(self.out, "<a href=\"#c{at}\">");
                self.text(&item.id);
                self.out.push_str("</a>");
            } else {
                self.text(&item.id);
            }
            let _ = write!(self.out, "</td><td>{}</td><td><code>", item.kind.as_str());
            self.text(item.path.as_deref().unwrap_or(&item.source));
            let _ = write!(
                self.out,
                "</code></td><td class=\"n\">{}{}</td><td class=\"n\">{}</td><td>",
                size(item.size),
                if item.binary { ", binary" } else { "" },
                item.redactions
            );
            self.text(item.detail.as_deref().unwrap_or(""));
            self.out.push_str("</td></tr>\n");
        }
        self.out.push_str("</table></section>\n");
    }

    /// Each stored text item in place: a file's start, a log's tail (its earlier lines in a
    /// collapsed block), under one filter box.
    fn contents(
        &mut self,
        bundle: &mut Bundle,
        items: &[ItemRecord],
        spec: Option<&Spec>,
    ) -> Result<(), ReadError> {
        let logs: BTreeSet<&str> = spec
            .map(|s| {
                s.items
                    .iter()
                    .filter(|i| i.log)
                    .map(|i| i.id.as_str())
                    .collect()
            })
            .unwrap_or_default();
        self.out.push_str(
            "<section id=\"contents\"><h2>Contents</h2>\n<p><input id=\"filter\" type=\"search\" \
             placeholder=\"Show only lines containing…\" aria-label=\"Filter lines\" hidden> \
             <span id=\"filter-count\" class=\"note\"></span></p>\n",
        );
        for (at, item) in items.iter().enumerate() {
            let Some(path) = item.path.as_deref() else {
                continue;
            };
            let _ = write!(self.out, "<section class=\"content\" id=\"c{at}\"><h3>");
            self.text(&item.id);
            self.out.push_str(" <code>");
            self.text(path);
            self.out.push_str("</code></h3>\n");
            if item.binary {
                let _ = writeln!(
                    self.out,
                    "<p class=\"note\">Binary, {}: not shown.</p></section>",
                    size(item.size)
                );
                continue;
            }
            if self.budget == 0 {
                let _ = writeln!(
                    self.out,
                    "<p class=\"note\">Not shown: the page already shows {} of content.</p>\
                     </section>",
                    size(self.limits.page_bytes)
                );
                continue;
            }
            let cap = self.limits.item_bytes.min(self.budget);
            let log = logs.contains(item.id.as_str()) || path.ends_with(".log");
            let (text, stored) = if log {
                read_tail(bundle, path, cap)?
            } else {
                read_head(bundle, path, cap)?
            };
            // What was read counts, even the partial line a log's tail starts after.
            self.budget = self.budget.saturating_sub(stored.min(cap));
            if (text.len() as u64) < stored {
                let _ = writeln!(
                    self.out,
                    "<p class=\"note\">Shown: the {} {} of {}.</p>",
                    if log { "last" } else { "first" },
                    size(text.len() as u64),
                    size(stored)
                );
            }
            if log {
                self.log_text(&text);
            } else {
                self.out.push_str("<pre class=\"text\">");
                self.text(&text);
                self.out.push_str("</pre>\n");
            }
            self.out.push_str("</section>\n");
        }
        self.out.push_str("</section>\n");
        Ok(())
    }

    fn log_text(&mut self, text: &str) {
        let lines: Vec<&str> = text.lines().collect();
        let split = lines.len().saturating_sub(self.limits.tail_lines);
        if split > 0 {
            let _ = write!(
                self.out,
                "<details><summary>{split} earlier line{}</summary><pre class=\"text\">",
                if split == 1 { "" } else { "s" }
            );
            self.text(&lines[..split].join("\n"));
            self.out.push_str("</pre></details>\n");
        }
        self.out.push_str("<pre class=\"text tail\">");
        self.text(&lines[split..].join("\n"));
        self.out.push_str("</pre>\n");
    }

    fn redactions(&mut self, info: &Inspection) {
        let total: u64 = info.redactions.values().sum();
        let _ = writeln!(
            self.out,
            "<section id=\"redactions\"><h2>Redactions</h2>\n<p class=\"note\">{total} values \
             replaced over the whole bundle</p>"
        );
        if let Some(note) = &info.redactions_note {
            self.out.push_str("<p class=\"note\">");
            self.text(note);
            self.out.push_str("</p>\n");
        }
        if !info.redactions.is_empty() {
            self.out
                .push_str("<table><tr><th>Rule</th><th>Replacements</th></tr>\n");
            for (rule, n) in &info.redactions {
                self.out.push_str("<tr><td>");
                self.text(rule);
                let _ = writeln!(self.out, "</td><td class=\"n\">{n}</td></tr>");
            }
            self.out.push_str("</table>\n");
        }
        self.out.push_str("</section>\n");
    }

    fn facts_side_by_side(&mut self, a: &Inspection, b: &Inspection) {
        self.out.push_str(
            "<section id=\"facts\"><h2>Facts</h2>\n<table><tr><th>Fact</th><th>A</th><th>B</th>\
             </tr>\n",
        );
        let names: BTreeSet<&String> = a.facts.keys().chain(b.facts.keys()).collect();
        if names.is_empty() {
            self.out
                .push_str("<tr><td colspan=\"3\" class=\"note\">No facts.</td></tr>\n");
        }
        for name in names {
            let va = a.facts.get(name).map(|f| f.value.as_str());
            let vb = b.facts.get(name).map(|f| f.value.as_str());
            self.side_row(name, va, vb);
        }
        self.out.push_str("</table></section>\n");
    }

    fn checks_side_by_side(&mut self, a: &[CheckOutcome], b: &[CheckOutcome]) {
        self.out.push_str(
            "<section id=\"checks\"><h2>Checks</h2>\n<table><tr><th>Check</th><th>A</th>\
             <th>B</th></tr>\n",
        );
        let outcomes = |list: &[CheckOutcome]| -> BTreeMap<String, &'static str> {
            list.iter()
                .map(|c| (c.id.clone(), c.outcome.as_str()))
                .collect()
        };
        let (oa, ob) = (outcomes(a), outcomes(b));
        let ids: BTreeSet<&String> = oa.keys().chain(ob.keys()).collect();
        if ids.is_empty() {
            self.out
                .push_str("<tr><td colspan=\"3\" class=\"note\">No checks.</td></tr>\n");
        }
        for id in ids {
            let (x, y) = (oa.get(id).copied(), ob.get(id).copied());
            let _ = write!(
                self.out,
                "<tr{}><td>",
                if x == y { "" } else { " class=\"changed\"" }
            );
            self.text(id);
            for side in [x, y] {
                self.out.push_str("</td><td>");
                match side {
                    Some(outcome) => self.badge(outcome),
                    None => self.out.push_str("<span class=\"note\">(absent)</span>"),
                }
            }
            self.out.push_str("</td></tr>\n");
        }
        self.out.push_str("</table></section>\n");
    }

    fn side_row(&mut self, name: &str, a: Option<&str>, b: Option<&str>) {
        let _ = write!(
            self.out,
            "<tr{}><td>",
            if a == b { "" } else { " class=\"changed\"" }
        );
        self.text(name);
        for side in [a, b] {
            self.out.push_str("</td><td>");
            match side {
                Some(v) => {
                    self.out.push_str("<code>");
                    self.text(v);
                    self.out.push_str("</code>");
                }
                None => self.out.push_str("<span class=\"note\">(absent)</span>"),
            }
        }
        self.out.push_str("</td></tr>\n");
    }

    fn item_changes(&mut self, d: &BundleDiff) {
        self.out.push_str("<section id=\"items\"><h2>Items</h2>\n");
        if d.items.is_empty() {
            self.out
                .push_str("<p class=\"note\">No item changed.</p></section>\n");
            return;
        }
        self.out.push_str(
            "<table><tr><th>Change</th><th>Item</th><th>Entry</th><th>Status A</th>\
             <th>Status B</th><th>Size A</th><th>Size B</th></tr>\n",
        );
        for (at, i) in d.items.iter().enumerate() {
            let _ = write!(self.out, "<tr><td>{}</td><td>", i.change);
            if i.text_diff.is_some() || i.truncated.is_some() {
                let _ = write!(self.out, "<a href=\"#d{at}\">");
                self.text(&i.id);
                self.out.push_str("</a>");
            } else {
                self.text(&i.id);
            }
            self.out.push_str("</td><td><code>");
            self.text(i.path.as_deref().unwrap_or(""));
            self.out.push_str("</code></td>");
            for status in [&i.status.0, &i.status.1] {
                self.out.push_str("<td>");
                match status.as_deref().and_then(status_class) {
                    Some(class) => self.badge(class),
                    None => self.out.push_str("<span class=\"note\">(absent)</span>"),
                }
                self.out.push_str("</td>");
            }
            for n in [i.size.0, i.size.1] {
                let _ = write!(
                    self.out,
                    "<td class=\"n\">{}</td>",
                    n.map_or_else(String::new, size)
                );
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</table>\n");
        for (at, i) in d.items.iter().enumerate() {
            if i.text_diff.is_none() && i.truncated.is_none() {
                continue;
            }
            let _ = write!(self.out, "<section class=\"diff\" id=\"d{at}\"><h3>");
            self.text(&i.id);
            self.out.push_str(" <code>");
            self.text(i.path.as_deref().unwrap_or(""));
            self.out.push_str("</code></h3>\n");
            if let Some(note) = &i.truncated {
                self.out.push_str("<p class=\"note\">");
                self.text(note);
                self.out.push_str("</p>\n");
            }
            if let Some(text) = &i.text_diff {
                self.bounded_diff(text);
            }
            self.out.push_str("</section>\n");
        }
        self.out.push_str("</section>\n");
    }

    /// A diff cut to the item and page caps (its lines are few, but a line may be long).
    fn bounded_diff(&mut self, text: &str) {
        if self.budget == 0 {
            let _ = writeln!(
                self.out,
                "<p class=\"note\">Not shown: the page already shows {} of content.</p>",
                size(self.limits.page_bytes)
            );
            return;
        }
        let cap = usize::try_from(self.limits.item_bytes.min(self.budget)).unwrap_or(usize::MAX);
        let mut end = text.len().min(cap);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        self.budget = self.budget.saturating_sub(end as u64);
        if end < text.len() {
            let _ = writeln!(
                self.out,
                "<p class=\"note\">Shown: the first {} of {} of diff.</p>",
                size(end as u64),
                size(text.len() as u64)
            );
        }
        self.unified(&text[..end]);
    }

    /// A unified diff with added, removed, hunk and header lines marked.
    fn unified(&mut self, text: &str) {
        self.out.push_str("<pre class=\"diff\">");
        for line in text.lines() {
            let class = if line.starts_with("+++") || line.starts_with("---") {
                "head"
            } else if line.starts_with("@@") {
                "hunk"
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else {
                ""
            };
            if class.is_empty() {
                self.text(line);
                self.out.push('\n');
            } else {
                let _ = write!(self.out, "<span class=\"{class}\">");
                self.text(line);
                self.out.push_str("</span>");
            }
        }
        self.out.push_str("</pre>\n");
    }
}

/// The fixed class of a status name, so a hostile status string never becomes a class.
fn status_class(name: &str) -> Option<&'static str> {
    [
        Status::Ok,
        Status::Missing,
        Status::Denied,
        Status::Timeout,
        Status::Failed,
        Status::Truncated,
        Status::Skipped,
    ]
    .into_iter()
    .map(Status::as_str)
    .find(|s| *s == name)
}

/// Whether an item's content appears in the page's contents section.
fn shows_text(item: &ItemRecord) -> bool {
    item.path.is_some()
}

/// The first `max` bytes of an entry as text, and the entry's stored size.
fn read_head(bundle: &mut Bundle, name: &str, max: u64) -> Result<(String, u64), ReadError> {
    let size = bundle.entry(name).map_or(0, |e| e.size);
    let reader = bundle.open_entry(name)?;
    let mut data = Vec::new();
    let mut limited = reader.take(max);
    if let Err(e) = limited.read_to_end(&mut data) {
        return Err(limited.into_inner().error(e));
    }
    Ok((lossy(data), size))
}

/// The last `max` bytes of an entry as text, from the start of a line, and the entry's
/// stored size. Streamed: at most about twice `max` is held at once.
fn read_tail(bundle: &mut Bundle, name: &str, max: u64) -> Result<(String, u64), ReadError> {
    let size = bundle.entry(name).map_or(0, |e| e.size);
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut reader = bundle.open_entry(name)?;
    let mut kept: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut cut = false;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(reader.error(e)),
        };
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > max.saturating_mul(2) {
            kept.drain(..kept.len() - max);
            cut = true;
        }
    }
    if kept.len() > max {
        kept.drain(..kept.len() - max);
        cut = true;
    }
    if cut && let Some(nl) = kept.iter().position(|&b| b == b'\n') {
        // A partial first line reads as a different line; start at the next whole one.
        kept.drain(..=nl);
    }
    Ok((lossy(kept), size))
}

fn lossy(data: Vec<u8>) -> String {
    String::from_utf8(data).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::super::manifest::{ProjectRecord, SpecRecord};
    use super::super::timestamp::Timestamp;
    use super::super::{Extra, layout, write_bundle};
    use super::*;
    use crate::item::{Format, Kind, RawItem};
    use crate::redact::{Counts, Redactor, redact_items};

    /// A log line trying every way out of text: a script, an attribute breakout, a link.
    const HOSTILE: &str = "<script>document.title='INJECTED'</script>\n\
        \"><img src=x onerror=\"document.title='INJECTED'\">\n\
        <a href=\"javascript:alert(1)\">click</a>\n";

    /// A bundle written by the real writer into `dir`, whose log and project name are hostile.
    fn hostile_bundle(dir: &std::path::Path, log: &str) -> std::path::PathBuf {
        let mut manifest = Manifest {
            format: super::super::FORMAT.into(),
            tool: Tool::this(),
            project: ProjectRecord {
                name: "demo".into(),
                display: "Demo \"><script>document.title='INJECTED'</script>".into(),
                repository: Some("javascript:alert(1)".into()),
            },
            spec: SpecRecord {
                origin: "built-in:demo".into(),
                sha256: "0".repeat(64),
                os: None,
            },
            created: "1980-01-01T00:00:00Z".into(),
            private: false,
            facts: BTreeMap::from([(
                "demo_version".to_string(),
                super::super::FactRecord {
                    value: "1.0\"><img src=x onerror=\"alert(1)\">".into(),
                    item: "log".into(),
                    line: Some("<b onmouseover='alert(1)'>1.0</b>".into()),
                },
            )]),
            items: Vec::new(),
            checks: vec![CheckOutcome {
                id: "old-demo".into(),
                outcome: CheckResult::Warn,
                when: "demo_version < 2 && \"<x>\"".into(),
                message: "</td></tr></table><script>alert(1)</script>".into(),
                reason: None,
                evidence: None,
            }],
            files: BTreeMap::new(),
        };
        let raws = vec![
            RawItem::collected("log", Kind::File, "demo.log", "demo.log", log.into()),
            RawItem::collected("cfg", Kind::File, "c.toml", "c.toml", b"a = 1\n".to_vec()),
        ];
        let mut redactor = Redactor::new(&crate::redact::Options {
            no_default_rules: true,
            keep_identifiers: true,
            ..Default::default()
        })
        .expect("redactor");
        let items = layout::place(redact_items(raws, &mut redactor, &Default::default()));
        manifest.items = items.iter().map(|p| p.record.clone()).collect();
        let spec = redactor.redact_text(
            b"schema = 1\n[project]\nname = \"demo\"\n",
            Format::Toml,
            &mut Counts::default(),
        );
        write_bundle(
            dir,
            manifest,
            &items,
            &[Extra::spec(&spec)],
            Timestamp::from_source_date_epoch(None).expect("epoch"),
        )
        .expect("write")
        .path
    }

    fn page_of(path: &std::path::Path, limits: Limits) -> String {
        let mut bundle = Bundle::open(path).expect("open");
        inspect_page(&mut bundle, limits).expect("page")
    }

    #[test]
    fn a_hostile_bundle_renders_as_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let page = page_of(&hostile_bundle(dir.path(), HOSTILE), Limits::default());
        // The page's own script is the only one, at the end; nothing else opens a tag.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(page.contains("<script>(function ()"), "{page}");
        assert!(!page.contains("<img") && !page.contains("<a href=\"javascript"));
        assert!(page.contains("&lt;script&gt;document.title=&#39;INJECTED&#39;&lt;/script&gt;"));
        assert!(
            page.contains("&quot;&gt;&lt;img src=x onerror=&quot;"),
            "{page}"
        );
        assert!(
            page.contains("<title>Demo &quot;&gt;&lt;script&gt;"),
            "{page}"
        );
        assert!(page.contains("<code>1.0&quot;&gt;&lt;img src=x"), "{page}");
        assert!(
            page.contains("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;"),
            "{page}"
        );
        assert!(
            page.contains("&lt;b onmouseover=&#39;alert(1)&#39;&gt;"),
            "{page}"
        );
        let csp = page.find("Content-Security-Policy").expect("policy");
        assert!(csp < page.find("<title>").expect("title"));
    }

    #[test]
    fn the_same_bundle_gives_the_same_page() {
        let (one, two) = (
            tempfile::tempdir().expect("a"),
            tempfile::tempdir().expect("b"),
        );
        let (a, b) = (
            hostile_bundle(one.path(), HOSTILE),
            hostile_bundle(two.path(), HOSTILE),
        );
        let page = page_of(&a, Limits::default());
        assert_eq!(page, page_of(&a, Limits::default()));
        assert_eq!(page, page_of(&b, Limits::default()));
        let diff_page_of = || {
            let (mut x, mut y) = (Bundle::open(&a).expect("a"), Bundle::open(&b).expect("b"));
            diff_page(&mut x, &mut y, diff::Options::default(), Limits::default()).expect("diff")
        };
        assert_eq!(diff_page_of(), diff_page_of());
    }

    #[test]
    fn text_shown_is_capped_and_the_page_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let limits = Limits {
            item_bytes: 1000,
            page_bytes: 1000,
            tail_lines: 10,
        };
        let page = page_of(&hostile_bundle(dir.path(), &log), limits);
        // The log keeps its end, from a whole line; the config after it is past the budget.
        assert!(
            page.contains("line 4999") && !page.contains("line 4800\n"),
            "{page}"
        );
        assert!(page.contains("Shown: the last"), "{page}");
        assert!(page.contains("Not shown: the page already shows"), "{page}");
        assert!(
            page.contains("<pre class=\"text tail\">line 4990\n"),
            "{page}"
        );
        assert!(page.len() < 20_000, "{} bytes", page.len());
    }

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        escape(&mut out, text);
        out
    }

    #[test]
    fn markup_from_a_bundle_stays_text() {
        assert_eq!(
            escaped("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        let breakout = escaped("\"><img src=x onerror=\"alert(1)\">");
        assert_eq!(
            breakout,
            "&quot;&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
        );
        // Single-quoted and unquoted breakouts have nothing to close either.
        let single = escaped("' onmouseover='alert(1)");
        assert!(!single.contains('\''), "{single}");
        for raw in ['<', '>', '"', '\''] {
            assert!(!breakout.contains(raw) && !single.contains(raw));
        }
        // An entity in the bundle is shown as written, not decoded.
        assert_eq!(escaped("&lt;b&gt;"), "&amp;lt;b&amp;gt;");
    }

    #[test]
    fn control_and_bidi_characters_are_shown_escaped() {
        assert_eq!(escaped("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escaped("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escaped("tab\tnew\nline"), "tab\tnew\nline");
    }

    #[test]
    fn the_policy_names_the_script_by_its_hash() {
        let p = policy(true);
        let hash = base64(&sha2::Sha256::digest(SCRIPT.as_bytes()));
        assert!(p.contains(&format!("script-src 'sha256-{hash}'")), "{p}");
        assert!(p.starts_with("default-src 'none';"), "{p}");
        assert!(p.contains("connect-src 'none'"), "{p}");
        assert!(!p.contains("unsafe-eval") && !p.contains("script-src 'unsafe-inline'"));
        assert!(policy(false).contains("script-src 'none'"));
    }

    #[test]
    fn base64_matches_known_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(
            base64(&sha2::Sha256::digest(b"")),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn a_log_shows_its_tail_and_folds_the_rest() {
        let mut page = Page::new(Limits {
            tail_lines: 2,
            ..Limits::default()
        });
        page.log_text("one\ntwo <b>\nthree\nfour\n");
        let out = page.out;
        assert!(
            out.contains("<details><summary>2 earlier lines</summary><pre class=\"text\">one\ntwo &lt;b&gt;</pre></details>"),
            "{out}"
        );
        assert!(
            out.ends_with("<pre class=\"text tail\">three\nfour</pre>\n"),
            "{out}"
        );
    }

    #[test]
    fn diff_lines_are_marked_and_escaped() {
        let mut page = Page::new(Limits::default());
        page.unified("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-<old>\n+<script>\n same\n");
        let out = page.out;
        assert!(
            out.contains("<span class=\"del\">-&lt;old&gt;</span>"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"add\">+&lt;script&gt;</span>"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"hunk\">@@ -1 +1 @@</span>"),
            "{out}"
        );
        assert!(out.contains("<span class=\"head\">+++ b/x</span>"), "{out}");
        assert!(!out.contains("<script"), "{out}");
    }

    #[test]
    fn long_diffs_are_cut_to_the_caps() {
        let mut page = Page::new(Limits {
            item_bytes: 100,
            page_bytes: 150,
            tail_lines: 10,
        });
        let long = format!("@@ -1 +1 @@\n-{}\n+{}\n", "é".repeat(200), "x".repeat(200));
        page.bounded_diff(&long);
        // Cut on a character boundary: one byte short of the cap.
        assert!(
            page.out.contains("Shown: the first 99 B of"),
            "{}",
            page.out
        );
        page.bounded_diff(&long);
        assert!(
            page.out.contains("Shown: the first 51 B of"),
            "{}",
            page.out
        );
        page.bounded_diff(&long);
        assert!(
            page.out.contains("Not shown: the page already shows"),
            "{}",
            page.out
        );
        assert!(page.out.len() < 1000, "{}", page.out);
    }

    #[test]
    fn statuses_map_to_fixed_classes_only() {
        assert_eq!(status_class("failed"), Some("failed"));
        assert_eq!(status_class("ok\" onclick=\"x"), None);
    }
}
