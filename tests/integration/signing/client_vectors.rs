//! clients/vectors.json, the known answers the JavaScript and Python signing modules test
//! themselves against: pixgate's own signer builds every vector byte for byte, its verifier and
//! the server accept each one for its method, `signed_string` is what the scheme hashes, and
//! the table in docs/signing.md is rendered from the file, so none of them can drift apart.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use md5::Digest as _;
use pixgate::config::SourceConfig;
use pixgate::signature::{self, Method, Policy, Refusal, Scheme, SignatureError};
use pixgate::signed_url::{self, UrlSpec};
use serde::Deserialize;

use crate::support::images::gradient_png;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;

const START: &str = "<!-- signing-vectors:start -->\n";
const END: &str = "<!-- signing-vectors:end -->";

#[derive(Deserialize)]
struct VectorFile {
    vectors: Vec<Vector>,
}

/// One known answer: either `input` (a key and parameters, as `pixgate sign` takes them) or
/// `raw` (a path and query signed exactly as given).
#[derive(Deserialize)]
struct Vector {
    name: String,
    input: Option<Input>,
    raw: Option<Raw>,
    signed_string: String,
    url: String,
}

#[derive(Deserialize)]
struct Input {
    base: String,
    prefix: String,
    path: String,
    params: Vec<(String, String)>,
    scheme: String,
    secret: String,
    expires_at: Option<u64>,
    method: Option<String>,
}

#[derive(Deserialize)]
struct Raw {
    base: String,
    scheme: String,
    secret: String,
    path: String,
    query: String,
}

impl Vector {
    /// The scheme's name, the secret and the origin, from whichever of `input` and `raw` the
    /// vector has.
    fn signer(&self) -> (&str, &str, &str) {
        match (&self.input, &self.raw) {
            (Some(input), None) => (&input.scheme, &input.secret, &input.base),
            (None, Some(raw)) => (&raw.scheme, &raw.secret, &raw.base),
            _ => panic!("{}: give exactly one of input and raw", self.name),
        }
    }

    fn scheme(&self) -> Scheme {
        match self.signer().0 {
            "md5" => Scheme::Md5,
            "hmac" => Scheme::Hmac,
            other => panic!("{}: unknown scheme {other}", self.name),
        }
    }

    fn secret(&self) -> &str {
        self.signer().1
    }

    fn method(&self) -> Method {
        match self
            .input
            .as_ref()
            .and_then(|input| input.method.as_deref())
        {
            Some("put") => Method::Put,
            _ => Method::Get,
        }
    }

    /// The URL after its origin, split at `?`.
    fn path_and_query(&self) -> (&str, &str) {
        let rest = self
            .url
            .strip_prefix(self.signer().2)
            .unwrap_or_else(|| panic!("{}: url does not start with base", self.name));
        rest.split_once('?')
            .unwrap_or_else(|| panic!("{}: url has no query", self.name))
    }
}

fn vectors() -> Vec<Vector> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/vectors.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let file: VectorFile = serde_json::from_str(&text).unwrap();
    assert!(
        !file.vectors.is_empty(),
        "{} holds no vectors",
        path.display()
    );
    file.vectors
}

fn source_signing_with(vector: &Vector, prefix: &str) -> SourceConfig {
    let mut source = SourceConfig::new("vector", std::env::temp_dir());
    source.prefix = prefix.to_owned();
    source.md5_tokens = vec![vector.secret().to_owned()];
    source.hmac_keys = vec![vector.secret().to_owned()];
    source
}

#[test]
fn pixgate_signs_every_vector_byte_for_byte() {
    for vector in vectors() {
        let built = if let Some(input) = &vector.input {
            let spec = UrlSpec {
                key: &input.path,
                params: &input.params,
                scheme: vector.scheme(),
                expires_at: input.expires_at,
                method: input.method.is_some().then(|| vector.method()),
            };
            let source = source_signing_with(&vector, &input.prefix);
            let path_and_query = signed_url::signed_path_and_query(&source, &spec).unwrap();
            format!("{}{path_and_query}", input.base)
        } else {
            let raw = vector.raw.as_ref().unwrap();
            let query = signature::sign(vector.scheme(), &raw.secret, &raw.path, &raw.query);
            format!("{}{}?{query}", raw.base, raw.path)
        };
        assert_eq!(built, vector.url, "{}", vector.name);
    }
}

#[test]
fn the_verifier_accepts_every_vector_for_its_method_and_secret_only() {
    for vector in vectors() {
        let (path, query) = vector.path_and_query();
        let secrets = vec![vector.secret().to_owned()];
        let others = vec!["another-secret".to_owned()];
        let policy = |secrets| Policy {
            md5_tokens: secrets,
            hmac_keys: secrets,
            max_ttl: None,
            clock_skew: Duration::ZERO,
        };
        let expires_at = vector.input.as_ref().and_then(|input| input.expires_at);
        // The last second a vector works.
        let now = expires_at.unwrap_or(NOW);
        let method = vector.method();
        let access = signature::verify(path, Some(query), method, true, &policy(&secrets), now)
            .unwrap_or_else(|e| panic!("{}: {e}", vector.name));
        if vector.input.is_some() {
            assert_eq!(access.expires_at, expires_at, "{}", vector.name);
        }
        let refused = signature::verify(path, Some(query), method, true, &policy(&others), now);
        assert_eq!(
            refused,
            Err(SignatureError::Refused(Refusal::SignatureInvalid)),
            "{}",
            vector.name
        );
    }
}

