//! imgix's parameter registry (version 11.35.0, `tests/data/imgix-parameters.tsv`): every name
//! and alias a site migrating from imgix may send, and what pixgate does with it. A name that
//! pixgate does not implement is refused by name (`400 unsupported_parameter`), never ignored:
//! the image would not be the one asked for. Names outside the registry (`ixlib`, `utm_*`) are
//! not imgix's to define and are ignored. Pure data; `docs/url-api.md`'s table is rendered from
//! it ([`reference_table`]) and a test checks both against the registry file.

use std::borrow::Cow;

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::{TransformError, canonical_name};

/// imgix's base64 variants: URL-safe, sent without padding (accepted with it).
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What pixgate does with a registry name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Parsed by the transform stage.
    Implemented,
    /// Read by the signature stage (`expires`).
    Signing,
    /// Refused, and meant to stay so; the reason says why.
    Never(&'static str),
    /// Refused until pixgate implements it; says what it is waiting for.
    Planned(&'static str),
}

const GENERATIVE: &str = "pixgate does no generative or AI processing";
const VIDEO: &str = "pixgate renders no video";
const LICENSE_PLATES: &str = "pixgate does no license-plate detection";
const RASTERIZE_BYPASS: &str = "pixgate has no vector output to bypass";
const PDF: &str = "pixgate reads no PDF yet";
const RENDERING: &str = "not implemented yet";

use Support::{Implemented, Never, Planned, Signing};

/// Every spelling (name or alias), its registry name and what pixgate does with it, sorted by
/// spelling for binary search.
const SPELLINGS: &[(&str, &str, Support)] = &[
    ("annotation", "pdf-annotation", Planned(PDF)),
    ("ar", "ar", Implemented),
    ("auto", "auto", Implemented),
    ("b", "blend", Implemented),
    ("ba", "blend-align", Implemented),
    (
        "background-removal-semi-transparency",
        "bg-remove-semi-transparency",
        Never(GENERATIVE),
    ),
    ("background-remove", "bg-remove", Never(GENERATIVE)),
    ("background-replace", "bg-replace", Never(GENERATIVE)),
    (
        "background-replace-negative-prompt",
        "bg-replace-neg-prompt",
        Never(GENERATIVE),
    ),
    ("balph", "blend-alpha", Implemented),
    ("bc", "blend-crop", Implemented),
    ("bf", "blend-fit", Implemented),
    ("bg", "bg", Implemented),
    ("bg-remove", "bg-remove", Never(GENERATIVE)),
    (
        "bg-remove-fallback",
        "bg-remove-fallback",
        Never(GENERATIVE),
    ),
    ("bg-remove-fg-type", "bg-remove-fg-type", Never(GENERATIVE)),
    (
        "bg-remove-semi-transparency",
        "bg-remove-semi-transparency",
        Never(GENERATIVE),
    ),
    (
        "bg-remove-transparency-threshold",
        "bg-remove-transparency-threshold",
        Never(GENERATIVE),
    ),
    ("bg-replace", "bg-replace", Never(GENERATIVE)),
    (
        "bg-replace-fallback",
        "bg-replace-fallback",
        Never(GENERATIVE),
    ),
    (
        "bg-replace-neg-prompt",
        "bg-replace-neg-prompt",
        Never(GENERATIVE),
    ),
    ("bh", "blend-h", Implemented),
    ("blend", "blend", Implemented),
    ("blend-align", "blend-align", Implemented),
    ("blend-alpha", "blend-alpha", Implemented),
    ("blend-clr", "blend-color", Implemented),
    ("blend-color", "blend-color", Implemented),
    ("blend-crop", "blend-crop", Implemented),
    ("blend-fit", "blend-fit", Implemented),
    ("blend-h", "blend-h", Implemented),
    ("blend-mode", "blend-mode", Implemented),
    ("blend-pad", "blend-pad", Implemented),
    ("blend-size", "blend-size", Implemented),
    ("blend-w", "blend-w", Implemented),
    ("blend-x", "blend-x", Implemented),
    ("blend-y", "blend-y", Implemented),
    ("blendalign", "blend-align", Implemented),
    ("blendalpha", "blend-alpha", Implemented),
    ("blendclr", "blend-color", Implemented),
    ("blendcolor", "blend-color", Implemented),
    ("blendcrop", "blend-crop", Implemented),
    ("blendfit", "blend-fit", Implemented),
    ("blendh", "blend-h", Implemented),
    ("blendmode", "blend-mode", Implemented),
    ("blendpad", "blend-pad", Implemented),
    ("blendsize", "blend-size", Implemented),
    ("blendw", "blend-w", Implemented),
    ("blendx", "blend-x", Implemented),
    ("blendy", "blend-y", Implemented),
    ("blur", "blur", Implemented),
    ("bm", "blend-mode", Implemented),
    ("border", "border", Implemented),
    ("border-bottom", "border-bottom", Implemented),
    ("border-left", "border-left", Implemented),
    ("border-radius", "border-radius", Implemented),
    ("border-radius-inner", "border-radius-inner", Implemented),
    ("border-right", "border-right", Implemented),
    ("border-stroke-color", "border-stroke-color", Implemented),
    ("border-stroke-size", "border-stroke-size", Implemented),
    ("border-top", "border-top", Implemented),
    ("bp", "blend-pad", Implemented),
    ("bri", "bri", Implemented),
    ("bs", "blend-size", Implemented),
    ("bw", "blend-w", Implemented),
    ("bx", "blend-x", Implemented),
    ("by", "blend-y", Implemented),
    ("ch", "ch", Implemented),
    ("chromasub", "chromasub", Implemented),
    ("colorquant", "colorquant", Implemented),
    ("colors", "colors", Implemented),
    ("con", "con", Implemented),
    ("corner-radius", "corner-radius", Implemented),
    ("crop", "crop", Implemented),
    ("cs", "cs", Implemented),
    ("dl", "dl", Implemented),
    ("dpi", "dpi", Implemented),
    ("dpr", "dpr", Implemented),
    ("duotone", "duotone", Implemented),
    ("duotone-alpha", "duotone-alpha", Implemented),
    ("exp", "exp", Implemented),
    ("expires", "expires", Signing),
    ("f", "fit", Implemented),
    ("face-blur", "face-blur", Implemented),
    ("face-pixel", "face-pixel", Implemented),
    ("face-pixelate", "face-pixel", Implemented),
    ("faceindex", "faceindex", Implemented),
    ("facepad", "facepad", Implemented),
    ("faces", "faces", Implemented),
    ("fill", "fill", Implemented),
    ("fill-color", "fill-color", Implemented),
    ("fill-gen-fallback", "fill-gen-fallback", Never(GENERATIVE)),
    (
        "fill-gen-neg-prompt",
        "fill-gen-neg-prompt",
        Never(GENERATIVE),
    ),
    ("fill-gen-pos", "fill-gen-pos", Never(GENERATIVE)),
    ("fill-gen-prompt", "fill-gen-prompt", Never(GENERATIVE)),
    ("fill-gen-seed", "fill-gen-seed", Never(GENERATIVE)),
    (
        "fill-generative-fallback",
        "fill-gen-fallback",
        Never(GENERATIVE),
    ),
    (
        "fill-generative-negative-prompt",
        "fill-gen-neg-prompt",
        Never(GENERATIVE),
    ),
    (
        "fill-generative-position",
        "fill-gen-pos",
        Never(GENERATIVE),
    ),
    (
        "fill-generative-prompt",
        "fill-gen-prompt",
        Never(GENERATIVE),
    ),
    ("fill-generative-seed", "fill-gen-seed", Never(GENERATIVE)),
    ("fill-gradient-cs", "fill-gradient-cs", Implemented),
    ("fill-gradient-linear", "fill-gradient-linear", Implemented),
    (
        "fill-gradient-linear-direction",
        "fill-gradient-linear-direction",
        Implemented,
    ),
    ("fill-gradient-radial", "fill-gradient-radial", Implemented),
    (
        "fill-gradient-radial-radius",
        "fill-gradient-radial-radius",
        Implemented,
    ),
    (
        "fill-gradient-radial-x",
        "fill-gradient-radial-x",
        Implemented,
    ),
    (
        "fill-gradient-radial-y",
        "fill-gradient-radial-y",
        Implemented,
    ),
    ("fill-gradient-type", "fill-gradient-type", Implemented),
    ("fillcolor", "fill-color", Implemented),
    ("fit", "fit", Implemented),
    ("flip", "flip", Implemented),
    ("fm", "fm", Implemented),
    ("fp-debug", "fp-debug", Implemented),
    ("fp-x", "fp-x", Implemented),
    ("fp-y", "fp-y", Implemented),
    ("fp-z", "fp-z", Implemented),
    ("fps", "fps", Implemented),
    ("frame", "frame", Implemented),
    ("gam", "gam", Implemented),
    ("grid-colors", "grid-colors", Planned(RENDERING)),
    ("grid-size", "grid-size", Planned(RENDERING)),
    ("h", "h", Implemented),
    ("height", "h", Implemented),
    ("high", "high", Implemented),
    ("htn", "htn", Implemented),
    ("hue", "hue", Implemented),
    ("interval", "interval", Implemented),
    ("inv", "invert", Implemented),
    ("invert", "invert", Implemented),
    ("iptc", "iptc", Implemented),
    ("jpeg-progressive", "jpg-progressive", Implemented),
    ("jpg-progressive", "jpg-progressive", Implemented),
    ("license-plate-blur", "lp-blur", Never(LICENSE_PLATES)),
    ("loop", "loop", Implemented),
    ("lossless", "lossless", Implemented),
    ("lp-blur", "lp-blur", Never(LICENSE_PLATES)),
    ("m", "mark", Implemented),
    ("ma", "mark-align", Implemented),
    ("malph", "mark-alpha", Implemented),
    ("mark", "mark", Implemented),
    ("mark-align", "mark-align", Implemented),
    ("mark-alpha", "mark-alpha", Implemented),
    ("mark-base", "mark-base", Implemented),
    ("mark-fit", "mark-fit", Implemented),
    ("mark-h", "mark-h", Implemented),
    ("mark-if-min-height", "mark-if-min-height", Implemented),
    ("mark-if-min-width", "mark-if-min-width", Implemented),
    ("mark-pad", "mark-pad", Implemented),
    ("mark-rot", "mark-rot", Implemented),
    ("mark-scale", "mark-scale", Implemented),
    ("mark-tile", "mark-tile", Implemented),
    ("mark-w", "mark-w", Implemented),
    ("mark-x", "mark-x", Implemented),
    ("mark-y", "mark-y", Implemented),
    ("markalign", "mark-align", Implemented),
    ("markalpha", "mark-alpha", Implemented),
    ("markbase", "mark-base", Implemented),
    ("markfit", "mark-fit", Implemented),
    ("markh", "mark-h", Implemented),
    ("markpad", "mark-pad", Implemented),
    ("markscale", "mark-scale", Implemented),
    ("marktile", "mark-tile", Implemented),
    ("markw", "mark-w", Implemented),
    ("markx", "mark-x", Implemented),
    ("marky", "mark-y", Implemented),
    ("mask", "mask", Implemented),
    ("mask-bg", "mask-bg", Implemented),
    ("maskbg", "mask-bg", Implemented),
    ("max-h", "max-h", Implemented),
    ("max-height", "max-h", Implemented),
    ("max-w", "max-w", Implemented),
    ("max-width", "max-w", Implemented),
    ("mb", "mark-base", Implemented),
    ("mf", "mark-fit", Implemented),
    ("mh", "mark-h", Implemented),
    ("min-h", "min-h", Implemented),
    ("min-height", "min-h", Implemented),
    ("min-w", "min-w", Implemented),
    ("min-width", "min-w", Implemented),
    ("mono", "monochrome", Implemented),
    ("monochrome", "monochrome", Implemented),
    ("mp", "mark-pad", Implemented),
    ("ms", "mark-scale", Implemented),
    ("mtile", "mark-tile", Implemented),
    ("mw", "mark-w", Implemented),
    ("mx", "mark-x", Implemented),
    ("my", "mark-y", Implemented),
    ("nr", "nr", Planned(RENDERING)),
    ("nrs", "nrs", Planned(RENDERING)),
    (
        "object-removal-negative-prompt",
        "object-removal-negative-prompt",
        Never(GENERATIVE),
    ),
    (
        "object-removal-prompt",
        "object-removal-prompt",
        Never(GENERATIVE),
    ),
    (
        "object-removal-rect",
        "object-removal-rect",
        Never(GENERATIVE),
    ),
    (
        "object-removal-seed",
        "object-removal-seed",
        Never(GENERATIVE),
    ),
    ("or", "orient", Implemented),
    ("orient", "orient", Implemented),
    ("pad", "pad", Implemented),
    ("pad-bottom", "pad-bottom", Implemented),
    ("pad-left", "pad-left", Implemented),
    ("pad-right", "pad-right", Implemented),
    ("pad-top", "pad-top", Implemented),
    ("page", "page", Planned(PDF)),
    ("palette", "palette", Implemented),
    ("pdf-annotation", "pdf-annotation", Planned(PDF)),
    ("prefix", "prefix", Implemented),
    ("px", "px", Implemented),
    ("q", "q", Implemented),
    (
        "rasterize-bypass",
        "rasterize-bypass",
        Never(RASTERIZE_BYPASS),
    ),
    ("rect", "rect", Implemented),
    ("reverse", "reverse", Implemented),
    ("rot", "rot", Implemented),
    ("rot-type", "rot-type", Implemented),
    ("rott", "rot-type", Implemented),
    ("rottype", "rot-type", Implemented),
    ("sat", "sat", Implemented),
    ("sepia", "sepia", Implemented),
    ("shad", "shad", Implemented),
    ("sharp", "sharp", Implemented),
    ("skip", "skip", Implemented),
    ("svg-sanitize", "svg-sanitize", Implemented),
    ("t", "txt", Implemented),
    ("ta", "txt-align", Implemented),
    ("tc", "txt-color", Implemented),
    ("tcl", "txt-clip", Implemented),
    ("tf", "txt-font", Implemented),
    ("tl", "txt-line", Implemented),
    ("tp", "txt-pad", Implemented),
    ("transparency", "transparency", Planned(RENDERING)),
    ("trim", "trim", Implemented),
    ("trim-alpha", "trim-alpha", Implemented),
    ("trim-color", "trim-color", Implemented),
    ("trim-md", "trim-md", Implemented),
    ("trim-pad", "trim-pad", Implemented),
    ("trim-sd", "trim-sd", Implemented),
    ("trim-tol", "trim-tol", Implemented),
    ("trimcolor", "trim-color", Implemented),
    ("trimmd", "trim-md", Implemented),
    ("trimpad", "trim-pad", Implemented),
    ("trimsd", "trim-sd", Implemented),
    ("trimtol", "trim-tol", Implemented),
    ("tsh", "txt-shad", Implemented),
    ("tsz", "txt-size", Implemented),
    ("tt", "txt-track", Implemented),
    ("txt", "txt", Implemented),
    ("txt-align", "txt-align", Implemented),
    ("txt-clip", "txt-clip", Implemented),
    ("txt-clr", "txt-color", Implemented),
    ("txt-color", "txt-color", Implemented),
    ("txt-fit", "txt-fit", Implemented),
    ("txt-font", "txt-font", Implemented),
    ("txt-lead", "txt-lead", Implemented),
    ("txt-line", "txt-line", Implemented),
    ("txt-line-clr", "txt-line-color", Implemented),
    ("txt-line-color", "txt-line-color", Implemented),
    ("txt-pad", "txt-pad", Implemented),
    ("txt-shad", "txt-shad", Implemented),
    ("txt-size", "txt-size", Implemented),
    ("txt-track", "txt-track", Implemented),
    ("txt-width", "txt-width", Implemented),
    ("txt-x", "txt-x", Implemented),
    ("txt-y", "txt-y", Implemented),
    ("txtalign", "txt-align", Implemented),
    ("txtclip", "txt-clip", Implemented),
    ("txtclr", "txt-color", Implemented),
    ("txtcolor", "txt-color", Implemented),
    ("txtfit", "txt-fit", Implemented),
    ("txtfont", "txt-font", Implemented),
    ("txtlead", "txt-lead", Implemented),
    ("txtline", "txt-line", Implemented),
    ("txtlineclr", "txt-line-color", Implemented),
    ("txtlinecolor", "txt-line-color", Implemented),
    ("txtpad", "txt-pad", Implemented),
    ("txtshad", "txt-shad", Implemented),
    ("txtsize", "txt-size", Implemented),
    ("txttrack", "txt-track", Implemented),
    ("txtwidth", "txt-width", Implemented),
    ("txtx", "txt-x", Implemented),
    ("txty", "txt-y", Implemented),
    ("upscale", "upscale", Never(GENERATIVE)),
    ("upscale-fallback", "upscale-fallback", Never(GENERATIVE)),
    ("usm", "usm", Implemented),
    ("usmrad", "usmrad", Implemented),
    ("vib", "vib", Implemented),
    ("video-bitrate", "video-bitrate", Never(VIDEO)),
    ("video-clip-end", "video-clip-end", Never(VIDEO)),
    ("video-clip-start", "video-clip-start", Never(VIDEO)),
    ("video-codec", "video-codec", Never(VIDEO)),
    ("video-thumbnail", "video-thumbnail", Never(VIDEO)),
    ("w", "w", Implemented),
    ("width", "w", Implemented),
];

/// The registry name and its support for a parameter as spelled in a query; `None` outside the
/// registry.
pub fn lookup(spelling: &str) -> Option<(&'static str, Support)> {
    SPELLINGS
        .binary_search_by(|(s, _, _)| s.cmp(&spelling))
        .ok()
        .map(|i| (SPELLINGS[i].1, SPELLINGS[i].2))
}

/// A name the parser does not know, judged against the registry: `<name>64` with a URL-safe
/// base64 value is imgix's base64 variant of `<name>` (every parameter but `auto` and `ch`),
/// given back as the canonical name and the decoded value; a registry name pixgate does not
/// implement, plain or as a variant, is refused naming the spelling; anything else is not
/// imgix's and `None` (ignored).
pub fn base64_variant<'v>(
    spelling: &str,
    value: &'v str,
) -> Result<Option<(&'static str, Cow<'v, str>)>, TransformError> {
    let variant = spelling
        .strip_suffix("64")
        .filter(|stem| !matches!(*stem, "auto" | "ch"))
        .and_then(|stem| Some((stem, lookup(stem)?.1)));
    let Some((stem, support)) = variant else {
        check_name(spelling)?;
        return Ok(None);
    };
    let refused = |reason: &str| TransformError::Unsupported {
        name: spelling.to_string(),
        reason: reason.to_string(),
    };
    let canon = match (support, canonical_name(stem)) {
        (Implemented, Some(canon)) => canon,
        // An expiry the signature stage would not read must not pass as if it did.
        (Signing, _) => return Err(refused("send `expires` unencoded")),
        (Never(why) | Planned(why), _) => return Err(refused(why)),
        (Implemented, None) => return Err(refused(RENDERING)),
    };
    let decoded = BASE64URL
        .decode(value)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| TransformError::BadValue {
            name: spelling.to_string(),
            reason: "is not URL-safe base64 of UTF-8 text".to_string(),
        })?;
    Ok(Some((canon, Cow::Owned(decoded))))
}

