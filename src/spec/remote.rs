//! Specs named by URL: which URLs are accepted and what a `#sha256=` pin promises.
//!
//! Fetching is the collectors' business (`collect::spec_fetch`); this module only decides
//! whether a URL may be fetched at all and checks the bytes fetched against the pin, so the
//! rules hold wherever the bytes come from.
//!
//! Rules: `https` to any host; `http` only to `localhost`, 127.0.0.0/8 or `[::1]` (plain HTTP
//! elsewhere lets anyone on the path change what runs); no user info (a URL is shown and
//! recorded); a pin is `#sha256=` and 64 hex digits, the only fragment accepted.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use sha2::{Digest, Sha256};

/// Whether `--spec` takes `value` as a URL: it starts with `http://` or `https://`.
pub fn is_url(value: &str) -> bool {
    let lower = value
        .trim_start()
        .get(..8)
        .unwrap_or(value)
        .to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A spec URL that may be fetched, and its pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSpec {
    /// The URL to fetch, without the pin.
    pub url: String,
    /// Whether it is `https`.
    pub https: bool,
    /// The host, as written (IPv6 literals with brackets).
    pub host: String,
    /// The pinned sha256, lowercase hex.
    pub pin: Option<String>,
}

/// A spec URL that is refused, or fetched bytes that do not match their pin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// Not a URL this build fetches specs from.
    #[error("spec URL `{url}`: {reason}")]
    Refused {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The fetched spec is not the pinned one.
    #[error(
        "spec {url} does not match its pin: expected sha256 {expected}, got {actual} \
         (the spec changed, or the pin is wrong)"
    )]
    PinMismatch {
        /// The URL without the pin.
        url: String,
        /// The pinned hash.
        expected: String,
        /// The hash of what was fetched.
        actual: String,
    },
}

impl RemoteSpec {
    /// Parse and vet `value` (`URL` or `URL#sha256=<hex>`); nothing is fetched.
    pub fn parse(value: &str) -> Result<RemoteSpec, RemoteError> {
        let refuse = |reason: String| RemoteError::Refused {
            url: value.to_string(),
            reason,
        };
        let value = value.trim();
        let (url, fragment) = match value.split_once('#') {
            Some((url, fragment)) => (url, Some(fragment)),
            None => (value, None),
        };
        let pin = match fragment {
            None => None,
            Some(f) => {
                let hex = f.strip_prefix("sha256=").ok_or_else(|| {
                    refuse("the only fragment accepted is a pin, `#sha256=<64 hex digits>`".into())
                })?;
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(refuse(format!(
                        "pin `{hex}` is not a sha256 (64 hex digits)"
                    )));
                }
                Some(hex.to_ascii_lowercase())
            }
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| refuse("not an http or https URL".into()))?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(refuse("only https (or http to loopback) is fetched".into())),
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(refuse(
                "user info in a spec URL is not sent and would be shown and recorded; \
                 serve the spec without credentials"
                    .into(),
            ));
        }
        let host = if authority.starts_with('[') {
            match authority.find(']') {
                Some(end) => &authority[..=end],
                None => return Err(refuse("unterminated IPv6 address".into())),
            }
        } else {
            authority.split(':').next().unwrap_or_default()
        };
        if host.is_empty() {
            return Err(refuse("no host".into()));
        }
        if !https && !is_loopback(host) {
            return Err(refuse(format!(
                "plain http is fetched from loopback only, and `{host}` is not loopback; \
                 use https"
            )));
        }
        Ok(RemoteSpec {
            url: url.to_string(),
            https,
            host: host.to_string(),
            pin,
        })
    }

    /// Check `bytes` against the pin (when there is one); the sha256 of `bytes`, hex.
    pub fn verify(&self, bytes: &[u8]) -> Result<String, RemoteError> {
        let actual = hex::encode(Sha256::digest(bytes));
        match &self.pin {
            Some(expected) if *expected != actual => Err(RemoteError::PinMismatch {
                url: self.url.clone(),
                expected: expected.clone(),
                actual,
            }),
            _ => Ok(actual),
        }
    }

    /// The URL pinned to `sha256`: what a spec's origin records, and what to pass to run the
    /// same spec again without a prompt.
    pub fn pinned(&self, sha256: &str) -> String {
        format!("{}#sha256={sha256}", self.url)
    }
}

impl fmt::Display for RemoteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pin {
            Some(pin) => write!(f, "{}#sha256={pin}", self.url),
            None => f.write_str(&self.url),
        }
    }
}

/// `localhost`, 127.0.0.0/8 or `[::1]`.
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn urls_are_told_from_names_and_paths() {
        assert!(is_url("https://example.org/s.toml"));
        assert!(is_url("HTTP://127.0.0.1:8/s.toml"));
        assert!(!is_url("rust"));
        assert!(!is_url("./https/s.toml"));
        assert!(!is_url("ftp://example.org/s.toml"));
    }

    #[test]
    fn https_anywhere_and_http_to_loopback_only() {
        for ok in [
            "https://example.org/s.toml",
            "http://127.0.0.1:8080/s.toml",
            "http://127.9.9.9/s.toml",
            "http://localhost/s.toml",
            "http://[::1]:99/s.toml",
        ] {
            RemoteSpec::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for (bad, why) in [
            ("http://example.org/s.toml", "loopback only"),
            ("http://10.0.0.1/s.toml", "loopback only"),
            ("http://127.0.0.1.example.org/s.toml", "loopback only"),
            ("ftp://example.org/s.toml", "only https"),
            ("https://user:pw@example.org/s.toml", "user info"),
            ("https:///s.toml", "no host"),
            ("https://example.org/s.toml#main", "only fragment"),
            ("https://example.org/s.toml#sha256=abc", "not a sha256"),
        ] {
            let err = RemoteSpec::parse(bad).expect_err(bad).to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn pin_is_split_off_and_checked() {
        let r = RemoteSpec::parse(&format!(
            "https://example.org/s.toml#sha256={}",
            PIN.to_uppercase()
        ))
        .expect("parse");
        assert_eq!(r.url, "https://example.org/s.toml");
        assert_eq!(r.pin.as_deref(), Some(PIN));
        assert_eq!(r.verify(b"test").expect("matches"), PIN);
        match r.verify(b"other") {
            Err(RemoteError::PinMismatch {
                expected, actual, ..
            }) => {
                assert_eq!(expected, PIN);
                assert_eq!(actual, hex::encode(Sha256::digest(b"other")));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            r.pinned(PIN),
            format!("https://example.org/s.toml#sha256={PIN}")
        );
    }

    #[test]
    fn unpinned_accepts_any_bytes() {
        let r = RemoteSpec::parse("http://127.0.0.1:1/s.toml").expect("parse");
        assert_eq!(r.pin, None);
        assert_eq!(r.verify(b"test").expect("no pin"), PIN);
    }
}
