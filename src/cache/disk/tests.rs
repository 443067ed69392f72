use super::*;

fn record(n: usize) -> Record {
    Record {
        content_type: "image/webp".into(),
        modified: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000 + n as u64)),
        bytes: vec![(n % 251) as u8; 1000].into(),
    }
}

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in fs::read_dir(dir).unwrap() {
        let shard = shard.unwrap().path();
        if shard.is_dir() {
            for f in fs::read_dir(shard).unwrap() {
                let f = f.unwrap().path();
                if f.extension().and_then(|e| e.to_str()) == Some(extension) {
                    out.push(f);
                }
            }
        }
    }
    out
}

#[test]
fn records_come_back_as_written_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let tier = DiskTier::open(dir.path(), 1 << 20).unwrap();
    assert_eq!(tier.get("a"), None);
    tier.put("a", &record(1)).unwrap();
    tier.put(
        "b",
        &Record {
            modified: None,
            ..record(2)
        },
    )
    .unwrap();
    assert_eq!(tier.get("a"), Some(record(1)));
    drop(tier);
    let reopened = DiskTier::open(dir.path(), 1 << 20).unwrap();
    assert_eq!(reopened.usage().1, 2);
    assert_eq!(reopened.get("a"), Some(record(1)));
    assert_eq!(reopened.get("b").unwrap().modified, None);
    // Replacing a key keeps one record.
    reopened.put("a", &record(3)).unwrap();
    assert_eq!(reopened.get("a"), Some(record(3)));
    assert_eq!(reopened.usage().1, 2);
}

#[test]
fn a_torn_or_altered_record_is_never_served_and_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let tier = DiskTier::open(dir.path(), 1 << 20).unwrap();
    tier.put("torn", &record(1)).unwrap();
    tier.put("flipped", &record(2)).unwrap();
    let torn = tier.path(&name("torn"));
    let whole = fs::read(&torn).unwrap();
    fs::write(&torn, &whole[..whole.len() / 2]).unwrap();
    let flipped = tier.path(&name("flipped"));
    let mut bytes = fs::read(&flipped).unwrap();
    bytes[100] ^= 1;
    fs::write(&flipped, bytes).unwrap();
    assert_eq!(tier.get("torn"), None);
    assert_eq!(tier.get("flipped"), None);
    assert!(!torn.exists() && !flipped.exists());
    assert_eq!(tier.usage(), (0, 0));
    // A record under another key's name (a collision, or a file moved by hand) is not served.
    tier.put("one", &record(3)).unwrap();
    let two = tier.path(&name("two"));
    fs::create_dir_all(two.parent().unwrap()).unwrap();
    fs::copy(tier.path(&name("one")), two).unwrap();
    assert_eq!(tier.get("two"), None);
}

#[test]
fn a_crash_s_temporary_files_are_cleared_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let tier = DiskTier::open(dir.path(), 1 << 20).unwrap();
    tier.put("a", &record(1)).unwrap();
    let shard = tier.path(&name("a")).parent().unwrap().to_path_buf();
    fs::write(shard.join("half.1234.tmp"), b"half a record").unwrap();
    drop(tier);
    let tier = DiskTier::open(dir.path(), 1 << 20).unwrap();
    assert!(files(dir.path(), "tmp").is_empty());
    assert_eq!(tier.get("a"), Some(record(1)));
}

#[test]
fn the_budget_holds_and_the_most_recently_used_survive() {
    let dir = tempfile::tempdir().unwrap();
    let one = encode("key 000", &record(0)).len() as u64;
    let budget = one * 100;
    let tier = DiskTier::open(dir.path(), budget).unwrap();
    for n in 0..500 {
        tier.put(&format!("key {n:03}"), &record(n)).unwrap();
        // Keep the first one in use: it must survive every eviction.
        assert!(tier.get("key 000").is_some(), "after {n}");
    }
    let (used, count) = tier.usage();
    assert!(
        used <= budget && count == 100,
        "{used} bytes, {count} records"
    );
    let on_disk: u64 = files(dir.path(), "pxd")
        .iter()
        .map(|f| fs::metadata(f).unwrap().len())
        .sum();
    assert_eq!(on_disk, used, "the folder holds what the index says");
    assert!(tier.get("key 499").is_some() && tier.get("key 401").is_some());
    assert!(tier.get("key 400").is_none() && tier.get("key 001").is_none());
    // After a restart the order comes from the files' times: the newest survive a smaller
    // budget.
    drop(tier);
    let smaller = DiskTier::open(dir.path(), one * 10).unwrap();
    assert_eq!(smaller.usage().1, 10);
    assert!(smaller.get("key 499").is_some());
}

#[test]
fn a_record_larger_than_the_budget_is_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let tier = DiskTier::open(dir.path(), 500).unwrap();
    tier.put("big", &record(1)).unwrap();
    assert_eq!(tier.get("big"), None);
    assert_eq!(tier.usage(), (0, 0));
}
