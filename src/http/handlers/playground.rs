//! `/_pixgate/playground` (off unless `[playground] enabled`): the page that builds, signs and
//! previews URLs in a browser, and the two JSON answers it reads (`sources`, `images`). Off,
//! every one of them is the 404 of an unknown API path, whatever the method.

use base64::Engine as _;
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::api::field;
use super::guarded;
use crate::app::playground::{self, Listing};
use crate::app::{AppState, Error, RequestError};
use crate::http::body::{Body, Request, Response};
use crate::http::respond::json_response;

/// The page: HTML, its one `<style>` and its one `<script>`.
const PAGE: &str = include_str!("../../../assets/playground.html");

/// What the playground answers at one of its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Page,
    Sources,
    Images,
}

pub async fn serve(app: &AppState, request_id: &str, part: Part, request: Request) -> Response {
    // Only the head is read: the body (not `Sync`) stays out of the future.
    let (head, _) = request.into_parts();
    let answered = async {
        if !app.config.playground.enabled {
            return Err(RequestError::UnknownApi.into());
        }
        if !matches!(head.method, Method::GET | Method::HEAD) {
            return Err(RequestError::MethodNotAllowed { allow: "GET, HEAD" }.into());
        }
        let mut response = match part {
            Part::Page => page(),
            Part::Sources => sources(app),
            Part::Images => images(app, head.uri.query().unwrap_or("")).await?,
        };
        // Listings change with the folder, and the page is a tool, not a document to keep.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(response)
    };
    guarded(request_id, answered).await
}

fn page() -> Response {
    let mut response = Response::new(Body::full(PAGE));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(PAGE)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Nothing but this server: the page's own inline style and script by hash (so no other
/// inline code runs), images from here and the object URLs the page makes of them, requests
/// to here only; no frames, forms, plugins or `<base>`.
fn content_security_policy(page: &str) -> String {
    let script = hash_of(inline(page, "script"));
    let style = hash_of(inline(page, "style"));
    format!(
        "default-src 'none'; script-src '{script}'; style-src '{style}'; \
         img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
}

/// The text between the page's `<tag>` and `</tag>`, as the browser hashes it.
fn inline<'a>(page: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    page.split_once(&open)
        .and_then(|(_, rest)| rest.split_once(&close))
        .map_or("", |(inside, _)| inside)
}

fn hash_of(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn sources(app: &AppState) -> Response {
    let sources: Vec<Value> = playground::sources(app)
        .into_iter()
        .map(|s| {
            json!({
                "name": s.name,
                "kind": s.kind,
                "prefix": s.prefix,
                "hosts": s.hosts,
                "signable": s.signable,
                "secure": s.secure,
            })
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "sources": sources }))
}

async fn images(app: &AppState, query: &str) -> Result<Response, Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| field("source", "the query must be `source=NAME`"))?;
    let name = pairs
        .iter()
        .find(|(k, _)| k == "source")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| field("source", "is required: `?source=NAME`"))?;
    let (images, note) = match playground::images(app, name).await? {
        Listing::Images(keys) => {
            let keys: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
            (json!(keys), Value::Null)
        }
        Listing::NotListed { note } => (json!([]), json!(note)),
    };
    let body = json!({ "source": name, "images": images, "note": note });
    Ok(json_response(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_hashes_the_page_s_own_script_and_style() {
        let page = "<style>a{}</style><p>x</p><script>go()</script>";
        let policy = content_security_policy(page);
        assert!(policy.contains(&format!("script-src '{}'", hash_of("go()"))));
        assert!(policy.contains(&format!("style-src '{}'", hash_of("a{}"))));
        assert!(!policy.contains("unsafe"), "{policy}");
        // The shipped page has exactly one of each, or the policy would block the others.
        for tag in ["script", "style"] {
            assert_eq!(PAGE.matches(&format!("<{tag}")).count(), 1, "{tag}");
            assert!(!inline(PAGE, tag).is_empty(), "{tag}");
        }
    }
}
