//! Animated sources: which frames a render uses (`frame`, `interval`, `skip`, `reverse`), an
//! animation's frames each through the same steps as a still (the crop window chosen once, so
//! `crop=entropy` cannot jitter), its timing (`fps`) and loop count (`loop`), and the GIF or
//! WebP encoder. The frame cap and frames × canvas pixels are checked before any frame decodes.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use image::DynamicImage;

use super::decode::{self, Decoded, Header};
use super::encode::{self, EncodeOptions};
use super::steps::Steps;
use super::{Limits, RenderError, Rendered, Stages};
use crate::transform::{Animation, Frames, Loop, OutputFormat, Transform};

/// How a render treats its source's frames.
pub(super) enum Shape {
    /// A still of one source frame (0: the first, decoded the usual way).
    Still { index: usize },
    /// An animation of these source frames, in this order.
    Moving {
        scanned: decode::animation::Animation,
        order: Vec<usize>,
    },
}

/// A still or an animation. `moving` is the format an animation would be written in: an
/// animated source animates when that is GIF or WebP and no single frame was asked for. The
/// frames are counted (and capped) only when they matter: for an animation, or a selection.
pub(super) fn shape(
    source: &[u8],
    header: &Header,
    t: &Transform,
    moving: OutputFormat,
    limits: &Limits,
) -> Result<Shape, RenderError> {
    let a = &t.animation;
    let can_move = can_move(t, moving);
    let may_animate = decode::animation::may_animate(header.format);
    if !frames_matter(header, t, moving) {
        return Ok(Shape::Still { index: 0 });
    }
    let scanned = if may_animate {
        decode::animation::scan(source, header.format, limits.max_animation_frames)?
    } else {
        decode::animation::Animation {
            frames: 1,
            loops: None,
        }
    };
    let order = select(scanned.frames, a)?;
    if can_move && scanned.frames > 1 {
        return Ok(Shape::Moving { scanned, order });
    }
    Ok(Shape::Still {
        index: order.first().copied().unwrap_or(0),
    })
}

/// Whether an animated source would be written as an animation in `moving`.
fn can_move(t: &Transform, moving: OutputFormat) -> bool {
    matches!(moving, OutputFormat::Gif | OutputFormat::Webp)
        && t.data.is_none()
        && !t.animation.is_single_frame()
}

/// Whether the render counts the source's frames (and so refuses too many): for an
/// animation, or a selection of frames.
pub(super) fn frames_matter(header: &Header, t: &Transform, moving: OutputFormat) -> bool {
    t.animation.selects() || (can_move(t, moving) && decode::animation::may_animate(header.format))
}

/// The source frames (0-based) `a` keeps out of `count`, in output order; never empty.
/// `interval` and `skip` count within the `frame` range, from its first frame.
fn select(count: u32, a: &Animation) -> Result<Vec<usize>, RenderError> {
    let (first, last) = match a.frames {
        None => (1, count),
        Some(Frames::One(n)) => (n, n),
        Some(Frames::Range { first, last }) => (first, last.map_or(count, |l| l.min(count))),
    };
    if first > count || last > count {
        let frames = if count == 1 { "frame" } else { "frames" };
        return Err(RenderError::Parameter {
            name: "frame",
            reason: format!("the image has {count} {frames}"),
        });
    }
    let mut order: Vec<usize> = (first as usize - 1..last as usize).collect();
    if let Some(n) = a.interval {
        order = order.into_iter().step_by(n as usize).collect();
    }
    if let Some(n) = a.skip {
        let n = n as usize;
        order = order
            .into_iter()
            .enumerate()
            .filter(|(position, _)| (position + 1) % n != 0)
            .map(|(_, index)| index)
            .collect();
    }
    if a.reverse {
        order.reverse();
    }
    Ok(order)
}

/// Source frame `index` (past the first) as a still, the frames before it decoded to
/// composite it; they count against the pixel budget as an animation's do.
pub(super) fn still_frame(
    source: &[u8],
    header: &Header,
    index: usize,
    limits: &Limits,
    max_alloc: u64,
) -> Result<Decoded, RenderError> {
    check_budget(header, index + 1, limits)?;
    let mut frames = decode::animation::frames(source, header.format, max_alloc)?;
    for _ in 0..index {
        limits.check_deadline()?;
        frames.next().transpose()?;
    }
    limits.check_deadline()?;
    let frame = frames.next().transpose()?.ok_or_else(ended_early)?;
    let mut image = DynamicImage::ImageRgba8(frame.image);
    // Animations carry no orientation of their own; this is `orient`'s, when asked.
    image.apply_orientation(header.orientation);
    Ok(Decoded { image, icc: None })
}

