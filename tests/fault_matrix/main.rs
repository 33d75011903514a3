//! Reliability under injected faults, on both transports, for pushes and
//! pulls. A seeded schedule (`ecr_tests::fault_proxy::seeded_schedule`)
//! picks about half the requests and injects one fault class in turn.
//!
//! The ECR API (awsJson, the raw proxy `ecr_tests::fault_proxy` in front
//! of moto, or of the `GetDownloadUrlForLayer` stand-in):
//!
//! | class | shape |
//! |---|---|
//! | `cut_mid_body` | the request body cut half-way, the connection closed |
//! | `reset_before_response` | forwarded, closed without the answer |
//! | `http_500` | 500 `ServerException` |
//! | `http_503` | 503 text |
//! | `throttling` | 400 `ThrottlingException` |
//! | `stall` | nothing past the 1.5 s attempt timeout, then closed |
//! | `truncated_response` | forwarded, half the answer sent |
//! | `garbage_body` | 200, not JSON |
//! | `wrong_content_type` | 200, an HTML page |
//! | `wrong_shape` | 200, JSON of the wrong shape |
//!
//! The registry (the distribution protocol, the hyper proxy
//! `ecr_tests::registry_faults` in front of the ECR-rules proxy and the
//! CNCF registry, or of the read-only registry download URLs point at):
//!
//! | class | shape |
//! |---|---|
//! | `cut_mid_body` | a request body (`Content-Length` or chunked) cut, the connection closed; a response body cut half-way (GET) |
//! | `reset_before_response` | forwarded, closed without the answer |
//! | `http_500`, `http_503` | the OCI error body (`UNKNOWN`, `UNAVAILABLE`) |
//! | `throttling` | 429 `TOOMANYREQUESTS` |
//! | `stall` | the request read, then nothing for 1.8 s, then closed |
//! | `truncated_response` | forwarded, half the body sent (GET) |
//! | `garbage_body`, `wrong_shape` | forwarded, headers kept, the body replaced (GET) |
//! | `wrong_content_type` | a gateway's 200 HTML page (GET) |
//! | `corrupt_body` | forwarded, a byte of a blob flipped (GET blob) |
//! | `token_expired` | 401 for the token in force, partway through a push |
//! | `swallowed_answer` | a `PATCH` or `PUT` forwarded, its answer withheld for an hour (`swallowed.rs`; a stalled `PUT` too): given up on after the body's last byte |
//!
//! The body classes go to GETs only: a 200 made up for a HEAD, PATCH or
//! PUT the registry never saw is a lie no client can detect (a HEAD 200
//! says a blob is there), not a fault.
//!
//! Every push ends with the right digests in moto or the registry and
//! every pull with the right digests on disk, resuming from the typed error
//! where the client gives up. Each matrix prints a `fault matrix part:`
//! line; `scripts/test.sh` adds them up into `fault matrix: api I and
//! registry J faults injected, P pushes and Q pulls completed, L bytes lost`.

mod api;
mod harness;
mod pulls;
mod registry;
mod swallowed;
mod token;
