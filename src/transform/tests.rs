use super::*;
use proptest::prelude::*;

fn pairs(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(q).unwrap()
}

fn parsed(q: &str) -> Result<Params, TransformError> {
    parse(&pairs(q))
}

/// Each query parses to the given canonical form.
fn assert_canonical(cases: &[(&str, &str)]) {
    for (query, canonical) in cases {
        assert_eq!(
            parsed(query).unwrap().transform.canonical(),
            *canonical,
            "{query}"
        );
    }
}

#[test]
fn aliases_fold_to_imgix_names() {
    let cases = [
        ("width=300&height=200", "w=300&h=200"),
        ("mode=cover&w=10&h=10", "w=10&h=10&fit=crop"),
        ("fit=contain&w=10", "w=10"),
        ("fit=scale-down&w=10", "w=10&fit=max"),
        ("fit=pad&w=10&h=10", "w=10&h=10&fit=fill"),
        ("fit=stretch&w=10&h=10", "w=10&h=10&fit=scale"),
        ("gravity=top&fit=crop&w=1&h=1", "w=1&h=1&fit=crop&crop=top"),
        ("format=webp&quality=60", "fm=webp&q=60"),
        ("fm=jpeg", "fm=jpg"),
    ];
    assert_canonical(&cases);
}

#[test]
fn adjustments_fold_clamp_and_drop_their_defaults() {
    let cases = [
        ("inv=1", "invert=1"),
        ("invert=true&w=10", "w=10&invert=1"),
        ("bri=20&con=-30", "bri=20&con=-30"),
        ("bri=250", "bri=100"),
        ("high=30&shad=0&hue=360&exp=0", ""),
        ("hue=400", ""),
        ("sat=-100&vib=15&hue=90", "sat=-100&vib=15&hue=90"),
        ("usm=20", "usm=20"),
        ("usm=20&usmrad=2.5", "usm=20"),
        ("usm=20&usmrad=4", "usm=20&usmrad=4"),
        ("usmrad=4", ""),
        ("shad=12.5&gam=-5", "gam=-5&shad=12.5"),
    ];
    assert_canonical(&cases);
}

#[test]
fn frames_have_one_canonical_form() {
    let cases = [
        ("pad=10", "pad=10"),
        (
            "pad-top=10&pad-right=10&pad-bottom=10&pad-left=10",
            "pad=10",
        ),
        ("pad=10&pad-top=0", "pad-right=10&pad-bottom=10&pad-left=10"),
        ("pad=-3", ""),
        ("border=5,red", "border=5,ffff0000"),
        (
            "border=5,f00&border-top=5&border-left=2",
            "border=5,ffff0000&border-left=2",
        ),
        ("border-top=3&border-radius=4", ""),
        (
            "border=2,000&border-radius=4,4,4,4",
            "border=2,ff000000&border-radius=4",
        ),
        (
            "border=2,000&border-radius-inner=1,2,3,4",
            "border=2,ff000000&border-radius-inner=1,2,3,4",
        ),
    ];
    assert_canonical(&cases);
}

#[test]
fn masks_have_one_canonical_form_and_their_parts_need_them() {
    let cases = [
        ("mask=ellipse", "mask=ellipse"),
        (
            "mask=corners&corner-radius=4,4,4,4",
            "mask=corners&corner-radius=4",
        ),
        (
            "mask=corners&corner-radius=1,2,3,4&maskbg=red",
            "mask=corners&corner-radius=1,2,3,4&mask-bg=ffff0000",
        ),
        ("mask=ellipse&corner-radius=9", "mask=ellipse"),
        ("corner-radius=9&mask-bg=red", ""),
    ];
    assert_canonical(&cases);
    let err = parsed("mask=/brand/shape.png").unwrap_err();
    assert!(matches!(err, TransformError::Unsupported { .. }), "{err}");
}

