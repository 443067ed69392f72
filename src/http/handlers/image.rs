//! GET/HEAD of a storage path, one line per pipeline stage: route (done by the caller) →
//! parse the query → verify → canonicalize → cache → source → render (the pipeline's read) →
//! respond.

use http::request::Parts;
use http::{HeaderMap, Method, StatusCode, header};

use super::Located;
use crate::app::{AppState, Error, Output, RequestError, Scope, Site, Target, presets};
use crate::http::body::Response;
use crate::http::respond::{self, Delivery};
use crate::render::RenderError;
use crate::signature;
use crate::source::{SourceError, StorageKey};
use crate::transform::{self, Hinted, Negotiated, Params};

/// Set on an answer that carries the stored bytes as they are, so the edge times it as
/// `route="passthrough"` rather than as a transform.
#[derive(Debug, Clone, Copy)]
pub struct Passthrough;

/// How long a fallback answer may be cached: the original it stands in for may appear.
const FALLBACK_MAX_AGE: u64 = 60;

/// GET or HEAD of a storage path: a passthrough of the stored bytes or a rendered derivative.
pub async fn serve(app: &AppState, located: Located, request: &Parts) -> Result<Response, Error> {
    let (uri, headers) = (&request.uri, &request.headers);
    let pairs = decode_query(uri.query())?;
    let (site, key) = (located.site(app), located.key);
    let target = Target {
        raw_path: uri.path(),
        raw_query: uri.query(),
    };
    let now = app.now();
    let access = app
        .pipeline
        .verify(site, target, signature::Method::Get, &key, now)?;
    let key = key?;
    let (pairs, own) = presets::expand(pairs, &app.config.presets)?;
    if site.config.presets_only && !access.signed {
        presets::check_presets_only(own.as_ref().unwrap_or(&pairs))?;
    }
    let mut params = transform::parse(&pairs)?;
    site.brand(&mut params, access.signed)?;
    if params.client_hints.any() {
        let max_width = app.config.limits.max_output_dimension;
        params.apply_hints(hinted(headers), max_width);
    }
    // Signed URLs are the site's own: any size. Unsigned ones get one of a few.
    let bounded = !site.config.widths.is_empty() && !access.signed && !params.is_passthrough();
    if bounded {
        presets::bound_sizes(&mut params, &site.config.widths)?;
    }
    let negotiated = negotiate(&params, headers);
    let delivery = Delivery {
        max_age: site.max_age(access.expires_at, now),
        vary_accept: params.auto_format && params.transform.format.is_none(),
        avif_negotiated: negotiated == Some(Negotiated::Avif),
        client_hints: params.client_hints,
        download_name: params.download_name.clone(),
        head: request.method == Method::HEAD,
        rendered_as: bounded.then(|| rendered_as(uri.path(), &params)),
    };
    let scope = Scope {
        sites: &app.sites,
        now,
    };
    let output = match app
        .pipeline
        .read(scope, site, &key, &params, negotiated)
        .await
    {
        Ok(output) => output,
        Err(e) if replaceable(&e) => {
            // The source's stand-in, transformed alike; if it fails too, the original's error.
            let Some(fallback) = fallback_key(site, &key) else {
                return Err(e);
            };
            let read = app
                .pipeline
                .read(scope, site, &fallback, &params, negotiated);
            return match read.await {
                Ok(output) => {
                    fallback_response(output, site.config.fallback_status, delivery).await
                }
                Err(_) => Err(e),
            };
        }
        Err(e) => return Err(e),
    };
    let mut response = respond::read(output, headers, &delivery)
        .await
        .map_err(|e| Error::from(RequestError::Internal(format!("streaming: {e}"))))?;
    if params.is_passthrough() {
        response.extensions_mut().insert(Passthrough);
    }
    Ok(response)
}

/// A fallback answers for a missing or undecodable original, never for a refusal (a bad
/// signature, a bad parameter).
fn replaceable(e: &Error) -> bool {
    matches!(
        e,
        Error::Source(SourceError::NotFound)
            | Error::Render(RenderError::NotAnImage | RenderError::Corrupt(_))
    )
}

/// The source's fallback key, unless it is the key that failed.
fn fallback_key(site: &Site, key: &StorageKey) -> Option<StorageKey> {
    let fallback = StorageKey::from_decoded(site.config.fallback.as_deref()?).ok()?;
    (fallback != *key).then_some(fallback)
}

