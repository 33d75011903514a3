//! The transport: the HTTP client this crate builds ([`build_http_client`]:
//! roots, CA bundle, proxies, timeouts), one exchange of a signed request
//! and its response (`exchange`), and the warning about endpoints that send
//! signed requests in the clear.
//!
//! Over plain `http://` the `Authorization` signature, the session token
//! (`x-amz-security-token`) and the bodies travel unencrypted: anyone on the
//! path can read them and replay the request while the signature is valid
//! (up to 15 minutes). That is fine for a local test server (moto, a
//! LocalStack on loopback) and wrong anywhere else, so the client warns once
//! per such endpoint. See the AWS SigV4 guide on protecting signed requests:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html>.

mod exchange;
mod http_client;

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};

/// The URL type of the transport (reqwest's, from the `url` crate).
pub use reqwest::Url;

pub(crate) use exchange::exchange;
pub use http_client::{NO_ROOTS, build_http_client, http_client_builder};
pub(crate) use http_client::{default_http_client, trusts_nothing};

/// Whether requests to `url` would travel unencrypted to a host that is not
/// loopback: an `http://` URL whose host is neither a loopback address
/// (`127.0.0.0/8`, `::1`, `::ffff:127.0.0.0/104`) nor `localhost` or a name
/// under `.localhost` (RFC 6761).
pub fn is_insecure(url: &Url) -> bool {
    url.scheme().eq_ignore_ascii_case("http") && !url.host_str().is_some_and(is_loopback_host)
}

fn is_loopback_host(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => {
            let name = bare.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// Logs a `tracing` warning the first time requests go to an insecure
/// endpoint (see [`is_insecure`]): once per origin (scheme, host, port) for
/// the life of the process, whatever the number of clients and calls.
pub fn warn_if_insecure(url: &Url) {
    if !is_insecure(url) {
        return;
    }
    static WARNED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let origin = url.origin().ascii_serialization();
    let first = WARNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(origin.clone());
    if first {
        tracing::warn!(
            endpoint = %origin,
            "the endpoint {origin} is plain http:// and not loopback: signed requests, \
             the session token and the bodies travel unencrypted and can be read or replayed \
             on the network; use an https:// endpoint"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insecure(url: &str) -> bool {
        is_insecure(&Url::parse(url).expect(url))
    }

    #[test]
    fn plain_http_to_a_remote_host_is_insecure() {
        for url in [
            "http://10.1.2.3:5000/",
            "http://api.ecr.us-east-1.amazonaws.com/",
            "http://[2001:db8::1]/",
            "http://localhost.example.com/",
            "HTTP://192.0.2.1/",
        ] {
            assert!(insecure(url), "{url}");
        }
    }

    #[test]
    fn https_and_loopback_are_not() {
        for url in [
            "https://api.ecr.us-east-1.amazonaws.com/",
            "https://10.1.2.3/",
            "http://127.0.0.1:5000/",
            "http://127.9.9.9/",
            "http://[::1]:5000/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:4566/",
            "http://LOCALHOST./",
            "http://moto.localhost:5000/",
            "http://0x7f.1/",
        ] {
            assert!(!insecure(url), "{url}");
        }
    }
}
