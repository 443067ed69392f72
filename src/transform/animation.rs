//! imgix's animation parameters (`frame`, `interval`, `skip`, `reverse`, `fps`, `loop`): which
//! frames of an animated source are kept, in what order, how long each shows and how often the
//! whole plays. Options that cannot change the bytes leave the key: with one `frame`, the rest;
//! with a still output format, the timing.

use super::adjustments::whole_number;
use super::params::{self, OutputFormat};

/// Which source frames `frame` keeps, counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frames {
    /// One frame: the output is a still.
    One(u32),
    /// `first` to `last` inclusive (`None`: to the end); always more than one frame.
    Range { first: u32, last: Option<u32> },
}

/// `loop`: how often the animation plays again after the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loop {
    Forever,
    /// 1–65535 more times.
    Again(u16),
}

/// The animation options; the default keeps every frame with its own timing and loop count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Animation {
    pub frames: Option<Frames>,
    /// `interval`: keeps every Nth frame from the first (N ≥ 2).
    pub interval: Option<u32>,
    /// `skip`: drops every Nth frame, the Nth, the 2Nth… (N ≥ 2).
    pub skip: Option<u32>,
    pub reverse: bool,
    /// `fps`, 1–60: every frame shows for 1/fps seconds.
    pub fps: Option<u8>,
    pub loops: Option<Loop>,
}

/// `fps` outside imgix's suggested 1–60 is clamped to it.
const MAX_FPS: i64 = 60;
/// The GIF and WebP loop fields hold 16 bits.
const MAX_LOOPS: i64 = u16::MAX as i64;

impl Animation {
    /// Whether the output may need source frames other than the first, or in another order.
    pub fn selects(&self) -> bool {
        let first_only = matches!(self.frames, None | Some(Frames::One(1)));
        !first_only || self.interval.is_some() || self.skip.is_some() || self.reverse
    }

    /// Whether one frame was asked for (`frame=N`): the output is then a still.
    pub fn is_single_frame(&self) -> bool {
        matches!(self.frames, Some(Frames::One(_)))
    }

    /// Drops what an explicit still-only output cannot show: the timing, and `interval`/`skip`
    /// unless `reverse` makes the still the last frame they keep (they always keep the first).
    pub(super) fn settle(&mut self, format: Option<OutputFormat>) {
        let still = matches!(
            format,
            Some(OutputFormat::Jpeg | OutputFormat::Pjpeg | OutputFormat::Png | OutputFormat::Avif)
        );
        if still || self.is_single_frame() {
            self.fps = None;
            self.loops = None;
        }
        if (still && !self.reverse) || self.is_single_frame() {
            self.interval = None;
            self.skip = None;
            self.reverse = false;
        }
    }

