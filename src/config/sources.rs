//! Validation of `[[sources]]`: names, roots, hosts, prefixes, secrets and their policies, and the
//! cross-checks that keep two sources from claiming the same requests or the same environment
//! variables. Touches the filesystem only to check that roots exist.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::addressing::{normalise_host, normalise_prefix, shared_hosts};
use super::env::{Env, env_segment, source_var};
use super::raw::{RawDuration, RawSource};
use super::validate::Problems;
use super::{Root, SourceConfig, parse_duration};

/// A checked source and whether its prefix is valid enough to compare with later ones.
struct Checked {
    config: SourceConfig,
    prefix_ok: bool,
}

pub(super) fn sources(
    problems: &mut Problems,
    raw: &[RawSource],
    base_dir: &Path,
    env: &Env,
) -> Vec<SourceConfig> {
    let mut checked: Vec<Checked> = Vec::with_capacity(raw.len());
    for (i, raw) in raw.iter().enumerate() {
        let source = source(
            problems,
            &format!("sources[{i}]"),
            raw,
            base_dir,
            env,
            &checked,
        );
        checked.push(source);
    }
    let configs: Vec<SourceConfig> = checked.into_iter().map(|c| c.config).collect();
    claim_staging_dirs(problems, &configs);
    configs
}

/// A staging folder holds one source's uploads, keyed by storage key alone: shared, two
/// buckets' uploads to one key would meet in one session.
fn claim_staging_dirs(problems: &mut Problems, sources: &[SourceConfig]) {
    for (i, source) in sources.iter().enumerate() {
        let Root::S3(root) = &source.root else {
            continue;
        };
        let earlier = sources[..i].iter().position(
            |other| matches!(&other.root, Root::S3(o) if o.staging_dir == root.staging_dir),
        );
        if let Some(j) = earlier {
            problems.push(
                format!("sources[{i}].staging_dir"),
                format!(
                    "{} is already the staging folder of sources[{j}]; give each bucket source its own",
                    root.staging_dir.display()
                ),
            );
        }
    }
}

fn source(
    problems: &mut Problems,
    at: &str,
    raw: &RawSource,
    base_dir: &Path,
    env: &Env,
    earlier: &[Checked],
) -> Checked {
    let name = name(problems, at, raw.name.as_deref(), earlier);
    let root = super::root::root(problems, at, raw, base_dir, env);
    let mut config = SourceConfig::new(&name, root);
    config.hosts = hosts(problems, at, &raw.hosts);
    let prefix = raw
        .prefix
        .as_deref()
        .map(normalise_prefix)
        .unwrap_or(Ok(String::new()));
    let prefix_ok = match prefix {
        Ok(prefix) => {
            config.prefix = prefix;
            claim_route(problems, at, &config, earlier);
            true
        }
        Err(message) => {
            problems.push(format!("{at}.prefix"), message);
            false
        }
    };
    config.secure = raw.secure.unwrap_or(false);
    config.private_prefixes = raw.private_prefixes.clone();
    config.md5_tokens = raw.md5_tokens.clone();
    config.hmac_keys = raw.hmac_keys.clone();
    require_secret(problems, at, &config);
    check_private_prefixes(problems, at, &config.private_prefixes);
    check_secrets(problems, &format!("{at}.md5_tokens"), &config.md5_tokens);
    check_secrets(problems, &format!("{at}.hmac_keys"), &config.hmac_keys);

    let defaults = SourceConfig::new("", PathBuf::new());
    let key = format!("{at}.default_ttl");
    config.default_ttl = problems.duration(&key, raw.default_ttl.as_ref(), defaults.default_ttl);
    config.max_ttl = max_ttl(problems, &format!("{at}.max_ttl"), raw.max_ttl.as_ref());
    let key = format!("{at}.clock_skew");
    config.clock_skew = problems.duration(&key, raw.clock_skew.as_ref(), defaults.clock_skew);
    let key = format!("{at}.revalidate_after");
    config.revalidate_after = problems.duration(
        &key,
        raw.revalidate_after.as_ref(),
        defaults.revalidate_after,
    );
    config.watermark = watermark(problems, &format!("{at}.watermark"), raw, &config);
    config.presets_only = raw.presets_only.unwrap_or(false);
    config.widths = widths(problems, &format!("{at}.widths"), &raw.widths);
    fallback(problems, at, raw, &mut config);
    Checked { config, prefix_ok }
}

