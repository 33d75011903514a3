#![no_main]
//! SigV4 over user-supplied strings: `signing::sign_headers` with fuzzed
//! header values, target, URI pieces, region, service, keys and time must
//! return `Ok` or `Err`, never panic.

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use ecrkit::Credentials;
use ecrkit::signing::{SigningScope, sign_headers};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Uri<'a> {
    /// A whole URI as the caller wrote it.
    Raw(&'a str),
    /// An endpoint put together from pieces, as the client does.
    Pieces {
        https: bool,
        authority: Option<&'a str>,
        path: Vec<&'a str>,
        query: Option<&'a str>,
    },
}

impl Uri<'_> {
    fn build(&self) -> String {
        match self {
            Uri::Raw(s) => (*s).to_owned(),
            Uri::Pieces {
                https,
                authority,
                path,
                query,
            } => {
                let mut uri = String::new();
                if let Some(authority) = authority {
                    uri.push_str(if *https { "https://" } else { "http://" });
                    uri.push_str(authority);
                }
                for piece in path {
                    uri.push('/');
                    uri.push_str(piece);
                }
                if let Some(query) = query {
                    uri.push('?');
                    uri.push_str(query);
                }
                uri
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: Option<&'a str>,
    uri: Uri<'a>,
    /// The `host` header; the client always sends one.
    host: Option<&'a str>,
    target: &'a str,
    content_type: &'a str,
    extra_headers: Vec<(&'a str, &'a str)>,
    payload_sha256: Option<&'a str>,
    region: &'a str,
    service: &'a str,
    /// Seconds from the epoch (negative: before it).
    time: i64,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: Option<&'a str>,
}

/// The instants the `time` crate (under aws-sigv4) can represent: years
/// -9999..=9999.
fn in_representable_range(secs: i64) -> bool {
    (-377_705_203_200..=253_402_300_799).contains(&secs)
}

fuzz_target!(|input: Input<'_>| {
    let time = if input.time >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(input.time.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(input.time.unsigned_abs()))
    };
    let Some(time) = time else { return };
    let uri = input.uri.build();
    if !ecr_fuzz::include_known_bugs() {
        // Reported: a time past year 9999 panics in `time` through aws-sigv4
        // (tests/hostile.rs, sign_headers_with_a_time_after_year_9999_*).
        if !in_representable_range(input.time) {
            return;
        }
        // Reported: a URI without an authority and no `host` header panics in
        // aws-sigv4 (`insert_host_header`), and one with an authority but no
        // scheme (`am`, `h:443`) panics in aws-smithy-http's `QueryWriter`
        // (tests/hostile.rs, sign_headers_with_a_relative_uri_*).
        let has_host = input.host.is_some()
            || input
                .extra_headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("host"));
        if let Ok(parsed) = uri.parse::<ecrkit::http::Uri>() {
            let authority = parsed.authority().is_some();
            if (!authority && !has_host) || (authority && parsed.scheme().is_none()) {
                return;
            }
        }
    }
    let mut headers = vec![
        ("content-type", input.content_type),
        ("x-amz-target", input.target),
    ];
    if let Some(host) = input.host {
        headers.push(("host", host));
    }
    headers.extend(input.extra_headers.iter().copied());
    let credentials = Credentials::new(
        input.access_key_id,
        input.secret_access_key,
        input.session_token.map(str::to_owned),
        None,
        "fuzz",
    );
    let scope = SigningScope {
        region: input.region,
        service: input.service,
        time,
    };
    let payload = input
        .payload_sha256
        .unwrap_or("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    if let Ok(signed) = sign_headers(
        input.method.unwrap_or("POST"),
        &uri,
        &headers,
        payload,
        &credentials,
        scope,
    ) {
        // Reported: a region, service or access key id holding characters a
        // header cannot carry is signed into an unsendable `authorization`
        // (tests/hostile.rs, a_region_with_a_newline_*).
        let unsendable_scope = [input.region, input.service, input.access_key_id]
            .iter()
            .any(|s| ecrkit::http::HeaderValue::from_str(s).is_err());
        if unsendable_scope && !ecr_fuzz::include_known_bugs() {
            return;
        }
        // What is signed must be sendable: every value a valid header value.
        for (name, value) in signed {
            assert!(
                ecrkit::http::HeaderValue::from_str(&value).is_ok(),
                "{name}: {value:?} is not a valid header value"
            );
        }
    }
});
