//! The derivative cache's disk tier (`[cache.disk]`): what one instance rendered, another
//! started on the same folder serves without rendering; a replaced original renders anew; a
//! torn record is never served.

use std::path::{Path, PathBuf};

use super::{RENDERS, small_root};
use crate::support::images::gradient_png;
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

const URL: &str = "/small.png?w=20&fm=png";
const DISK_ENTRIES: &str = "pixgate_cache_entries{cache=\"disk\"}";

async fn start(root: &Root, disk: &Path) -> TestServer {
    let mut config = config(vec![root.source("demo")]);
    config.cache.disk.dir = Some(disk.to_path_buf());
    TestServer::start(config).await
}

fn records(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(dir).unwrap() {
        for f in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_instance_serves_from_disk_without_rendering() {
    let (root, disk) = (small_root(), tempfile::tempdir().unwrap());
    let first = start(&root, disk.path()).await;
    let rendered = first.get(URL).await;
    rendered.assert_image("png");
    assert_eq!(rendered.header("x-cache"), Some("MISS"));
    assert_eq!(rendered.header("x-cache-tier"), None);
    first.await_metric(DISK_ENTRIES, 1.0).await;
    let again = first.get(URL).await;
    assert_eq!(again.header("x-cache-tier"), Some("memory"));
    drop(first);

    let second = start(&root, disk.path()).await;
    let from_disk = second.get(URL).await;
    assert_eq!(from_disk.header("x-cache"), Some("HIT"));
    assert_eq!(from_disk.header("x-cache-tier"), Some("disk"));
    assert_eq!(from_disk.body, rendered.body);
    assert_eq!(from_disk.header("etag"), rendered.header("etag"));
    assert_eq!(second.metric(RENDERS).await, Some(0.0));
    assert_eq!(second.get(URL).await.header("x-cache-tier"), Some("memory"));
    // A replaced original has a new version, so a new key: rendered, not the old record.
    std::thread::sleep(std::time::Duration::from_millis(20));
    root.put("small.png", &gradient_png(60, 30));
    let replaced = second.get(URL).await;
    assert_eq!(replaced.header("x-cache"), Some("MISS"));
    assert_ne!(replaced.body, rendered.body);
    assert_eq!(second.metric(RENDERS).await, Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_record_is_not_served() {
    let (root, disk) = (small_root(), tempfile::tempdir().unwrap());
    let first = start(&root, disk.path()).await;
    let rendered = first.get(URL).await;
    first.await_metric(DISK_ENTRIES, 1.0).await;
    drop(first);
    let [record] = records(disk.path()).try_into().unwrap();
    let whole = std::fs::read(&record).unwrap();
    std::fs::write(&record, &whole[..whole.len() - 10]).unwrap();

    let second = start(&root, disk.path()).await;
    let reply = second.get(URL).await;
    assert_eq!(
        reply.header("x-cache"),
        Some("MISS"),
        "the torn record was served"
    );
    assert_eq!(reply.body, rendered.body);
    assert_eq!(second.metric(RENDERS).await, Some(1.0));
    assert_eq!(
        second
            .metric("pixgate_cache_errors_total{cache=\"disk\"}")
            .await,
        Some(1.0)
    );
    // Rendered again, it is written whole again.
    second.await_metric(DISK_ENTRIES, 1.0).await;
}
