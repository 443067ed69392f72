//! `txt-font`: a CSS category or a typeface name, then `bold` and `italic` as wanted
//! (`sans-serif,bold`, `Georgia-Italic`). pixgate ships one family per category; imgix's own
//! typeface names are drawn in the one that matches their style (see `docs/text.md`).

use std::fmt;

/// imgix's typeface names (registry 11.35.0), sorted, one per line.
const IMGIX_FONTS: &str = include_str!("imgix-fonts.txt");

/// What `txt-font` asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Font {
    pub family: Family,
    pub bold: bool,
    pub italic: bool,
}

/// A CSS category, or a name: an operator's font, else one of imgix's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Family {
    /// Also imgix's default, HelveticaNeue.
    #[default]
    Sans,
    Serif,
    Mono,
    /// Drawn as the serif italic: no script face is shipped.
    Cursive,
    /// Drawn as the sans bold: no display face is shipped.
    Fantasy,
    Named(String),
}

/// How one of imgix's typeface names is drawn: the shipped family of its kind, bold and
/// italic as its name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub family: Kind,
    pub bold: bool,
    pub italic: bool,
}

/// The shipped families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sans,
    Serif,
    Mono,
}

impl Font {
    pub(super) fn parse(v: &str) -> Result<Font, String> {
        let mut words = v.split(',').map(str::trim);
        let name = words.next().unwrap_or_default();
        let family = match name {
            "sans-serif" => Family::Sans,
            "serif" => Family::Serif,
            "monospace" => Family::Mono,
            "cursive" => Family::Cursive,
            "fantasy" => Family::Fantasy,
            _ if valid_name(name) => Family::Named(name.to_string()),
            _ => {
                return Err(format!(
                    "`{name}` is not a typeface name or serif, sans-serif, monospace, cursive, \
                     fantasy"
                ));
            }
        };
        let (mut bold, mut italic) = (false, false);
        for word in words {
            let slot = match word {
                "bold" => &mut bold,
                "italic" => &mut italic,
                _ => return Err(format!("`{word}` is not bold or italic")),
            };
            if std::mem::replace(slot, true) {
                return Err(format!("`{word}` is given twice"));
            }
        }
        Ok(Font {
            family,
            bold,
            italic,
        })
    }

    /// The style this font is drawn in when it is no operator's font, or `None` when the name
    /// is not one imgix knows either.
    pub fn style(&self) -> Option<Style> {
        let (family, bold, italic) = match &self.family {
            Family::Sans => (Kind::Sans, false, false),
            Family::Serif => (Kind::Serif, false, false),
            Family::Mono => (Kind::Mono, false, false),
            Family::Cursive => (Kind::Serif, false, true),
            Family::Fantasy => (Kind::Sans, true, false),
            Family::Named(name) => {
                let style = imgix_style(name)?;
                (style.family, style.bold, style.italic)
            }
        };
        Some(Style {
            family,
            bold: bold || self.bold,
            italic: italic || self.italic,
        })
    }
}

impl fmt::Display for Font {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match &self.family {
            Family::Sans => "sans-serif",
            Family::Serif => "serif",
            Family::Mono => "monospace",
            Family::Cursive => "cursive",
            Family::Fantasy => "fantasy",
            Family::Named(name) => name,
        };
        f.write_str(name)?;
        if self.bold {
            f.write_str(",bold")?;
        }
        if self.italic {
            f.write_str(",italic")?;
        }
        Ok(())
    }
}

/// Letters, digits, spaces and `-_.`, as typeface and PostScript names are written.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

