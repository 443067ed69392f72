use super::*;
use crate::transform::parse;

fn text(query: &str) -> Result<Option<Text>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    parse(&pairs)
        .map(|p| p.transform.text.map(|t| *t))
        .map_err(|e| e.to_string())
}

#[test]
fn options_without_words_change_nothing_and_defaults_are_imgix_s() {
    assert_eq!(text("txt-size=40&txt-color=red").unwrap(), None);
    let t = text("txt=Hello").unwrap().unwrap();
    assert_eq!((t.size, t.pad, t.color), (12, 10, BLACK));
    assert_eq!((t.vertical, t.horizontal), (Align::End, Align::End));
    assert_eq!(t.clip, Clip::default());
    assert_eq!(t.font, Font::default());
    assert_eq!(t.line_color, Colour::WHITE);
}

#[test]
fn values_are_read_as_the_registry_says() {
    let t = text(
        "t=Hi&tsz=40&tc=f00&ta=top,left&tf=serif,bold&txtfit=max&txt-width=200\
         &tcl=middle,ellipsis&tp=-3&tsh=20&tl=2&txtlineclr=00f&txtx=-5&txty=7&txtlead=4&tt=-9",
    )
    .unwrap()
    .unwrap();
    assert_eq!(t.size, 40);
    assert_eq!((t.vertical, t.horizontal), (Align::Start, Align::Start));
    assert!(t.font.bold && t.font.family == Family::Serif);
    assert!(t.shrink_to_fit);
    assert_eq!(t.width, Some(200));
    assert_eq!(
        t.clip,
        Clip {
            side: ClipSide::Middle,
            ellipsis: true
        }
    );
    assert_eq!(t.pad, 0, "clamped to the range's start");
    assert_eq!(t.shadow, 10.0, "clamped into 0–10");
    assert_eq!((t.line, t.x, t.y, t.lead), (2, Some(-5), Some(7), 4));
    assert_eq!(t.track, -4, "clamped at −4");
}

#[test]
fn bounds_and_bad_values_are_refused_by_name() {
    let long = "a".repeat(MAX_CHARS + 1);
    for (query, name) in [
        (format!("txt={long}"), "txt"),
        ("txt=%07bell".into(), "txt"),
        ("txt=%20".into(), "txt"),
        ("txt=a&txt-size=1001".into(), "txt-size"),
        ("txt=a&txt-size=big".into(), "txt-size"),
        ("txt=a&txt-fit=min".into(), "txt-fit"),
        ("txt=a&txt-clip=end,start".into(), "txt-clip"),
        ("txt=a&txt-clip=sideways".into(), "txt-clip"),
        ("txt=a&txt-align=top,bottom".into(), "txt-align"),
        ("txt=a&txt-font=serif,heavy".into(), "txt-font"),
        ("txt=a&txt-color=nope".into(), "txt-color"),
        ("txt=a&txt-x=9000".into(), "txt-x"),
        ("txt=a&txt-shad=x".into(), "txt-shad"),
    ] {
        let err = text(&query).unwrap_err();
        assert!(err.contains(name), "{query}: {err}");
    }
    assert!(text(&format!("txt={}", "é".repeat(MAX_CHARS))).is_ok());
}

#[test]
fn the_canonical_form_escapes_the_words_and_parses_back_equal() {
    let given = "txt=a%26w%3D5+%C3%A9%0Ab&txt-font=Georgia,italic&txt-line=3&txt-clip=start";
    let t = text(given).unwrap().unwrap();
    assert_eq!(t.text, "a&w=5 é\nb");
    let mut canonical = Vec::new();
    t.write_canonical(&mut |k: &str, v: &dyn std::fmt::Display| canonical.push(format!("{k}={v}")));
    let canonical = canonical.join("&");
    assert!(
        canonical.starts_with("txt=a%26w%3D5%20%C3%A9%0Ab&"),
        "{canonical}"
    );
    assert!(canonical.contains("txt-line-color=ffffffff"), "{canonical}");
    assert_eq!(text(&canonical).unwrap().unwrap(), t);
    // The base64 variant is the same transform.
    assert_eq!(
        text("txt64=YSZ3PTUgw6kKYg&txt-font=Georgia,italic&txt-line=3&txt-clip=start")
            .unwrap()
            .unwrap(),
        t
    );
}