/// Refuses a registry parameter pixgate does not implement. `spelling` is the name as written.
pub fn check_name(spelling: &str) -> Result<(), TransformError> {
    let reason = match lookup(spelling) {
        None | Some((_, Implemented | Signing)) => return Ok(()),
        Some((_, Never(why) | Planned(why))) => why,
    };
    Err(TransformError::Unsupported {
        name: spelling.to_string(),
        reason: reason.to_string(),
    })
}

/// Values imgix defines for an implemented parameter that pixgate does not implement yet,
/// keyed by the canonical name. A value outside imgix's own set stays a bad value.
const UNSUPPORTED_VALUES: &[(&str, &[&str], &str)] = &[
    ("auto", &["enhance", "redeye", "true"], NOT_YET),
    ("bg", &super::colour::UNPUBLISHED_KEYWORDS, NOT_YET),
    ("blend-crop", &["faces"], NOT_YET),
    ("blend-fit", &["clamp"], NOT_YET),
    ("cs", &["origin", "tinysrgb", "adobergb1998"], NOT_YET),
    ("fill", &["gen", "generative"], GENERATIVE),
    ("fill-gradient-cs", &["hsl", "lch"], NOT_YET),
    ("fit", &["clamp"], NOT_YET),
    (
        "fm",
        &["jp2", "jxr", "mp4", "png32", "png8", "webm"],
        NOT_YET,
    ),
];

