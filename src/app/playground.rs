//! What the playground page asks of the server: which sources there are and how their URLs
//! are addressed, and the images a folder source holds. It hands out names and routing only,
//! never a secret; whether the playground is on is the HTTP layer's question.

use crate::config::Root;
use crate::source::{ListBounds, StorageKey, Store};

use super::{AppState, Error, RequestError};

/// Bounds of one listing: enough to pick from, cheap on a tree of millions of files.
const BOUNDS: ListBounds = ListBounds {
    max_depth: 4,
    max_files: 200,
    max_entries: 20_000,
};

/// Extensions of the formats pixgate decodes (compared without case).
const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "avif", "jxl", "bmp", "tif", "tiff", "svg",
];

/// One source as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSummary<'a> {
    pub name: &'a str,
    /// `folder`, `bucket` or `origin`.
    pub kind: &'static str,
    /// `""` or `/seg…`: what a URL's path starts with.
    pub prefix: &'a str,
    /// Empty when any host reaches the source.
    pub hosts: &'a [String],
    /// Has an HMAC key, so the signatures endpoint can sign for it.
    pub signable: bool,
    /// Answers signed requests only.
    pub secure: bool,
}

/// The images of a source, or why it cannot be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Up to [`BOUNDS`]`.max_files` keys, sorted by path.
    Images(Vec<StorageKey>),
    /// A bucket or an origin: the page asks for a path instead. The note says why.
    NotListed { note: &'static str },
}

/// Every source, in config order.
pub fn sources(app: &AppState) -> Vec<SourceSummary<'_>> {
    app.sites
        .iter()
        .map(|site| {
            let config = &site.config;
            SourceSummary {
                name: &config.name,
                kind: match config.root {
                    Root::Local(_) => "folder",
                    Root::S3(_) => "bucket",
                    Root::Http(_) => "origin",
                },
                prefix: &config.prefix,
                hosts: &config.hosts,
                signable: !config.hmac_keys.is_empty(),
                secure: config.secure,
            }
        })
        .collect()
}

/// The images of the source named `name`: a bounded walk of a folder; buckets and origins are
/// not listed (a bucket listing is a paid request per page, an origin has none).
pub async fn images(app: &AppState, name: &str) -> Result<Listing, Error> {
    let site = app
        .sites
        .iter()
        .find(|site| site.config.name == name)
        .ok_or_else(|| RequestError::BadField {
            name: "source",
            reason: format!("no source is named {name:?}"),
        })?;
    Ok(match &site.store {
        Store::Local(local) => Listing::Images(local.list(BOUNDS, is_image_name).await),
        Store::Remote(_) => Listing::NotListed {
            note: "buckets and origins are not listed; type the image's path",
        },
    })
}

fn is_image_name(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        IMAGE_EXTENSIONS
            .iter()
            .any(|known| ext.eq_ignore_ascii_case(known))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_are_known_extensions_in_any_case() {
        let cases = [
            ("a.jpg", true),
            ("b.JPEG", true),
            ("c.tar.png", true),
            ("d.svg", true),
            ("notes.txt", false),
            ("png", false),
            ("e.png.bak", false),
        ];
        for (name, want) in cases {
            assert_eq!(is_image_name(name), want, "{name}");
        }
    }
}
