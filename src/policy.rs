//! `init --from SUPPORT.md`: draft a collector spec from a project's support policy.
//!
//! The policy is decoded forgivingly first ([`decode`]): a byte-order mark is dropped, Windows
//! line endings become `\n`, and text that was UTF-8 mis-decoded as Windows-1252 or -1254 and
//! saved again (mojibake such as `â€œ` or `ğŸ†˜`) is turned back into what it was.
//!
//! Then the lists that ask for something ("please include:", "Gather information") are read
//! item by item: backticked commands (`` `kestrel --version` ``) become `command` collectors;
//! named things ("Caddy version", "Operating System", "logs", "config", "minimal reproduction
//! (Caddyfile + WASM module)") map to collectors and `required` entries; the parts only a
//! person can write (description, steps, expected vs actual) become issue sections. The
//! security section is carried over as `[project] security`. Whatever could not be mapped, or
//! was guessed, is marked with a `# TODO` comment. The draft always loads as a spec.

use std::fmt::Write as _;

use encoding_rs::{Encoding, WINDOWS_1252, WINDOWS_1254};
use regex::Regex;

/// Decode a policy file: BOM, mojibake, line endings.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    repair_mojibake(&text)
}

/// Bytes that Windows-1252/1254 leave undefined: a mis-decoder may have dropped them.
const UNDEFINED: [u8; 5] = [0x81, 0x8D, 0x8F, 0x90, 0x9D];

/// Undo UTF-8 read as Windows-1252 or Windows-1254, run by run of non-ASCII characters, so
/// text that was fine is left alone. A byte the mis-decoding dropped is restored when only
/// one candidate makes a valid character, else that character becomes U+FFFD.
pub fn repair_mojibake(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii() {
            if !run.is_empty() {
                out.push_str(&fix_run(&run).unwrap_or_else(|| run.clone()));
                run.clear();
            }
            out.push(c);
        } else {
            run.push(c);
        }
    }
    if !run.is_empty() {
        out.push_str(&fix_run(&run).unwrap_or(run));
    }
    out
}

fn fix_run(run: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for enc in [WINDOWS_1252, WINDOWS_1254] as [&'static Encoding; 2] {
        let (bytes, _, unmappable) = enc.encode(run);
        if unmappable {
            continue;
        }
        let (fixed, good, bad) = decode_repairing(&bytes);
        if good == 0 || bad > good {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| bad < *b) {
            best = Some((bad, fixed));
        }
    }
    best.map(|(_, s)| s)
}

/// UTF-8-decode `bytes`, restoring one dropped byte where that is unambiguous; returns the
/// text, the count of good non-ASCII characters and of replacement characters.
fn decode_repairing(mut bytes: &[u8]) -> (String, usize, usize) {
    let (mut out, mut good, mut bad) = (String::new(), 0, 0);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                good += s.chars().filter(|c| !c.is_ascii()).count();
                out.push_str(s);
                return (out, good, bad);
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                let valid = String::from_utf8_lossy(valid);
                good += valid.chars().filter(|c| !c.is_ascii()).count();
                out.push_str(&valid);
                let width = match rest[0] {
                    0xC2..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF4 => 4,
                    _ => 0,
                };
                let mut found: Vec<(char, usize)> = Vec::new();
                for pos in 1..width {
                    for b in UNDEFINED {
                        let mut cand: Vec<u8> = rest[..pos.min(rest.len())].to_vec();
                        cand.push(b);
                        cand.extend(rest.iter().skip(pos).take(width - 1 - pos));
                        if let Ok(s) = std::str::from_utf8(&cand)
                            && cand.len() == width
                            && let Some(c) = s.chars().next()
                            && !found.iter().any(|(x, _)| *x == c)
                        {
                            found.push((c, width - 1));
                        }
                    }
                }
                if let [(c, used)] = found.as_slice() {
                    out.push(*c);
                    good += 1;
                    bytes = &rest[*used..];
                } else if found.len() > 1 && width >= 3 {
                    // All but one byte of a long sequence is there: this was UTF-8, but
                    // which character cannot be told.
                    out.push('\u{FFFD}');
                    good += 1;
                    bytes = &rest[width - 1..];
                } else {
                    out.push('\u{FFFD}');
                    bad += 1;
                    let skip = e.error_len().unwrap_or(rest.len()).max(1);
                    bytes = &rest[skip..];
                }
            }
        }
    }
}

