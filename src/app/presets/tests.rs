use super::*;

fn pairs(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(q).unwrap()
}

fn presets() -> Vec<Preset> {
    vec![Preset {
        name: "thumb".into(),
        params: "w=200&h=200&fit=crop&fm=webp".into(),
    }]
}

#[test]
fn a_preset_expands_and_the_url_refines_it() {
    let (merged, own) = expand(pairs("preset=thumb&width=100&q=50"), &presets()).unwrap();
    assert_eq!(own, Some(pairs("width=100&q=50")));
    assert_eq!(merged, pairs("h=200&fit=crop&fm=webp&width=100&q=50"));
    let parsed = crate::transform::parse(&merged).unwrap();
    assert_eq!(
        parsed.transform.canonical(),
        "w=100&h=200&fit=crop&fm=webp&q=50"
    );
    let (plain, own) = expand(pairs("w=10"), &presets()).unwrap();
    assert_eq!((plain, own), (pairs("w=10"), None));
    for bad in ["preset=nope", "preset=thumb&preset=thumb"] {
        let err = expand(pairs(bad), &presets()).unwrap_err();
        assert!(err.to_string().contains("preset"), "{bad}: {err}");
    }
}

#[test]
fn presets_only_lets_no_parameter_of_the_url_s_own_through() {
    assert!(check_presets_only(&pairs("ixlib=js&s=abc&expires=1")).is_ok());
    assert!(check_presets_only(&[]).is_ok());
    for own in ["w=10", "auto=format", "dl=a.png&w=3"] {
        assert!(check_presets_only(&pairs(own)).is_err(), "{own}");
    }
}

fn bounded(q: &str, widths: &[u32]) -> Result<(String, bool), String> {
    let mut params = crate::transform::parse(&pairs(q)).unwrap();
    let changed = bound_sizes(&mut params, widths).map_err(|e| e.to_string())?;
    Ok((params.transform.canonical(), changed))
}

#[test]
fn sizes_round_up_to_the_next_allowed_one() {
    let widths = [320, 640, 1280];
    assert_eq!(bounded("w=333", &widths).unwrap(), ("w=640".into(), true));
    assert_eq!(bounded("w=500", &widths).unwrap(), ("w=640".into(), true));
    assert_eq!(bounded("w=640", &widths).unwrap(), ("w=640".into(), false));
    assert_eq!(bounded("w=5000", &widths).unwrap(), ("w=1280".into(), true));
    // `dpr` folds in; the other side keeps the box's shape.
    assert_eq!(
        bounded("w=200&dpr=2", &widths).unwrap(),
        ("w=640".into(), true)
    );
    assert_eq!(
        bounded("w=300&h=150&fit=crop", &widths).unwrap(),
        ("w=320&h=160&fit=crop".into(), true)
    );
    assert_eq!(bounded("h=100", &widths).unwrap(), ("h=320".into(), true));
    assert_eq!(
        bounded("fm=webp", &widths).unwrap(),
        ("fm=webp".into(), false)
    );
    assert_eq!(bounded("w=333", &[]).unwrap(), ("w=333".into(), false));
    assert!(bounded("w=0.5", &widths).unwrap_err().contains("`w`"));
}
