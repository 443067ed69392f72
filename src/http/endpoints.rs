//! The one table of what pixgate answers. Every request is one [`Endpoint`], found from its
//! path once, at the edge; the same value picks the handler and the kind of request that the
//! metrics and the access log count it as. Storage paths (everything outside `/_pixgate/`) are
//! one endpoint: which source serves them is the routing stage's business.

use http::Method;

use super::body::{Request, Response};
use super::handlers::playground::{self, Part};
use super::handlers::{self, api, files, signatures};
use super::respond::error_response;
use crate::app::metrics::RequestKind;
use crate::app::{AppState, RequestError};

/// pixgate's own API. No source may claim it: the config refuses such prefixes.
const API: &str = "/_pixgate/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/_pixgate/health`: liveness.
    Health,
    /// `/_pixgate/ready`: every source can be read.
    Ready,
    /// `/_pixgate/metrics`: Prometheus text.
    Metrics,
    /// `/_pixgate/signatures`: signed URLs for holders of a source's key.
    Signatures,
    /// `/_pixgate/files/{id}`: a File object.
    File,
    /// `/_pixgate/openapi.json`: the OpenAPI document of everything in this table.
    OpenApi,
    /// `/_pixgate/playground` and its `sources` and `images`: 404 unless enabled.
    Playground(Part),
    /// Any other path under `/_pixgate/`: always 404.
    UnknownApi,
    /// Any path outside `/_pixgate/`: GET/HEAD read (transform or passthrough), PUT uploads.
    Storage,
}

impl Endpoint {
    /// The endpoint a raw request path names.
    pub fn of(path: &str) -> Endpoint {
        let Some(api) = path.strip_prefix(API) else {
            return Endpoint::Storage;
        };
        match api {
            "health" => Endpoint::Health,
            "ready" => Endpoint::Ready,
            "metrics" => Endpoint::Metrics,
            "signatures" => Endpoint::Signatures,
            "openapi.json" => Endpoint::OpenApi,
            _ if file_id(api).is_some() => Endpoint::File,
            "playground" => Endpoint::Playground(Part::Page),
            "playground/sources" => Endpoint::Playground(Part::Sources),
            "playground/images" => Endpoint::Playground(Part::Images),
            _ => Endpoint::UnknownApi,
        }
    }

    /// The methods the endpoint answers and the `Allow` header that lists them; `None` where
    /// the handler judges the method itself (storage paths) or answers any (unknown paths).
    fn methods(self) -> Option<(&'static [Method], &'static str)> {
        const READ: &[Method] = &[Method::GET, Method::HEAD];
        match self {
            Endpoint::Health
            | Endpoint::Ready
            | Endpoint::Metrics
            | Endpoint::File
            | Endpoint::OpenApi => Some((READ, "GET, HEAD")),
            Endpoint::Signatures => Some((&[Method::POST], "POST")),
            // Judged by the handler: off, the playground is unknown whatever the method.
            Endpoint::Playground(_) => None,
            Endpoint::UnknownApi | Endpoint::Storage => None,
        }
    }

    /// What the request counts as in the metrics (the `route` label).
    pub fn kind(self, method: &Method) -> RequestKind {
        match self {
            Endpoint::Health => RequestKind::Health,
            Endpoint::Ready => RequestKind::Ready,
            Endpoint::Metrics => RequestKind::Metrics,
            Endpoint::Signatures | Endpoint::File | Endpoint::OpenApi => RequestKind::Api,
            Endpoint::Playground(_) => RequestKind::Api,
            Endpoint::UnknownApi => RequestKind::Other,
            Endpoint::Storage => match *method {
                Method::GET | Method::HEAD => RequestKind::Image,
                Method::PUT => RequestKind::Upload,
                _ => RequestKind::Other,
            },
        }
    }
}

