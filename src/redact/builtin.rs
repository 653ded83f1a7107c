//! The built-in rule sets, embedded from `redaction-rules/` so the binary needs no data files.

/// `redaction-rules/secrets.toml`: masked.
pub(crate) const SECRETS: &str = include_str!("../../redaction-rules/secrets.toml");
/// `redaction-rules/vendors.toml`: vendor token families and password hashes, masked.
pub(crate) const VENDORS: &str = include_str!("../../redaction-rules/vendors.toml");
/// `redaction-rules/identifiers.toml`: pseudonymized.
pub(crate) const IDENTIFIERS: &str = include_str!("../../redaction-rules/identifiers.toml");

/// The default files, named as problems and warnings should name them.
pub(crate) fn defaults(keep_identifiers: bool) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("redaction-rules/secrets.toml", SECRETS),
        ("redaction-rules/vendors.toml", VENDORS),
    ];
    if !keep_identifiers {
        v.push(("redaction-rules/identifiers.toml", IDENTIFIERS));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::rules::RuleSet;
    use super::*;

    #[test]
    fn builtin_files_load_cleanly() {
        // Loaded eagerly, as rule files are: every regex a run compiles on first use (see
        // `RuleRegex`) compiles here, and its secret group exists.
        for (name, text) in defaults(false) {
            let mut set = RuleSet::default();
            set.load(name, text).unwrap();
            assert!(set.warnings.is_empty(), "{name}: {:?}", set.warnings);
        }
    }

    #[test]
    fn every_builtin_rule_has_a_comment_and_keywords() {
        for (name, text) in defaults(false) {
            let lines: Vec<&str> = text.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if *l == "[[rules]]" || *l == "[[keys]]" {
                    assert!(
                        i > 0 && lines[i - 1].starts_with('#'),
                        "{name}:{}: rule without a comment above it",
                        i + 1
                    );
                }
            }
        }
        let mut set = RuleSet::default();
        set.load("secrets", SECRETS).unwrap();
        for r in &set.rules {
            let exempt = ["nats-nkey-seed", "twilio-key"].contains(&r.id.as_str());
            assert!(
                exempt || !r.keywords.is_empty(),
                "rule {} has no keywords",
                r.id
            );
        }
        for k in &set.keys {
            assert!(!k.keywords.is_empty(), "key rule {} has no keywords", k.id);
        }
        // Vendor rules have no exemptions: a prefix or a vendor name is always there to use.
        let mut vendors = RuleSet::default();
        vendors.load("vendors", VENDORS).unwrap();
        assert!(vendors.rules.len() > 100, "{}", vendors.rules.len());
        for r in &vendors.rules {
            assert!(!r.keywords.is_empty(), "rule {} has no keywords", r.id);
        }
    }

    /// The prefilter runs a key rule only on lines holding one of its keywords, so every key
    /// the rule takes must hold one: a keyword dropped or narrowed would silently skip
    /// secrets. Checked over keys put together from the words key names are made of.
    #[test]
    fn every_key_a_key_rule_takes_holds_one_of_its_keywords() {
        let words = [
            "redis",
            "amqp",
            "broker",
            "str",
            "sentry",
            "dsn",
            "api",
            "key",
            "token",
            "auth",
            "access",
            "session",
            "sess",
            "id",
            "x",
            "secret",
            "client",
            "private",
            "pass",
            "password",
            "passwd",
            "word",
            "pwd",
            "db",
            "user",
            "name",
            "login",
            "account",
            "dsn",
            "url",
            "database",
            "conn",
            "connection",
            "string",
            "cookie",
            "sig",
            "signature",
            "seed",
            "salt",
            "credential",
            "credentials",
            "cipher",
            "signing",
            "master",
            "encryption",
            "proxy",
            "authorization",
            "bearer",
            "hook",
            "webhook",
            "Key",
            "API",
            "Token",
            "Pwd",
            "PASSWORD",
            "phrase",
            "sessid",
        ];
        let mut keys: Vec<String> = Vec::new();
        for a in words {
            keys.push(a.to_string());
            for b in words {
                for sep in ["", "_", "-", "."] {
                    keys.push(format!("{a}{sep}{b}"));
                    keys.push(format!("x-{a}{sep}{b}"));
                }
            }
        }
        let mut set = RuleSet::default();
        for (name, text) in defaults(false) {
            set.load(name, text).unwrap();
        }
        let mut taken = 0;
        for rule in &set.keys {
            for key in &keys {
                let takes = rule.pattern.is_match(key.as_bytes())
                    && !rule
                        .exclude
                        .as_ref()
                        .is_some_and(|x| x.is_match(key.as_bytes()));
                if !takes {
                    continue;
                }
                taken += 1;
                let lower = key.to_ascii_lowercase();
                assert!(
                    rule.keywords
                        .iter()
                        .any(|w| lower.contains(&w.to_ascii_lowercase())),
                    "key rule {} takes `{key}` but none of its keywords {:?} is in it",
                    rule.id,
                    rule.keywords
                );
            }
        }
        assert!(taken > 1000, "only {taken} keys taken");
    }
}