#[test]
fn fills_count_only_where_the_fit_pads_and_gradients_need_colours() {
    let cases = [
        ("fill=blur", ""),
        (
            "fill=blur&fit=fill&w=10&h=10",
            "w=10&h=10&fit=fill&fill=blur",
        ),
        (
            "fit=fillmax&w=10&h=10&fill=solid",
            "w=10&h=10&fit=fillmax&fill=solid&fill-color=ffffffff",
        ),
        (
            "fit=fill&w=9&h=9&fill=solid&fillcolor=red",
            "w=9&h=9&fit=fill&fill=solid&fill-color=ffff0000",
        ),
        (
            "fit=fill&w=9&h=9&fill=gradient&fill-gradient-linear=000,fff&fill-gradient-cs=oklab",
            "w=9&h=9&fit=fill&fill=gradient&fill-gradient-linear=ff000000,ffffffff&fill-gradient-linear-direction=top,bottom&fill-gradient-cs=oklab",
        ),
    ];
    assert_canonical(&cases);
    let err = parsed("fit=fill&w=9&h=9&fill=gradient").unwrap_err();
    assert_eq!(err.name(), "fill-gradient-linear");
    let err = parsed("fit=fill&w=9&h=9&fill=gradient&fill-gradient-type=radial").unwrap_err();
    assert_eq!(err.name(), "fill-gradient-radial");
}

#[test]
fn sizing_extras_count_where_imgix_says_they_do() {
    let cases = [
        ("orient=90", "orient=6"),
        ("or=0", "orient=1"),
        ("rot=90&rot-type=pivot", "rot=90"),
        ("rott=straighten", ""),
        (
            "max-w=50&fit=crop&w=100&h=100",
            "w=100&h=100&fit=crop&max-w=50",
        ),
        (
            "max-width=50&min-height=9&fit=crop",
            "fit=crop&max-w=50&min-h=9",
        ),
        ("max-w=50&w=100", "w=100"),
        (
            "crop=focalpoint&fp-z=2&fp-debug=1",
            "crop=focalpoint&fp-x=0.5&fp-y=0.5&fp-z=2&fp-debug=1",
        ),
        (
            "crop=focalpoint&fp-z=1",
            "crop=focalpoint&fp-x=0.5&fp-y=0.5",
        ),
        ("fp-z=3&fp-debug=1", ""),
        ("crop=edges", "crop=edges"),
    ];
    assert_canonical(&cases);
    for (query, name) in [
        ("max-w=0", "max-w"),
        ("min-h=9000", "min-h"),
        ("fp-z=0.5", "fp-z"),
        ("fp-z=101", "fp-z"),
        ("orient=45", "orient"),
        ("rot-type=spin", "rot-type"),
    ] {
        let err = parsed(query).unwrap_err();
        assert!(
            matches!(err, TransformError::BadValue { .. }),
            "{query}: {err}"
        );
        assert_eq!(err.name(), name);
    }
}

/// The output options: JPEG-only ones fold into or drop out with an explicit format, clamp to
/// imgix's ranges, and `cs`/`iptc` values that confirm what pixgate does anyway add nothing.
#[test]
fn output_options_fit_the_format_they_are_for() {
    let cases = [
        ("chromasub=444", "chromasub=444"),
        ("fm=jpg&chromasub=422", "fm=jpg&chromasub=422"),
        ("fm=png&chromasub=444", "fm=png"),
        ("jpg-progressive=1", "jpg-progressive=1"),
        ("jpeg-progressive=false", "jpg-progressive=0"),
        ("fm=jpg&jpg-progressive=1", "fm=pjpg"),
        ("fm=pjpg&jpg-progressive=0", "fm=jpg"),
        ("fm=pjpg&jpg-progressive=1", "fm=pjpg"),
        ("fm=webp&jpg-progressive=1", "fm=webp"),
        ("dpi=300", "dpi=300"),
        ("dpi=0", ""),
        ("dpi=-1", ""),
        ("dpi=99999", "dpi=65535"),
        ("fm=png&dpi=72", "fm=png&dpi=72"),
        ("fm=webp&dpi=72", "fm=webp"),
        ("colorquant=16", "colorquant=16"),
        ("colorquant=1", "colorquant=2"),
        ("colorquant=4096", "colorquant=256"),
        ("cs=srgb", ""),
        ("cs=strip", ""),
        ("iptc=block", ""),
        ("iptc=allow", "iptc=allow"),
        ("fm=avif&iptc=allow", "fm=avif"),
    ];
    assert_canonical(&cases);
    for (query, name) in [
        ("chromasub=411", "chromasub"),
        ("jpg-progressive=maybe", "jpg-progressive"),
        ("dpi=7.5", "dpi"),
        ("colorquant=many", "colorquant"),
        ("iptc=keep", "iptc"),
        ("cs=cmyk", "cs"),
    ] {
        let err = parsed(query).unwrap_err();
        assert!(
            matches!(err, TransformError::BadValue { .. }),
            "{query}: {err}"
        );
        assert_eq!(err.name(), name);
    }
    for value in ["origin", "tinysrgb", "adobergb1998"] {
        let err = parsed(&format!("cs={value}")).unwrap_err();
        assert!(
            matches!(err, TransformError::Unsupported { .. }),
            "cs={value}: {err}"
        );
        assert_eq!(err.name(), "cs");
    }
}

