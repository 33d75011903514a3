//! A loopback stand-in in front of moto for the one ECR call moto lacks,
//! `GetDownloadUrlForLayer`: it answers with a URL on a real server (the
//! registry's blob URL, served without credentials, as a pre-signed S3 URL
//! is), and forwards every other call to moto unchanged.

use std::sync::Mutex;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use crate::proxy::{Dropped, Handler, HandlerFuture, Upstream, plain};

/// The stand-in's handler.
pub struct DownloadUrlStandIn {
    /// Where download URLs point: `http://127.0.0.1:<port>` of a server that
    /// serves `/v2/<repository>/blobs/<digest>` without credentials.
    pub download_base: String,
    /// The digests asked for, in order.
    pub asked: Mutex<Vec<String>>,
}

impl DownloadUrlStandIn {
    /// A stand-in pointing download URLs at `download_base`.
    pub fn new(download_base: &str) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            download_base: download_base.trim_end_matches('/').to_owned(),
            asked: Mutex::new(Vec::new()),
        })
    }
}

impl Handler for DownloadUrlStandIn {
    fn handle<'a>(
        &'a self,
        request: Request<Incoming>,
        upstream: &'a Upstream,
    ) -> HandlerFuture<'a> {
        Box::pin(async move {
            let target = request
                .headers()
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !target.ends_with(".GetDownloadUrlForLayer") {
                return upstream.pass(request).await;
            }
            let body = request
                .into_body()
                .collect()
                .await
                .map_err(|_| Dropped("request body"))?
                .to_bytes();
            let call: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let repository = call["repositoryName"].as_str().unwrap_or_default();
            let digest = call["layerDigest"].as_str().unwrap_or_default();
            self.asked.lock().unwrap().push(digest.to_owned());
            // A query like a pre-signed URL's, which the client must keep
            // and must not show in errors.
            let url = format!(
                "{}/v2/{repository}/blobs/{digest}?X-Amz-Signature=stand-in&X-Amz-Expires=3600",
                self.download_base
            );
            let answer = serde_json::json!({"downloadUrl": url, "layerDigest": digest}).to_string();
            let mut response = plain(StatusCode::OK, &answer);
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                "application/x-amz-json-1.1".parse().unwrap(),
            );
            response
                .headers_mut()
                .insert("x-amzn-requestid", "stand-in".parse().unwrap());
            Ok(response)
        })
    }
}
