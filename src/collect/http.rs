//! `http` items: GET with a timeout and a byte cap; loopback only unless allowed.
//!
//! Conventions:
//! - Only `http` and `https`. Unless the item sets `allow_remote`, the host must be
//!   `localhost`, an address in 127.0.0.0/8 or `[::1]`; anything else is skipped before any
//!   connection is made (host names other than `localhost` count as remote, since where they
//!   resolve is not ours to check).
//! - No redirects are followed (a redirect could leave loopback), no proxy from the
//!   environment is used, and no credentials are sent: user info in the URL is dropped.
//! - An HTTP error status is a result, not a transport failure: the body is kept and the
//!   item is `failed` with the status line as detail.
//! - Content is the response body only, cut to the item's byte cap.

use std::fmt;
use std::io::{ErrorKind, Read};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use serde::Serialize;
use ureq::Agent;
use ureq::http::Uri;

use super::request::{self, Collector, Earlier, Vars, show_size};
use super::{Context, DEFAULT_TIMEOUT, show_duration};
use crate::item::{Format, Kind, RawItem, Status};
use crate::sanitize::one_line;
use crate::spec::{self, Item};

/// An `http` step.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename = "http")]
pub struct Request {
    /// The URL, placeholders filled in.
    pub url: String,
    /// Give up after this long.
    #[serde(rename = "timeout_secs", serialize_with = "request::serialize_secs")]
    pub timeout: Duration,
    /// Body cap.
    pub max_bytes: u64,
    /// Non-loopback hosts allowed.
    pub allow_remote: bool,
    /// Redaction format of the body.
    pub format: Format,
}

impl Collector for Request {
    const KIND: Kind = Kind::Http;

    fn plan(item: &Item, vars: &Vars, _ctx: &Context) -> Self {
        Request {
            url: spec::substitute(item.url.as_deref().unwrap_or_default(), vars),
            timeout: item.timeout.unwrap_or(DEFAULT_TIMEOUT),
            max_bytes: request::max_bytes(item),
            allow_remote: item.allow_remote,
            format: item.format,
        }
    }

    fn collect(&self, id: &str, ctx: &Context, _earlier: &Earlier<'_>) -> Vec<RawItem> {
        vec![collect(
            &HttpRequest {
                id,
                url: &self.url,
                timeout: self.timeout,
                max_bytes: self.max_bytes,
                allow_remote: self.allow_remote,
                format: self.format,
            },
            ctx,
        )]
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GET {} (timeout {}s, cap {}, {})",
            self.url,
            self.timeout.as_secs_f64(),
            show_size(self.max_bytes),
            if self.allow_remote {
                "remote allowed"
            } else {
                "loopback only"
            }
        )
    }
}

/// One URL to fetch.
#[derive(Debug, Clone)]
pub struct HttpRequest<'a> {
    /// The spec item's id.
    pub id: &'a str,
    /// The URL (http or https).
    pub url: &'a str,
    /// Give up after this long.
    pub timeout: Duration,
    /// Cap on the body bytes kept.
    pub max_bytes: u64,
    /// Allow hosts other than loopback.
    pub allow_remote: bool,
    /// Redaction format of the body.
    pub format: Format,
}

/// Fetch the URL.
pub fn collect(req: &HttpRequest<'_>, ctx: &Context) -> RawItem {
    let fail = |status: Status, detail: String| {
        let mut item = RawItem::empty(req.id, Kind::Http, req.url, status, detail);
        item.format = req.format;
        item
    };

    let target = match Target::parse(req.url) {
        Ok(target) => target,
        Err(detail) => return fail(Status::Failed, detail),
    };
    if !req.allow_remote && !is_loopback(&target.host) {
        return fail(
            Status::Skipped,
            format!("remote host `{}` needs allow_remote = true", target.host),
        );
    }

    // Without TLS compiled in, say so rather than let the transport fail obscurely.
    #[cfg(not(feature = "https"))]
    if target.uri.scheme_str() == Some("https") {
        return fail(
            Status::Skipped,
            "https support not built in (build with the `https` feature)".to_string(),
        );
    }

    let Some(timeout) = ctx.time_left(req.timeout) else {
        return fail(Status::Timeout, super::NOT_STARTED.to_string());
    };

    let response = match agent(timeout).get(&target.uri).call() {
        Ok(response) => response,
        Err(e) => {
            let (status, detail) = classify(e, timeout);
            return fail(status, detail);
        }
    };

    let code = response.status();
    let mut body = Vec::new();
    let reader = response.into_body().into_reader();
    // One byte past the cap tells a body of exactly the cap from a longer one.
    let read = reader
        .take(req.max_bytes.saturating_add(1))
        .read_to_end(&mut body);
    let truncated = body.len() as u64 > req.max_bytes;
    if truncated {
        body.truncate(usize::try_from(req.max_bytes).unwrap_or(usize::MAX));
    }

    let status_line = match code.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", code.as_u16()),
        None => format!("HTTP {}", code.as_u16()),
    };
    let mut notes = Vec::new();
    let mut status = if code.is_success() {
        Status::Ok
    } else {
        notes.push(if code.is_redirection() {
            format!("{status_line} (redirects are not followed)")
        } else {
            status_line
        });
        Status::Failed
    };
    if let Err(e) = read {
        let (read_status, detail) = classify(ureq::Error::from(e), timeout);
        // A body cut short by the timeout is a timeout even after an error status.
        if read_status == Status::Timeout || status == Status::Ok {
            status = if read_status == Status::Missing {
                Status::Failed
            } else {
                read_status
            };
        }
        notes.push(format!("reading the body: {detail}"));
    }
    if truncated {
        if status == Status::Ok {
            status = Status::Truncated;
        }
        notes.push(format!("body cut to {} bytes", req.max_bytes));
    }

    RawItem {
        status,
        detail: (!notes.is_empty()).then(|| notes.join("; ")),
        format: req.format,
        ..RawItem::collected(req.id, Kind::Http, req.url, format!("{}.txt", req.id), body)
    }
}