/// Options for [`draft`].
#[derive(Debug, Clone, Default)]
pub struct DraftOptions {
    /// The project's short name; default: from the policy's title.
    pub name: Option<String>,
}

/// A drafted spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The spec's TOML text, with `# TODO` comments.
    pub toml: String,
    /// What was found and how it was mapped, one line each.
    pub mapped: Vec<String>,
    /// What needs a person, one line each (also in the text as `# TODO`).
    pub todos: Vec<String>,
}

/// What one asked-for item means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Need {
    Command {
        argv: Vec<String>,
        label: String,
    },
    Version {
        tool: String,
        label: String,
    },
    System {
        label: String,
    },
    Logs,
    Config,
    Reproduction {
        heading: String,
        artifacts: Vec<String>,
    },
    Human {
        heading: String,
    },
    Environment,
    Unknown {
        text: String,
    },
}

/// One asking list and its items.
struct AskList {
    items: Vec<String>,
}

fn strip_markdown(s: &str) -> String {
    let link = Regex::new(r"\[([^\]]*)\]\(([^)]*)\)").expect("static regex");
    let s = link.replace_all(s, |c: &regex::Captures<'_>| {
        if c[1] == c[2] || c[2].ends_with(&c[1]) {
            c[1].to_string()
        } else {
            format!("{} ({})", &c[1], &c[2])
        }
    });
    s.replace("**", "").replace("__", "").trim().to_string()
}

fn list_item(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start().len();
    let t = line.trim_start();
    if let Some(rest) = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
    {
        return Some((indent, rest));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        let rest = &t[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((indent, r));
        }
    }
    None
}

const ASK_WORDS: [&str; 6] = [
    "include",
    "gather",
    "information",
    "attach",
    "please provide",
    "the following",
];
/// A list after these is what is *not* supported or needed.
const NOT_ASKING: [&str; 6] = [
    "out of scope",
    "regardless",
    "does not",
    "do not",
    "don't",
    "won't",
];
const NOT_BUGS: [&str; 5] = [
    "feature",
    "question",
    "discussion",
    "contribut",
    "documentation",
];

