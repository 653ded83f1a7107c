//! Fetching a spec named by URL (`--spec https://…`), with a timeout and a size cap.
//!
//! The transport is configured like `http` items (no redirects, no proxy from the environment,
//! no credentials), but a failure here is an error, not an item status: without its spec the
//! run cannot start. Which URLs are fetched and what a pin promises is decided by
//! [`RemoteSpec`], before any connection is made.

use std::io::Read;
use std::time::Duration;

use ureq::Agent;

use crate::sanitize::one_line;
use crate::spec::{self, RemoteError, RemoteSpec, Spec, SpecError};

/// The largest spec fetched: the built-in specs are a few KiB; a megabyte is no spec.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// How long fetching a spec may take, connection included.
pub const SPEC_FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// A spec fetched and loaded.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The spec; its origin is the URL pinned to what was fetched (`URL#sha256=<hex>`).
    pub spec: Spec,
    /// The URL it came from.
    pub remote: RemoteSpec,
    /// The sha256 of the bytes fetched, hex.
    pub sha256: String,
}

/// Why a spec could not be fetched or loaded.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// An https URL, and this build has no TLS.
    #[error(
        "spec {0}: https support is not built in (build with the `https` cargo feature, or \
         download the spec and pass its path)"
    )]
    NoTls(String),
    /// Connecting or reading failed.
    #[error("fetching spec {url}: {detail}")]
    Transport {
        /// The URL.
        url: String,
        /// What went wrong, on one line.
        detail: String,
    },
    /// The server answered with something other than 200.
    #[error("fetching spec {url}: the server answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status line (`HTTP 404 Not Found`).
        status: String,
    },
    /// The body is larger than [`MAX_SPEC_BYTES`].
    #[error("spec {url} is larger than {max} bytes; refusing it")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        max: u64,
    },
    /// The body is not UTF-8 text.
    #[error("spec {0} is not valid UTF-8")]
    NotText(String),
    /// The URL is refused, or the body does not match the pin.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The body is not a valid spec.
    #[error(transparent)]
    Invalid(#[from] SpecError),
}

/// Fetch `remote`, check it against its pin and load it, within `timeout` and `max_bytes`.
pub fn fetch(
    remote: &RemoteSpec,
    timeout: Duration,
    max_bytes: u64,
) -> Result<Fetched, FetchError> {
    let bytes = get(remote, timeout, max_bytes)?;
    let sha256 = remote.verify(&bytes)?;
    let text = String::from_utf8(bytes).map_err(|_| FetchError::NotText(remote.url.clone()))?;
    let mut spec = spec::parse(&remote.url, &text)?;
    spec.origin = remote.pinned(&sha256);
    Ok(Fetched {
        spec,
        remote: remote.clone(),
        sha256,
    })
}

fn get(remote: &RemoteSpec, timeout: Duration, max_bytes: u64) -> Result<Vec<u8>, FetchError> {
    let url = &remote.url;
    if remote.https && !cfg!(feature = "https") {
        return Err(FetchError::NoTls(url.clone()));
    }
    let transport = |detail: String| FetchError::Transport {
        url: url.clone(),
        detail: one_line(&detail),
    };
    let agent: Agent = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(timeout))
        .user_agent(concat!("support-bundle/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let response = agent
        .get(url.as_str())
        .call()
        .map_err(|e| transport(e.to_string()))?;
    let code = response.status();
    if code.as_u16() != 200 {
        let mut status = format!("HTTP {}", code.as_u16());
        if let Some(reason) = code.canonical_reason() {
            status = format!("{status} {reason}");
        }
        if code.is_redirection() {
            status.push_str(" (redirects are not followed; pass the final URL)");
        }
        return Err(FetchError::Status {
            url: url.clone(),
            status,
        });
    }
    let mut body = Vec::new();
    // One byte past the cap tells a body of exactly the cap from a longer one.
    response
        .into_body()
        .into_reader()
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| transport(format!("reading the body: {e}")))?;
    if body.len() as u64 > max_bytes {
        return Err(FetchError::TooLarge {
            url: url.clone(),
            max: max_bytes,
        });
    }
    Ok(body)
}
