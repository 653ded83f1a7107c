//! Where each item's content sits inside the zip.
//!
//! `system.json`, `commands/<id>.txt`, `files/<id>/<name>`, `listings/<id>.txt`,
//! `http/<id>.txt`, `env/<id>.txt`. Names come from redacted text and are made safe here:
//! no separators, no `..`, no control characters, never empty.

/// The zip path for an item's content.
pub fn entry_path(kind: &str, id: &str, name: &str) -> String {
    match kind {
        "system" => "system.json".to_string(),
        "command" => format!("commands/{id}.txt"),
        "listing" => format!("listings/{id}.txt"),
        "http" => format!("http/{id}.txt"),
        "env" => format!("env/{id}.txt"),
        _ => format!("files/{id}/{}", safe_name(name)),
    }
}

/// A file name that cannot climb out of its directory or confuse a terminal.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        "_".to_string()
    } else if trimmed.len() == cleaned.len() {
        cleaned
    } else {
        format!("_{trimmed}")
    }
}

/// Make `path` unique among `taken` by adding `-2`, `-3`, ... before the extension.
pub fn unique(path: String, taken: &std::collections::BTreeSet<String>) -> String {
    if !taken.contains(&path) {
        return path;
    }
    let (stem, ext) = match path.rfind('.') {
        Some(dot) if dot > path.rfind('/').map_or(0, |s| s + 1) => path.split_at(dot),
        _ => (path.as_str(), ""),
    };
    (2..)
        .map(|n| format!("{stem}-{n}{ext}"))
        .find(|p| !taken.contains(p))
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape() {
        assert_eq!(safe_name("../../etc/passwd"), "__.._etc_passwd");
        assert_eq!(safe_name(".."), "_");
        assert_eq!(safe_name("a\u{1b}[31mb"), "a_[31mb");
        assert_eq!(safe_name("Caddyfile"), "Caddyfile");
        assert_eq!(entry_path("file", "cfg", "x/y.toml"), "files/cfg/x_y.toml");
    }

    #[test]
    fn unique_adds_a_counter_before_the_extension() {
        let mut taken = std::collections::BTreeSet::new();
        taken.insert("files/c/a.json".to_string());
        assert_eq!(unique("files/c/a.json".into(), &taken), "files/c/a-2.json");
        taken.insert("files/c/a-2.json".to_string());
        assert_eq!(unique("files/c/a.json".into(), &taken), "files/c/a-3.json");
        taken.insert("files/c/noext".to_string());
        assert_eq!(unique("files/c/noext".into(), &taken), "files/c/noext-2");
    }
}