/// The fallback's answer: the source's `fallback_status` and a short `max-age` (the original
/// may yet appear). Conditionals and ranges are about the original's URL, not this
/// stand-in, so it is answered whole.
async fn fallback_response(
    output: Output,
    status: u16,
    delivery: Delivery,
) -> Result<Response, Error> {
    let delivery = Delivery {
        max_age: delivery.max_age.min(FALLBACK_MAX_AGE),
        rendered_as: None,
        ..delivery
    };
    let mut response = respond::read(output, &HeaderMap::new(), &delivery)
        .await
        .map_err(|e| RequestError::Internal(format!("streaming: {e}")))?;
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
    Ok(response)
}

/// The URL of what a bounded request rendered: its path and the canonical transform (with
/// `auto=format` when the format was negotiated), one URL per allowed size.
fn rendered_as(path: &str, params: &Params) -> String {
    let mut query = params.transform.canonical();
    if params.auto_format {
        query.push_str(if query.is_empty() {
            "auto=format"
        } else {
            "&auto=format"
        });
    }
    format!("{path}?{query}")
}

/// The query's pairs, decoded. Control characters and invalid UTF-8 anywhere in it are
/// refused before any stage looks at it.
fn decode_query(raw: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    // Decoding the whole string at once finds invalid UTF-8 in any pair, since pairs are cut
    // at ASCII `&` and `=` that cannot sit inside a multi-byte character.
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| RequestError::BadQuery)?;
    if decoded.chars().any(char::is_control) {
        return Err(RequestError::BadQuery.into());
    }
    serde_urlencoded::from_str(raw).map_err(|_| RequestError::BadQuery.into())
}

/// The client hint headers, each under its current (`Sec-CH-`) or legacy name. A value that
/// cannot be read counts as absent: a browser's header never turns an image into an error.
fn hinted(headers: &HeaderMap) -> Hinted {
    let text = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()))
            .map(str::trim)
    };
    Hinted {
        width: text(["sec-ch-width", "width"])
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|w| w.is_finite() && *w >= 1.0)
            .map(|w| w.ceil().min(f64::from(u32::MAX)) as u32),
        dpr: text(["sec-ch-dpr", "dpr"])
            .and_then(|v| v.parse::<f32>().ok())
            .filter(|d| d.is_finite() && *d > 0.0),
        save_data: headers
            .get("save-data")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("on")),
    }
}

/// `auto=format` without an explicit `fm`: what `Accept` names with a non-zero weight, AVIF
/// first. `Neither` changes only an animation, so it is dropped where one frame was asked for
/// (a still then keeps the source's format, as without `auto=format`, in the same cache entry).
fn negotiate(params: &Params, headers: &HeaderMap) -> Option<Negotiated> {
    if !params.auto_format || params.transform.format.is_some() {
        return None;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let chosen = if accepts(accept, "image/avif") {
        Negotiated::Avif
    } else if accepts(accept, "image/webp") {
        Negotiated::Webp
    } else {
        Negotiated::Neither
    };
    let still = params.transform.animation.is_single_frame();
    Some(chosen).filter(|n| !(still && *n == Negotiated::Neither))
}

/// Whether `accept` lists `mime` with a weight above zero (RFC 9110 §12.5.1: media types and
/// parameter names are case-insensitive, `q` defaults to 1).
fn accepts(accept: &str, mime: &str) -> bool {
    accept.split(',').any(|item| {
        let mut parts = item.split(';');
        let named = parts
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(mime));
        let weight = parts
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, q)| q.trim().parse::<f32>().unwrap_or(0.0));
        named && weight > 0.0
    })
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn accept_weights_and_case_follow_rfc_9110() {
        let cases = [
            ("image/avif,image/webp", true),
            ("IMAGE/AVIF", true),
            ("image/avif;q=0.5", true),
            ("image/avif ; Q=0.001", true),
            ("image/avif;q=0", false),
            ("image/avif;q=0.0, image/webp", false),
            ("image/avif; Q=0.000", false),
            ("image/avif;q=x", false),
            ("image/*", false),
            ("*/*", false),
            ("image/avifx", false),
        ];
        for (accept, want) in cases {
            assert_eq!(accepts(accept, "image/avif"), want, "{accept}");
        }
    }
}
