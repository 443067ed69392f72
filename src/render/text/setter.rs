//! Setting the words: shaped lines, each at most the width allowed, made smaller
//! (`txt-fit=max`) or cut where `txt-clip` says, whole characters at a time.

use cosmic_text::{Attrs, Buffer, FontSystem, Metrics, Shaping, Wrap};
use unicode_segmentation::UnicodeSegmentation;

use crate::transform::{ClipSide, TextClip};

/// Line height as a share of the size at `txt-lead=0` (imgix's "about 120 %").
pub(super) const LINE_HEIGHT: f32 = 1.2;
/// The smallest size `txt-fit=max` goes down to before it cuts instead.
const MIN_SIZE: f32 = 4.0;
const ELLIPSIS: &str = "…";

/// Shapes text in one face at one size, with the spacing asked for.
pub(super) struct Setter<'a> {
    pub system: FontSystem,
    pub attrs: Attrs<'a>,
    /// px added between lines and between characters.
    pub lead: f32,
    pub track: f32,
}

impl Setter<'_> {
    /// `text`'s lines shaped at `size`, unwrapped.
    pub fn shape(&mut self, text: &str, size: f32) -> Buffer {
        let metrics = Metrics::new(size, size * LINE_HEIGHT + self.lead);
        let mut buffer = Buffer::new(&mut self.system, metrics);
        buffer.set_wrap(Wrap::None);
        buffer.set_size(None, None);
        // Tracking is in em for the shaper.
        let attrs = self.attrs.clone().letter_spacing(self.track / size);
        buffer.set_text(text, &attrs, Shaping::Advanced, None);
        buffer.shape_until_scroll(&mut self.system, false);
        buffer
    }

    fn width(&mut self, line: &str, size: f32) -> f32 {
        let buffer = self.shape(line, size);
        buffer.layout_runs().map(|r| r.line_w).fold(0.0, f32::max)
    }

    /// The size and lines to draw: every line within `room` px.
    pub fn fit(
        &mut self,
        lines: &[&str],
        size: f32,
        room: f32,
        clip: TextClip,
        shrink: bool,
    ) -> (f32, Vec<String>) {
        let mut size = size;
        if shrink {
            // Widths scale with the size, nearly: a few rounds settle hinting's rounding.
            for _ in 0..4 {
                let widest = lines
                    .iter()
                    .map(|l| self.width(l, size))
                    .fold(0.0, f32::max);
                if widest <= room || size <= MIN_SIZE {
                    break;
                }
                size = (size * room / widest * 0.99).max(MIN_SIZE);
            }
        }
        let fitted = lines
            .iter()
            .map(|line| self.clip(line, size, room, clip))
            .collect();
        (size, fitted)
    }

    /// `line`, cut to fit `room` px at `size` if it does not.
    fn clip(&mut self, line: &str, size: f32, room: f32, clip: TextClip) -> String {
        if self.width(line, size) <= room {
            return line.to_string();
        }
        let graphemes: Vec<&str> = line.graphemes(true).collect();
        let mark = if clip.ellipsis { ELLIPSIS } else { "" };
        let kept = |k: usize| -> String {
            let n = graphemes.len();
            match clip.side {
                ClipSide::End => format!("{}{mark}", graphemes[..k].concat()),
                ClipSide::Start => format!("{mark}{}", graphemes[n - k..].concat()),
                ClipSide::Middle => {
                    let head = k.div_ceil(2);
                    let tail = k - head;
                    format!(
                        "{}{mark}{}",
                        graphemes[..head].concat(),
                        graphemes[n - tail..].concat()
                    )
                }
            }
        };
        // The most characters that fit: width grows with each one kept.
        let (mut fits, mut too_many) = (0, graphemes.len());
        while too_many - fits > 1 {
            let k = (fits + too_many) / 2;
            if self.width(&kept(k), size) <= room {
                fits = k;
            } else {
                too_many = k;
            }
        }
        let best = kept(fits);
        if fits == 0 && self.width(&best, size) > room {
            return String::new();
        }
        best
    }
}
