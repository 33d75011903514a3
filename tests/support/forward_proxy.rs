//! A forward proxy on 127.0.0.1 for tests, as `HTTP_PROXY` and
//! `HTTPS_PROXY` name one: `CONNECT host:port` opens a tunnel to the target
//! (for `https://`); a request in absolute form (`POST http://host:port/`,
//! for `http://`) is relayed to its target on a fresh connection. Every
//! request line is recorded.

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::http_stub::{StubResponse, read_request, write_response};

/// The proxy; it lives as long as the test process.
pub struct Proxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// Starts it on a free port.
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        Proxy { addr, seen }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request lines it saw (`CONNECT 127.0.0.1:443`, `POST http://...`).
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn serve(client: TcpStream, log: &Mutex<Vec<String>>) {
    let Ok(mut writer) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(client);
    while let Some(request) = read_request(&mut reader) {
        log.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("{} {}", request.method, request.target));
        if request.method == "CONNECT" {
            let Ok(upstream) = TcpStream::connect(&request.target) else {
                let _ = write_response(&mut writer, &StubResponse::new(502, "no upstream"));
                return;
            };
            if writer
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .is_err()
            {
                return;
            }
            tunnel(reader, writer, upstream);
            return;
        }
        // Absolute form: relay to the target, origin form, one exchange.
        let Some(rest) = request.target.strip_prefix("http://") else {
            let _ = write_response(&mut writer, &StubResponse::new(400, "not a proxy request"));
            return;
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let Ok(mut upstream) = TcpStream::connect(authority) else {
            let _ = write_response(&mut writer, &StubResponse::new(502, "no upstream"));
            return;
        };
        let mut head = format!(
            "{} {} HTTP/1.1\r\n",
            request.method,
            if path.is_empty() { "/" } else { path }
        );
        for (name, value) in &request.headers {
            if name != "proxy-connection" {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        head.push_str("\r\n");
        if upstream.write_all(head.as_bytes()).is_err()
            || upstream.write_all(&request.body).is_err()
        {
            return;
        }
        let Ok(upstream_read) = upstream.try_clone() else {
            return;
        };
        // The upstream's answer, head and body, passed on as it is.
        let mut upstream_reader = BufReader::new(upstream_read);
        let Some(answer) = read_response(&mut upstream_reader) else {
            return;
        };
        if writer.write_all(&answer).is_err() {
            return;
        }
    }
}

/// One response (head and a `content-length` body), as bytes.
fn read_response(reader: &mut impl std::io::BufRead) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
        out.extend_from_slice(line.as_bytes());
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    out.extend_from_slice(&body);
    Some(out)
}

/// Copies both ways until either side closes.
fn tunnel(client_reader: BufReader<TcpStream>, mut client_writer: TcpStream, upstream: TcpStream) {
    let Ok(mut upstream_writer) = upstream.try_clone() else {
        return;
    };
    // Bytes the reader already buffered belong to the tunnel.
    let buffered = client_reader.buffer().to_vec();
    let mut client = client_reader.into_inner();
    if upstream_writer.write_all(&buffered).is_err() {
        return;
    }
    let mut upstream_reader = upstream;
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client, &mut upstream_writer);
        let _ = upstream_writer.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream_reader, &mut client_writer);
    let _ = client_writer.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}
