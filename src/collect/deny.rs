//! The never-collect denylist: private keys, credential stores, databases, data directories.
//!
//! Conventions:
//! - Patterns are globs, matched case-insensitively, with `*` not crossing `/` (write `**/` to
//!   match any number of directories).
//! - Every pattern is tried against the file name alone and against the full path, so `*.key`
//!   catches `/etc/tls/server.key` and `**/nats_store/**` catches anything under such a
//!   directory. Collectors check both the real path and the path as the spec author sees it
//!   (sysroot removed), so `/var/lib/caddy/**` works under `--sysroot` too.
//! - The check runs on path names only, before anything is opened, and again on a symlink's
//!   target. The first matching pattern is reported, built-ins before the spec's globs.
//! - A directory is checked with [`DenyList::check_dir`]: a pattern ending in `/**` (everything
//!   under a directory) also denies that directory itself, so walks do not enter it.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Built-in never-collect patterns. A spec can add to these (its `deny` globs) but never
/// remove one.
pub const BUILTIN_PATTERNS: &[&str] = &[
    // Private keys and key stores. Public `*.pub` keys are harmless and stay collectable; a
    // spec that wants them kept out (Gojinn's signing-key pairs) denies them itself.
    "*.key",
    "*.priv",
    // A `.pem` often carries the private key next to the certificate, and certificates are
    // rarely what a bug report needs.
    "*.pem",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    // Credential files.
    ".netrc",
    ".pgpass",
    ".git-credentials",
    "**/.aws/credentials",
    "**/.gnupg/**",
    // Password hashes: the shadow files (and the `-` backups `vipw` leaves), old passwords
    // kept by pam_pwhistory, and web server basic-auth files.
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/security/opasswd",
    "*.htpasswd",
    "htpasswd*",
    // Databases hold user data, and SQLite's side files (`-wal`, `-shm`, `-journal`) too.
    "*.db",
    "*.sqlite",
    "*.sqlite3",
    "*.sqlite-*",
    // Gojinn: the embedded NATS store holds request payloads; snapshots hold everything.
    "**/nats_store/**",
    "**/jetstream/**",
    "**/gojinn_snapshot_*.tar.gz",
    "**/snapshots/*.tar.gz",
    // Caddy's data directory: TLS private keys and ACME account keys.
    "**/share/caddy/**",
    "/var/lib/caddy/**",
];

/// Compiled never-collect patterns. `Default` holds the built-ins only.
#[derive(Debug, Clone)]
pub struct DenyList {
    patterns: Vec<String>,
    set: GlobSet,
    /// The `/**`-ending patterns without that suffix, and their index in `patterns`.
    dir_set: GlobSet,
    dir_index: Vec<usize>,
}

impl DenyList {
    /// The built-in patterns plus `extra_globs` (a spec's `deny` list).
    pub fn new(extra_globs: &[String]) -> Result<DenyList, globset::Error> {
        let mut patterns: Vec<String> = BUILTIN_PATTERNS.iter().map(|p| p.to_string()).collect();
        patterns.extend(extra_globs.iter().cloned());
        let glob = |pattern: &str| {
            GlobBuilder::new(pattern)
                .case_insensitive(true)
                .literal_separator(true)
                .build()
        };
        let mut builder = GlobSetBuilder::new();
        let mut dir_builder = GlobSetBuilder::new();
        let mut dir_index = Vec::new();
        for (i, pattern) in patterns.iter().enumerate() {
            builder.add(glob(pattern)?);
            if let Some(dir) = pattern.strip_suffix("/**")
                && !dir.is_empty()
            {
                dir_builder.add(glob(dir)?);
                dir_index.push(i);
            }
        }
        Ok(DenyList {
            set: builder.build()?,
            dir_set: dir_builder.build()?,
            dir_index,
            patterns,
        })
    }

    /// Like [`DenyList::check`], for a directory: also true when a pattern denies everything
    /// under it.
    pub fn check_dir(&self, path: &Path) -> Option<&str> {
        let mut hits: Vec<usize> = self
            .dir_set
            .matches(path)
            .into_iter()
            .map(|i| self.dir_index[i])
            .collect();
        if let Some(name) = path.file_name() {
            hits.extend(
                self.dir_set
                    .matches(name)
                    .into_iter()
                    .map(|i| self.dir_index[i]),
            );
        }
        hits.extend(self.set.matches(path));
        if let Some(name) = path.file_name() {
            hits.extend(self.set.matches(name));
        }
        hits.into_iter().min().map(|i| self.patterns[i].as_str())
    }

    /// The first pattern that matches `path` (by file name or full path), if any.
    pub fn check(&self, path: &Path) -> Option<&str> {
        let mut hits = self.set.matches(path);
        if let Some(name) = path.file_name() {
            hits.extend(self.set.matches(name));
        }
        hits.into_iter().min().map(|i| self.patterns[i].as_str())
    }

