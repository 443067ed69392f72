//! Parameters the server will not act on: a bad value of any parameter is a 400
//! `bad_parameter` whose message names it, the boundary values are fine, and names outside
//! imgix's registry are ignored (the registry's own names: `registry.rs`).

use super::pictures::root;
use crate::support::images::image_kind;
use crate::support::server::TestServer;

/// Whether `message` has `name` as a word of its own (not just a letter inside another word).
fn names(message: &str, name: &str) -> bool {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|word| word == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_are_400_naming_the_parameter() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let cases = [
        ("w=abc", "w"),
        ("w=0", "w"),
        ("w=-5", "w"),
        ("width=abc", "width"),
        ("h=1e3", "h"),
        ("fit=banana", "fit"),
        ("mode=banana", "mode"),
        ("fm=bmp", "fm"),
        ("format=tiff", "format"),
        ("q=101", "q"),
        ("q=0", "q"),
        ("quality=abc", "quality"),
        ("dpr=9", "dpr"),
        ("dpr=0.5", "dpr"),
        ("crop=top,bottom", "crop"),
        ("crop=middle", "crop"),
        ("rot=x", "rot"),
        ("flip=x", "flip"),
        ("bg=zzz", "bg"),
        ("blur=3000", "blur"),
        ("rect=0,0,0,0", "rect"),
        ("ar=0:1", "ar"),
        ("lossless=2", "lossless"),
        ("w=9000", "w"),
        ("h=9000", "h"),
        ("w=4200&dpr=2", "w"),
    ];
    for (query, name) in cases {
        let target = format!("/small.png?{query}");
        let message = server.get(&target).await.assert_error(400, "bad_parameter");
        assert!(
            names(&message, name),
            "{target}: message {message:?} does not name {name}"
        );
    }
    // The bytes of an image never come back with a 400.
    let reply = server.get("/small.png?w=abc").await;
    assert_eq!(image_kind(&reply.body), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_of_each_parameter_are_400_naming_it() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let cases = [
        ("crop=focalpoint&fp-x=1.5", "fp-x"),
        ("crop=focalpoint&fp-y=abc", "fp-y"),
        ("crop=focalpoint&fp-x=-0.1", "fp-x"),
        ("crop=entropy,left", "crop"),
        ("w=100&ar=16", "ar"),
        ("w=100&ar=a:b", "ar"),
        ("w=100&ar=1:0", "ar"),
        ("w=100&ar=16:9:1", "ar"),
        ("rect=1,2,3", "rect"),
        ("rect=0,0,10,0", "rect"),
        ("rect=a,b,c,d", "rect"),
        ("rect=0,0,10,10,10", "rect"),
        ("rect=400,0,10,10", "rect"),
        ("bg=12345", "bg"),
        ("bg=1234567", "bg"),
        ("bg=ggg", "bg"),
        ("bg=", "bg"),
        ("rot=-90", "rot"),
        ("rot=360", "rot"),
        ("flip=hh", "flip"),
        ("flip=H", "flip"),
        ("blur=-1", "blur"),
        ("blur=abc", "blur"),
        ("blur=2001", "blur"),
        ("sharp=101", "sharp"),
        ("sharp=-1", "sharp"),
        ("sharp=1.5", "sharp"),
        ("lossless=yes", "lossless"),
        ("lossless=", "lossless"),
        ("dl=", "dl"),
        ("dl=a%2Fb.png", "dl"),
        ("dl=a%5Cb.png", "dl"),
        ("dl=..", "dl"),
        ("dpr=5.1", "dpr"),
        ("dpr=abc", "dpr"),
        ("dpr=2,5", "dpr"),
        ("q=50.5", "q"),
        ("q=-1", "q"),
        ("q=", "q"),
        ("w=0.0", "w"),
        ("h=1.5.0", "h"),
    ];
    for (query, name) in cases {
        let target = format!("/g64.png?{query}");
        let message = server.get(&target).await.assert_error(400, "bad_parameter");
        assert!(
            names(&message, name),
            "{target}: message {message:?} does not name {name}"
        );
    }
    // The boundary values themselves are fine.
    for query in [
        "q=1",
        "q=100",
        "dpr=5",
        "dpr=1",
        "blur=2000",
        "sharp=100",
        "sharp=0",
        "rot=270",
        "crop=focalpoint&fp-x=0&fp-y=1",
        "bg=%23abc",
        "lossless=0",
    ] {
        let reply = server.get(&format!("/g64.png?w=8&{query}")).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_outside_imgix_registry_are_ignored() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let reply = server
        .get("/small.png?w=10&foo=bar&ixlib=rb-4.1.0&utm_source=x")
        .await;
    assert_eq!(reply.image("png").dimensions(), (10, 5));
    let reply = server.get("/small.png?foo=bar").await;
    reply.assert_status(200);
    assert_eq!(
        reply.body,
        std::fs::read(root.path().join("small.png")).unwrap()
    );
}