/// Find the lists that ask for something.
fn ask_lists(text: &str) -> Vec<AskList> {
    let mut lists: Vec<AskList> = Vec::new();
    let mut heading = String::new();
    let mut para = String::new();
    // (indent, text) of the open list items, outermost first.
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(String, AskList)> = None;
    let asks = |context: &str, heading: &str| {
        let c = context.to_lowercase();
        let h = heading.to_lowercase();
        ASK_WORDS.iter().any(|w| c.contains(w))
            && !NOT_ASKING.iter().any(|w| c.contains(w))
            && !NOT_BUGS.iter().any(|w| h.contains(w))
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(h) = trimmed.strip_prefix('#') {
            heading = h.trim_start_matches('#').trim().to_string();
            para.clear();
            stack.clear();
            lists.extend(current.take().map(|(_, l)| l));
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        match list_item(line) {
            Some((indent, item)) => {
                while stack.last().is_some_and(|(i, _)| *i >= indent) {
                    stack.pop();
                }
                let context = stack.last().map_or(para.clone(), |(_, t)| t.clone());
                let item = strip_markdown(item);
                if asks(&context, &heading) {
                    let key = format!("{heading}\u{0}{context}");
                    match &mut current {
                        Some((k, list)) if *k == key => list.items.push(item.clone()),
                        _ => {
                            lists.extend(current.take().map(|(_, l)| l));
                            current = Some((
                                key,
                                AskList {
                                    items: vec![item.clone()],
                                },
                            ));
                        }
                    }
                }
                stack.push((indent, item));
            }
            None => {
                para = strip_markdown(trimmed);
                stack.clear();
                lists.extend(current.take().map(|(_, l)| l));
            }
        }
    }
    lists.extend(current.take().map(|(_, l)| l));
    lists
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn classify(item: &str) -> Vec<Need> {
    let backtick = Regex::new(r"`([^`]+)`").expect("static regex");
    let lower = item.to_lowercase();
    let mentions_os =
        lower.contains("operating system") || lower.split_whitespace().any(|w| w == "os");
    let mut needs = Vec::new();
    let commands: Vec<Vec<String>> = backtick
        .captures_iter(item)
        .map(|c| {
            c[1].split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|argv| {
            argv.len() > 1
                && argv[0]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
        .collect();
    if !commands.is_empty() {
        let label = item
            .split_once(':')
            .map(|(l, _)| l.trim().to_string())
            .filter(|l| !l.is_empty() && !l.contains('`'))
            .unwrap_or_else(|| commands[0].join(" "));
        if mentions_os {
            needs.push(Need::System {
                label: "Operating System".into(),
            });
        }
        for argv in commands {
            needs.push(Need::Command {
                argv,
                label: label.clone(),
            });
        }
        return needs;
    }
    let words: Vec<&str> = item.split_whitespace().collect();
    if lower.contains("steps") {
        needs.push(Need::Human {
            heading: "Steps to reproduce".into(),
        });
    } else if lower.contains("expected") || lower.contains("actual") {
        needs.push(Need::Human {
            heading: "Expected vs actual behavior".into(),
        });
    } else if lower.contains("reproduc") {
        let paren = Regex::new(r"\(([^)]*)\)").expect("static regex");
        let artifacts: Vec<String> = paren
            .captures(item)
            .map(|c| {
                c[1].split(['+', ','])
                    .flat_map(|s| s.split(" and "))
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let heading = if artifacts.is_empty() {
            "Minimal reproduction".to_string()
        } else {
            format!("Minimal reproduction ({})", artifacts.join(" + "))
        };
        needs.push(Need::Reproduction { heading, artifacts });
    } else if lower.contains("description") || lower.contains("describe") {
        needs.push(Need::Human {
            heading: "Description".into(),
        });
    } else if lower.contains("log") {
        needs.push(Need::Logs);
    } else if lower.contains("environment") {
        needs.push(Need::Environment);
    } else if lower.contains("config") {
        needs.push(Need::Config);
    } else if mentions_os {
        needs.push(Need::System {
            label: capitalize(item.trim()),
        });
    } else if let Some(pos) = words.iter().position(|w| w.eq_ignore_ascii_case("version"))
        && pos > 0
    {
        needs.push(Need::Version {
            tool: words[pos - 1].to_lowercase(),
            label: capitalize(&words[..=pos].join(" ")),
        });
    } else {
        needs.push(Need::Unknown {
            text: item.to_string(),
        });
    }
    needs
}

/// How a few common tools print their version, for "X version" without a command.
fn version_argv(tool: &str) -> Option<Vec<&'static str>> {
    Some(match tool {
        "caddy" => vec!["caddy", "version"],
        "go" => vec!["go", "version"],
        "rust" | "rustc" => vec!["rustc", "--version"],
        "cargo" => vec!["cargo", "--version"],
        "node" | "node.js" | "nodejs" => vec!["node", "--version"],
        "python" => vec!["python3", "--version"],
        "docker" => vec!["docker", "version"],
        "kernel" => vec!["uname", "-r"],
        _ => return None,
    })
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML literal string for a regex (no escaping needed unless it holds `'`).
fn lit(s: &str) -> String {
    if s.contains('\'') || s.contains('\n') {
        q(s)
    } else {
        format!("'{s}'")
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// `kestrel --version` → `kestrel-version`; short flags are left out (`uname -a` → `uname`).
fn command_id(argv: &[String]) -> String {
    let mut parts = vec![argv[0].clone()];
    for a in &argv[1..] {
        if a.starts_with("--") || !a.starts_with('-') {
            parts.push(a.trim_start_matches('-').to_string());
        }
    }
    slug(&parts.join("-"))
}

fn project_display(text: &str) -> Option<String> {
    let title = text.lines().find_map(|l| l.trim().strip_prefix("# "))?;
    let skip = [
        "support", "policy", "for", "the", "getting", "help", "guide", "with",
    ];
    let words: Vec<&str> = title
        .split_whitespace()
        .filter(|w| {
            !skip.contains(
                &w.to_lowercase()
                    .trim_matches(|c: char| !c.is_alphanumeric()),
            )
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn security_section(text: &str) -> Option<String> {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            if inside {
                break;
            }
            inside = t.to_lowercase().contains("security");
            continue;
        }
        if inside && !t.is_empty() && !t.trim_matches(['-', '*', '_']).is_empty() {
            match list_item(line) {
                Some((_, rest)) => {
                    let item = strip_markdown(rest).replace('`', "");
                    let item = item.trim_end_matches(['.', ';']);
                    lines.push(format!("{item};"));
                }
                None => {
                    if let Some(last) = lines.last_mut()
                        && last.ends_with(';')
                    {
                        last.pop();
                        last.push('.');
                    }
                    lines.push(strip_markdown(t).replace('`', ""));
                }
            }
        }
    }
    if let Some(last) = lines.last_mut()
        && last.ends_with(';')
    {
        last.pop();
        last.push('.');
    }
    let joined = lines.join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// Draft a spec from a policy's decoded text.
pub fn draft(text: &str, opts: &DraftOptions) -> Draft {
    let mut mapped = Vec::new();
    let mut todos = Vec::new();
    let display = project_display(text).unwrap_or_else(|| "Project".to_string());
    let name = opts
        .name
        .clone()
        .map(|n| slug(&n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            let s = slug(&display);
            if s.is_empty() { "project".into() } else { s }
        });
    let repo_re = Regex::new(r"https?://(?:github\.com|gitlab\.com|codeberg\.org)/[\w.-]+/[\w.-]+")
        .expect("static regex");
    let repository = repo_re.find(text).map(|m| {
        m.as_str()
            .trim_end_matches(".git")
            .trim_end_matches('.')
            .to_string()
    });
    let template_re = Regex::new(r"ISSUE_TEMPLATE/([\w.-]+\.(?:md|ya?ml))").expect("static regex");
    let templates: Vec<String> = template_re
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect();
    let template = templates
        .iter()
        .find(|t| t.contains("bug"))
        .or(templates.first())
        .cloned();

    let lists = ask_lists(text);
    let classified: Vec<Vec<(String, Need)>> = lists
        .iter()
        .map(|l| {
            l.items
                .iter()
                .flat_map(|i| classify(i).into_iter().map(move |n| (i.clone(), n)))
                .collect()
        })
        .collect();
    // The sections come from the list that names the parts a person writes.
    let section_list = classified
        .iter()
        .position(|l| l.iter().any(|(_, n)| matches!(n, Need::Human { .. })))
        .or(if classified.is_empty() { None } else { Some(0) });

    let mut collect = String::new();
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut sections: Vec<String> = Vec::new();
    let mut has_logs = false;
    let add_item = |ids: &mut Vec<String>, id: &str, body: String, collect: &mut String| {
        if ids.iter().any(|i| i == id) {
            return false;
        }
        ids.push(id.to_string());
        let _ = write!(collect, "\n[[collect]]\nid = {}\n{body}", q(id));
        true
    };
    for (li, list) in classified.iter().enumerate() {
        for (text_item, need) in list {
            let heading = match need {
                Need::Command { argv, label } => {
                    let id = command_id(argv);
                    let mut body = format!(
                        "kind = \"command\"\nargv = [{}]\ntimeout = \"10s\"\nrequired = true\nlabel = {}\n",
                        argv.iter().map(|a| q(a)).collect::<Vec<_>>().join(", "),
                        q(label)
                    );
                    if argv.iter().any(|a| a.contains("version")) {
                        let fact = format!("{}_version", argv[0].replace('-', "_"));
                        let _ = writeln!(
                            body,
                            "fact = {{ name = {}, regex = {} }}",
                            q(&fact),
                            lit(&format!(r"{}\s+v?(\S+)", regex::escape(&argv[0])))
                        );
                    }
                    if add_item(&mut ids, &id, body, &mut collect) {
                        mapped.push(format!("`{}` -> command collector `{id}`", argv.join(" ")));
                    }
                    Some(label.clone())
                }
                Need::Version { tool, label } => {
                    let id = format!("{}-version", slug(tool));
                    let (argv, todo) = match version_argv(tool) {
                        Some(a) => (a.into_iter().map(String::from).collect::<Vec<_>>(), None),
                        None => (
                            vec![tool.clone(), "--version".to_string()],
                            Some(format!(
                                "{label}: the policy names no command; check how {tool} reports its version"
                            )),
                        ),
                    };
                    let mut body = String::new();
                    if let Some(t) = &todo {
                        let _ = writeln!(body, "# TODO: {t}");
                        todos.push(t.clone());
                    }
                    let _ = write!(
                        body,
                        "kind = \"command\"\nargv = [{}]\ntimeout = \"10s\"\nrequired = true\nlabel = {}\nfact = {{ name = {}, regex = {} }}\n",
                        argv.iter().map(|a| q(a)).collect::<Vec<_>>().join(", "),
                        q(label),
                        q(&format!("{}_version", slug(tool).replace('-', "_"))),
                        lit(r"(v?\d+\.\d+\S*)")
                    );
                    if add_item(&mut ids, &id, body, &mut collect) {
                        mapped.push(format!("\"{text_item}\" -> command collector `{id}`"));
                    }
                    Some(label.clone())
                }
                Need::System { label } => {
                    let body =
                        format!("kind = \"system\"\nrequired = true\nlabel = {}\n", q(label));
                    if add_item(&mut ids, "system", body, &mut collect) {
                        mapped.push(format!("\"{text_item}\" -> system collector"));
                    }
                    (!text_item.contains('`')).then(|| label.clone())
                }
                Need::Environment => {
                    let body = "kind = \"system\"\nrequired = true\nlabel = \"OS\"\n".to_string();
                    if add_item(&mut ids, "system", body, &mut collect) {
                        mapped.push(format!("\"{text_item}\" -> system collector"));
                    }
                    Some("Environment".to_string())
                }
                Need::Logs => {
                    has_logs = true;
                    let t = format!(
                        "logs: confirm the service's journald unit (`{name}`) or point a `file` collector at its log file"
                    );
                    let body = format!(
                        "# TODO: {t}\nkind = \"command\"\nargv = [\"journalctl\", \"-u\", {}, \"-n\", \"1000\", \"--no-pager\"]\nmissing_when = '^-- No entries --$|No journal files were found|Failed to (?:connect|get)'\ntimeout = \"30s\"\nstrip_ansi = true\nrequired = true\nlog = true\nlabel = {}\n",
                        q(&name),
                        q(&format!("Logs (journalctl -u {name})"))
                    );
                    if add_item(&mut ids, "journal", body, &mut collect) {
                        todos.push(t);
                        mapped.push(format!("\"{text_item}\" -> journal collector `journal`"));
                    }
                    Some("Logs".to_string())
                }
                Need::Config => {
                    let t =
                        format!("config: the real path of {display}'s config file and its format");
                    let body = format!(
                        "# TODO: {t}\nkind = \"file\"\npath = {}\nformat = \"toml\"\nrequired = true\nlabel = \"Configuration\"\n",
                        q(&format!("/etc/{name}/config.toml"))
                    );
                    if add_item(&mut ids, "config", body, &mut collect) {
                        todos.push(t);
                        mapped.push(format!("\"{text_item}\" -> file collector `config`"));
                    }
                    Some("Configuration".to_string())
                }
                Need::Reproduction { heading, artifacts } => {
                    for a in artifacts {
                        let al = a.to_lowercase();
                        if al.contains("caddyfile") {
                            vars.push(("caddyfile".into(), "/etc/caddy/Caddyfile".into()));
                            let body = "kind = \"file\"\npath = \"{caddyfile}\"\nformat = \"caddyfile\"\nrequired = true\nlabel = \"Caddyfile\"\nhint = \"pass your Caddyfile's path with `--var caddyfile=PATH`\"\n".to_string();
                            if add_item(&mut ids, "caddyfile", body, &mut collect) {
                                mapped.push(format!("\"{a}\" -> file collector `caddyfile`"));
                            }
                        } else if al.contains("wasm") && ids.iter().any(|i| i == "caddyfile") {
                            let body = "kind = \"file\"\nfrom = { item = \"caddyfile\", regex = '''([^\\s\"'{}]+\\.wasm)\\b''' }\nbinary = true\nmax_bytes = 16777216\nrequired = true\nlabel = \"WASM modules\"\n".to_string();
                            if add_item(&mut ids, "wasm-modules", body, &mut collect) {
                                mapped.push(format!("\"{a}\" -> file collector `wasm-modules` (paths named in the Caddyfile)"));
                            }
                        } else {
                            let t = format!(
                                "reproduction artifact \"{a}\": add a `file` collector for it"
                            );
                            let _ = writeln!(collect, "\n# TODO: {t}");
                            todos.push(t);
                        }
                    }
                    Some(heading.clone())
                }
                Need::Human { heading } => Some(heading.clone()),
                Need::Unknown { text } => {
                    let t = format!("not mapped from the policy: \"{text}\"");
                    let _ = writeln!(collect, "\n# TODO: {t}");
                    todos.push(t);
                    None
                }
            };
            if Some(li) == section_list
                && let Some(h) = heading
                && !sections.contains(&h)
            {
                sections.push(h);
            }
        }
    }
    if !sections.iter().any(|s| s == "Description") {
        sections.insert(0, "Description".into());
    }
    if has_logs && !sections.iter().any(|s| s == "Logs") {
        sections.push("Logs".into());
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {display}: drafted by `support-bundle init` from the project's support policy.\n# Review every `# TODO`, then try it with `support-bundle collect --spec FILE --dry-run`.\nschema = 1\n\n[project]\nname = {}\ndisplay = {}",
        q(&name),
        q(&display)
    );
    match &repository {
        Some(r) => {
            let _ = writeln!(out, "repository = {}", q(r));
        }
        None => {
            let t =
                "repository: the policy names no repository URL (needed for the new-issue link)";
            let _ = writeln!(
                out,
                "# TODO: {t}\n# repository = \"https://github.com/OWNER/NAME\""
            );
            todos.push(t.to_string());
        }
    }
    match &template {
        Some(t) if t.ends_with(".yml") || t.ends_with(".yaml") => {
            let _ = writeln!(
                out,
                "issue_form = {}",
                q(&format!(".github/ISSUE_TEMPLATE/{t}"))
            );
        }
        Some(t) => {
            let _ = writeln!(out, "issue_template = {}", q(t));
        }
        None => {}
    }
    match security_section(text) {
        Some(s) => {
            let _ = writeln!(out, "security = {}", q(&s));
            mapped.push("security section -> [project] security".into());
        }
        None => {
            let t = "security: the policy has no security section; say where vulnerabilities go";
            let _ = writeln!(out, "# TODO: {t}");
            todos.push(t.to_string());
        }
    }
    if !vars.is_empty() {
        vars.dedup();
        let _ = writeln!(out, "\n[vars]");
        for (k, v) in &vars {
            let _ = writeln!(out, "{k} = {}", q(v));
        }
    }
    if lists.is_empty() {
        let t = "the policy has no list of what to include in a report; add collectors by hand";
        let _ = writeln!(out, "\n# TODO: {t}");
        todos.push(t.to_string());
    }
    out.push_str(&collect);
    let t = "issue title prefix and labels, from the project's issue template";
    todos.push(t.to_string());
    let _ = writeln!(
        out,
        "\n[issue]\n# TODO: {t}\ntitle = \"\"\nlog_lines = 60\nsections = [{}]",
        sections.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    );
    Draft {
        toml: out,
        mapped,
        todos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mojibake_is_reversed_and_good_text_kept() {
        // UTF-8 of “ (E2 80 9C) read as Windows-1252.
        assert_eq!(
            repair_mojibake("say \u{e2}\u{20ac}\u{153}hi"),
            "say \u{201c}hi"
        );
        // 🆘 (F0 9F 86 98) read as Windows-1254.
        assert_eq!(
            repair_mojibake("## \u{11f}\u{178}\u{2020}\u{2dc} Help"),
            "## 🆘 Help"
        );
        for fine in ["café naïve", "“quoted” — dash", "日本語", "🦀 crab"] {
            assert_eq!(repair_mojibake(fine), fine);
        }
    }

    #[test]
    fn a_dropped_byte_is_restored_only_when_unambiguous() {
        // ❌ is E2 9D 8C; 0x9D is undefined in Windows-1254, so a mis-decoder dropped it.
        // Every undefined byte makes a valid character there: ambiguous, so U+FFFD.
        let fixed = repair_mojibake("\u{e2}\u{152} What");
        assert_eq!(fixed, "\u{FFFD} What");
    }

    #[test]
    fn decode_drops_bom_and_crlf() {
        assert_eq!(decode(b"\xEF\xBB\xBF# T\r\n- a\r\n"), "# T\n- a\n");
    }

    #[test]
    fn command_ids_match_the_built_in_specs() {
        let argv = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(command_id(&argv("kestrel --version")), "kestrel-version");
        assert_eq!(command_id(&argv("uname -a")), "uname");
        assert_eq!(
            command_id(&argv("caddy list-modules --versions")),
            "caddy-list-modules-versions"
        );
    }
}
