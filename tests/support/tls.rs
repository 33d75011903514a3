//! TLS for tests: a certificate authority generated per test (rcgen), and a
//! loopback HTTPS server (tokio-rustls, on a runtime of its own) whose
//! certificate that CA signed, answering every request with a fixed JSON
//! body and recording the request targets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA of one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM: what a CA bundle file holds.
    pub pem: String,
}

/// A server certificate and its key.
pub struct ServerCert {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl TestCa {
    /// A fresh CA.
    pub fn new() -> TestCa {
        let key = KeyPair::generate().expect("a CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "ecrkit test CA");
        let cert = params.self_signed(&key).expect("a self-signed CA");
        TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for these names (`127.0.0.1` becomes an IP
    /// address SAN, anything else a DNS name).
    pub fn server_cert(&self, names: &[&str]) -> ServerCert {
        self.sign(names, None)
    }

    /// A server certificate for these names that expired at the start of
    /// 2021 (valid through 2020).
    pub fn expired_server_cert(&self, names: &[&str]) -> ServerCert {
        self.sign(names, Some((2020, 2021)))
    }

    fn sign(
        &self,
        names: &[&str],
        // From the start of the first year to the start of the second.
        validity: Option<(i32, i32)>,
    ) -> ServerCert {
        let key = KeyPair::generate().expect("a server key");
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("server params");
        if let Some((from, until)) = validity {
            params.not_before = rcgen::date_time_ymd(from, 1, 1);
            params.not_after = rcgen::date_time_ymd(until, 1, 1);
        }
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("a signed server certificate");
        ServerCert {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

/// An HTTPS server on 127.0.0.1; stops with the test process.
pub struct TlsServer {
    addr: SocketAddr,
    targets: Arc<Mutex<Vec<String>>>,
    handshakes_failed: Arc<Mutex<usize>>,
}

impl TlsServer {
    /// Serves `body` (JSON, status 200) to every request, with `cert`.
    pub fn start(cert: ServerCert, body: &'static str) -> TlsServer {
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(cert.chain, cert.key)
            .expect("a server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("local addr");
        let targets = Arc::new(Mutex::new(Vec::new()));
        let handshakes_failed = Arc::new(Mutex::new(0));
        let (seen, failed) = (targets.clone(), handshakes_failed.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the TLS server");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let (acceptor, seen, failed) = (acceptor.clone(), seen.clone(), failed.clone());
                    tokio::spawn(async move {
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            *failed.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                            return;
                        };
                        serve(&mut tls, body, &seen).await;
                    });
                }
            });
        });
        TlsServer {
            addr,
            targets,
            handshakes_failed,
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The targets of the requests it answered.
    pub fn targets(&self) -> Vec<String> {
        self.targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Handshakes that failed (the client refused the certificate).
    pub fn handshakes_failed(&self) -> usize {
        *self
            .handshakes_failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// Answers requests on one connection until it closes.
async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
    body: &str,
    seen: &Mutex<Vec<String>>,
) {
    let mut buf = Vec::new();
    loop {
        // The head, then as much body as it announces.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + length);
        let target = head
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        seen.lock().unwrap_or_else(|e| e.into_inner()).push(target);
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\n\
             x-amzn-requestid: tls-test\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}