/// One of imgix's names, judged by its words: monospaced and serif faces by their family,
/// the rest sans; bold and italic by their style suffix.
fn imgix_style(name: &str) -> Option<Style> {
    if !IMGIX_FONTS.lines().any(|listed| listed == name) {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let family = if has(MONO) {
        Kind::Mono
    } else if (lower.contains("serif") && !lower.contains("sans")) || has(SERIF) {
        Kind::Serif
    } else {
        Kind::Sans
    };
    let style = lower.rsplit_once('-').map_or("", |(_, s)| s);
    // `Medi` is URW's medium-bold; `Medium` elsewhere is drawn regular.
    let heavy = matches!(style, "w6" | "w7" | "w8" | "w9" | "medi" | "mediital");
    let bold = has(BOLD) || heavy;
    let italic = has(ITALIC) || style.ends_with("ita") || style.ends_with("it") || has(SCRIPT);
    let family = if has(SCRIPT) { Kind::Serif } else { family };
    Some(Style {
        family,
        bold,
        italic,
    })
}

const MONO: &[&str] = &[
    "mono",
    "courier",
    "menlo",
    "monaco",
    "code",
    "typewriter",
    "andale",
];
const SERIF: &[&str] = &[
    "times",
    "georgia",
    "baskerville",
    "palatino",
    "palladio",
    "didot",
    "bodoni",
    "mincho",
    "hiramin",
    "yumin",
    "myungjo",
    "myeongjo",
    "song",
    "cochin",
    "charter",
    "hoefler",
    "iowan",
    "athelas",
    "rockwell",
    "superclarendon",
    "bookman",
    "century",
    "c059",
    "p052",
    "caslon",
    "marion",
    "nimbusrom",
    "nimbusroman",
    "stix",
    "newpeninim",
    "kaiti",
    "kaisei",
    "shippori",
    "tokumin",
    "copperplate",
    "tegomin",
    "zenantique",
];
/// Script faces: drawn as the serif italic.
const SCRIPT: &[&str] = &[
    "chancery",
    "snellroundhand",
    "zapfino",
    "brushscript",
    "signpainter",
    "savoye",
    "z003",
    "corsiva",
];
const BOLD: &[&str] = &["bold", "black", "heavy", "demi", "impact"];
const ITALIC: &[&str] = &["italic", "oblique", "obli", "inclined", "ital"];

#[cfg(test)]
mod tests {
    use super::*;

    fn style(name: &str) -> Option<(Kind, bool, bool)> {
        Font::parse(name)
            .ok()?
            .style()
            .map(|s| (s.family, s.bold, s.italic))
    }

    #[test]
    fn the_list_is_imgix_s_and_sorted() {
        let names: Vec<&str> = IMGIX_FONTS.lines().collect();
        assert_eq!(names.len(), 995);
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        let registry = include_str!("../../../tests/data/imgix-parameters.tsv");
        let line = registry
            .lines()
            .find(|l| l.starts_with("# txt-font family values"))
            .unwrap();
        let listed: Vec<&str> = line.split_once(':').unwrap().1.split_whitespace().collect();
        assert_eq!(listed, names);
    }

    #[test]
    fn names_are_drawn_by_their_style() {
        use Kind::*;
        for (name, want) in [
            ("HelveticaNeue", (Sans, false, false)),
            ("HelveticaNeue-BoldItalic", (Sans, true, true)),
            ("Georgia-Italic", (Serif, false, true)),
            ("TimesNewRomanPS-BoldMT", (Serif, true, false)),
            ("DejaVuSerif-Bold", (Serif, true, false)),
            ("Courier-BoldOblique", (Mono, true, true)),
            ("Menlo-Regular", (Mono, false, false)),
            ("LiberationSans-Bold", (Sans, true, false)),
            ("HiraMinProN-W6", (Serif, true, false)),
            ("HelveticaNeue-Medium", (Sans, false, false)),
            ("NimbusRomNo9L-Medi", (Serif, true, false)),
            ("Zapfino", (Serif, false, true)),
            ("BodoniSvtyTwoITCTT-BookIta", (Serif, false, true)),
            ("serif,bold,italic", (Serif, true, true)),
            ("monospace", (Mono, false, false)),
            ("cursive", (Serif, false, true)),
            ("Verdana,bold", (Sans, true, false)),
        ] {
            assert_eq!(style(name), Some(want), "{name}");
        }
        assert_eq!(style("NoSuchFace"), None, "a name imgix does not know");
        for bad in ["", "Arial;drop", "serif,heavy", "serif,bold,bold"] {
            assert!(Font::parse(bad).is_err(), "{bad:?}");
        }
    }
}
