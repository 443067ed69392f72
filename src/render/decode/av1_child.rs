//! AV1 decoding in a child process. rav1d's API is `extern "C"`, so a panic inside it cannot
//! unwind to `guarded`: Rust aborts the whole process. Corrupt AV1 data does reach such
//! panics (an `unwrap` on rav1d's error path, found by mutating our fixtures), so a server
//! that decoded AV1 in-process could be killed by one upload. `pixgate serve` therefore runs
//! each AV1 decode in `pixgate decode-av1`, a child reading the item on stdin and writing the
//! planes on stdout; a child that dies, hangs or answers nonsense is a corrupt image (422).
//! The cost is one process start per AVIF render (a few milliseconds).

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::av1::{self, Av1Picture, Layout, Plane};
use crate::render::RenderError;

/// Longer than any honest decode within the pixel limit; a child past it is killed.
const CHILD_DEADLINE: Duration = Duration::from_secs(60);

/// Where AV1 items are decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Av1Decoding {
    /// In this process: a decoder panic aborts it. For tools and tests on trusted files.
    #[default]
    InProcess,
    /// In a child running `<program> decode-av1` (the `pixgate` binary).
    Child(PathBuf),
}

/// Decodes one AV1 item where `decoding` says.
pub fn decode(
    decoding: &Av1Decoding,
    obu: &[u8],
    max_pixels: u64,
) -> Result<Av1Picture, RenderError> {
    match decoding {
        Av1Decoding::InProcess => av1::decode_av1(obu, max_pixels),
        Av1Decoding::Child(program) => in_child(program, obu, max_pixels),
    }
}

fn in_child(program: &PathBuf, obu: &[u8], max_pixels: u64) -> Result<Av1Picture, RenderError> {
    let crashed = |what: String| RenderError::Corrupt(format!("AV1 decoder process: {what}"));
    let mut child = Command::new(program)
        .arg("decode-av1")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| crashed(format!("cannot start {}: {e}", program.display())))?;
    let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(crashed("no pipes".into()));
    };
    let mut request = max_pixels.to_le_bytes().to_vec();
    request.extend_from_slice(obu);
    // Written and read on their own threads so neither pipe can fill up and stall the other;
    // this thread keeps the child to kill it at the deadline.
    let writer = std::thread::spawn(move || stdin.write_all(&request));
    let (sent, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let read = stdout.read_to_end(&mut out).map(|_| out);
        let _ = sent.send(read);
    });
    let answer = answer.recv_timeout(CHILD_DEADLINE);
    if answer.is_err() {
        let _ = child.kill();
    }
    let status = child.wait();
    let _ = writer.join();
    let answer = answer
        .map_err(|_| crashed("no answer before the deadline".into()))?
        .map_err(|e| crashed(format!("reading its answer: {e}")))?;
    match status {
        Ok(status) if status.success() => parse_answer(&answer),
        Ok(status) => Err(crashed(format!("exited with {status}"))),
        Err(e) => Err(crashed(format!("waiting for it: {e}"))),
    }
}

/// The child's side, `pixgate decode-av1`: the item on stdin (8 bytes of pixel limit, little
/// endian, then the OBUs), the answer on stdout.
pub fn child_main() -> io::Result<()> {
    let mut request = Vec::new();
    io::stdin().lock().read_to_end(&mut request)?;
    let answer = match request.split_first_chunk::<8>() {
        Some((limit, obu)) => encode_answer(av1::decode_av1(obu, u64::from_le_bytes(*limit))),
        None => encode_answer(Err(RenderError::Corrupt("short request".into()))),
    };
    let mut stdout = io::stdout().lock();
    stdout.write_all(&answer)?;
    stdout.flush()
}

// The answer: a status byte (0 = picture, 1 = error), then for a picture width, height (u32),
// bit depth, layout, matrix, full range (u8), the luma plane and the chroma planes present
// for the layout, each as width, height (u32) and samples (u16); for an error, UTF-8 text.
// Everything little endian.