/// Why a value of [`UNSUPPORTED_VALUES`] is refused, when it is only a matter of time.
const NOT_YET: &str = "is not implemented yet";

/// Refuses a value of an implemented parameter that imgix defines and pixgate does not
/// implement: one of [`UNSUPPORTED_VALUES`] (a comma list counts if any item is), or a `rot`
/// other than a quarter turn. `canon` is the canonical name, `spelling` the name as written.
pub fn check_value(canon: &str, spelling: &str, value: &str) -> Result<(), TransformError> {
    let unsupported = |what: &str, why: &str| TransformError::Unsupported {
        name: spelling.to_string(),
        reason: if why == NOT_YET {
            format!("`{what}` {why}")
        } else {
            format!("`{what}`: {why}")
        },
    };
    if let Some((_, values, why)) = UNSUPPORTED_VALUES.iter().find(|(name, ..)| *name == canon) {
        // Most values are one item: no need to split them (this runs on every request).
        let item = if value.contains(',') {
            value.split(',').map(str::trim).find(|v| values.contains(v))
        } else {
            Some(value).filter(|v| values.contains(v))
        };
        if let Some(item) = item {
            return Err(unsupported(item, why));
        }
    }
    // imgix masks with an image too (a URL or path); pixgate has the two shapes so far.
    if canon == "mask" && !matches!(value, "ellipse" | "corners") {
        return Err(TransformError::Unsupported {
            name: spelling.to_string(),
            reason: "image masks are not implemented yet (ellipse and corners are)".to_string(),
        });
    }
    // imgix's `fit=facearea,fill`: a fit of its own where no face is found. pixgate falls
    // back to a plain crop only, so another fallback is refused rather than ignored.
    if canon == "fit" && value.starts_with("facearea,") {
        return Err(TransformError::Unsupported {
            name: spelling.to_string(),
            reason: "a fallback fit after `facearea` is not implemented yet (without a face, \
                     fit=facearea is a plain crop)"
                .to_string(),
        });
    }
    // imgix strips scripts from the SVG it serves. pixgate never serves an SVG that can run:
    // transformed, it is rasterised; untransformed, it is a download under a sandbox CSP. So
    // `true` is always honoured, and `false` (keep the scripts live) never can be.
    if canon == "svg-sanitize" && matches!(value, "0" | "false") {
        return Err(TransformError::Unsupported {
            name: spelling.to_string(),
            reason: "pixgate never serves SVG as a live document: transformed it is \
                     rasterised, untransformed it is served as a download with a sandbox CSP, \
                     so scripts never run and cannot be kept"
                .to_string(),
        });
    }
    // pixgate decodes JPEG XL but writes none: not an imgix value, yet worth saying why.
    if canon == "fm" && value == "jxl" {
        return Err(TransformError::Unsupported {
            name: spelling.to_string(),
            reason: "pixgate reads JPEG XL but writes none: the one pure-Rust lossy encoder \
                     (jxl-encoder) is AGPL-licensed and libjxl needs cmake to build"
                .to_string(),
        });
    }
    // imgix rotates by any angle; pixgate only by quarter turns so far.
    if canon == "rot"
        && let Ok(angle) = value.parse::<f64>()
        && (0.0..360.0).contains(&angle)
        && angle % 90.0 != 0.0
    {
        return Err(unsupported(value, NOT_YET));
    }
    Ok(())
}

/// The Markdown table of every registry name: its aliases and what pixgate does with it, one
/// line each, newline-terminated (`docs/url-api.md` holds a copy a test keeps equal).
pub fn reference_table() -> String {
    let mut names: Vec<(&str, Vec<&str>, Support)> = Vec::new();
    for (spelling, name, support) in SPELLINGS {
        match names.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, aliases, _)) if spelling != name => aliases.push(spelling),
            Some(_) => {}
            None if spelling == name => names.push((name, Vec::new(), *support)),
            None => names.push((name, vec![spelling], *support)),
        }
    }
    names.sort_by(|a, b| a.0.cmp(b.0));
    let mut table = String::from("| parameter | aliases | in pixgate |\n|---|---|---|\n");
    for (name, aliases, support) in names {
        let aliases: Vec<String> = aliases.iter().map(|a| format!("`{a}`")).collect();
        let status = match support {
            Implemented => "implemented".to_string(),
            Signing => "implemented (signing)".to_string(),
            Never(why) => format!("refused: {why}"),
            Planned(why) => format!("refused for now: {why}"),
        };
        table.push_str(&format!(
            "| `{name}` | {} | {status} |\n",
            aliases.join(", ")
        ));
    }
    table
}

#[cfg(test)]
mod tests;