/// Data outputs: `palette` wins over `fm`, `colors`/`prefix` count only with it, and what only
/// an encoder reads leaves the key; `fm=json` describes the original, so nothing else counts.
#[test]
fn data_outputs_keep_only_what_changes_their_text() {
    let cases = [
        ("fm=json", "fm=json"),
        ("w=100&sat=-100&q=20&fm=json", "fm=json"),
        ("fm=blurhash", "fm=blurhash"),
        (
            "w=40&h=30&fit=crop&fm=blurhash&q=30&chromasub=444",
            "w=40&h=30&fit=crop&fm=blurhash",
        ),
        ("palette=json", "palette=json"),
        ("palette=json&colors=6", "palette=json"),
        ("palette=json&colors=40", "palette=json&colors=16"),
        ("palette=json&colors=-3", "palette=json&colors=0"),
        ("palette=json&prefix=swatch", "palette=json"),
        ("palette=css&prefix=swatch", "palette=css&prefix=swatch"),
        ("palette=css&prefix=image", "palette=css"),
        ("fm=png&palette=css", "palette=css"),
        ("fm=json&palette=json", "palette=json"),
        ("colors=3", ""),
        ("prefix=swatch&w=10", "w=10"),
    ];
    assert_canonical(&cases);
    for query in [
        "fm=json",
        "auto=format&palette=json",
        "fm=blurhash&auto=format",
    ] {
        let params = parsed(query).unwrap();
        assert!(!params.auto_format, "{query}: nothing to negotiate");
        assert!(!params.is_passthrough(), "{query}");
    }
    for (query, name) in [
        ("palette=xml", "palette"),
        ("palette=css&prefix=a%7Bb", "prefix"),
        ("palette=css&prefix=1abc", "prefix"),
        ("palette=css&prefix=", "prefix"),
        ("palette=json&colors=six", "colors"),
    ] {
        let err = parsed(query).unwrap_err();
        assert!(
            matches!(err, TransformError::BadValue { .. }),
            "{query}: {err}"
        );
        assert_eq!(err.name(), name);
    }
}

#[test]
fn faces_have_one_canonical_form_and_their_modifiers_need_facearea() {
    let cases = [
        ("crop=faces", "crop=faces"),
        ("gravity=faces,center", "crop=faces"),
        ("crop=faces,left,top", "crop=faces,top,left"),
        ("crop=faces,bottom", "crop=faces,bottom"),
        ("w=100&h=100&fit=facearea", "w=100&h=100&fit=facearea"),
        (
            "fit=facearea&facepad=1.5&faceindex=2&w=50",
            "w=50&fit=facearea&faceindex=2&facepad=1.5",
        ),
        ("fit=facearea&facepad=1", "fit=facearea"),
        ("fit=facearea&facepad=30", "fit=facearea&facepad=10"),
        ("fit=crop&faceindex=2&facepad=2", "fit=crop"),
        ("face-blur=0&face-pixel=0", ""),
        ("face-pixelate=12", "face-pixel=12"),
        ("face-blur=40&w=10", "w=10&face-blur=40"),
        ("fm=json&faces=1", "fm=json&faces=1"),
        ("fm=json&faces=0", "fm=json"),
        ("faces=1&w=10", "w=10"),
        ("fm=json&faces=1&face-blur=30", "fm=json&faces=1"),
    ];
    assert_canonical(&cases);
    for (query, name) in [
        ("fit=facearea&faceindex=0", "faceindex"),
        ("fit=facearea&facepad=-1", "facepad"),
        ("face-blur=101", "face-blur"),
        ("face-pixelate=500", "face-pixelate"),
        ("fm=json&faces=2", "faces"),
        ("crop=faces,middle", "crop"),
        ("crop=facesx", "crop"),
    ] {
        let err = parsed(query).unwrap_err();
        assert!(
            matches!(err, TransformError::BadValue { .. }),
            "{query}: {err}"
        );
        assert_eq!(err.name(), name, "{query}");
    }
}

