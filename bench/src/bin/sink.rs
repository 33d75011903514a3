//! A loopback ECR sink for benchmarks: reads every request body to the last
//! byte and answers the layer-upload calls and DescribeRepositories with
//! minimal valid responses. Cheap on purpose: it finds `partLastByte` by
//! looking at the ends of the body only (base64 text holds no quotes).
//!
//! `sink [PORT] [PART_SIZE]` prints `listening on 127.0.0.1:PORT`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn find_number(hay: &[u8], key: &[u8]) -> Option<i64> {
    let at = hay.windows(key.len()).position(|w| w == key)? + key.len();
    let digits: Vec<u8> = hay[at..]
        .iter()
        .copied()
        .skip_while(|c| *c == b' ')
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn find_string<'a>(hay: &'a [u8], key: &[u8]) -> Option<&'a str> {
    let at = hay.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = &hay[at..];
    let start = rest.iter().position(|c| *c == b'"')? + 1;
    let end = start + rest[start..].iter().position(|c| *c == b'"')?;
    std::str::from_utf8(&rest[start..end]).ok()
}

fn ends(body: &[u8]) -> Vec<u8> {
    if body.len() <= 1024 {
        return body.to_vec();
    }
    let mut v = body[..512].to_vec();
    v.extend_from_slice(&body[body.len() - 512..]);
    v
}

async fn serve(mut sock: TcpStream, part_size: u64) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut head = Vec::with_capacity(4096);
    let mut body = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        head.clear();
        // Read the head.
        let end = loop {
            if let Some(p) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let n = sock.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            head.extend_from_slice(&buf[..n]);
        };
        let text = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
        let len: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let target = text
            .lines()
            .find_map(|l| l.strip_prefix("x-amz-target:"))
            .map(|v| v.trim().rsplit('.').next().unwrap_or("").to_owned())
            .unwrap_or_default();
        body.clear();
        body.extend_from_slice(&head[end + 4..]);
        while body.len() < len {
            let n = sock.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            body.extend_from_slice(&buf[..n]);
        }
        let tail = ends(&body);
        let reply = match target.as_str() {
            "initiatelayerupload" => {
                format!(r#"{{"uploadId":"0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f","partSize":{part_size}}}"#)
            }
            "uploadlayerpart" => {
                let last = find_number(&tail, b"\"partLastByte\":").unwrap_or(0);
                format!(r#"{{"uploadId":"0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f","lastByteReceived":{last},"repositoryName":"bench","registryId":"123456789012"}}"#)
            }
            "completelayerupload" => {
                let digest = find_string(&tail, b"\"layerDigests\":").unwrap_or("sha256:0");
                format!(r#"{{"layerDigest":"{digest}","uploadId":"0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f","repositoryName":"bench","registryId":"123456789012"}}"#)
            }
            "batchchecklayeravailability" => r#"{"layers":[],"failures":[]}"#.to_owned(),
            "describerepositories" => r#"{"repositories":[{"repositoryName":"bench","registryId":"123456789012","repositoryArn":"arn:aws:ecr:us-east-1:123456789012:repository/bench","repositoryUri":"123456789012.dkr.ecr.us-east-1.amazonaws.com/bench","createdAt":1700000000.0,"imageTagMutability":"MUTABLE"}]}"#.to_owned(),
            _ => r#"{}"#.to_owned(),
        };
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: bench\r\nContent-Length: {}\r\n\r\n{reply}",
            reply.len()
        );
        sock.write_all(resp.as_bytes()).await?;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let part_size: u64 = args.next().and_then(|p| p.parse().ok()).unwrap_or(10 << 20);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (sock, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = serve(sock, part_size).await;
        });
    }
}
