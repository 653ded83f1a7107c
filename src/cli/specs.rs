//! `specs`: one line per built-in spec.

use support_bundle::spec::{self, BUILTINS, DEFAULT_SPEC};

use super::{Exit, output};

pub fn run() -> anyhow::Result<Exit> {
    let width = BUILTINS.iter().map(|b| b.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for b in BUILTINS {
        let description = spec::parse(&format!("built-in:{}", b.name), b.text)
            .ok()
            .and_then(|s| s.project.description)
            .unwrap_or_default();
        let default = if b.name == DEFAULT_SPEC {
            " (default)"
        } else {
            ""
        };
        text.push_str(&format!("{:width$}  {description}{default}\n", b.name));
    }
    output::print(&text)?;
    Ok(Exit::Success)
}
