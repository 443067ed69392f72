//! Remote sources as one store behind many pixgate instances: the same original gives
//! the same bytes from a folder, a bucket and an HTTP origin; two instances on one bucket share
//! uploads, renderings and File records.

use std::time::Duration;

use pixgate::config::{Root, SourceConfig};
use serde_json::Value;

use crate::support::images::{BLUE, GREEN, RED, decode, dimensions, halves_png, mean_colour, png};
use crate::support::remote::{Origin, S3Server};
use crate::support::roots::{NOW, Root as LocalRoot, config, fixture};
use crate::support::server::TestServer;
use crate::uploads::{KEY, file_record, put, without_url};

const FIXTURES: [&str; 3] = [
    "forest-800x500.jpg",
    "cups-alpha-640x400.png",
    "forest-640x400.webp",
];

/// The same files under `/local` (a folder), `/s3` (a bucket under a key prefix) and `/web`
/// (an HTTP origin): every transform and the passthrough are the same bytes with the same type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_original_gives_byte_identical_answers_from_a_folder_a_bucket_and_an_origin() {
    let local = LocalRoot::new();
    let s3 = S3Server::start().await;
    let origin = Origin::start().await;
    for name in FIXTURES {
        let bytes = fixture(name);
        local.put(&format!("img/{name}"), &bytes);
        s3.put(&format!("originals/img/{name}"), &bytes);
        origin.put(&format!("img/{name}"), &bytes);
    }
    let mut folder = local.source("local");
    folder.prefix = "/local".into();
    let mut bucket = s3.source("bucket", "originals/");
    bucket.prefix = "/s3".into();
    let mut web = origin.source("web");
    web.prefix = "/web".into();
    let server = TestServer::start(config(vec![folder, bucket, web])).await;

    let queries = [
        "?w=300&fm=webp",
        "?w=200&fm=jpg",
        "?w=64&h=64&fit=crop&fm=png",
        "",
    ];
    for name in FIXTURES {
        for query in queries {
            let path = format!("/img/{name}{query}");
            let reference = server.get(&format!("/local{path}")).await;
            reference.assert_status(200);
            if query.is_empty() {
                assert_eq!(reference.body, fixture(name), "{path}: local passthrough");
            }
            for prefix in ["/s3", "/web"] {
                let reply = server.get(&format!("{prefix}{path}")).await;
                reply.assert_status(200);
                assert!(
                    reply.body == reference.body,
                    "{prefix}{path}: {} bytes, local gave {}",
                    reply.body.len(),
                    reference.body.len()
                );
                for header in ["content-type", "content-length"] {
                    assert_eq!(
                        reply.header(header),
                        reference.header(header),
                        "{prefix}{path}: {header}"
                    );
                }
            }
        }
    }
}

/// The source both instances serve: the bucket under `originals/`, uploads allowed, each
/// instance with a staging folder of its own.
fn shared_source(s3: &S3Server) -> SourceConfig {
    let mut source = s3.source("shared", "originals/");
    source.hmac_keys = vec![KEY.into()];
    // Each instance asks the bucket every time: what the other one wrote is seen at once.
    source.revalidate_after = Duration::ZERO;
    source
}

/// Two instances on one bucket.
async fn two_instances(s3: &S3Server) -> (TestServer, TestServer) {
    let (a, b) = (shared_source(s3), shared_source(s3));
    let (Root::S3(ra), Root::S3(rb)) = (&a.root, &b.root) else {
        unreachable!("S3Server::source makes S3 sources")
    };
    assert_ne!(ra.staging_dir, rb.staging_dir);
    (
        TestServer::start_at(config(vec![a]), NOW).await,
        TestServer::start_at(config(vec![b]), NOW).await,
    )
}

/// The File `id` as `server` describes it.
async fn file_data(server: &TestServer, id: &str) -> Value {
    let reply = file_record(server.addr(), id).await;
    reply.assert_status(200);
    reply.json()["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_through_one_instance_is_served_and_described_by_the_other() {
    let s3 = S3Server::start().await;
    let (a, b) = two_instances(&s3).await;
    let bytes = fixture("forest-800x500.jpg");

    let reply = put(&a, "/photos/forest.jpg", &bytes).await;
    reply.assert_status(201);
    let file = reply.json()["data"].clone();
    let id = file["id"].as_str().unwrap().to_string();

    let small = b.get("/photos/forest.jpg?w=300").await;
    small.assert_image("jpeg");
    assert_eq!(dimensions(&small.body).0, 300);
    assert_eq!(b.get("/photos/forest.jpg").await.body, bytes);

    let seen_by_b = file_data(&b, &id).await;
    assert_eq!(without_url(&seen_by_b), without_url(&file));
    assert!(
        seen_by_b["url"]
            .as_str()
            .is_some_and(|url| url.ends_with("/photos/forest.jpg")),
        "{seen_by_b}"
    );
    assert_eq!(file_data(&a, &id).await, file);
}

/// A replacement through one instance: the other serves the new rendering (it revalidates
/// every time here) and reads the updated File under the same id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_through_one_instance_is_seen_by_the_other() {
    let s3 = S3Server::start().await;
    let (a, b) = two_instances(&s3).await;
    let first = halves_png(64, 40, RED, BLUE);
    let second = png(&image::RgbaImage::from_pixel(48, 30, image::Rgba(GREEN)));

    let one = put(&a, "/a.png", &first).await;
    one.assert_status(201);
    let id = one.json()["data"]["id"].as_str().unwrap().to_string();
    let before = b.get("/a.png?w=32").await;
    before.assert_image("png");
    let [r, g, bl, _] = mean_colour(&decode(&before.body));
    assert!(r > 100.0 && bl > 100.0 && g < 20.0, "{r} {g} {bl}");

    let two = put(&a, "/a.png", &second).await;
    two.assert_status(201);
    assert_eq!(
        two.json()["data"]["id"],
        id.as_str(),
        "same path, same File"
    );
    assert_eq!(
        s3.object("originals/a.png").as_deref(),
        Some(second.as_slice())
    );

    let after = b.get("/a.png?w=32").await;
    after.assert_image("png");
    let [r, g, bl, _] = mean_colour(&decode(&after.body));
    assert!(g > 200.0 && r < 20.0 && bl < 20.0, "{r} {g} {bl}");
    let record = file_data(&b, &id).await;
    assert_eq!(record["filesize"], second.len(), "{record}");
    assert_eq!(record["width"], 48, "{record}");
}