#[test]
fn defaults_are_dropped_from_the_canonical_form() {
    let q = "w=100&dpr=1&fit=clip&crop=center&rot=0&blur=0&sharp=0&lossless=0&q=75";
    assert_eq!(parsed(q).unwrap().transform.canonical(), "w=100");
    let compress = parsed("auto=compress&q=45").unwrap().transform;
    assert_eq!(compress.canonical(), "auto=compress");
    let explicit = parsed("auto=compress&q=75").unwrap().transform;
    assert_eq!(explicit.canonical(), "q=75&auto=compress");
}

#[test]
fn every_parameter_parses_to_its_canonical_value() {
    let cases = [
        ("w=0.5", "w=0.5"),
        ("w=300.4", "w=300"),
        ("dpr=2.50", "dpr=2.5"),
        ("crop=left,top", "crop=top,left"),
        ("crop=bottom,right", "crop=bottom,right"),
        (
            "crop=focalpoint&fp-x=0.2&fp-y=0.8",
            "crop=focalpoint&fp-x=0.2&fp-y=0.8",
        ),
        ("crop=focalpoint", "crop=focalpoint&fp-x=0.5&fp-y=0.5"),
        ("fp-x=0.3", ""),
        ("crop=entropy", "crop=entropy"),
        ("ar=16:9&w=100", "w=100&ar=16:9"),
        ("rect=10,20,30,40", "rect=10,20,30,40"),
        ("bg=f00", "bg=ffff0000"),
        ("bg=8f00", "bg=88ff0000"),
        ("bg=%23FF0000", "bg=ffff0000"),
        ("bg=80ff0000", "bg=80ff0000"),
        ("rot=270", "rot=270"),
        ("flip=vh", "flip=hv"),
        ("blur=20&sharp=5", "blur=20&sharp=5"),
        ("auto=compress,format", "auto=compress"),
        ("lossless=1&fm=webp", "fm=webp&lossless=1"),
        ("fm=pjpg", "fm=pjpg"),
    ];
    assert_canonical(&cases);
}

#[test]
fn bad_values_name_the_parameter_as_written() {
    let cases = [
        ("w=abc", "w"),
        ("width=0", "width"),
        ("h=-5", "h"),
        ("w=inf", "w"),
        ("w=1e3", "w"),
        ("dpr=6", "dpr"),
        ("dpr=0.5", "dpr"),
        ("fit=banana", "fit"),
        ("mode=banana", "mode"),
        ("crop=top,bottom", "crop"),
        ("crop=middle", "crop"),
        ("fp-x=1.5", "fp-x"),
        ("ar=16", "ar"),
        ("ar=0:1", "ar"),
        ("rect=1,2,3", "rect"),
        ("rect=0,0,0,10", "rect"),
        ("fm=bmp", "fm"),
        ("q=0", "q"),
        ("quality=101", "quality"),
        ("lossless=yes", "lossless"),
        ("bg=ggg", "bg"),
        ("bg=12345", "bg"),
        ("rot=x", "rot"),
        ("auto=fast", "auto"),
        ("flip=x", "flip"),
        ("blur=2001", "blur"),
        ("sharp=101", "sharp"),
        ("dl=a/b.png", "dl"),
        ("dl=", "dl"),
        ("w=1&width=2", "width"),
        ("w=1&w=1", "w"),
    ];
    for (query, name) in cases {
        let err = parsed(query).expect_err(query);
        assert!(
            matches!(err, TransformError::BadValue { .. }),
            "{query}: {err}"
        );
        assert_eq!(err.name(), name, "{query}");
        assert!(err.to_string().contains(name), "{query}: {err}");
    }
}

/// A site's imgix URL that asks for something pixgate lacks is refused, naming it, rather than
/// rendered without it; that includes a URL with nothing else, which would otherwise pass the
/// original through.
#[test]
fn imgix_parameters_pixgate_lacks_are_refused_by_name() {
    let cases = [
        ("w=10&fit=clamp", "fit"),
        ("f=clamp", "f"),
        ("auto=format,enhance", "auto"),
        ("fm=jxr", "fm"),
        ("rot=45", "rot"),
    ];
    for (query, name) in cases {
        let err = parsed(query).expect_err(query);
        assert!(
            matches!(err, TransformError::Unsupported { .. }),
            "{query}: {err}"
        );
        assert_eq!(err.name(), name, "{query}");
        assert!(err.to_string().contains(name), "{query}: {err}");
    }
}