    /// Appends the canonical `k=v` pairs through `put`.
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        match self.frames {
            Some(Frames::One(n)) => put("frame", &n),
            Some(Frames::Range { first, last }) => match last {
                Some(last) => put("frame", &format_args!("{first}-{last}")),
                None => put("frame", &format_args!("{first}-")),
            },
            None => {}
        }
        if let Some(n) = self.interval {
            put("interval", &n);
        }
        if let Some(n) = self.skip {
            put("skip", &n);
        }
        if self.reverse {
            put("reverse", &1);
        }
        if let Some(fps) = self.fps {
            put("fps", &fps);
        }
        match self.loops {
            Some(Loop::Forever) => put("loop", &0),
            Some(Loop::Again(n)) => put("loop", &n),
            None => {}
        }
    }

    /// Applies one animation parameter (`canon` is its canonical name); `false` when `canon`
    /// is not one.
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        match canon {
            "frame" => self.frames = frames(v)?,
            // `interval=1` keeps every frame: the default.
            "interval" => self.interval = Some(params::int_in(v, 1, u32::MAX)?).filter(|n| *n > 1),
            "skip" => {
                let n = params::int_in(v, 1, u32::MAX)?;
                if n == 1 {
                    return Err("1 would drop every frame: use 2 or more".into());
                }
                self.skip = Some(n);
            }
            "reverse" => self.reverse = params::flag(v)?,
            "fps" => {
                let fps = whole_number(v)?.clamp(1, MAX_FPS);
                self.fps = u8::try_from(fps).ok();
            }
            "loop" => {
                let n = whole_number(v)?.clamp(0, MAX_LOOPS);
                self.loops = Some(match u16::try_from(n) {
                    Ok(0) | Err(_) => Loop::Forever,
                    Ok(n) => Loop::Again(n),
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `N`, `M-N`, `M-` or `-N` (1-based, inclusive; 0 counts as 1). The whole animation is `None`
/// and a range of one frame is that frame, so each selection has one spelling.
fn frames(v: &str) -> Result<Option<Frames>, String> {
    let bad = || format!("`{v}` is not a frame number N, or a range M-N, M- or -N");
    let number = |s: &str| {
        let ok = !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse::<u32>().ok())
            .flatten()
            .map(|n| n.max(1))
            .ok_or_else(bad)
    };
    let Some((first, last)) = v.split_once('-') else {
        return Ok(Some(Frames::One(number(v)?)));
    };
    if first.is_empty() && last.is_empty() {
        return Err(bad());
    }
    let first = if first.is_empty() { 1 } else { number(first)? };
    let last = if last.is_empty() {
        None
    } else {
        Some(number(last)?)
    };
    Ok(match last {
        Some(last) if last < first => {
            return Err(format!("`{v}` ends before it starts"));
        }
        Some(last) if last == first => Some(Frames::One(first)),
        None if first == 1 => None,
        last => Some(Frames::Range { first, last }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_spellings_fold_to_one_selection() {
        let cases = [
            ("3", Some(Frames::One(3))),
            ("0", Some(Frames::One(1))),
            (
                "2-4",
                Some(Frames::Range {
                    first: 2,
                    last: Some(4),
                }),
            ),
            (
                "2-",
                Some(Frames::Range {
                    first: 2,
                    last: None,
                }),
            ),
            (
                "-4",
                Some(Frames::Range {
                    first: 1,
                    last: Some(4),
                }),
            ),
            ("3-3", Some(Frames::One(3))),
            ("-1", Some(Frames::One(1))),
            ("1-", None),
        ];
        for (v, want) in cases {
            assert_eq!(frames(v), Ok(want), "{v}");
        }
        for bad in [
            "",
            "-",
            "4-2",
            "a",
            "1-b",
            "1--2",
            "+3",
            "1.5",
            "1234567890",
        ] {
            assert!(frames(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_clamped_or_refused_as_the_registry_says() {
        let mut a = Animation::default();
        let cases = [
            ("fps", "0", true),
            ("fps", "90", true),
            ("fps", "1.5", false),
            ("loop", "-3", true),
            ("loop", "70000", true),
            ("interval", "0", false),
            ("skip", "1", false),
            ("skip", "0", false),
            ("reverse", "2", false),
        ];
        for (name, v, ok) in cases {
            assert_eq!(a.apply(name, v).is_ok(), ok, "{name}={v}");
        }
        a.apply("fps", "90").unwrap();
        assert_eq!(a.fps, Some(60));
        a.apply("fps", "0").unwrap();
        assert_eq!(a.fps, Some(1));
        a.apply("loop", "-3").unwrap();
        assert_eq!(a.loops, Some(Loop::Forever));
        a.apply("loop", "70000").unwrap();
        assert_eq!(a.loops, Some(Loop::Again(u16::MAX)));
        a.apply("interval", "1").unwrap();
        assert_eq!(a.interval, None);
    }

    #[test]
    fn what_cannot_change_a_still_leaves_the_key() {
        let all = Animation {
            frames: Some(Frames::Range {
                first: 2,
                last: None,
            }),
            interval: Some(2),
            skip: Some(3),
            reverse: false,
            fps: Some(10),
            loops: Some(Loop::Again(2)),
        };
        let mut still = all;
        still.settle(Some(OutputFormat::Png));
        assert_eq!(
            (still.fps, still.loops, still.interval, still.skip),
            (None, None, None, None)
        );
        assert_eq!(still.frames, all.frames);

        let mut reversed = Animation {
            reverse: true,
            ..all
        };
        reversed.settle(Some(OutputFormat::Jpeg));
        assert_eq!((reversed.interval, reversed.skip), (Some(2), Some(3)));

        let mut one = Animation {
            frames: Some(Frames::One(2)),
            reverse: true,
            ..all
        };
        one.settle(None);
        assert_eq!(
            one,
            Animation {
                frames: Some(Frames::One(2)),
                ..Animation::default()
            }
        );

        let mut moving = all;
        moving.settle(Some(OutputFormat::Webp));
        assert_eq!(moving, all);
    }
}
