//! The hosts of a fleet run: an inventory file (TOML) or a comma-separated list.
//!
//! ```toml
//! [[hosts]]
//! host = "web-1.example.com"
//! user = "ops"                 # optional
//! port = 2222                  # optional
//! via = "ssh -J bastion {host} --"   # optional transport template
//! sysroot = "/"                # optional `collect --sysroot` on the host
//! vars = { caddyfile = "/etc/caddy/Caddyfile" }   # optional `collect --var`s
//! name = "web-1"               # optional: the directory name under --out
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Largest inventory file read.
const MAX_INVENTORY: u64 = 4 * 1024 * 1024;

/// One host of the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The address the transport is given (`{host}`).
    pub host: String,
    /// The port (`ssh -p`, `{port}`).
    pub port: Option<u16>,
    /// The login (`ssh -l`, `{user}`).
    pub user: Option<String>,
    /// A transport template for this host; overrides `--via`.
    pub via: Option<String>,
    /// Spec variables for this host's `collect`.
    pub vars: BTreeMap<String, String>,
    /// `collect --sysroot` on the host.
    pub sysroot: Option<String>,
    /// The name its bundle's directory and report rows carry; default: the host, with
    /// `-PORT` when a port is set.
    pub name: Option<String>,
}

impl Host {
    /// A host with only an address.
    pub fn bare(host: &str) -> Host {
        Host {
            host: host.to_string(),
            port: None,
            user: None,
            via: None,
            vars: BTreeMap::new(),
            sysroot: None,
            name: None,
        }
    }

    /// The name the report and the output directory use.
    pub fn label(&self) -> String {
        match (&self.name, self.port) {
            (Some(name), _) => name.clone(),
            (None, Some(port)) => format!("{}-{port}", self.host),
            (None, None) => self.host.clone(),
        }
    }
}

/// Why the hosts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The file could not be read.
    #[error("cannot read inventory `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid inventory.
    #[error("inventory `{path}`: {why}")]
    Invalid {
        /// The file (or `--hosts` for a list).
        path: String,
        /// What is wrong.
        why: String,
    },
}

/// The hosts `--hosts` names: an existing file, or a value with a `/` or ending in `.toml`,
/// is an inventory (a missing one is an error, not a host of that name); anything else is a
/// list of `[USER@]HOST[:PORT]` separated by commas.
pub fn resolve(value: &str) -> Result<Vec<Host>, InventoryError> {
    let path = Path::new(value);
    if path.is_file() || value.contains('/') || value.ends_with(".toml") {
        return load(path);
    }
    let hosts = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_address)
        .collect::<Result<Vec<_>, _>>()?;
    check(hosts, "--hosts")
}

/// Read an inventory file.
pub fn load(path: &Path) -> Result<Vec<Host>, InventoryError> {
    use std::io::Read as _;
    let shown = path.display().to_string();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INVENTORY).read_to_string(&mut text))
        .map_err(|e| InventoryError::Read {
            path: shown.clone(),
            source: e,
        })?;
    let invalid = |why: String| InventoryError::Invalid {
        path: shown.clone(),
        why,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| invalid(crate::sanitize::one_line(&e.to_string())))?;
    let hosts = from_table(table).map_err(invalid)?;
    check(hosts, &shown)
}

/// The hosts of a parsed inventory. Read field by field rather than through a derived
/// deserializer: the few checks are plain, and the binary stays smaller.
fn from_table(mut table: toml::Table) -> Result<Vec<Host>, String> {
    use toml::Value;
    let hosts = match table.remove("hosts") {
        Some(Value::Array(hosts)) => hosts,
        Some(_) => return Err("`hosts` must be an array of tables (`[[hosts]]`)".into()),
        None => return Err("no `[[hosts]]`".into()),
    };
    if let Some(key) = table.keys().next() {
        return Err(format!("unknown key `{key}` (only `[[hosts]]` tables)"));
    }
    hosts
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let at = format!("host {}", i + 1);
            let Value::Table(mut t) = entry else {
                return Err(format!("{at}: not a table"));
            };
            let text = |t: &mut toml::Table, key: &str| match t.remove(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(format!("{at}: `{key}` must be a string")),
            };
            let host = text(&mut t, "host")?.ok_or_else(|| format!("{at}: no `host`"))?;
            let at = format!("host `{host}`");
            let port = match t.remove("port") {
                None => None,
                Some(Value::Integer(p)) => {
                    Some(u16::try_from(p).map_err(|_| format!("{at}: port {p} is out of range"))?)
                }
                Some(_) => return Err(format!("{at}: `port` must be a number")),
            };
            let vars = match t.remove("vars") {
                None => BTreeMap::new(),
                Some(Value::Table(vars)) => vars
                    .into_iter()
                    .map(|(k, v)| match v {
                        // Each travels as a `NAME=VALUE` line on `collect`'s stdin.
                        _ if k.is_empty() || k.contains(['=', '\n', '\r', '\0']) => Err(format!(
                            "{at}: variable name `{}` is empty or holds `=` or a line break",
                            crate::sanitize::one_line(&k)
                        )),
                        Value::String(s) if s.contains(['\n', '\r', '\0']) => Err(format!(
                            "{at}: the value of variable `{k}` holds a line break or NUL"
                        )),
                        Value::String(s) => Ok((k, s)),
                        _ => Err(format!("{at}: variable `{k}` must be a string")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(format!("{at}: `vars` must be a table")),
            };
            let mut h = Host::bare(&host);
            h.port = port;
            h.vars = vars;
            h.user = text(&mut t, "user")?;
            h.via = text(&mut t, "via")?;
            h.sysroot = text(&mut t, "sysroot")?;
            h.name = text(&mut t, "name")?;
            if let Some(key) = t.keys().next() {
                return Err(format!(
                    "{at}: unknown key `{key}` (host, port, user, via, sysroot, vars, name)"
                ));
            }
            Ok(h)
        })
        .collect()
}

fn parse_address(s: &str) -> Result<Host, InventoryError> {
    let bad = |why: String| InventoryError::Invalid {
        path: "--hosts".into(),
        why,
    };
    let (user, rest) = match s.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, s),
    };
    // `host:port`, but not a bare IPv6 address (several colons): that one needs brackets.
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => (h, Some(p.strip_prefix(':').unwrap_or(p))),
            None => return Err(bad(format!("`{s}`: `[` without `]`"))),
        },
        None => match rest.split_once(':') {
            Some((h, p)) if !p.contains(':') => (h, Some(p)),
            _ => (rest, None),
        },
    };
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| bad(format!("`{s}`: `{p}` is not a port")))
        })
        .transpose()?;
    let mut h = Host::bare(host);
    h.port = port;
    h.user = user;
    Ok(h)
}