/// imgix's base64 variants: `<name>64` carries the value URL-safe base64 encoded, for every
/// parameter but `auto` and `ch`.
#[test]
fn base64_variants_read_as_their_names() {
    assert_canonical(&[
        ("w64=MzAw", "w=300"),
        ("width64=MzAw&bg64=ZjAw", "w=300&bg=ffff0000"),
        ("auto64=Zm9ybWF0", ""),
    ]);
    let named = parsed("dl64=Y2F0IMOpLnBuZw").unwrap();
    assert_eq!(named.download_name.as_deref(), Some("cat é.png"));
    let cases = [
        ("w64=MzAw&w=10", "w", true),
        ("w64=!!", "w64", true),
        ("w64=MjA&width=20", "width", true),
        ("mark64=abc", "mark64", true),
        ("mark-base64=L3g", "mark-base64", true),
        ("expires64=MTc2NTM2NzQwMA", "expires64", false),
    ];
    for (query, name, bad_value) in cases {
        let err = parsed(query).expect_err(query);
        assert_eq!(err.name(), name, "{query}");
        let is_bad_value = matches!(err, TransformError::BadValue { .. });
        assert_eq!(is_bad_value, bad_value, "{query}: {err}");
    }
}

#[test]
fn unknown_and_signing_parameters_are_ignored() {
    let r = parsed("ixlib=js-3.8.0&w=400&s=abc&expires=1&signature=x&method=get&foo=bar").unwrap();
    assert_eq!(r.transform.canonical(), "w=400");
}

#[test]
fn passthrough_means_no_transform_and_no_negotiation() {
    assert!(parsed("").unwrap().is_passthrough());
    assert!(parsed("ixlib=x&dl=a.pdf").unwrap().is_passthrough());
    assert!(!parsed("auto=format").unwrap().is_passthrough());
    assert!(!parsed("fm=auto").unwrap().is_passthrough());
    assert!(!parsed("w=1").unwrap().is_passthrough());
    assert!(!parsed("auto=compress").unwrap().is_passthrough());
}

#[test]
fn quality_defaults_depend_on_auto_compress() {
    assert_eq!(
        parsed("w=1").unwrap().transform.effective_quality(),
        DEFAULT_QUALITY
    );
    let compress = parsed("auto=compress").unwrap().transform;
    assert_eq!(compress.effective_quality(), COMPRESS_QUALITY);
    assert_eq!(
        parsed("auto=compress&q=90")
            .unwrap()
            .transform
            .effective_quality(),
        90
    );
}

