//! The operator's fonts folder (`text.fonts_dir`), read once at start-up into the font set
//! text is drawn from, after the shipped fonts.

use std::path::Path;

use crate::render::Fonts;

/// The font files' endings; other files in the folder (a README, a licence) are left alone,
/// and subfolders are not read.
const FONT_FILES: [&str; 4] = ["ttf", "otf", "ttc", "otc"];

/// The shipped fonts and those in `dir`, in file-name order (so the set's fingerprint does
/// not depend on the order the system lists them in).
pub fn load(dir: Option<&Path>) -> Result<Fonts, String> {
    let Some(dir) = dir else {
        return Ok(Fonts::shipped());
    };
    let shown = dir.display();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{shown}: {e}"))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{shown}: {e}"))?.path();
        let is_font = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| FONT_FILES.iter().any(|f| e.eq_ignore_ascii_case(f)));
        if is_font && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut fonts = Vec::with_capacity(files.len());
    for path in files {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        fonts.push((path.display().to_string(), bytes));
    }
    Fonts::with(fonts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_s_fonts_are_read_and_other_files_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let subset = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/fonts/DroidSansFallback-cjk-subset.ttf"
        );
        std::fs::copy(subset, dir.path().join("cjk.TTF")).unwrap();
        std::fs::write(dir.path().join("LICENSE.txt"), "Apache-2.0").unwrap();
        std::fs::create_dir(dir.path().join("more.ttf")).unwrap();
        let fonts = load(Some(dir.path())).unwrap();
        assert_eq!(fonts.extra_faces(), 1);
        assert_eq!(load(None).unwrap().extra_faces(), 0);
        std::fs::write(dir.path().join("broken.otf"), "not a font").unwrap();
        let err = load(Some(dir.path())).unwrap_err();
        assert!(err.contains("broken.otf"), "{err}");
    }
}
