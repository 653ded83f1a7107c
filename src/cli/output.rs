//! The one way commands print: a value that is both JSON (`--json`) and text, written to
//! stdout without panicking on a closed pipe (`| head`).
//!
//! Every JSON document carries `"format_version"`, so scripts can tell when its shape
//! changes, and passes [`json_text`], so control characters read from a bundle come out as
//! `\u` escapes rather than raw bytes.

use std::io::{self, Write};

use serde::Serialize;
use support_bundle::sanitize::json_text;

/// The version of every `--json` document's shape; bumped on incompatible changes.
pub(super) const FORMAT_VERSION: u32 = 1;

/// Write `text` to stdout; a closed pipe is a clean end, not an error.
pub(super) fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Print `value` as JSON when `json`, else as `text(value)`.
pub(super) fn emit<T: Serialize + ?Sized>(
    value: &T,
    json: bool,
    text: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    let out = if json { to_json(value)? } else { text(value) };
    print(&out)?;
    Ok(())
}

/// `value`, which must serialize as a JSON object, as pretty JSON with `format_version`
/// first and a trailing newline.
pub(super) fn to_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Versioned<'a, T: ?Sized> {
        format_version: u32,
        #[serde(flatten)]
        value: &'a T,
    }
    let text = serde_json::to_string_pretty(&Versioned {
        format_version: FORMAT_VERSION,
        value,
    })?;
    let mut text = json_text(&text).into_owned();
    text.push('\n');
    Ok(text)
}

/// Whether stdout is a terminal (the new-issue link is a hyperlink only there).
pub(super) fn stdout_is_tty() -> bool {
    use std::io::IsTerminal;
    io::stdout().is_terminal()
}

/// Whether stderr is a terminal (progress is shown only there).
pub(super) fn stderr_is_tty() -> bool {
    use std::io::IsTerminal;
    io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_versioned_and_escapes_controls() {
        let value = serde_json::json!({ "body": "\u{1b}]52;c;x\u{7} \u{9b}2J \u{202e}" });
        let text = to_json(&value).unwrap();
        assert!(text.starts_with("{\n  \"format_version\": 1,"), "{text}");
        assert!(
            !text.chars().any(support_bundle::sanitize::is_unsafe),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["body"], value["body"]);
    }
}