fn known_pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (1u32..5000).prop_map(|w| ("w".to_string(), w.to_string())),
        (1u32..5000).prop_map(|h| ("height".to_string(), h.to_string())),
        (100u32..=500).prop_map(|d| ("dpr".to_string(), format!("{}", d as f32 / 100.0))),
        prop::sample::select(vec![
            "clip", "max", "crop", "fill", "scale", "min", "cover", "pad"
        ])
        .prop_map(|f| ("fit".to_string(), f.to_string())),
        prop::sample::select(vec!["top", "left,bottom", "right", "center", "entropy"])
            .prop_map(|c| ("crop".to_string(), c.to_string())),
        prop::sample::select(vec!["jpg", "pjpg", "png", "webp", "avif", "gif", "auto"])
            .prop_map(|f| ("fm".to_string(), f.to_string())),
        (1u32..=100).prop_map(|q| ("q".to_string(), q.to_string())),
        (0u32..4).prop_map(|r| ("rot".to_string(), (r * 90).to_string())),
        prop::sample::select(vec!["fff", "8000", "00ff00", "80ff0000"])
            .prop_map(|b| ("bg".to_string(), b.to_string())),
        (1u32..1000).prop_map(|f| ("w".to_string(), format!("0.{f:03}"))),
        (1u32..20, 1u32..20).prop_map(|(a, b)| ("ar".to_string(), format!("{a}:{b}"))),
        Just(("ixlib".to_string(), "js-3.8.0".to_string())),
        (
            prop::sample::select(vec!["exp", "bri", "con", "gam", "sat", "vib", "usm"]),
            -150i32..150
        )
            .prop_map(|(n, v)| (n.to_string(), v.to_string())),
        (-150i32..20).prop_map(|v| ("high".to_string(), v.to_string())),
        (0u32..2000).prop_map(|v| ("shad".to_string(), format!("{}", v as f32 / 10.0))),
        (0u32..800).prop_map(|v| ("hue".to_string(), v.to_string())),
        (0u32..900).prop_map(|v| ("usmrad".to_string(), format!("{}", v as f32 / 7.0))),
        prop::sample::select(vec!["invert", "inv"]).prop_map(|n| (n.to_string(), "1".to_string())),
        (
            prop::sample::select(vec!["pad", "pad-top", "pad-left", "border-right"]),
            -5i32..300
        )
            .prop_map(|(n, v)| (n.to_string(), v.to_string())),
        (
            1u32..200,
            prop::sample::select(vec!["red", "0f0", "80ff0000"])
        )
            .prop_map(|(w, c)| ("border".to_string(), format!("{w},{c}"))),
        (0u32..20, 0u32..20)
            .prop_map(|(a, b)| ("border-radius".to_string(), format!("{a},{b},{a},{b}"))),
        prop::sample::select(vec!["444", "422", "420"])
            .prop_map(|c| ("chromasub".to_string(), c.to_string())),
        prop::sample::select(vec!["jpg-progressive", "jpeg-progressive"])
            .prop_map(|n| (n.to_string(), "true".to_string())),
        (0u32..70_000).prop_map(|d| ("dpi".to_string(), d.to_string())),
        (0u32..300).prop_map(|n| ("colorquant".to_string(), n.to_string())),
        prop::sample::select(vec!["json", "css"])
            .prop_map(|p| ("palette".to_string(), p.to_string())),
        (0u32..40).prop_map(|n| ("colors".to_string(), n.to_string())),
        prop::sample::select(vec!["image", "swatch", "a-b_c"])
            .prop_map(|p| ("prefix".to_string(), p.to_string())),
        prop::sample::select(vec!["json", "blurhash"])
            .prop_map(|f| ("fm".to_string(), f.to_string())),
        prop::sample::select(vec!["faces", "faces,top", "faces,bottom,right"])
            .prop_map(|c| ("crop".to_string(), c.to_string())),
        Just(("fit".to_string(), "facearea".to_string())),
        (1u32..5).prop_map(|i| ("faceindex".to_string(), i.to_string())),
        (1u32..200).prop_map(|p| ("facepad".to_string(), format!("{}", p as f32 / 10.0))),
        (
            prop::sample::select(vec!["face-blur", "face-pixel", "face-pixelate"]),
            0u32..=100
        )
            .prop_map(|(n, v)| (n.to_string(), v.to_string())),
        prop::sample::select(vec!["0", "1"]).prop_map(|v| ("faces".to_string(), v.to_string())),
        prop::sample::select(vec!["1", "3", "2-5", "3-3", "4-", "1-", "-2", "0"])
            .prop_map(|v| ("frame".to_string(), v.to_string())),
        (1u32..6).prop_map(|n| ("interval".to_string(), n.to_string())),
        (2u32..6).prop_map(|n| ("skip".to_string(), n.to_string())),
        prop::sample::select(vec!["0", "1", "true"])
            .prop_map(|v| ("reverse".to_string(), v.to_string())),
        (0i32..100).prop_map(|n| ("fps".to_string(), n.to_string())),
        (-3i32..70_000).prop_map(|n| ("loop".to_string(), n.to_string())),
    ]
}

fn distinct_by_name(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    pairs
        .into_iter()
        .filter(|(k, _)| {
            let canon = canonical_name(k).unwrap_or(k.as_str()).to_string();
            seen.insert(canon)
        })
        .collect()
}

proptest! {
    #[test]
    fn canonicalisation_is_order_free(
        pairs in prop::collection::vec(known_pair(), 0..8).prop_map(distinct_by_name).prop_shuffle(),
    ) {
        let mut reversed = pairs.clone();
        reversed.reverse();
        let a = parse(&pairs).unwrap().transform.canonical();
        let b = parse(&reversed).unwrap().transform.canonical();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn canonicalisation_is_idempotent(
        pairs in prop::collection::vec(known_pair(), 0..8).prop_map(distinct_by_name),
    ) {
        let first = parse(&pairs).unwrap().transform;
        let again = parse(&super::tests::pairs(&first.canonical())).unwrap().transform;
        prop_assert_eq!(&again, &first);
        prop_assert_eq!(again.canonical(), first.canonical());
    }

    #[test]
    fn arbitrary_values_never_panic(name in "[a-z-]{1,8}", value in "\\PC{0,12}") {
        let _ = parse(&[(name, value)]);
    }
}
