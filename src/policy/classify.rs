//! Reading a decoded policy: which lists ask for something, what each asked-for item means,
//! and the project's title and security section.

use regex::Regex;

/// What one asked-for item means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Need {
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
pub(super) struct AskList {
    pub(super) items: Vec<String>,
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
pub(super) fn ask_lists(text: &str) -> Vec<AskList> {
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

pub(super) fn project_display(text: &str) -> Option<String> {
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

pub(super) fn security_section(text: &str) -> Option<String> {
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

/// Every asking list with its items classified, each need paired with the item it came from.
pub(super) fn classify_lists(lists: &[AskList]) -> Vec<Vec<(String, Need)>> {
    lists
        .iter()
        .map(|l| {
            l.items
                .iter()
                .flat_map(|i| classify(i).into_iter().map(move |n| (i.clone(), n)))
                .collect()
        })
        .collect()
}

/// The list the issue's sections come from: the one that names the parts a person writes,
/// else the first.
pub(super) fn section_list(classified: &[Vec<(String, Need)>]) -> Option<usize> {
    classified
        .iter()
        .position(|l| l.iter().any(|(_, n)| matches!(n, Need::Human { .. })))
        .or(if classified.is_empty() { None } else { Some(0) })
}
