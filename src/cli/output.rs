//! Writing to stdout without panicking on a closed pipe (`| head`), and the one JSON layout
//! every `--json` prints.

use std::io::{self, Write};

/// Write `text` to stdout; a closed pipe is a clean end, not an error.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `value` as pretty JSON with a trailing newline: what every `--json` prints.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// Whether stderr is a terminal (progress is shown only there).
pub fn stderr_is_tty() -> bool {
    use std::io::IsTerminal;
    io::stderr().is_terminal()
}
