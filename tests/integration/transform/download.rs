//! `dl` (contract §3): an attachment named exactly as asked, in RFC 8187 `filename*` with a
//! safe ASCII fallback, that never changes the bytes or leaks into a cached answer.

use super::pictures::root;
use crate::support::reply::Reply;
use crate::support::server::TestServer;

/// `Content-Disposition` split into its type and parameters, quoted strings unquoted.
fn disposition(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => current.extend(chars.next()),
            ';' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    let kind = parts.remove(0).trim().to_ascii_lowercase();
    let params = parts
        .iter()
        .filter_map(|p| p.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (kind, params)
}

/// Checks a `dl` answer's `Content-Disposition`: an attachment whose RFC 8187 `filename*` is
/// exactly `name` and whose plain `filename` is a safe printable-ASCII fallback (equal to
/// `name` when `name` is itself safe).
#[track_caller]
fn assert_attachment_named(reply: &Reply, name: &str) {
    let raw = reply
        .headers
        .get("content-disposition")
        .unwrap_or_else(|| panic!("no Content-Disposition for {name:?}"));
    let value = raw
        .to_str()
        .unwrap_or_else(|_| panic!("Content-Disposition is not visible ASCII: {raw:?}"));
    let (kind, params) = disposition(value);
    assert_eq!(kind, "attachment", "{value}");
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let extended = param("filename*").unwrap_or_else(|| panic!("no filename* in {value}"));
    let encoded = extended
        .strip_prefix("UTF-8''")
        .unwrap_or_else(|| panic!("filename* is not UTF-8'': {value}"));
    let decoded = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("filename* is UTF-8");
    assert_eq!(decoded, name, "{value}");
    let fallback = param("filename").unwrap_or_else(|| panic!("no filename in {value}"));
    assert!(
        fallback
            .chars()
            .all(|c| c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\')),
        "unsafe fallback {fallback:?} in {value}"
    );
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._- ".contains(c))
    {
        assert_eq!(fallback, name, "{value}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dl_makes_an_attachment_without_changing_the_bytes() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let stored = std::fs::read(root.path().join("rb.png")).unwrap();

    // Passthrough stays byte for byte.
    let reply = server.get("/rb.png?dl=cat.png").await;
    reply.assert_status(200);
    assert_attachment_named(&reply, "cat.png");
    assert_eq!(reply.body, stored);

    // A derivative is the same bytes with or without dl, and the header follows each request
    // even when the derivative comes from the cache.
    let plain = server.get("/rb.png?w=50").await;
    plain.assert_image("png");
    assert_eq!(plain.header("content-disposition"), None);
    for name in ["first.png", "second.png"] {
        let reply = server.get(&format!("/rb.png?w=50&dl={name}")).await;
        reply.assert_image("png");
        assert_attachment_named(&reply, name);
        assert_eq!(reply.body, plain.body, "dl={name} changed the bytes");
    }
    let again = server.get("/rb.png?w=50").await;
    assert_eq!(again.header("content-disposition"), None, "dl leaked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dl_names_needing_escapes_stay_exact_and_header_safe() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let cases = [
        ("my%20cat.png", "my cat.png"),
        ("my+cat.png", "my cat.png"),
        ("caf%C3%A9%20%E2%98%95.png", "café ☕.png"),
        ("a%22b%3Bc%3D.png", "a\"b;c=.png"),
        ("%E5%86%99%E7%9C%9F.jpg", "写真.jpg"),
        ("100%25.png", "100%.png"),
    ];
    for (raw, name) in cases {
        let reply = server.get(&format!("/rb.png?w=20&dl={raw}")).await;
        reply.assert_image("png");
        assert_attachment_named(&reply, name);
    }
    // A line break could inject headers: refused before any header is written.
    let reply = server
        .get("/rb.png?w=20&dl=x.png%0D%0ASet-Cookie:%20a=b")
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.header("set-cookie"), None);
    assert_eq!(reply.header("content-disposition"), None);
}
