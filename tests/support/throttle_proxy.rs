//! A TCP proxy on 127.0.0.1 that forwards what the client sends at a
//! limited rate (answers pass at full speed), so that a push lasts long
//! enough to watch; it counts the bytes it forwarded upstream.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A running proxy.
pub struct ThrottleProxy {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    uploaded: Arc<AtomicU64>,
}

/// The moment the link is free again, shared by every connection: the
/// rate is the proxy's, not each connection's.
struct Link {
    free_at: Mutex<Instant>,
    bytes_per_sec: u64,
}

impl Link {
    /// Waits until `n` more bytes may pass.
    async fn pass(&self, n: usize) {
        let cost = Duration::from_secs_f64(n as f64 / self.bytes_per_sec as f64);
        let start = {
            let mut free_at = self.free_at.lock().await;
            let start = (*free_at).max(Instant::now());
            *free_at = start + cost;
            start
        };
        tokio::time::sleep_until(start + cost).await;
    }
}

impl ThrottleProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:port` or
    /// `127.0.0.1:port`) passing `bytes_per_sec` towards it.
    pub async fn start(upstream: &str, bytes_per_sec: u64) -> ThrottleProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let uploaded = Arc::new(AtomicU64::new(0));
        let link = Arc::new(Link {
            free_at: Mutex::new(Instant::now()),
            bytes_per_sec: bytes_per_sec.max(1),
        });
        let counter = uploaded.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, link, counter) = (upstream.clone(), link.clone(), counter.clone());
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        serve(client, server, link, counter).await;
                    }
                });
            }
        });
        ThrottleProxy { endpoint, uploaded }
    }

    /// Bytes forwarded to the upstream so far.
    pub fn uploaded(&self) -> u64 {
        self.uploaded.load(Ordering::SeqCst)
    }
}

async fn serve(client: TcpStream, server: TcpStream, link: Arc<Link>, counter: Arc<AtomicU64>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = async move {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            link.pass(n).await;
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            counter.fetch_add(n as u64, Ordering::SeqCst);
        }
        let _ = server_write.shutdown().await;
    };
    let down = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}
