//! Writing the drafted spec: one `[[collect]]` block per need, the `[project]` header, `[vars]`
//! and `[issue]`, with a `# TODO` comment wherever a person has to decide.

use std::fmt::Write as _;

use super::Draft;
use super::classify::Need;

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

pub(super) fn slug(s: &str) -> String {
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

/// What the policy says about the project itself, for the `[project]` table.
#[derive(Debug, Clone)]
pub(super) struct ProjectInfo {
    /// The spec's `name`.
    pub(super) name: String,
    /// The spec's `display`.
    pub(super) display: String,
    /// The repository URL, when the policy links one.
    pub(super) repository: Option<String>,
    /// The issue template or form file, preferring a bug template.
    pub(super) template: Option<String>,
    /// The security section, on one line.
    pub(super) security: Option<String>,
}

/// The `[[collect]]` blocks built so far, with the issue sections they imply.
pub(super) struct Collectors<'a> {
    project: &'a ProjectInfo,
    /// The blocks, as TOML text.
    toml: String,
    vars: Vec<(String, String)>,
    ids: Vec<String>,
    sections: Vec<String>,
    has_logs: bool,
    mapped: Vec<String>,
    todos: Vec<String>,
}

impl<'a> Collectors<'a> {
    pub(super) fn new(project: &'a ProjectInfo) -> Self {
        Collectors {
            project,
            toml: String::new(),
            vars: Vec::new(),
            ids: Vec::new(),
            sections: Vec::new(),
            has_logs: false,
            mapped: Vec::new(),
            todos: Vec::new(),
        }
    }

    /// Map every classified item; only the items of list `section_list` name issue sections.
    pub(super) fn add_lists(
        &mut self,
        classified: &[Vec<(String, Need)>],
        section_list: Option<usize>,
    ) {
        for (li, list) in classified.iter().enumerate() {
            for (text_item, need) in list {
                let heading = self.add(text_item, need);
                if Some(li) == section_list
                    && let Some(h) = heading
                    && !self.sections.contains(&h)
                {
                    self.sections.push(h);
                }
            }
        }
    }

    /// Map one need; returns the issue section it stands for, if any.
    fn add(&mut self, text_item: &str, need: &Need) -> Option<String> {
        match need {
            Need::Command { argv, label } => {
                self.command(argv, label);
                Some(label.clone())
            }
            Need::Version { tool, label } => {
                self.version(text_item, tool, label);
                Some(label.clone())
            }
            Need::System { label } => {
                let body = format!("kind = \"system\"\nrequired = true\nlabel = {}\n", q(label));
                if self.block("system", body) {
                    self.mapped
                        .push(format!("\"{text_item}\" -> system collector"));
                }
                (!text_item.contains('`')).then(|| label.clone())
            }
            Need::Environment => {
                let body = "kind = \"system\"\nrequired = true\nlabel = \"OS\"\n".to_string();
                if self.block("system", body) {
                    self.mapped
                        .push(format!("\"{text_item}\" -> system collector"));
                }
                Some("Environment".to_string())
            }
            Need::Logs => {
                self.logs(text_item);
                Some("Logs".to_string())
            }
            Need::Config => {
                self.config(text_item);
                Some("Configuration".to_string())
            }
            Need::Reproduction { heading, artifacts } => {
                for a in artifacts {
                    self.artifact(a);
                }
                Some(heading.clone())
            }
            Need::Human { heading } => Some(heading.clone()),
            Need::Unknown { text } => {
                self.todo_block(format!("not mapped from the policy: \"{text}\""));
                None
            }
        }
    }

    /// Append a `[[collect]]` block unless its id is taken; returns whether it was added.
    fn block(&mut self, id: &str, body: String) -> bool {
        if self.ids.iter().any(|i| i == id) {
            return false;
        }
        self.ids.push(id.to_string());
        let _ = write!(self.toml, "\n[[collect]]\nid = {}\n{body}", q(id));
        true
    }

    /// A `# TODO` between the blocks, for something no collector was made for.
    fn todo_block(&mut self, t: String) {
        let _ = writeln!(self.toml, "\n# TODO: {t}");
        self.todos.push(t);
    }

    /// A backticked command from the policy.
    fn command(&mut self, argv: &[String], label: &str) {
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
        if self.block(&id, body) {
            self.mapped
                .push(format!("`{}` -> command collector `{id}`", argv.join(" ")));
        }
    }

    /// "X version" without a command: a known way to ask X, or a guess with a TODO.
    fn version(&mut self, text_item: &str, tool: &str, label: &str) {
        let id = format!("{}-version", slug(tool));
        let (argv, todo) = match version_argv(tool) {
            Some(a) => (a.into_iter().map(String::from).collect::<Vec<_>>(), None),
            None => (
                vec![tool.to_string(), "--version".to_string()],
                Some(format!(
                    "{label}: the policy names no command; check how {tool} reports its version"
                )),
            ),
        };
        let mut body = String::new();
        if let Some(t) = &todo {
            let _ = writeln!(body, "# TODO: {t}");
            self.todos.push(t.clone());
        }
        let _ = write!(
            body,
            "kind = \"command\"\nargv = [{}]\ntimeout = \"10s\"\nrequired = true\nlabel = {}\nfact = {{ name = {}, regex = {} }}\n",
            argv.iter().map(|a| q(a)).collect::<Vec<_>>().join(", "),
            q(label),
            q(&format!("{}_version", slug(tool).replace('-', "_"))),
            lit(r"(v?\d+\.\d+\S*)")
        );
        if self.block(&id, body) {
            self.mapped
                .push(format!("\"{text_item}\" -> command collector `{id}`"));
        }
    }

