//! Tag listing: `GET /v2/<name>/tags/list?n=<page>`, following the `Link`
//! header's `rel="next"` from page to page. ECR fails a page of more than
//! 1000, so no page asks for more.

use reqwest::StatusCode;
use reqwest::header::LINK;
use serde::Deserialize;

use super::error::{RegistryError, status_error};
use super::{RegistryClient, check_repository, pull_scope};

/// The largest page asked for (ECR refuses `n` over 1000).
pub const MAX_TAGS_PAGE: u32 = 1000;

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The target of a `Link: <url>; rel="next"` header.
fn next_link(value: &str) -> Option<&str> {
    value.split(',').find_map(|link| {
        let (target, params) = link.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then_some(target)
    })
}

impl RegistryClient {
    /// Every tag of `repository`, `page_size` a page (at most 1000, the
    /// default), in the registry's order.
    pub async fn list_tags(
        &self,
        repository: &str,
        page_size: Option<u32>,
    ) -> Result<Vec<String>, RegistryError> {
        check_repository("repository", repository)?;
        let n = match page_size {
            Some(0) => {
                return Err(RegistryError::invalid(
                    "page_size",
                    "0: a page holds at least 1 tag",
                ));
            }
            Some(n) => n.min(MAX_TAGS_PAGE),
            None => MAX_TAGS_PAGE,
        };
        let mut url = self.url(&format!("v2/{repository}/tags/list"))?;
        url.query_pairs_mut().append_pair("n", &n.to_string());
        let mut tags = Vec::new();
        let mut previous_last: Option<String> = None;
        // A registry that paginates without `Link` (some do) is followed by
        // `last=` while pages come back full; one that does not paginate
        // (the CNCF registry 2.8 sends every tag whatever `n`) answers a
        // longer page, or the same page again.
        for _ in 0..1_000_000 {
            let response = self
                .send("GET tags", &[pull_scope(repository)], |http| {
                    http.get(url.clone())
                })
                .await?;
            if response.status() != StatusCode::OK {
                return Err(status_error("GET tags", response).await);
            }
            let link = response
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link)
                .map(str::to_owned);
            let body = response
                .bytes()
                .await
                .map_err(|e| RegistryError::transport("GET tags", &url, e))?;
            let page: TagPage = serde_json::from_slice(&body)
                .map_err(|e| RegistryError::protocol("GET tags", format!("the tag list: {e}")))?;
            let page = page.tags.unwrap_or_default();
            // More than asked for: the registry does not paginate.
            let full = page.len() as u64 == u64::from(n);
            let last = page.last().cloned();
            if last.is_some() && last == previous_last {
                // The registry ignores `last` (it does not paginate): the
                // page it repeats is the whole list.
                return Ok(tags);
            }
            previous_last.clone_from(&last);
            tags.extend(page);
            url = match (link, last) {
                (Some(link), _) => self.endpoint().join(&link).map_err(|e| {
                    RegistryError::protocol("GET tags", format!("bad Link {link:?}: {e}"))
                })?,
                (None, Some(last)) if full => {
                    let mut next = self.url(&format!("v2/{repository}/tags/list"))?;
                    next.query_pairs_mut()
                        .append_pair("n", &n.to_string())
                        .append_pair("last", &last);
                    next
                }
                _ => return Ok(tags),
            };
        }
        Err(RegistryError::protocol(
            "GET tags",
            "the registry's pages do not end",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_give_the_next_page() {
        assert_eq!(
            next_link(r#"</v2/a/tags/list?n=2&last=b>; rel="next""#),
            Some("/v2/a/tags/list?n=2&last=b")
        );
        assert_eq!(
            next_link(r#"<https://x/prev>; rel="prev", <https://x/next>; rel=next"#),
            Some("https://x/next")
        );
        assert_eq!(next_link(r#"<https://x/prev>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
    }
}
