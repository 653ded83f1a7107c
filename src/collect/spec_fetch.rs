//! Fetching a spec named by URL (`--spec https://…`), with a timeout and a size cap.
//!
//! The transport is configured like `http` items (no redirects, no proxy from the environment,
//! no credentials), but a failure here is an error, not an item status: without its spec the
//! run cannot start. Which URLs are fetched and what a pin promises is decided by
//! [`RemoteSpec`], before any connection is made.

use std::io::Read;
use std::time::Duration;

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
#[non_exhaustive]
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
    let response = super::http::agent(timeout)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Instant;

    const SPEC: &str = "schema = 1\n\n[project]\nname = \"served\"\n";

    /// A loopback server answering one connection with `response` after reading the request
    /// head (or, with `None`, never answering); its URL.
    fn serve(response: Option<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            match response {
                Some(bytes) => {
                    let _ = stream.write_all(&bytes);
                }
                None => std::thread::sleep(Duration::from_secs(10)),
            }
        });
        format!("http://127.0.0.1:{port}/support-bundle.toml")
    }

    fn ok(body: &str) -> Option<Vec<u8>> {
        Some(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }

    fn fetch_url(url: &str, timeout: Duration, max: u64) -> Result<Fetched, FetchError> {
        fetch(&RemoteSpec::parse(url).expect("url"), timeout, max)
    }

    #[test]
    fn a_served_spec_loads_with_its_url_pinned_as_origin() {
        let url = serve(ok(SPEC));
        let fetched = fetch_url(&url, Duration::from_secs(10), MAX_SPEC_BYTES).expect("fetch");
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(SPEC.as_bytes()));
        assert_eq!(fetched.sha256, sha);
        assert_eq!(fetched.spec.project.name, "served");
        assert_eq!(fetched.spec.origin, format!("{url}#sha256={sha}"));
        assert_eq!(fetched.spec.text, SPEC);
    }

    #[test]
    fn a_body_of_exactly_the_cap_is_accepted_and_one_more_byte_refused() {
        let max = SPEC.len() as u64;
        let url = serve(ok(SPEC));
        fetch_url(&url, Duration::from_secs(10), max).expect("exactly the cap");
        let url = serve(ok(SPEC));
        let err = fetch_url(&url, Duration::from_secs(10), max - 1).expect_err("over the cap");
        assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn error_statuses_and_redirects_are_errors() {
        let url = serve(Some(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        ));
        let err = fetch_url(&url, Duration::from_secs(10), MAX_SPEC_BYTES).expect_err("404");
        assert!(err.to_string().contains("HTTP 404 Not Found"), "{err}");

        let url = serve(Some(
            b"HTTP/1.1 302 Found\r\nLocation: http://192.0.2.1/s.toml\r\nContent-Length: 0\r\n\
              Connection: close\r\n\r\n"
                .to_vec(),
        ));
        let err = fetch_url(&url, Duration::from_secs(10), MAX_SPEC_BYTES).expect_err("302");
        assert!(
            err.to_string().contains("redirects are not followed"),
            "{err}"
        );
    }

    #[test]
    fn a_silent_server_times_out() {
        let url = serve(None);
        let started = Instant::now();
        let err = fetch_url(&url, Duration::from_millis(500), MAX_SPEC_BYTES).expect_err("silent");
        assert!(matches!(err, FetchError::Transport { .. }), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn bytes_that_are_not_text_are_refused() {
        let url = serve(Some(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n\xff\xfe".to_vec(),
        ));
        let err = fetch_url(&url, Duration::from_secs(10), MAX_SPEC_BYTES).expect_err("binary");
        assert!(matches!(err, FetchError::NotText(_)), "{err}");
    }

    #[test]
    fn nothing_listening_is_a_transport_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let url = format!("http://127.0.0.1:{port}/s.toml");
        let err = fetch_url(&url, Duration::from_secs(5), MAX_SPEC_BYTES).expect_err("refused");
        assert!(
            err.to_string()
                .starts_with(&format!("fetching spec {url}: ")),
            "{err}"
        );
    }
}