/// Names are usable as directory names and unique; addresses are not empty.
fn check(hosts: Vec<Host>, origin: &str) -> Result<Vec<Host>, InventoryError> {
    let bad = |why: String| InventoryError::Invalid {
        path: origin.to_string(),
        why,
    };
    if hosts.is_empty() {
        return Err(bad("no hosts".into()));
    }
    let mut seen = BTreeSet::new();
    for h in &hosts {
        if h.host.trim().is_empty() || h.host.starts_with('-') {
            return Err(bad(format!("`{}` is not a host address", h.host)));
        }
        if h.user
            .as_deref()
            .is_some_and(|u| u.is_empty() || u.starts_with('-'))
        {
            return Err(bad(format!(
                "host `{}`: the user is not a login name",
                h.host
            )));
        }
        let label = h.label();
        if !is_dir_name(&label) {
            return Err(bad(format!(
                "`{label}` cannot name a directory (letters, digits, `.`, `-`, `_` and `:` \
                 only; give the host a `name`)"
            )));
        }
        if !seen.insert(label.clone()) {
            return Err(bad(format!(
                "two hosts are named `{label}` (give one a `name`)"
            )));
        }
    }
    Ok(hosts)
}

fn is_dir_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_names_users_and_ports() {
        let hosts = resolve("a, ops@b:2222,[::1]:22,fe80::1").unwrap();
        assert_eq!(hosts[0], Host::bare("a"));
        assert_eq!(hosts[1].user.as_deref(), Some("ops"));
        assert_eq!(hosts[1].port, Some(2222));
        assert_eq!(hosts[1].label(), "b-2222");
        assert_eq!(hosts[2].host, "::1");
        assert_eq!(hosts[2].port, Some(22));
        assert_eq!(hosts[3].host, "fe80::1");
        assert!(resolve("a:notaport").is_err());
        assert!(resolve("a,a").is_err());
        assert!(resolve(",").is_err());
        assert!(resolve("-oProxyCommand=x").is_err());
        let missing = resolve("no-such-hosts.toml").unwrap_err().to_string();
        assert!(missing.contains("cannot read inventory"), "{missing}");
    }

    #[test]
    fn an_inventory_file_gives_every_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts.toml");
        std::fs::write(
            &path,
            r#"
[[hosts]]
host = "web-1.example.com"
port = 2222
user = "ops"
via = "ssh -J bastion {host} --"
sysroot = "/srv/root"
vars = { caddyfile = "/etc/caddy/Caddyfile" }
name = "web-1"

[[hosts]]
host = "db"
"#,
        )
        .unwrap();
        let hosts = resolve(path.to_str().unwrap()).unwrap();
        assert_eq!(hosts.len(), 2);
        assert_eq!(hosts[0].label(), "web-1");
        assert_eq!(hosts[0].vars["caddyfile"], "/etc/caddy/Caddyfile");
        assert_eq!(hosts[0].sysroot.as_deref(), Some("/srv/root"));
        assert_eq!(hosts[1].label(), "db");
        for (text, why) in [
            ("[[hosts]]\nhost = \"a\"\nprot = 1\n", "unknown key `prot`"),
            ("[[hosts]]\nhost = \"a\"\nport = 70000\n", "out of range"),
            (
                "[[hosts]]\nhost = \"a\"\nport = \"22\"\n",
                "`port` must be a number",
            ),
            ("[[hosts]]\nport = 22\n", "host 1: no `host`"),
            (
                "[[hosts]]\nhost = \"a\"\nvars = { x = 1 }\n",
                "variable `x`",
            ),
            (
                "[[hosts]]\nhost = \"a\"\nvars = { x = \"1\\nsecret\" }\n",
                "value of variable `x` holds a line break",
            ),
            (
                "[[hosts]]\nhost = \"a\"\nvars = { \"x=y\" = \"1\" }\n",
                "holds `=`",
            ),
            ("hosts = 1\n", "array of tables"),
            ("[[host]]\nhost = \"a\"\n", "no `[[hosts]]`"),
            ("[[hosts]\n", "inventory"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = load(&path).unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
