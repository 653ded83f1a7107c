//! HTTP servers that fight back, each a real loopback server on its own thread: silent,
//! trickling, endless, redirecting away or to itself. Every run ends within its bounds.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::{Output, Test};

/// A loopback server answering every connection with `respond` (on its own thread), which
/// records each request head.
struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(respond: fn(&mut TcpStream, u16)) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || {
                    let head = read_head(&mut stream);
                    seen.lock().unwrap().push(head);
                    respond(&mut stream, port);
                });
            }
        });
        Server { port, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/status", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn read_head(stream: &mut TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// `collect` of one `http` item at `url` with `extra` settings.
fn collect(url: &str, extra: &str) -> Output {
    Test::new()
        .spec(&format!(
            "schema = 1\n\n[project]\nname = \"web\"\n\n[[collect]]\nid = \"api\"\n\
             kind = \"http\"\nurl = \"{url}\"\n{extra}\n"
        ))
        .args(["collect", "--spec", "[TMP]/spec.toml", "--out", "[TMP]/out"])
        .run()
}

fn detail(out: &Output) -> String {
    out.bundle().item("api")["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn within(out: &Output, limit: u64) {
    expect!(
        out,
        out.elapsed < Duration::from_secs(limit),
        "took {:?}",
        out.elapsed
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = Server::start(|_, _| std::thread::sleep(Duration::from_secs(60)));
    let out = collect(&server.url(), "timeout = \"1s\"");
    out.success();
    within(&out, 10);
    assert_eq!(out.bundle().status("api"), "timeout", "{}", detail(&out));
}

#[test]
fn a_server_trickling_one_byte_a_second_times_out() {
    let server = Server::start(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        for _ in 0..100 {
            if s.write_all(b"x").and_then(|()| s.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let out = collect(&server.url(), "timeout = \"2s\"");
    out.success();
    within(&out, 10);
    assert_eq!(out.bundle().status("api"), "timeout", "{}", detail(&out));
}

#[test]
fn an_endless_body_is_capped() {
    let server = Server::start(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        let chunk = [b'y'; 8192];
        // Until the client hangs up.
        while s.write_all(&chunk).is_ok() {}
    });
    let out = collect(&server.url(), "timeout = \"30s\"\nmax_bytes = 65536");
    out.success();
    within(&out, 10);
    let b = out.bundle();
    assert_eq!(b.status("api"), "truncated", "{}", detail(&out));
    assert_eq!(b.text("http/api.txt").len(), 65536);
}

#[test]
fn a_redirect_to_a_remote_host_is_not_followed() {
    let server = Server::start(|s, _| {
        let _ = s.write_all(
            b"HTTP/1.1 302 Found\r\nLocation: http://192.0.2.1/steal\r\nContent-Length: 0\r\n\r\n",
        );
    });
    let out = collect(&server.url(), "timeout = \"5s\"");
    out.success();
    within(&out, 10);
    assert_eq!(out.bundle().status("api"), "failed");
    assert!(
        detail(&out).contains("redirects are not followed"),
        "{}",
        detail(&out)
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_redirect_to_itself_is_not_followed_forever() {
    let server = Server::start(|s, port| {
        let reply = format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:{port}/status\r\n\
             Content-Length: 0\r\n\r\n"
        );
        let _ = s.write_all(reply.as_bytes());
    });
    let out = collect(&server.url(), "timeout = \"5s\"");
    out.success();
    within(&out, 10);
    assert_eq!(out.bundle().status("api"), "failed", "{}", detail(&out));
    assert_eq!(server.requests(), 1, "the redirect was followed");
}