/// An animation of the source frames `order`, each through `steps`, written as `steps.format`.
#[allow(clippy::too_many_arguments)]
pub(super) fn animate(
    source: &[u8],
    header: &Header,
    scanned: decode::animation::Animation,
    order: &[usize],
    steps: &Steps,
    options: &EncodeOptions,
    max_alloc: u64,
    started: Instant,
) -> Result<Rendered, RenderError> {
    let limits = steps.limits;
    let decoded = order.iter().max().map_or(0, |last| last + 1);
    check_budget(header, decoded, limits)?;
    let mut wanted = vec![false; decoded];
    for &i in order {
        wanted[i] = true;
    }
    let mut finished: Vec<Option<(DynamicImage, Duration)>> = (0..decoded).map(|_| None).collect();
    let mut window = None;
    // Frames are decoded one at a time between the steps: time each side separately.
    let mut stages = Stages::default();
    let mut decode_started = started;
    let frames = decode::animation::frames(source, header.format, max_alloc)?;
    for (i, frame) in frames.take(decoded).enumerate() {
        limits.check_deadline()?;
        let frame = frame?;
        let decoded_at = Instant::now();
        stages.decode += decoded_at - decode_started;
        if wanted[i] {
            let mut image = DynamicImage::ImageRgba8(frame.image);
            image.apply_orientation(header.orientation);
            let arranged = steps.arrange(Cow::Owned(image));
            let window = *window.get_or_insert_with(|| steps.window(&arranged));
            finished[i] = Some((steps.finish(arranged, window, None)?, frame.delay));
        }
        decode_started = Instant::now();
        stages.resize += decode_started - decoded_at;
    }
    let a = &steps.t.animation;
    let gif = steps.format == OutputFormat::Gif;
    let frames = order
        .iter()
        .map(|&i| {
            let (image, delay) = finished[i].take().ok_or_else(ended_early)?;
            let delay = a.fps.map_or(delay, frame_time);
            Ok((image, if gif { hundredths(delay) } else { delay }))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let loops = match a.loops {
        None => scanned.loops,
        Some(Loop::Forever) => None,
        Some(Loop::Again(n)) => Some(n),
    };
    limits.check_deadline()?;
    let encode_started = Instant::now();
    let (width, height) = frames
        .first()
        .map(|(image, _)| (image.width(), image.height()))
        .ok_or_else(ended_early)?;
    let bytes = match steps.format {
        OutputFormat::Gif => encode::animated_gif(frames, loops)?,
        OutputFormat::Webp => encode::animated_webp(frames, loops, options)?,
        other => {
            return Err(RenderError::Internal(format!(
                "{other} cannot hold an animation"
            )));
        }
    };
    stages.encode = encode_started.elapsed();
    Ok(Rendered {
        bytes,
        content_type: steps.format.mime(),
        width,
        height,
        stages,
        kept: None,
    })
}

/// Each frame's time at `fps` frames per second, to the millisecond.
fn frame_time(fps: u8) -> Duration {
    Duration::from_millis(((1000.0 / f64::from(fps.max(1))).round()) as u64)
}

/// `delay` to the nearest hundredth of a second, GIF's unit (its encoder would truncate:
/// 17 ms, 60 fps, would become 10 ms, which browsers stretch to 100).
fn hundredths(delay: Duration) -> Duration {
    Duration::from_millis((delay.as_millis() as u64 + 5) / 10 * 10)
}

/// Every decoded frame counts against the pixel limit: `frames` canvases of the source's size.
fn check_budget(header: &Header, frames: usize, limits: &Limits) -> Result<(), RenderError> {
    let canvas = u64::from(header.upright.0) * u64::from(header.upright.1);
    let pixels = canvas.saturating_mul(frames as u64);
    if pixels > limits.max_source_pixels {
        return Err(RenderError::TooManyPixels {
            pixels,
            limit: limits.max_source_pixels,
        });
    }
    Ok(())
}

fn ended_early() -> RenderError {
    RenderError::Corrupt("the animation has fewer frames than it declares".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(count: u32, query: &str) -> Result<Vec<usize>, RenderError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let params = crate::transform::parse(&pairs).unwrap();
        select(count, &params.transform.animation)
    }

    #[test]
    fn selections_keep_these_frames_in_this_order() {
        let cases: &[(&str, &[usize])] = &[
            ("", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
            ("frame=3", &[2]),
            ("frame=3-5", &[2, 3, 4]),
            ("frame=8-", &[7, 8, 9]),
            ("frame=-2", &[0, 1]),
            ("frame=9-40", &[8, 9]),
            ("interval=3", &[0, 3, 6, 9]),
            ("interval=4&frame=2-", &[1, 5, 9]),
            ("skip=3", &[0, 1, 3, 4, 6, 7, 9]),
            ("skip=2", &[0, 2, 4, 6, 8]),
            ("reverse=1", &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
            ("reverse=1&interval=4", &[8, 4, 0]),
            ("interval=20", &[0]),
        ];
        for (query, want) in cases {
            assert_eq!(selection(10, query).as_deref(), Ok(*want), "{query}");
        }
    }

    #[test]
    fn frames_past_the_end_are_refused_by_name() {
        for (count, query) in [(10, "frame=11"), (10, "frame=11-"), (1, "frame=2")] {
            match selection(count, query) {
                Err(RenderError::Parameter { name, reason }) => {
                    assert_eq!(name, "frame", "{query}");
                    assert!(reason.contains(&count.to_string()), "{query}: {reason}");
                }
                other => panic!("{query}: {other:?}"),
            }
        }
        assert_eq!(selection(1, "frame=1"), Ok(vec![0]));
    }

    #[test]
    fn fps_sets_every_frame_to_the_nearest_millisecond() {
        assert_eq!(frame_time(10), Duration::from_millis(100));
        assert_eq!(frame_time(60), Duration::from_millis(17));
        assert_eq!(frame_time(1), Duration::from_secs(1));
        assert_eq!(
            hundredths(Duration::from_millis(17)),
            Duration::from_millis(20)
        );
        assert_eq!(
            hundredths(Duration::from_millis(70)),
            Duration::from_millis(70)
        );
        assert_eq!(
            hundredths(Duration::from_millis(14)),
            Duration::from_millis(10)
        );
    }
}
