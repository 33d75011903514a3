//! One HTTP exchange: send a built request, read the whole response body
//! within a size limit, all within the attempt's time limit.

use std::time::Duration;

use bytes::Bytes;

use crate::error::TransportError;

/// Sends `request` and reads its status, headers and body; the body may
/// not exceed `max_response_bytes`, and the whole exchange must end within
/// `attempt_timeout` when one is set.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    max_response_bytes: usize,
    attempt_timeout: Option<Duration>,
) -> Result<(u16, http::HeaderMap, Bytes), TransportError> {
    let exchange = async {
        let response = request.send().await.map_err(TransportError::Http)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = read_limited(response, max_response_bytes).await?;
        Ok::<_, TransportError>((status, headers, body))
    };
    match attempt_timeout {
        Some(limit) => tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or(Err(TransportError::AttemptTimeout(limit))),
        None => exchange.await,
    }
}

async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, TransportError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(TransportError::BodyTooLarge { limit });
    }
    let mut out = bytes::BytesMut::with_capacity(response.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = response.chunk().await.map_err(TransportError::Http)? {
        if out.len() + chunk.len() > limit {
            return Err(TransportError::BodyTooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}
