//! What `auto=format` chose from `Accept`: a format for a still and one for an animation. It is
//! chosen before the source is read, so it names every outcome that can change the bytes, and
//! it is part of the derivative's cache key.

use std::fmt;

use super::OutputFormat;

/// The modern formats `Accept` names (wildcards do not count: `image/*` says nothing about
/// AVIF support).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Negotiated {
    /// AVIF, and so WebP: every client that decodes AVIF shipped WebP first (Chrome, Firefox,
    /// Safari, Edge), so an animation goes out as WebP even when `Accept` names AVIF alone.
    Avif,
    Webp,
    /// Neither: a still keeps the source's format, an animation becomes GIF.
    Neither,
}

impl Negotiated {
    /// The format for a still output; `None`: the source's own, as without `auto=format`.
    pub fn still(self) -> Option<OutputFormat> {
        match self {
            Negotiated::Avif => Some(OutputFormat::Avif),
            Negotiated::Webp => Some(OutputFormat::Webp),
            Negotiated::Neither => None,
        }
    }

    /// The format for an animated output (pixgate writes no animated AVIF).
    pub fn animated(self) -> OutputFormat {
        match self {
            Negotiated::Avif | Negotiated::Webp => OutputFormat::Webp,
            Negotiated::Neither => OutputFormat::Gif,
        }
    }
}

impl fmt::Display for Negotiated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Negotiated::Avif => "avif",
            Negotiated::Webp => "webp",
            Negotiated::Neither => "gif",
        })
    }
}