#[test]
fn signed_string_is_what_the_scheme_hashes() {
    for vector in vectors() {
        let (_, query) = vector.path_and_query();
        let (_, token) = query.rsplit_once('=').unwrap();
        let hashed = match vector.scheme() {
            Scheme::Md5 => md5::Md5::digest(vector.signed_string.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            Scheme::Hmac => {
                let mut mac =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(vector.secret().as_bytes())
                        .expect("any key length");
                mac.update(vector.signed_string.as_bytes());
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            }
        };
        assert_eq!(hashed, token, "{}", vector.name);
    }
}

/// The vectors' secrets and files: `demo` at the root and `shop` under `/shop`, both secure.
/// clients/test.sh serves the same for the client libraries.
fn vector_sources(demo: &Root, shop: &Root) -> Vec<SourceConfig> {
    demo.put("users/1.png", &gradient_png(40, 30))
        .put("private/image.png", &gradient_png(20, 10));
    shop.put("albums/cat été+1.png", &gradient_png(60, 40));
    let mut sources = Vec::new();
    for (root, name, prefix, token, key) in [
        (demo, "demo", "", "FOO123bar", "demo-key"),
        (shop, "shop", "/shop", "shop-token", "shop-key"),
    ] {
        let mut source = root.source(name);
        source.prefix = prefix.into();
        source.secure = true;
        source.md5_tokens = vec![token.into()];
        source.hmac_keys = vec![key.into()];
        sources.push(source);
    }
    sources
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_every_vector_and_takes_the_upload() {
    let (demo, shop) = (Root::new(), Root::new());
    let server = TestServer::start_at(config(vector_sources(&demo, &shop)), NOW).await;
    for vector in vectors() {
        let (path, query) = vector.path_and_query();
        let path_and_query = format!("{path}?{query}");
        let reply = match vector.method() {
            Method::Get => server.get(&path_and_query).await,
            Method::Put => {
                let body = gradient_png(8, 8);
                server.send("PUT", &path_and_query, &[], body).await
            }
        };
        let want = if vector.method() == Method::Put {
            201
        } else {
            200
        };
        assert_eq!(reply.status, want, "{}: {path_and_query}", vector.name);
    }
}

/// docs/signing.md's table of the vectors. `UPDATE_DOCS=1` rewrites it instead of failing.
#[test]
fn docs_signing_table_is_rendered_from_the_vectors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/signing.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (page.find(START), page.find(END)) else {
        panic!("docs/signing.md lacks the {START:?} … {END:?} markers");
    };
    let start = start + START.len();
    // Blank lines around the table keep Markdown from reading the markers as part of it.
    let want = format!("\n{}\n", vector_table(&vectors()));
    if page[start..end] == want {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{}{want}{}", &page[..start], &page[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "docs/signing.md's table differs from clients/vectors.json.\n\
         Run `UPDATE_DOCS=1 cargo test --test integration client_vectors` to rewrite it, or \
         put this between the markers:\n\n{want}"
    );
}

fn vector_table(vectors: &[Vector]) -> String {
    let mut rows = vec![
        "| # | vector | secret | inputs | string signed | URL after the origin |".to_owned(),
        "|---|---|---|---|---|---|".to_owned(),
    ];
    for (index, vector) in vectors.iter().enumerate() {
        let (path, query) = vector.path_and_query();
        rows.push(format!(
            "| {} | {} | {} | {} | {} | {} |",
            index + 1,
            cell(&vector.name),
            code(vector.secret()),
            inputs(vector),
            code(&vector.signed_string),
            code(&format!("{path}?{query}")),
        ));
    }
    rows.join("\n")
}

fn inputs(vector: &Vector) -> String {
    if let Some(raw) = &vector.raw {
        let (path, query) = (code(&raw.path), code(&raw.query));
        return format!("{} over raw path {path}, raw query {query}", raw.scheme);
    }
    let input = vector.input.as_ref().unwrap();
    let mut parts = vec![format!("{} {}", input.scheme, code(&input.path))];
    if !input.prefix.is_empty() {
        parts.push(format!("prefix {}", code(&input.prefix)));
    }
    for (name, value) in &input.params {
        parts.push(code(&format!("{name}={value}")));
    }
    if let Some(at) = input.expires_at {
        parts.push(format!("expires at {at}"));
    }
    if let Some(method) = &input.method {
        parts.push(format!("method {method}"));
    }
    parts.join(", ")
}

fn code(text: &str) -> String {
    format!("`{}`", cell(text))
}

/// A Markdown table cell cannot hold a bare `|`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
