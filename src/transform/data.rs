//! imgix's data outputs, where the answer is text about the image instead of an image:
//! `fm=json` (the original's metadata), `fm=blurhash` (a BlurHash of the rendered image) and
//! `palette=json|css` (the rendered image's colours: `colors` of them, CSS classes named with
//! `prefix`).

/// Colours in a palette without `colors`.
pub const DEFAULT_COLOURS: u8 = 6;
/// imgix's upper bound for `colors`; larger values are clamped.
pub const MAX_COLOURS: u8 = 16;
/// The CSS class prefix without `prefix`.
pub const DEFAULT_PREFIX: &str = "image";
/// A prefix is a CSS identifier of at most this many characters.
const MAX_PREFIX: usize = 64;

/// What a data output answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// `fm=json`: the original's metadata, with the faces found in it for `faces=1`. Nothing
    /// else in the query changes it.
    Metadata { faces: bool },
    /// `fm=blurhash`: a BlurHash string of the rendered image.
    Blurhash,
    /// `palette=json|css`: the rendered image's colours.
    Palette(Palette),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    pub style: PaletteStyle,
    /// How many colours the frequency-ordered list holds, 0–16.
    pub colours: u8,
    /// The CSS classes' prefix (`.image-fg-1`); always the default for JSON.
    pub prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaletteStyle {
    Json,
    Css,
}

impl Data {
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        match self {
            Data::Metadata { faces } => {
                put("fm", &"json");
                if *faces {
                    put("faces", &1);
                }
            }
            Data::Blurhash => put("fm", &"blurhash"),
            Data::Palette(p) => {
                let style = match p.style {
                    PaletteStyle::Json => "json",
                    PaletteStyle::Css => "css",
                };
                put("palette", &style);
                if p.colours != DEFAULT_COLOURS {
                    put("colors", &p.colours);
                }
                if p.prefix != DEFAULT_PREFIX {
                    put("prefix", &p.prefix);
                }
            }
        }
    }
}

/// The data parameters as given, judged together once the query is read.
#[derive(Debug, Default)]
pub(super) struct Given {
    format: Option<Data>,
    palette: Option<PaletteStyle>,
    colours: Option<u8>,
    prefix: Option<String>,
    faces: bool,
}

impl Given {
    /// Takes `palette`, `colors`, `prefix`, `faces`, and `fm` when it names a data output; `false` for
    /// anything else (an image `fm` included).
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        match (canon, v) {
            ("fm", "json") => self.format = Some(Data::Metadata { faces: false }),
            ("faces", _) => self.faces = super::params::flag(v)?,
            ("fm", "blurhash") => self.format = Some(Data::Blurhash),
            ("palette", _) => {
                self.palette = Some(match v {
                    "json" => PaletteStyle::Json,
                    "css" => PaletteStyle::Css,
                    _ => return Err(format!("`{v}` is not json or css")),
                });
            }
            ("colors", _) => {
                let n = super::adjustments::clamped_int(v, 0, i16::from(MAX_COLOURS))?;
                self.colours = u8::try_from(n).ok();
            }
            ("prefix", _) => {
                // It becomes part of CSS class names: an identifier, nothing that could end
                // the selector or the rule.
                let identifier = !v.is_empty()
                    && v.len() <= MAX_PREFIX
                    && v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !identifier {
                    return Err(format!(
                        "must be a CSS identifier: a letter or `_`, then letters, digits, `-` \
                         or `_`, at most {MAX_PREFIX} characters"
                    ));
                }
                self.prefix = Some(v.to_string());
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The data output asked for: `palette` wins over `fm` (imgix answers a palette whatever
    /// the format), `colors` and `prefix` count only with it (`prefix` only for CSS); `faces`
    /// only with `fm=json` (as in imgix).
    pub fn finish(self) -> Option<Data> {
        match self.palette {
            Some(style) => Some(Data::Palette(Palette {
                style,
                colours: self.colours.unwrap_or(DEFAULT_COLOURS),
                prefix: match style {
                    PaletteStyle::Css => self.prefix,
                    PaletteStyle::Json => None,
                }
                .unwrap_or_else(|| DEFAULT_PREFIX.to_string()),
            })),
            None => match self.format {
                Some(Data::Metadata { .. }) => Some(Data::Metadata { faces: self.faces }),
                other => other,
            },
        }
    }
}