/// `fallback` (a key, empty is none) and its status. A private key would show through every
/// public miss, and is refused.
fn fallback(problems: &mut Problems, at: &str, raw: &RawSource, config: &mut SourceConfig) {
    let key = format!("{at}.fallback_status");
    match raw.fallback_status.map(u16::try_from) {
        None => {}
        Some(Ok(status)) if (200..300).contains(&status) || (400..500).contains(&status) => {
            config.fallback_status = status;
        }
        Some(_) => problems.push(key, "must be 200–299 or 400–499, e.g. 404"),
    }
    let Some(text) = raw.fallback.as_deref().filter(|f| !f.is_empty()) else {
        return;
    };
    let key = format!("{at}.fallback");
    let path = text.trim_start_matches('/');
    // The storage stage judges the key fully when it reads it; this catches the typos.
    let plain = path
        .split('/')
        .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']));
    if !plain {
        problems.push(
            key,
            format!("`{text}` is not a storage key such as errors/missing.png"),
        );
    } else if private_prefix(&config.private_prefixes, path).is_some() {
        problems.push(
            key,
            format!("`{text}` is under a private prefix: every public miss would show it"),
        );
    } else {
        config.fallback = Some(path.to_string());
    }
}

/// The private prefix `key` is under, if any (whole segments only).
fn private_prefix<'a>(prefixes: &'a [String], key: &str) -> Option<&'a String> {
    prefixes
        .iter()
        .find(|p| format!("{key}/").starts_with(&format!("{}/", p.trim_end_matches('/'))))
}

/// `widths`: whole px in 1–8192, sorted and deduplicated.
fn widths(problems: &mut Problems, key: &str, raw: &[String]) -> Vec<u32> {
    let mut widths = Vec::with_capacity(raw.len());
    for text in raw {
        match text.trim().parse::<u32>() {
            Ok(w) if (1..=8192).contains(&w) => widths.push(w),
            _ => problems.push(key, format!("`{text}` is not a size in px from 1 to 8192")),
        }
    }
    widths.sort_unstable();
    widths.dedup();
    widths
}

/// The enforced watermark's query, checked as a URL's mark would be; empty is none. It must
/// be something an unsigned request may see, on a source that answers unsigned requests.
fn watermark(
    problems: &mut Problems,
    key: &str,
    raw: &RawSource,
    config: &SourceConfig,
) -> Option<String> {
    let query = raw.watermark.as_deref().filter(|q| !q.is_empty())?;
    let problem = match crate::transform::watermark(query) {
        Err(message) => message,
        Ok(_) if config.secure => {
            "a secure source answers signed requests only, which are never watermarked".into()
        }
        Ok(mark) => {
            // `watermark` takes paths only.
            let path = mark.image.path().unwrap_or_default();
            match private_prefix(&config.private_prefixes, path) {
                Some(prefix) => format!(
                    "`{path}` is under the private prefix `{prefix}`: unsigned requests may \
                     not read it"
                ),
                None => return Some(query.to_string()),
            }
        }
    };
    problems.push(key.to_string(), problem);
    None
}

fn name(problems: &mut Problems, at: &str, raw: Option<&str>, earlier: &[Checked]) -> String {
    let key = format!("{at}.name");
    let Some(name) = raw else {
        problems.push(key, "is required, e.g. name = \"demo\"");
        return String::new();
    };
    if name.is_empty() {
        problems.push(key, "must not be empty, e.g. \"demo\"");
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        problems.push(
            key,
            format!("{name:?} may contain only ASCII letters, digits, '_' and '-'"),
        );
    } else if let Some((i, other)) = earlier
        .iter()
        .map(|c| &c.config.name)
        .enumerate()
        .find(|(_, other)| !other.is_empty() && env_segment(other) == env_segment(name))
    {
        let message = if other == name {
            format!("{name:?} is already the name of sources[{i}]")
        } else {
            format!(
                "{name:?} and sources[{i}] ({other:?}) would read the same environment variables \
                 (PIXGATE_SOURCES__{}__…)",
                env_segment(name)
            )
        };
        problems.push(key, message);
    }
    name.to_owned()
}

