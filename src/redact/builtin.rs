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
}