    /// The patterns in the order they are tried.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

impl Default for DenyList {
    fn default() -> Self {
        // The built-ins are fixed text checked by `builtins_compile`; failing here is a bug.
        #[allow(
            clippy::expect_used,
            reason = "built-in patterns are constant and tested"
        )]
        DenyList::new(&[]).expect("built-in never-collect patterns compile")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_compile() {
        let list = DenyList::new(&[]).unwrap();
        assert_eq!(list.patterns().len(), BUILTIN_PATTERNS.len());
    }

    #[test]
    fn denies_keys_databases_and_data_dirs() {
        let list = DenyList::default();
        let cases = [
            ("/etc/gojinn/signer.priv", "*.priv"),
            ("/root/.ssh/id_rsa", "id_rsa*"),
            ("/root/.ssh/ID_ED25519", "id_ed25519*"),
            ("/etc/tls/Server.KEY", "*.key"),
            ("/etc/letsencrypt/live/x/privkey.pem", "*.pem"),
            ("/home/u/.netrc", ".netrc"),
            ("/home/u/.aws/credentials", "**/.aws/credentials"),
            ("/var/lib/app/state.sqlite-wal", "*.sqlite-*"),
            (
                "/srv/gojinn/data/nats_store/jetstream/a/b.blk",
                "**/nats_store/**",
            ),
            (
                "/srv/gojinn/data/snapshots/gojinn_snapshot_1.tar.gz",
                "**/gojinn_snapshot_*.tar.gz",
            ),
            (
                "/root/.local/share/caddy/certificates/x.crt",
                "**/share/caddy/**",
            ),
            (
                "/var/lib/caddy/.config/caddy/autosave.json",
                "/var/lib/caddy/**",
            ),
            ("relative/app.db", "*.db"),
            ("/etc/shadow", "/etc/shadow"),
            ("/etc/shadow-", "/etc/shadow-"),
            ("/etc/gshadow", "/etc/gshadow"),
            ("/etc/gshadow-", "/etc/gshadow-"),
            ("/etc/security/opasswd", "/etc/security/opasswd"),
            ("/var/www/site/.htpasswd", "*.htpasswd"),
            ("/etc/apache2/admin.htpasswd", "*.htpasswd"),
            ("/etc/nginx/htpasswd", "htpasswd*"),
            ("/etc/caddy/htpasswd.users", "htpasswd*"),
            ("/etc/ssl/private/server.p12", "*.p12"),
        ];
        for (path, pattern) in cases {
            assert_eq!(list.check(Path::new(path)), Some(pattern), "{path}");
        }
    }

    #[test]
    fn allows_ordinary_files() {
        let list = DenyList::default();
        for path in [
            "/etc/kestrel/config.toml",
            "/etc/caddy/Caddyfile",
            "/etc/gojinn/signer.pub",
            "/var/log/kestrel/alerts.json",
            "/home/u/.aws/config",
            "/srv/keys.txt",
            "/srv/a.sqlite-dir-notes/readme.txt",
            "/srv/monkey.txt",
            "/etc/passwd",
            "/etc/group",
            "/srv/docs/shadow-dom.md",
        ] {
            assert_eq!(list.check(Path::new(path)), None, "{path}");
        }
    }

    #[test]
    fn extra_globs_come_after_builtins() {
        let list = DenyList::new(&["*.pub".to_string(), "**/rules/*.yaml".to_string()]).unwrap();
        assert_eq!(list.check(Path::new("/x/signer.pub")), Some("*.pub"));
        assert_eq!(
            list.check(Path::new("/x/rules/a.yaml")),
            Some("**/rules/*.yaml")
        );
        assert_eq!(list.check(Path::new("/x/id_rsa.pub")), Some("id_rsa*"));
        assert!(DenyList::new(&["a[".to_string()]).is_err());
    }

    #[test]
    fn directories_under_a_star_star_pattern_are_denied_themselves() {
        let list = DenyList::default();
        let dir = Path::new("/srv/gojinn/data/nats_store");
        assert_eq!(list.check(dir), None);
        assert_eq!(list.check_dir(dir), Some("**/nats_store/**"));
        assert_eq!(
            list.check_dir(Path::new("/var/lib/caddy")),
            Some("/var/lib/caddy/**")
        );
        assert_eq!(
            list.check_dir(Path::new("/root/.local/share/caddy")),
            Some("**/share/caddy/**")
        );
        assert_eq!(list.check_dir(Path::new("/srv/keys.d")), None);
        assert_eq!(list.check_dir(Path::new("/var/lib")), None);
    }
}
