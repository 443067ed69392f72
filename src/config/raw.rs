//! The file's shape as serde sees it: every key optional, unknown keys refused so typos are
//! caught, and values kept as written (text, signed integers) so that validation, not serde,
//! judges them and can report every bad value at once under its key. (Tests serialize them to
//! check the key registry against the fields.)

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawConfig {
    pub server: RawServer,
    pub cache: RawCache,
    pub limits: RawLimits,
    pub uploads: RawUploads,
    pub log: RawLog,
    pub text: RawText,
    pub encoding: RawEncoding,
    pub playground: RawPlayground,
    pub presets: Vec<RawPreset>,
    pub sources: Vec<RawSource>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawPreset {
    pub name: Option<String>,
    pub params: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawServer {
    pub listen: Option<String>,
    pub header_timeout: Option<RawDuration>,
    pub idle_timeout: Option<RawDuration>,
    pub body_timeout: Option<RawDuration>,
    pub min_body_rate: Option<RawSize>,
    pub body_rate_window: Option<RawDuration>,
    pub body_rate_grace: Option<RawDuration>,
    pub send_timeout: Option<RawDuration>,
    pub shutdown_timeout: Option<RawDuration>,
    pub max_connections: Option<i64>,
    pub max_connections_per_client: Option<i64>,
    pub http2: Option<bool>,
    pub max_url_bytes: Option<RawSize>,
    pub max_header_bytes: Option<RawSize>,
    pub max_headers: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawCache {
    pub max_bytes: Option<RawSize>,
    pub max_entry_bytes: Option<RawSize>,
    pub originals_max_bytes: Option<RawSize>,
    pub mezzanine_max_bytes: Option<RawSize>,
    pub disk: RawDiskCache,
    pub shared: RawSharedCache,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSharedCache {
    pub root: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub anonymous: Option<bool>,
    pub path_style: Option<bool>,
    pub timeout: Option<RawDuration>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawDiskCache {
    pub dir: Option<String>,
    pub max_bytes: Option<RawSize>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawLimits {
    pub max_source_pixels: Option<i64>,
    pub max_source_bytes: Option<RawSize>,
    pub max_output_dimension: Option<i64>,
    pub render_timeout: Option<RawDuration>,
    pub max_animation_frames: Option<i64>,
    pub render_workers: Option<i64>,
    pub render_queue: Option<i64>,
    pub source_timeout: Option<RawDuration>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawUploads {
    pub max_bytes: Option<RawSize>,
    pub session_ttl: Option<RawDuration>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawText {
    pub fonts_dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawEncoding {
    pub avif_speed: Option<i64>,
    pub avif_budget: Option<RawDuration>,
    pub webp_method: Option<i64>,
    pub png_level: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawPlayground {
    pub enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawLog {
    pub format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSource {
    pub name: Option<String>,
    pub root: Option<String>,
    pub hosts: Vec<String>,
    pub prefix: Option<String>,
    pub secure: Option<bool>,
    pub private_prefixes: Vec<String>,
    pub md5_tokens: Vec<String>,
    pub hmac_keys: Vec<String>,
    pub default_ttl: Option<RawDuration>,
    pub max_ttl: Option<RawDuration>,
    pub clock_skew: Option<RawDuration>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub anonymous: Option<bool>,
    pub path_style: Option<bool>,
    pub staging_dir: Option<String>,
    pub allowed_networks: Vec<String>,
    pub max_redirects: Option<i64>,
    pub revalidate_after: Option<RawDuration>,
    pub watermark: Option<String>,
    pub presets_only: Option<bool>,
    pub fallback: Option<String>,
    pub fallback_status: Option<i64>,
    /// `[320, 640]` in the file, `320,640` from the environment.
    #[serde(deserialize_with = "numbers_as_text")]
    pub widths: Vec<String>,
}

/// A size as written: TOML integers are bytes, strings carry a unit (`"512MiB"`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(super) enum RawSize {
    Bytes(i64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SizeVisitor)
    }
}

struct SizeVisitor;

impl Visitor<'_> for SizeVisitor {
    type Value = RawSize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size such as \"512MiB\" or a whole number of bytes")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawSize, E> {
        Ok(RawSize::Bytes(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawSize, E> {
        i64::try_from(v)
            .map(RawSize::Bytes)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSize, E> {
        Ok(RawSize::Text(v.to_owned()))
    }
}

/// A duration as written, always a string (`"30s"`); a bare number would hide its unit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(super) struct RawDuration(pub String);

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DurationVisitor)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = RawDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration string such as \"30s\", \"5m\" or \"7d\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDuration, E> {
        Ok(RawDuration(v.to_owned()))
    }
}

/// A list of numbers (or strings) as text, the form the environment gives lists in.
fn numbers_as_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item {
        Number(i64),
        Text(String),
    }
    let items = Vec::<Item>::deserialize(d)?;
    Ok(items
        .into_iter()
        .map(|item| match item {
            Item::Number(n) => n.to_string(),
            Item::Text(t) => t,
        })
        .collect())
}
