use super::*;
use std::sync::atomic::AtomicUsize;

/// A value that weighs its length.
#[derive(Debug)]
struct Blob(Vec<u8>);

impl Weighed for Blob {
    fn weight(&self) -> u64 {
        self.0.len() as u64
    }
}

fn blob(len: usize) -> Blob {
    Blob(vec![0u8; len])
}

#[tokio::test]
async fn budget_is_never_exceeded_and_oldest_go_first() {
    let per_entry = cost("k00", &blob(1000));
    let cache: Cache<Blob, String> = Cache::new(per_entry * 3, per_entry * 3);
    for i in 0..5 {
        let key = format!("k{i:02}");
        let (_, lookup) = cache
            .get_or_load(&key, || async { Ok(blob(1000)) })
            .await
            .unwrap();
        assert_eq!(lookup, Lookup::Miss);
        assert!(cache.used_bytes() <= per_entry * 3);
    }
    assert_eq!(cache.keys_by_age(), ["k02", "k03", "k04"]);
    let stats = cache.stats();
    assert_eq!((stats.misses, stats.evictions, stats.entries), (5, 2, 3));
    assert_eq!(stats.bytes, per_entry * 3);
}

#[tokio::test]
async fn a_hit_makes_an_entry_recent_again() {
    let per_entry = cost("a", &blob(100));
    let cache: Cache<Blob, String> = Cache::new(per_entry * 2, per_entry * 2);
    for key in ["a", "b"] {
        cache
            .get_or_load(key, || async { Ok(blob(100)) })
            .await
            .unwrap();
    }
    let (_, lookup) = cache
        .get_or_load("a", || async { Ok(blob(100)) })
        .await
        .unwrap();
    assert_eq!(lookup, Lookup::Hit);
    cache
        .get_or_load("c", || async { Ok(blob(100)) })
        .await
        .unwrap();
    assert_eq!(cache.keys_by_age(), ["a", "c"]);
}

#[tokio::test]
async fn oversized_entries_are_served_but_not_kept() {
    let cache: Cache<Blob, String> = Cache::new(1 << 20, 2000);
    let (d, _) = cache
        .get_or_load("big", || async { Ok(blob(5000)) })
        .await
        .unwrap();
    assert_eq!(d.0.len(), 5000);
    assert!(cache.is_empty());
}

#[tokio::test]
async fn errors_are_not_cached() {
    let cache: Cache<Blob, String> = Cache::new(1 << 20, 1 << 20);
    let err = cache
        .get_or_load("k", || async { Err("boom".to_string()) })
        .await;
    assert_eq!(err.err(), Some("boom".to_string()));
    let (_, lookup) = cache
        .get_or_load("k", || async { Ok(blob(1)) })
        .await
        .unwrap();
    assert_eq!(lookup, Lookup::Miss);
}

/// Runs 20 concurrent loads of one key whose loader blocks until released, and returns
/// what each caller got plus how many times the loader ran.
async fn concurrent(result: Result<usize, String>) -> (Vec<Result<usize, String>>, usize) {
    let cache: Arc<Cache<Blob, String>> = Arc::new(Cache::new(1 << 20, 1 << 20));
    let loads = Arc::new(AtomicUsize::new(0));
    let (release, wait) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (cache, loads, mut wait, result) =
            (cache.clone(), loads.clone(), wait.clone(), result.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_load("k", || async move {
                    loads.fetch_add(1, Ordering::SeqCst);
                    let _ = wait.wait_for(|go| *go).await;
                    result.map(blob)
                })
                .await
                .map(|(d, _)| d.0.len())
        }));
    }
    tokio::task::yield_now().await;
    let _ = release.send(true);
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    let stats = cache.stats();
    assert_eq!(stats.misses + stats.coalesced, 20);
    (got, loads.load(Ordering::SeqCst))
}

#[tokio::test]
async fn concurrent_misses_load_once() {
    let (got, loads) = concurrent(Ok(10)).await;
    assert!(got.iter().all(|r| *r == Ok(10)));
    assert_eq!(loads, 1);
}

#[tokio::test]
async fn waiters_share_the_leaders_error() {
    let (got, loads) = concurrent(Err("corrupt".into())).await;
    assert!(got.iter().all(|r| *r == Err("corrupt".to_string())));
    assert_eq!(loads, 1);
}

#[tokio::test]
async fn removing_a_prefix_drops_exactly_those_entries_and_their_bytes() {
    let cache: Cache<Blob, String> = Cache::new(1 << 20, 1 << 20);
    for key in [
        "demo\na.png\nv1\nw=10",
        "demo\na.png\nv1\nw=20",
        "demo\na.png2\nv1\nw=10",
    ] {
        cache
            .get_or_load(key, || async { Ok(blob(100)) })
            .await
            .unwrap();
    }
    let survivor = cost("demo\na.png2\nv1\nw=10", &blob(100));
    assert_eq!(cache.remove_prefix("demo\na.png\n"), 2);
    assert_eq!(cache.keys_by_age(), ["demo\na.png2\nv1\nw=10"]);
    assert_eq!(cache.used_bytes(), survivor);
}