/// A parsed URL: the host (as written, IPv6 literals with brackets) and the URI actually
/// requested (user info removed).
#[derive(Debug)]
struct Target {
    host: String,
    uri: Uri,
}

impl Target {
    fn parse(url: &str) -> Result<Target, String> {
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|e| format!("invalid URL `{url}`: {e}"))?;
        let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "unsupported URL `{url}`: only http and https are fetched"
            ));
        }
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
        // Everything before the last `@` is user info, which is never sent.
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let host = if host_port.starts_with('[') {
            match host_port.find(']') {
                Some(end) => &host_port[..=end],
                None => host_port,
            }
        } else {
            host_port.split(':').next().unwrap_or_default()
        };
        if host.is_empty() {
            return Err(format!("invalid URL `{url}`: no host"));
        }
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let path = if path.is_empty() { "/" } else { path };
        let clean: Uri = format!("{scheme}://{host_port}{path}")
            .parse()
            .map_err(|e| format!("invalid URL `{url}`: {e}"))?;
        Ok(Target {
            host: host.to_string(),
            uri: clean,
        })
    }
}

/// The HTTP client every request of ours uses: no redirects followed (a redirect is reported,
/// never chased off loopback), no proxy from the environment, statuses as responses rather
/// than errors, one deadline for the whole exchange.
pub(crate) fn agent(timeout: Duration) -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(timeout))
        .user_agent(concat!("support-bundle/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
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

/// Map a transport error to a status and a one-line detail.
fn classify(e: ureq::Error, timeout: Duration) -> (Status, String) {
    let timed_out = || {
        (
            Status::Timeout,
            format!("timed out after {}", show_duration(timeout)),
        )
    };
    match e {
        ureq::Error::Timeout(_) => timed_out(),
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => (Status::Missing, "connection refused".to_string()),
            ErrorKind::TimedOut | ErrorKind::WouldBlock => timed_out(),
            _ => (Status::Failed, one_line(&io.to_string())),
        },
        other => (Status::Failed, one_line(&other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::thread::{self, JoinHandle};
    use std::time::Instant;

    fn ctx() -> Context {
        crate::collect::testing::context(&std::env::temp_dir())
    }

    fn get(url: &str, timeout: Duration, max_bytes: u64, allow_remote: bool) -> RawItem {
        let req = HttpRequest {
            id: "metrics",
            url,
            timeout,
            max_bytes,
            allow_remote,
            format: Format::Text,
        };
        collect(&req, &ctx())
    }

    fn fetch(url: &str) -> RawItem {
        get(url, Duration::from_secs(10), 1 << 20, false)
    }

    fn body(item: &RawItem) -> String {
        String::from_utf8_lossy(&item.entry.as_ref().expect("entry").data).into_owned()
    }

    fn read_head(stream: &mut TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        String::from_utf8_lossy(&head).into_owned()
    }

    /// Serve one connection on `listener` with `status` and `body`; yields the request head.
    fn serve(
        listener: TcpListener,
        status: &str,
        extra: &str,
        body: Vec<u8>,
    ) -> JoinHandle<String> {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
            body.len()
        );
        thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return String::new();
            };
            let request = read_head(&mut stream);
            // The client may hang up early (body over its cap): write errors are expected.
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            request
        })
    }

    fn listen(addr: &str) -> (TcpListener, SocketAddr) {
        let listener = TcpListener::bind(addr).expect("bind loopback");
        let local = listener.local_addr().expect("local addr");
        (listener, local)
    }

    #[test]
    fn ok_body_is_content() {
        let (listener, addr) = listen("127.0.0.1:0");
        let server = serve(listener, "200 OK", "", b"requests_total 42\n".to_vec());
        let url = format!("http://{addr}/metrics");
        let item = fetch(&url);
        assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
        assert!(item.detail.is_none());
        assert_eq!(body(&item), "requests_total 42\n");
        assert_eq!(item.source, url);
        assert_eq!(item.entry.as_ref().expect("entry").name, "metrics.txt");
        let request = server.join().expect("server");
        assert!(
            request.starts_with("GET /metrics HTTP/1.1\r\n"),
            "{request}"
        );
    }

    #[test]
    fn user_agent_set_and_credentials_never_sent() {
        let (listener, addr) = listen("127.0.0.1:0");
        let server = serve(listener, "200 OK", "", b"x".to_vec());
        let url = format!("http://admin:hunter2@{addr}/status?verbose=1");
        let item = fetch(&url);
        assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
        let request = server.join().expect("server");
        let lower = request.to_ascii_lowercase();
        assert!(
            request.starts_with("GET /status?verbose=1 HTTP/1.1\r\n"),
            "{request}"
        );
        let agent = format!(
            "user-agent: support-bundle/{}\r\n",
            env!("CARGO_PKG_VERSION")
        );
        assert!(lower.contains(&agent), "{request}");
        assert!(!lower.contains("authorization"), "{request}");
        assert!(!request.contains("hunter2"), "{request}");
        assert!(!request.contains("admin"), "{request}");
    }

    #[test]
    fn not_found_is_failed_with_body_kept() {
        let (listener, addr) = listen("127.0.0.1:0");
        let server = serve(listener, "404 Not Found", "", b"no such page".to_vec());
        let item = fetch(&format!("http://{addr}/missing"));
        assert_eq!(item.status, Status::Failed);
        assert_eq!(item.detail.as_deref(), Some("HTTP 404 Not Found"));
        assert_eq!(body(&item), "no such page");
        server.join().expect("server");
    }

    #[test]
    fn redirect_is_not_followed() {
        let (elsewhere, other) = listen("127.0.0.1:0");
        let (listener, addr) = listen("127.0.0.1:0");
        let location = format!("Location: http://{other}/\r\n");
        let server = serve(listener, "302 Found", &location, b"moved".to_vec());
        let item = fetch(&format!("http://{addr}/"));
        assert_eq!(item.status, Status::Failed);
        assert_eq!(
            item.detail.as_deref(),
            Some("HTTP 302 Found (redirects are not followed)")
        );
        assert_eq!(body(&item), "moved");
        server.join().expect("server");
        elsewhere.set_nonblocking(true).expect("nonblocking");
        let err = elsewhere
            .accept()
            .expect_err("redirect target must not be contacted");
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
    }

    #[test]
    fn connection_refused_is_missing() {
        let (listener, addr) = listen("127.0.0.1:0");
        drop(listener);
        let item = fetch(&format!("http://{addr}/metrics"));
        assert_eq!(item.status, Status::Missing);
        assert_eq!(item.detail.as_deref(), Some("connection refused"));
        assert!(item.entry.is_none());
        // `localhost` may resolve to both ::1 and 127.0.0.1: every address refusing is still
        // "refused", not a generic failure.
        let item = fetch(&format!("http://localhost:{}/metrics", addr.port()));
        assert_eq!(item.status, Status::Missing, "{:?}", item.detail);
        assert_eq!(item.detail.as_deref(), Some("connection refused"));
    }

    #[test]
    fn silent_server_times_out() {
        let (listener, addr) = listen("127.0.0.1:0");
        let holder = thread::spawn(move || {
            let accepted = listener.accept();
            thread::sleep(Duration::from_secs(4));
            drop(accepted);
        });
        let started = Instant::now();
        let item = get(
            &format!("http://{addr}/"),
            Duration::from_secs(1),
            1024,
            false,
        );
        let elapsed = started.elapsed();
        assert_eq!(item.status, Status::Timeout, "{:?}", item.detail);
        assert_eq!(item.detail.as_deref(), Some("timed out after 1s"));
        assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
        holder.join().expect("holder");
    }

    #[test]
    fn body_over_cap_is_truncated() {
        let (listener, addr) = listen("127.0.0.1:0");
        let payload: Vec<u8> = (0..4_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let expected = payload[..1000].to_vec();
        let server = serve(listener, "200 OK", "", payload);
        let item = get(
            &format!("http://{addr}/"),
            Duration::from_secs(10),
            1000,
            false,
        );
        assert_eq!(item.status, Status::Truncated);
        assert_eq!(item.detail.as_deref(), Some("body cut to 1000 bytes"));
        assert_eq!(item.entry.as_ref().expect("entry").data, expected);
        server.join().expect("server");
    }

    #[test]
    fn body_exactly_at_cap_is_ok() {
        let (listener, addr) = listen("127.0.0.1:0");
        let server = serve(listener, "200 OK", "", vec![b'z'; 64]);
        let item = get(
            &format!("http://{addr}/"),
            Duration::from_secs(10),
            64,
            false,
        );
        assert_eq!(item.status, Status::Ok);
        assert_eq!(body(&item).len(), 64);
        server.join().expect("server");
    }

    #[test]
    fn remote_host_is_skipped_without_connecting() {
        for url in [
            "http://192.0.2.1/metrics",
            "https://example.com/",
            "http://[2001:db8::1]:8080/",
            "http://127.1/",
            "http://localhost.example.org/",
        ] {
            let started = Instant::now();
            let item = get(url, Duration::from_secs(10), 1024, false);
            assert!(started.elapsed() < Duration::from_millis(100), "{url}");
            assert_eq!(item.status, Status::Skipped, "{url}");
            assert!(item.entry.is_none());
        }
        let item = fetch("http://192.0.2.1:9100/metrics");
        assert_eq!(
            item.detail.as_deref(),
            Some("remote host `192.0.2.1` needs allow_remote = true")
        );
    }

    #[cfg(not(feature = "https"))]
    #[test]
    fn https_without_tls_built_in_is_skipped_with_the_reason() {
        let item = get("https://127.0.0.1:1/", Duration::from_secs(10), 1024, false);
        assert_eq!(item.status, Status::Skipped);
        assert_eq!(
            item.detail.as_deref(),
            Some("https support not built in (build with the `https` feature)")
        );
    }

    #[test]
    fn allow_remote_attempts_the_request() {
        let item = get("http://192.0.2.1/", Duration::from_millis(300), 1024, true);
        assert_ne!(item.status, Status::Skipped);
        assert_ne!(item.status, Status::Ok);
    }

    #[test]
    fn loopback_names_are_accepted() {
        let (listener, addr) = listen("127.0.0.1:0");
        let server = serve(listener, "200 OK", "", b"via localhost".to_vec());
        let item = fetch(&format!("http://localhost:{}/", addr.port()));
        assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
        assert_eq!(body(&item), "via localhost");
        server.join().expect("server");

        let (listener, addr) = listen("127.0.0.2:0");
        let server = serve(listener, "200 OK", "", b"via 127.0.0.2".to_vec());
        let item = fetch(&format!("http://127.0.0.2:{}/", addr.port()));
        assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
        assert_eq!(body(&item), "via 127.0.0.2");
        server.join().expect("server");

        match TcpListener::bind("[::1]:0") {
            Ok(listener) => {
                let port = listener.local_addr().expect("addr").port();
                let server = serve(listener, "200 OK", "", b"via ::1".to_vec());
                let item = fetch(&format!("http://[::1]:{port}/"));
                assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
                assert_eq!(body(&item), "via ::1");
                server.join().expect("server");
            }
            Err(e) => eprintln!("skipping the [::1] fetch: no IPv6 loopback here ({e})"),
        }
    }

    #[test]
    fn loopback_check() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.255.0.9",
            "[::1]",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "128.0.0.1",
            "[::2]",
            "[::ffff:127.0.0.1]",
            "localhost.",
            "0.0.0.0",
            "[::]",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn bad_urls_fail_cleanly() {
        for url in [
            "ftp://127.0.0.1/x",
            "not a url",
            "",
            "/metrics",
            "http://",
            "http://@/",
            "file:///etc/passwd",
        ] {
            let item = fetch(url);
            assert_eq!(item.status, Status::Failed, "{url}: {:?}", item.detail);
            assert!(item.entry.is_none());
        }
    }

    #[test]
    fn deadline_passed_means_timeout_without_request() {
        let mut context = ctx();
        context.deadline = Instant::now();
        let req = HttpRequest {
            id: "late",
            url: "http://127.0.0.1:9/",
            timeout: Duration::from_secs(5),
            max_bytes: 10,
            allow_remote: false,
            format: Format::Json,
        };
        let item = collect(&req, &context);
        assert_eq!(item.status, Status::Timeout);
        assert_eq!(item.format, Format::Json);
    }
}