    /// Logs: the service's journal, to be confirmed.
    fn logs(&mut self, text_item: &str) {
        self.has_logs = true;
        let name = &self.project.name;
        let t = format!(
            "logs: confirm the service's journald unit (`{name}`) or point a `file` collector at its log file"
        );
        let body = format!(
            "# TODO: {t}\nkind = \"command\"\nargv = [\"journalctl\", \"-u\", {}, \"-n\", \"1000\", \"--no-pager\"]\nmissing_when = '^-- No entries --$|No journal files were found|Failed to (?:connect|get)'\ntimeout = \"30s\"\nstrip_ansi = true\nrequired = true\nlog = true\nlabel = {}\n",
            q(name),
            q(&format!("Logs (journalctl -u {name})"))
        );
        if self.block("journal", body) {
            self.todos.push(t);
            self.mapped
                .push(format!("\"{text_item}\" -> journal collector `journal`"));
        }
    }

    /// The configuration file, at a guessed path.
    fn config(&mut self, text_item: &str) {
        let t = format!(
            "config: the real path of {}'s config file and its format",
            self.project.display
        );
        let body = format!(
            "# TODO: {t}\nkind = \"file\"\npath = {}\nformat = \"toml\"\nrequired = true\nlabel = \"Configuration\"\n",
            q(&format!("/etc/{}/config.toml", self.project.name))
        );
        if self.block("config", body) {
            self.todos.push(t);
            self.mapped
                .push(format!("\"{text_item}\" -> file collector `config`"));
        }
    }

    /// One artifact of a minimal reproduction: the ones we know become file collectors.
    fn artifact(&mut self, a: &str) {
        let al = a.to_lowercase();
        if al.contains("caddyfile") {
            self.vars
                .push(("caddyfile".into(), "/etc/caddy/Caddyfile".into()));
            let body = "kind = \"file\"\npath = \"{caddyfile}\"\nformat = \"caddyfile\"\nrequired = true\nlabel = \"Caddyfile\"\nhint = \"pass your Caddyfile's path with `--var caddyfile=PATH`\"\n".to_string();
            if self.block("caddyfile", body) {
                self.mapped
                    .push(format!("\"{a}\" -> file collector `caddyfile`"));
            }
        } else if al.contains("wasm") && self.ids.iter().any(|i| i == "caddyfile") {
            let body = "kind = \"file\"\nfrom = { item = \"caddyfile\", regex = '''([^\\s\"'{}]+\\.wasm)\\b''' }\nbinary = true\nmax_bytes = 16777216\nrequired = true\nlabel = \"WASM modules\"\n".to_string();
            if self.block("wasm-modules", body) {
                self.mapped.push(format!(
                    "\"{a}\" -> file collector `wasm-modules` (paths named in the Caddyfile)"
                ));
            }
        } else {
            self.todo_block(format!(
                "reproduction artifact \"{a}\": add a `file` collector for it"
            ));
        }
    }

    /// The issue sections: always a description first, and logs when they are collected.
    fn sections(&self) -> Vec<String> {
        let mut sections = self.sections.clone();
        if !sections.iter().any(|s| s == "Description") {
            sections.insert(0, "Description".into());
        }
        if self.has_logs && !sections.iter().any(|s| s == "Logs") {
            sections.push("Logs".into());
        }
        sections
    }

    /// The whole spec: header, `[project]`, `[vars]`, the blocks, `[issue]`.
    pub(super) fn finish(mut self, any_list: bool) -> Draft {
        let sections = self.sections();
        let mut out = String::new();
        self.project_table(&mut out);
        if !self.vars.is_empty() {
            self.vars.dedup();
            let _ = writeln!(out, "\n[vars]");
            for (k, v) in &self.vars {
                let _ = writeln!(out, "{k} = {}", q(v));
            }
        }
        if !any_list {
            let t = "the policy has no list of what to include in a report; add collectors by hand";
            let _ = writeln!(out, "\n# TODO: {t}");
            self.todos.push(t.to_string());
        }
        out.push_str(&self.toml);
        let t = "issue title prefix and labels, from the project's issue template";
        self.todos.push(t.to_string());
        let _ = writeln!(
            out,
            "\n[issue]\n# TODO: {t}\ntitle = \"\"\nlog_lines = 60\nsections = [{}]",
            sections.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        );
        Draft {
            toml: out,
            mapped: self.mapped,
            todos: self.todos,
        }
    }

    /// The header comment, `schema` and `[project]`.
    fn project_table(&mut self, out: &mut String) {
        let p = self.project;
        let _ = writeln!(
            out,
            "# {}: drafted by `support-bundle init` from the project's support policy.\n# Review every `# TODO`, then try it with `support-bundle collect --spec FILE --dry-run`.\nschema = 1\n\n[project]\nname = {}\ndisplay = {}",
            p.display,
            q(&p.name),
            q(&p.display)
        );
        match &p.repository {
            Some(r) => {
                let _ = writeln!(out, "repository = {}", q(r));
            }
            None => {
                let t = "repository: the policy names no repository URL (needed for the new-issue link)";
                let _ = writeln!(
                    out,
                    "# TODO: {t}\n# repository = \"https://github.com/OWNER/NAME\""
                );
                self.todos.push(t.to_string());
            }
        }
        match &p.template {
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
        match &p.security {
            Some(s) => {
                let _ = writeln!(out, "security = {}", q(s));
                self.mapped
                    .push("security section -> [project] security".into());
            }
            None => {
                let t =
                    "security: the policy has no security section; say where vulnerabilities go";
                let _ = writeln!(out, "# TODO: {t}");
                self.todos.push(t.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
