//! `--web`: open a URL in the user's browser, as `gh --web` does: `$BROWSER` when set, else
//! the desktop's opener (`open` on macOS, `xdg-open` elsewhere). The URL is one argv entry,
//! never shell text.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// How long to wait for the opener to report; a browser started directly may run on.
const WAIT: Duration = Duration::from_secs(10);

/// Open `url`; an error says which program failed and how.
pub(super) fn open(url: &str) -> anyhow::Result<()> {
    let mut argv = opener();
    let program = argv.remove(0);
    let mut child = Command::new(&program)
        .args(&argv)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("--web: cannot run `{program}` to open the link"))?;
    let started = Instant::now();
    while started.elapsed() < WAIT {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => bail!("--web: `{program}` failed ({status}) to open the link"),
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e).context(format!("--web: waiting for `{program}`")),
        }
    }
    // Still running: a browser in the foreground, which is what was asked for.
    Ok(())
}

/// The opener's argv without the URL. `$BROWSER` may list several commands separated by
/// `:` (the convention), and one may carry arguments; the first is used, split on spaces.
fn opener() -> Vec<String> {
    let from_env = std::env::var("BROWSER").ok().and_then(|b| {
        let first = b.split(':').next()?.trim().to_string();
        let argv: Vec<String> = first.split_whitespace().map(String::from).collect();
        (!argv.is_empty()).then_some(argv)
    });
    from_env.unwrap_or_else(|| {
        let default = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        vec![default.to_string()]
    })
}
