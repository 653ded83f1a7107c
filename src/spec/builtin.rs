//! Specs compiled into the binary from `collectors/*.toml`.

/// A built-in spec.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The name `--spec` takes.
    pub name: &'static str,
    /// The spec's TOML text.
    pub text: &'static str,
}

/// The spec `collect` uses when no `--spec` is given.
pub const DEFAULT_SPEC: &str = "rust";

/// Every built-in spec, sorted by name.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "gojinn",
        text: include_str!("../../collectors/gojinn.toml"),
    },
    Builtin {
        name: "kestrel",
        text: include_str!("../../collectors/kestrel.toml"),
    },
    Builtin {
        name: "rust",
        text: include_str!("../../collectors/rust.toml"),
    },
];

/// The built-in spec with this name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads_through_the_real_loader() {
        for b in BUILTINS {
            let spec = super::super::parse(&format!("built-in:{}", b.name), b.text)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(spec.project.name, b.name);
            assert!(
                spec.project.description.is_some(),
                "{} needs a description",
                b.name
            );
        }
    }

    #[test]
    fn builtins_are_sorted_and_include_the_default() {
        let names: Vec<_> = BUILTINS.iter().map(|b| b.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(builtin(DEFAULT_SPEC).is_some());
    }
}
