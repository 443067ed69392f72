//! Client hints (`ch=Width,DPR,Save-Data`): request headers that may replace `w`, `dpr` and the
//! quality, for the URLs that opt in. Hinted values are rounded up to buckets before they
//! reach the transform, so unsigned headers cannot fan one URL out into thousands of cache
//! entries (as `Accept` is bucketed into three formats).

use super::Params;
use super::params::Dimension;

/// A hinted width is rounded up to a multiple of this many pixels.
pub const WIDTH_STEP: u32 = 50;
/// A hinted DPR is rounded up to a multiple of this, within 1–5.
pub const DPR_STEP: f32 = 0.5;

/// Which hints `ch` lets replace URL parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientHints {
    pub width: bool,
    pub dpr: bool,
    pub save_data: bool,
}

/// What the request's hint headers said, read at the HTTP edge; a header that cannot be read
/// is `None`, as if absent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Hinted {
    /// `Sec-CH-Width` or `Width`: the image's display width in physical pixels.
    pub width: Option<u32>,
    /// `Sec-CH-DPR` or `DPR`.
    pub dpr: Option<f32>,
    /// `Save-Data: on`.
    pub save_data: bool,
}

impl ClientHints {
    /// imgix's comma list, case-insensitive.
    pub fn parse(v: &str) -> Result<ClientHints, String> {
        let mut hints = ClientHints::default();
        for item in v.split(',').map(str::trim) {
            match item.to_ascii_lowercase().as_str() {
                "width" => hints.width = true,
                "dpr" => hints.dpr = true,
                "save-data" => hints.save_data = true,
                _ => return Err(format!("`{item}` is not Width, DPR or Save-Data")),
            }
        }
        Ok(hints)
    }

    pub fn any(self) -> bool {
        self.width || self.dpr || self.save_data
    }
}

/// `width` rounded up to its bucket, at most `max` (the output limit: a header alone never
/// makes a request too large).
pub fn width_bucket(width: u32, max: u32) -> u32 {
    width
        .div_ceil(WIDTH_STEP)
        .saturating_mul(WIDTH_STEP)
        .max(WIDTH_STEP)
        .min(max)
}

/// `dpr` rounded up to its bucket; `None` for 1.
pub fn dpr_bucket(dpr: f32) -> Option<f32> {
    let steps = (dpr.clamp(1.0, 5.0) / DPR_STEP).ceil();
    Some(steps * DPR_STEP).filter(|d| *d != 1.0)
}

impl Params {
    /// Replaces URL parameters with the hints `ch` opted into, bucketed. A hinted width is
    /// already in physical pixels, so it replaces `w` and `dpr` (and, with a pixel `h`, scales
    /// `h` to keep the box's shape); a hinted DPR counts only without one. `Save-Data` gives
    /// `auto=compress`'s quality, replacing any `q`.
    /// `max_width` is the output limit.
    pub fn apply_hints(&mut self, hinted: Hinted, max_width: u32) {
        let (allowed, t) = (self.client_hints, &mut self.transform);
        match hinted.width.filter(|_| allowed.width) {
            Some(width) => {
                let bucket = width_bucket(width, max_width);
                if let (Some(Dimension::Pixels(w)), Some(Dimension::Pixels(h))) =
                    (t.width, t.height)
                {
                    let h = (f64::from(h) * f64::from(bucket) / f64::from(w)).round();
                    t.height = Some(Dimension::Pixels((h as u32).max(1)));
                }
                t.width = Some(Dimension::Pixels(bucket));
                t.dpr = None;
            }
            None => {
                if let Some(dpr) = hinted.dpr.filter(|_| allowed.dpr) {
                    t.dpr = dpr_bucket(dpr);
                }
            }
        }
        if allowed.save_data && hinted.save_data && t.data.is_none() {
            t.auto_compress = true;
            t.quality = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_up_within_bounds() {
        assert_eq!(width_bucket(1, 8192), 50);
        assert_eq!(width_bucket(50, 8192), 50);
        assert_eq!(width_bucket(51, 8192), 100);
        assert_eq!(width_bucket(1234, 8192), 1250);
        assert_eq!(width_bucket(u32::MAX, 8192), 8192);
        assert_eq!(width_bucket(8180, 8192), 8192);
        assert_eq!(dpr_bucket(1.0), None);
        assert_eq!(dpr_bucket(0.5), None);
        assert_eq!(dpr_bucket(1.1), Some(1.5));
        assert_eq!(dpr_bucket(2.625), Some(3.0));
        assert_eq!(dpr_bucket(9.0), Some(5.0));
    }

    #[test]
    fn ch_names_are_case_insensitive_and_unknown_ones_refused() {
        let all = ClientHints::parse("Width, DPR,save-data").unwrap();
        assert!(all.width && all.dpr && all.save_data);
        assert!(ClientHints::parse("Viewport-Width").is_err());
        assert!(ClientHints::parse("").is_err());
    }

    fn hinted_canonical(query: &str, hinted: Hinted) -> String {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let mut params = crate::transform::parse(&pairs).unwrap();
        params.apply_hints(hinted, 8192);
        params.transform.canonical()
    }

    #[test]
    fn hints_replace_only_what_ch_names() {
        let width = Hinted {
            width: Some(333),
            dpr: Some(2.2),
            save_data: true,
        };
        let cases = [
            ("w=100&dpr=2&ch=Width", "w=350"),
            ("w=400&h=200&fit=crop&ch=Width", "w=350&h=175&fit=crop"),
            ("w=0.5&h=200&ch=Width", "w=350&h=200"),
            ("w=100&ch=DPR", "w=100&dpr=2.5"),
            ("w=100&ch=Width,DPR", "w=350"),
            ("w=100&q=90&ch=Save-Data", "w=100&auto=compress"),
            ("w=100&q=90", "w=100&q=90"),
            ("w=100&palette=json&ch=Save-Data", "w=100&palette=json"),
        ];
        for (query, canonical) in cases {
            assert_eq!(hinted_canonical(query, width), canonical, "{query}");
        }
        assert_eq!(
            hinted_canonical("w=100&dpr=2&ch=Width,DPR", Hinted::default()),
            "w=100&dpr=2"
        );
    }
}
