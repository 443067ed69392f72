//! What comes before an SVG's root element: the XML declaration, comments, processing
//! instructions and a doctype. Read by hand, without an XML parser, to sniff the format and
//! to find a DTD internal subset (where entities are declared) before anything expands one.

/// How far the root element may start: past this, the file is not taken for an SVG.
const PROLOG_BYTES: usize = 64 * 1024;

/// Whether the first element of the document is `<svg`.
pub fn is_svg(bytes: &[u8]) -> bool {
    let Some(root) = scan(bytes).root else {
        return false;
    };
    let rest = &bytes[root..];
    rest.starts_with(b"<svg")
        && rest
            .get(4)
            .is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
}

/// Whether the doctype has an internal subset (`<!DOCTYPE svg [ … ]>`).
pub fn has_internal_subset(bytes: &[u8]) -> bool {
    scan(bytes).internal_subset
}

struct Prolog {
    /// Where the first element starts.
    root: Option<usize>,
    internal_subset: bool,
}

fn scan(bytes: &[u8]) -> Prolog {
    let head = &bytes[..bytes.len().min(PROLOG_BYTES)];
    let mut at = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut internal_subset = false;
    loop {
        while head.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        let rest = &head[at.min(head.len())..];
        let skipped = if rest.starts_with(b"<?") {
            find(rest, b"?>").map(|end| end + 2)
        } else if rest.starts_with(b"<!--") {
            find(rest, b"-->").map(|end| end + 3)
        } else if rest.starts_with(b"<!DOCTYPE") {
            doctype(rest).map(|(end, subset)| {
                internal_subset |= subset;
                end
            })
        } else {
            let root = rest.starts_with(b"<").then_some(at);
            return Prolog {
                root,
                internal_subset,
            };
        };
        match skipped {
            Some(length) => at += length,
            None => {
                return Prolog {
                    root: None,
                    internal_subset,
                };
            }
        }
    }
}

/// The doctype's length and whether it has an internal subset: a `[` outside quotes.
fn doctype(rest: &[u8]) -> Option<(usize, bool)> {
    let mut quote = None;
    let mut subset = false;
    for (i, &b) in rest.iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'[') => subset = true,
            (None, b'>') if !subset => return Some((i + 1, false)),
            // The subset's own markup has `>` in it; it ends with `]`, then `>`.
            (None, b']') if subset => {
                let close = rest[i..].iter().position(|&c| c == b'>')?;
                return Some((i + close + 1, true));
            }
            _ => {}
        }
    }
    // A subset that never closes is still one.
    subset.then_some((rest.len(), true))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::{has_internal_subset, is_svg};

    #[test]
    fn svg_is_sniffed_from_its_root_element_after_the_prolog() {
        let cases: &[(&str, bool)] = &[
            ("<svg xmlns='http://www.w3.org/2000/svg'/>", true),
            ("\u{feff}\n <?xml version='1.0'?><!-- c --><svg>", true),
            (
                "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \
                 \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg width='1'>",
                true,
            ),
            ("<!DOCTYPE svg [<!ENTITY a 'x'>]><svg>", true),
            ("<html><svg></svg></html>", false),
            ("<svgfoo>", false),
            ("<!-- never closed <svg>", false),
            ("hello <svg>", false),
            ("", false),
        ];
        for (text, want) in cases {
            assert_eq!(is_svg(text.as_bytes()), *want, "{text}");
        }
    }

    #[test]
    fn an_internal_subset_is_found_and_an_external_doctype_is_not_one() {
        assert!(has_internal_subset(
            b"<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a \"&b;&b;\">]><svg>&a;</svg>"
        ));
        assert!(has_internal_subset(b"<!DOCTYPE svg [ <!ENTITY a 'x'"));
        assert!(!has_internal_subset(
            b"<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"a[b].dtd\"><svg/>"
        ));
        assert!(!has_internal_subset(b"<svg><text>[</text></svg>"));
    }
}