fn hosts(problems: &mut Problems, at: &str, raw: &[String]) -> Vec<String> {
    let mut hosts = Vec::with_capacity(raw.len());
    for (i, host) in raw.iter().enumerate() {
        match normalise_host(host) {
            Ok(host) => hosts.push(host),
            Err(message) => {
                problems.push(format!("{at}.hosts[{i}]"), message);
                // Kept so it still narrows the source: dropping it could fake an any-host clash.
                hosts.push(host.to_ascii_lowercase());
            }
        }
    }
    hosts
}

/// Two sources with one prefix and a host in common (or either open to any host) would both
/// match one request; the later one is at fault.
fn claim_route(problems: &mut Problems, at: &str, source: &SourceConfig, earlier: &[Checked]) {
    let clash = earlier
        .iter()
        .enumerate()
        .filter(|(_, other)| other.prefix_ok && other.config.prefix == source.prefix)
        .find_map(|(i, other)| {
            shared_hosts(&other.config.hosts, &source.hosts).map(|hosts| (i, other, hosts))
        });
    // Only the first clash is reported: one is enough to act on, the rest is noise.
    if let Some((i, other, hosts)) = clash {
        problems.push(
            format!("{at}.prefix"),
            format!(
                "sources[{i}] ({:?}) already serves prefix {:?} for {hosts}; a request could match either",
                other.config.name, source.prefix
            ),
        );
    }
}

fn check_private_prefixes(problems: &mut Problems, at: &str, prefixes: &[String]) {
    for (i, prefix) in prefixes.iter().enumerate() {
        let inner = prefix.strip_suffix('/').unwrap_or(prefix);
        let message = if prefix.is_empty() {
            "must not be empty, e.g. \"private/\"".to_owned()
        } else if prefix.starts_with('/') {
            format!("{prefix:?} must be relative to the source root, e.g. \"private/\"")
        } else if inner
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            format!("{prefix:?} must not have empty, \".\" or \"..\" segments")
        } else if prefix.chars().any(|c| c == '\\' || c.is_control()) {
            format!("{prefix:?} must not contain backslashes or control characters")
        } else {
            continue;
        };
        problems.push(format!("{at}.private_prefixes[{i}]"), message);
    }
}

fn check_secrets(problems: &mut Problems, key: &str, secrets: &[String]) {
    for (i, secret) in secrets.iter().enumerate() {
        // Secrets travel in headers (`Authorization: Bearer`) and env lists, which trim and
        // cannot carry control bytes: such a secret could never be presented.
        let message = if secret.trim().is_empty() {
            "must not be empty"
        } else if secret.trim() != secret {
            "must not start or end with whitespace"
        } else if secret.chars().any(char::is_control) {
            "must not contain control characters"
        } else {
            continue;
        };
        problems.push(format!("{key}[{i}]"), message);
    }
}

fn require_secret(problems: &mut Problems, at: &str, source: &SourceConfig) {
    if !source.md5_tokens.is_empty() || !source.hmac_keys.is_empty() {
        return;
    }
    let vars = if source.name.is_empty() {
        "PIXGATE_SOURCES__<NAME>__MD5_TOKENS or PIXGATE_SOURCES__<NAME>__HMAC_KEYS".to_owned()
    } else {
        format!(
            "{} or {}",
            source_var(&source.name, "md5_tokens"),
            source_var(&source.name, "hmac_keys")
        )
    };
    let how = format!("set md5_tokens or hmac_keys, or the environment variable {vars}");
    if source.secure {
        problems.push(
            format!("{at}.secure"),
            format!("a secure source needs a secret: {how}"),
        );
    }
    if !source.private_prefixes.is_empty() {
        problems.push(
            format!("{at}.private_prefixes"),
            format!("private prefixes need a secret to sign with: {how}"),
        );
    }
}

/// `""` or absent means no limit; zero is refused because it would refuse every signed URL.
fn max_ttl(problems: &mut Problems, key: &str, raw: Option<&RawDuration>) -> Option<Duration> {
    let text = raw
        .map(|RawDuration(text)| text)
        .filter(|text| !text.is_empty())?;
    match parse_duration(text) {
        Ok(ttl) if !ttl.is_zero() => Some(ttl),
        Ok(_) => {
            let message = format!(
                "{text:?} would refuse every signed URL; write \"\" for no limit, or e.g. \"5m\""
            );
            problems.push(key, message);
            None
        }
        Err(message) => {
            problems.push(key, message);
            None
        }
    }
}
