//! The fonts text is drawn from: the shipped families (DejaVu Sans, Serif and Sans Mono, each
//! regular, bold, italic and bold italic; Latin, Greek and Cyrillic) and the operator's
//! folder (any script), parsed once at start-up and shared by every render.

use std::sync::Arc;

use cosmic_text::{Attrs, Family as Named, FontSystem, Style as Slant, Weight, fontdb};

use crate::transform::{Font, FontFamily, FontKind};

macro_rules! shipped {
    ($($file:literal),* $(,)?) => {
        [$(($file, include_bytes!(concat!("../../../fonts/", $file)).as_slice())),*]
    };
}

/// In the binary, so a deployment cannot lose them.
const SHIPPED: [(&str, &[u8]); 12] = shipped!(
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf",
);

/// The font set: its faces and a fingerprint of its bytes, which derivative keys carry so
/// that another font set renders anew.
#[derive(Clone)]
pub struct Fonts {
    db: fontdb::Database,
    /// The operator's faces, which a `txt-font` name picks before imgix's names.
    extra: Vec<fontdb::ID>,
    fingerprint: u64,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("faces", &self.db.len())
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl Fonts {
    /// The shipped fonts only.
    pub fn shipped() -> Fonts {
        let mut db = fontdb::Database::new();
        let mut hasher = crc32fast::Hasher::new();
        for (name, bytes) in SHIPPED {
            hasher.update(name.as_bytes());
            hasher.update(bytes);
            db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
        }
        Fonts {
            db,
            extra: Vec::new(),
            fingerprint: u64::from(hasher.finalize()),
        }
    }

    /// The shipped fonts and the operator's files (name, bytes), each of which must hold at
    /// least one face.
    pub fn with(extra: Vec<(String, Vec<u8>)>) -> Result<Fonts, String> {
        let mut fonts = Fonts::shipped();
        let mut hasher = crc32fast::Hasher::new();
        for (name, bytes) in extra {
            hasher.update(name.as_bytes());
            hasher.update(&bytes);
            let ids = fonts
                .db
                .load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
            if ids.is_empty() {
                return Err(format!("`{name}` holds no font pixgate can read"));
            }
            fonts.extra.extend(ids);
        }
        fonts.fingerprint ^= u64::from(hasher.finalize()) << 32 | fonts.extra.len() as u64;
        Ok(fonts)
    }

    /// Changes whenever a font file does.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// How many faces the operator's folder added.
    pub fn extra_faces(&self) -> usize {
        self.extra.len()
    }

    /// A shaping context over these faces; cheap (the font bytes are shared).
    pub(super) fn system(&self) -> FontSystem {
        // The locale only orders fallback among faces of a script; the text's own script
        // decides which faces are tried.
        FontSystem::new_with_locale_and_db("en-US".into(), self.db.clone())
    }

    /// What `font` is drawn in: an operator's face by family or PostScript name, else the
    /// shipped family of the style imgix's name has.
    pub(super) fn attrs(&self, font: &Font) -> Result<Attrs<'_>, String> {
        if let FontFamily::Named(name) = &font.family
            && let Some(face) = self.operator_face(name)
        {
            let family = face.families.first().map_or("", |(f, _)| f.as_str());
            let attrs = Attrs::new().family(Named::Name(family));
            // By PostScript name the face's own weight and slant; by family its regular.
            let attrs = if face.post_script_name == *name {
                attrs.weight(face.weight).style(face.style)
            } else {
                attrs
            };
            return Ok(emphasis(attrs, font.bold, font.italic));
        }
        let Some(style) = font.style() else {
            return Err(format!(
                "`{font}` is neither one of imgix's typefaces nor a font in the fonts folder"
            ));
        };
        let family = match style.family {
            FontKind::Sans => "DejaVu Sans",
            FontKind::Serif => "DejaVu Serif",
            FontKind::Mono => "DejaVu Sans Mono",
        };
        let attrs = Attrs::new().family(Named::Name(family));
        Ok(emphasis(attrs, style.bold, style.italic))
    }

    fn operator_face(&self, name: &str) -> Option<&fontdb::FaceInfo> {
        let squeezed = |s: &str| s.chars().filter(|c| *c != ' ').collect::<String>();
        let wanted = squeezed(name);
        let mut faces = self.extra.iter().filter_map(|id| self.db.face(*id));
        faces.find(|face| {
            face.post_script_name == name
                || face
                    .families
                    .iter()
                    .any(|(family, _)| family == name || squeezed(family) == wanted)
        })
    }
}

/// `attrs` made bold and italic as asked (never lighter or upright than they are).
fn emphasis(attrs: Attrs<'_>, bold: bool, italic: bool) -> Attrs<'_> {
    let attrs = if bold {
        attrs.weight(Weight::BOLD)
    } else {
        attrs
    };
    if italic {
        attrs.style(Slant::Italic)
    } else {
        attrs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CJK: &[u8] = include_bytes!("../../../tests/data/fonts/DroidSansFallback-cjk-subset.ttf");

    #[test]
    fn the_fingerprint_follows_the_font_files() {
        let shipped = Fonts::shipped();
        assert_eq!(shipped.fingerprint(), Fonts::shipped().fingerprint());
        assert_eq!(shipped.extra_faces(), 0);
        let with = Fonts::with(vec![("cjk.ttf".into(), CJK.to_vec())]).unwrap();
        assert_eq!(with.extra_faces(), 1);
        assert_ne!(with.fingerprint(), shipped.fingerprint());
        let renamed = Fonts::with(vec![("other.ttf".into(), CJK.to_vec())]).unwrap();
        assert_ne!(renamed.fingerprint(), with.fingerprint());
    }

    #[test]
    fn a_file_that_holds_no_font_is_named() {
        let err = Fonts::with(vec![("notes.ttf".into(), b"not a font".to_vec())]).unwrap_err();
        assert!(err.contains("notes.ttf"), "{err}");
    }

    #[test]
    fn operator_faces_come_before_imgix_names_and_unknown_names_are_refused() {
        let with = Fonts::with(vec![("cjk.ttf".into(), CJK.to_vec())]).unwrap();
        let font = |v: &str| Font {
            family: FontFamily::Named(v.into()),
            bold: false,
            italic: false,
        };
        let picked = with.attrs(&font("Droid Sans Fallback")).unwrap();
        assert_eq!(picked.family, Named::Name("Droid Sans Fallback"));
        let shipped = Fonts::shipped();
        let mapped = shipped.attrs(&font("DroidSansFallback")).unwrap();
        assert_eq!(mapped.family, Named::Name("DejaVu Sans"));
        assert!(with.attrs(&font("NoSuchFace")).is_err());
    }
}