fn encode_answer(result: Result<Av1Picture, RenderError>) -> Vec<u8> {
    let picture = match result {
        Ok(picture) => picture,
        Err(e) => {
            let cause = match e {
                RenderError::Corrupt(cause) => cause,
                other => other.to_string(),
            };
            let mut out = vec![1];
            out.extend_from_slice(cause.as_bytes());
            return out;
        }
    };
    let mut out = vec![0];
    out.extend_from_slice(&picture.width.to_le_bytes());
    out.extend_from_slice(&picture.height.to_le_bytes());
    out.push(picture.bit_depth);
    out.push(layout_code(picture.layout));
    out.push(picture.matrix);
    out.push(u8::from(picture.full_range));
    let planes = std::iter::once(&picture.luma).chain(picture.chroma.iter().flatten());
    for plane in planes {
        out.extend_from_slice(&plane.width.to_le_bytes());
        out.extend_from_slice(&plane.height.to_le_bytes());
        out.extend(plane.samples.iter().flat_map(|s| s.to_le_bytes()));
    }
    out
}

fn parse_answer(answer: &[u8]) -> Result<Av1Picture, RenderError> {
    let garbled = || RenderError::Corrupt("AV1 decoder process: a garbled answer".into());
    let (&status, rest) = answer.split_first().ok_or_else(garbled)?;
    if status == 1 {
        return Err(RenderError::Corrupt(
            String::from_utf8_lossy(rest).into_owned(),
        ));
    }
    let mut reader = Reader(rest);
    let width = reader.u32().ok_or_else(garbled)?;
    let height = reader.u32().ok_or_else(garbled)?;
    let [bit_depth, layout, matrix, full_range] = reader.take::<4>().ok_or_else(garbled)?;
    let layout = layout_from_code(layout).ok_or_else(garbled)?;
    let luma = reader.plane().ok_or_else(garbled)?;
    let chroma = match layout {
        Layout::Monochrome => None,
        _ => Some([
            reader.plane().ok_or_else(garbled)?,
            reader.plane().ok_or_else(garbled)?,
        ]),
    };
    if status != 0 || !reader.0.is_empty() {
        return Err(garbled());
    }
    Ok(Av1Picture {
        width,
        height,
        bit_depth,
        layout,
        luma,
        chroma,
        matrix,
        full_range: full_range != 0,
    })
}

fn layout_code(layout: Layout) -> u8 {
    match layout {
        Layout::Monochrome => 0,
        Layout::Yuv420 => 1,
        Layout::Yuv422 => 2,
        Layout::Yuv444 => 3,
    }
}

fn layout_from_code(code: u8) -> Option<Layout> {
    Some(match code {
        0 => Layout::Monochrome,
        1 => Layout::Yuv420,
        2 => Layout::Yuv422,
        3 => Layout::Yuv444,
        _ => return None,
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take::<4>().map(u32::from_le_bytes)
    }

    fn plane(&mut self) -> Option<Plane> {
        let width = self.u32()?;
        let height = self.u32()?;
        let count = usize::try_from(u64::from(width) * u64::from(height)).ok()?;
        let bytes = self.0.get(..count.checked_mul(2)?)?;
        self.0 = &self.0[bytes.len()..];
        let samples = bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        Some(Plane {
            width,
            height,
            samples,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(width: u32, height: u32, seed: u16) -> Plane {
        Plane {
            width,
            height,
            samples: (0..width * height).map(|i| (i as u16) ^ seed).collect(),
        }
    }

    #[test]
    fn answers_round_trip() {
        for (layout, chroma) in [
            (Layout::Monochrome, None),
            (Layout::Yuv420, Some([plane(2, 2, 7), plane(2, 2, 9)])),
        ] {
            let picture = Av1Picture {
                width: 3,
                height: 3,
                bit_depth: 10,
                layout,
                luma: plane(3, 3, 1),
                chroma,
                matrix: 6,
                full_range: true,
            };
            let answer = encode_answer(Ok(picture.clone()));
            assert_eq!(parse_answer(&answer), Ok(picture));
        }
    }

    #[test]
    fn errors_and_garbage_are_corrupt() {
        let answer = encode_answer(Err(RenderError::Corrupt("bad OBU".into())));
        assert_eq!(
            parse_answer(&answer),
            Err(RenderError::Corrupt("bad OBU".into()))
        );
        for garbage in [&[][..], &[0], &[0, 1, 0, 0, 0, 1, 0, 0, 0], &[2, 0, 0]] {
            assert!(matches!(
                parse_answer(garbage),
                Err(RenderError::Corrupt(_))
            ));
        }
    }
}
