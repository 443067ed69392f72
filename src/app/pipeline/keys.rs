//! The pipeline's cache keys: exactly what changes the bytes. A derivative is keyed by source,
//! storage key and the file's version, canonical transform, negotiated format (one of four
//! buckets: avif, webp, gif for neither, or `-` without negotiation) and the versions of the
//! other files it draws (the watermark, a blended image); an original by the first three.
//! Never the signature, the expiry or unknown parameters. Every key of one stored file starts
//! with the same prefix, in every version, so replacing the file can drop them all.

use std::fmt::Write as _;

use crate::source::{StorageKey, Version};
use crate::transform::{Negotiated, Transform};

use super::Site;

/// The derivative cache's key. Built in one buffer: it is made on every request, cache hits
/// included.
pub fn derivative(
    site: &Site,
    key: &StorageKey,
    version: &Version,
    t: &Transform,
    negotiated: Option<Negotiated>,
    layers: &[Option<(&str, &Version)>],
) -> String {
    let mut out = original(site, key, version);
    out.push('\n');
    t.write_canonical(&mut out);
    out.push('\n');
    match negotiated {
        Some(chosen) => {
            let _ = write!(out, "{chosen}");
        }
        None => out.push('-'),
    }
    for (name, version) in layers.iter().flatten() {
        let _ = write!(out, "\n{name} ");
        version.write_tag(&mut out);
    }
    out
}

/// The originals cache's key: one stored file in one version.
pub fn original(site: &Site, key: &StorageKey, version: &Version) -> String {
    let mut out = String::with_capacity(128);
    push_file_prefix(&mut out, site, key);
    version.write_tag(&mut out);
    out
}

/// What every key of one stored file starts with, in every version.
pub fn file_prefix(site: &Site, key: &StorageKey) -> String {
    let mut out = String::new();
    push_file_prefix(&mut out, site, key);
    out
}

fn push_file_prefix(out: &mut String, site: &Site, key: &StorageKey) {
    out.push_str(site.name());
    out.push('\n');
    out.push_str(key.as_str());
    out.push('\n');
}