/// The raw id segment of `files/{id}` (one non-empty segment).
fn file_id(api_path: &str) -> Option<&str> {
    api_path
        .strip_prefix("files/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

/// Calls the endpoint's handler, once the method is one it answers. Returns, beside the
/// answer, the index of the site a storage path was routed to, for the access log.
pub async fn serve(
    app: &AppState,
    endpoint: Endpoint,
    request_id: &str,
    request: Request,
) -> (Response, Option<usize>) {
    if let Some((methods, allow)) = endpoint.methods()
        && !methods.contains(request.method())
    {
        let refusal = RequestError::MethodNotAllowed { allow };
        return (error_response(refusal.into(), request_id), None);
    }
    let response = match endpoint {
        Endpoint::Storage => return handlers::storage_path(app, request_id, request).await,
        Endpoint::UnknownApi => error_response(RequestError::UnknownApi.into(), request_id),
        Endpoint::Health => api::health(),
        Endpoint::Ready => api::ready(app).await,
        Endpoint::Metrics => api::metrics(app),
        Endpoint::OpenApi => api::openapi(),
        Endpoint::Signatures => signatures::serve(app, request_id, request).await,
        Endpoint::Playground(part) => playground::serve(app, request_id, part, request).await,
        Endpoint::File => {
            let path = request.uri().path();
            let raw = path.strip_prefix(API).and_then(file_id).unwrap_or("");
            // Invalid UTF-8 cannot be an id either: it is answered as one that is unknown.
            let id = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
            files::serve(app, request_id, &id, request.headers()).await
        }
    };
    (response, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_one_endpoint() {
        let cases = [
            ("/a.jpg", Endpoint::Storage),
            ("/x/y.png", Endpoint::Storage),
            ("/_pixgate", Endpoint::Storage),
            ("/_pixgatex/a.png", Endpoint::Storage),
            ("/_pixgate/health", Endpoint::Health),
            ("/_pixgate/ready", Endpoint::Ready),
            ("/_pixgate/metrics", Endpoint::Metrics),
            ("/_pixgate/signatures", Endpoint::Signatures),
            ("/_pixgate/files/file_1", Endpoint::File),
            ("/_pixgate/openapi.json", Endpoint::OpenApi),
            ("/_pixgate/playground", Endpoint::Playground(Part::Page)),
            (
                "/_pixgate/playground/images",
                Endpoint::Playground(Part::Images),
            ),
            (
                "/_pixgate/playground/sources",
                Endpoint::Playground(Part::Sources),
            ),
            ("/_pixgate/playground/", Endpoint::UnknownApi),
            ("/_pixgate/files/", Endpoint::UnknownApi),
            ("/_pixgate/files/a/b", Endpoint::UnknownApi),
            ("/_pixgate/health/", Endpoint::UnknownApi),
            ("/_pixgate/nope", Endpoint::UnknownApi),
            ("/_pixgate/", Endpoint::UnknownApi),
        ];
        for (path, want) in cases {
            assert_eq!(Endpoint::of(path), want, "{path}");
        }
    }

    #[test]
    fn kinds_come_from_the_endpoint_and_the_method() {
        let cases = [
            (Method::GET, "/a.jpg", RequestKind::Image),
            (Method::HEAD, "/x/y.png", RequestKind::Image),
            (Method::PUT, "/a.jpg", RequestKind::Upload),
            (Method::DELETE, "/a.jpg", RequestKind::Other),
            (Method::GET, "/_pixgate/health", RequestKind::Health),
            (Method::POST, "/_pixgate/health", RequestKind::Health),
            (Method::GET, "/_pixgate/ready", RequestKind::Ready),
            (Method::GET, "/_pixgate/metrics", RequestKind::Metrics),
            (Method::POST, "/_pixgate/signatures", RequestKind::Api),
            (Method::GET, "/_pixgate/files/file_1", RequestKind::Api),
            (Method::GET, "/_pixgate/nope", RequestKind::Other),
        ];
        for (method, path, want) in cases {
            assert_eq!(Endpoint::of(path).kind(&method), want, "{method} {path}");
        }
    }

    /// The path template of `docs/openapi.json` that documents the endpoint, and the methods
    /// it lists there; `None` for the one endpoint the document covers only in words.
    fn documented(endpoint: Endpoint) -> Option<(&'static str, &'static str)> {
        match endpoint {
            Endpoint::Health => Some(("/_pixgate/health", "GET, HEAD")),
            Endpoint::Ready => Some(("/_pixgate/ready", "GET, HEAD")),
            Endpoint::Metrics => Some(("/_pixgate/metrics", "GET, HEAD")),
            Endpoint::Signatures => Some(("/_pixgate/signatures", "POST")),
            Endpoint::File => Some(("/_pixgate/files/{id}", "GET, HEAD")),
            Endpoint::OpenApi => Some(("/_pixgate/openapi.json", "GET, HEAD")),
            Endpoint::Playground(Part::Page) => Some(("/_pixgate/playground", "GET, HEAD")),
            Endpoint::Playground(Part::Sources) => {
                Some(("/_pixgate/playground/sources", "GET, HEAD"))
            }
            Endpoint::Playground(Part::Images) => {
                Some(("/_pixgate/playground/images", "GET, HEAD"))
            }
            Endpoint::UnknownApi => None,
            // `handlers::storage_path` judges the method itself.
            Endpoint::Storage => Some(("/{path}", "GET, HEAD, PUT")),
        }
    }

    #[test]
    fn every_endpoint_and_its_methods_are_in_the_openapi_document() {
        let spec: serde_json::Value = serde_json::from_str(api::OPENAPI).unwrap();
        let paths = spec["paths"].as_object().unwrap();
        let samples = [
            "/_pixgate/health",
            "/_pixgate/ready",
            "/_pixgate/metrics",
            "/_pixgate/signatures",
            "/_pixgate/files/file_1",
            "/_pixgate/openapi.json",
            "/_pixgate/playground",
            "/_pixgate/playground/sources",
            "/_pixgate/playground/images",
            "/_pixgate/nope",
            "/a.jpg",
        ];
        let mut templates = Vec::new();
        for sample in samples {
            let endpoint = Endpoint::of(sample);
            let Some((template, methods)) = documented(endpoint) else {
                continue;
            };
            if let Some((_, allow)) = endpoint.methods() {
                assert_eq!(allow, methods, "{sample}");
            }
            let operations = paths
                .get(template)
                .and_then(|p| p.as_object())
                .unwrap_or_else(|| panic!("{template} is not in docs/openapi.json"));
            let mut listed: Vec<String> = operations.keys().map(|m| m.to_uppercase()).collect();
            let mut want: Vec<String> = methods.split(", ").map(str::to_string).collect();
            listed.sort();
            want.sort();
            assert_eq!(listed, want, "{template}");
            templates.push(template);
        }
        let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
        documented.sort_unstable();
        templates.sort_unstable();
        assert_eq!(documented, templates, "paths no endpoint answers");
    }
}
