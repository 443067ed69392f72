//! ISO BMFF boxes, bounded: every box and every field read must lie inside the bytes given,
//! and anything that does not is `Corrupt`. Box bodies are borrowed, never copied or interpreted.

use super::corrupt;
use crate::render::RenderError;

/// One ISO BMFF box: its four-character type and its body (after the header).
#[derive(Debug, Clone, Copy)]
pub struct Bmff<'a> {
    pub kind: [u8; 4],
    pub body: &'a [u8],
}

/// The boxes laid end to end in a byte range; a box running past the end is an error.
pub struct Boxes<'a>(pub &'a [u8]);

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<Bmff<'a>, RenderError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let parsed = next_box(self.0);
        match parsed {
            Ok((b, rest)) => {
                self.0 = rest;
                Some(Ok(b))
            }
            Err(e) => {
                self.0 = &[];
                Some(Err(e))
            }
        }
    }
}

fn next_box(bytes: &[u8]) -> Result<(Bmff<'_>, &[u8]), RenderError> {
    let mut r = Reader(bytes);
    let size32 = r.u32()?;
    let kind: [u8; 4] = r.array()?;
    let (header, size) = match size32 {
        0 => (8, bytes.len() as u64),
        1 => (16, r.u64()?),
        n => (8, u64::from(n)),
    };
    if size < header || size > bytes.len() as u64 {
        return Err(corrupt(format!(
            "box {} has a bad size",
            String::from_utf8_lossy(&kind)
        )));
    }
    let size = size as usize;
    Ok((
        Bmff {
            kind,
            body: &bytes[header as usize..size],
        },
        &bytes[size..],
    ))
}

/// Skips a full box's version and flags, returning (version, flags, rest).
pub fn full_box(body: &[u8]) -> Result<(u8, u32, &[u8]), RenderError> {
    let mut r = Reader(body);
    let word = r.u32()?;
    Ok(((word >> 24) as u8, word & 0x00FF_FFFF, r.0))
}

/// A big-endian cursor whose reads fail past the end.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], RenderError> {
        if self.0.len() < n {
            return Err(corrupt("a box is truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], RenderError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, RenderError> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u16(&mut self) -> Result<u16, RenderError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, RenderError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, RenderError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A 16-bit item ID in version 0 boxes, 32-bit otherwise.
    pub fn item_id(&mut self, version: u8) -> Result<u32, RenderError> {
        if version == 0 {
            self.u16().map(u32::from)
        } else {
            self.u32()
        }
    }
}
