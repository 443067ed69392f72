//! Test inputs shared by the kernels' and decoders' tests: a deterministic generator, pixels
//! that make the coefficients encoders write, the repository's photos, and a decompressor
//! opened on a file.

/// A deterministic generator, so a failure names its case.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }
}

/// Pixels that make the coefficients encoders write: noise (every frequency at full
/// strength), hard edges, and smooth gradients.
pub fn pixels(w: usize, h: usize, seed: u64) -> Vec<u8> {
    let mut rng = Lcg(seed);
    (0..w * h * 3)
        .map(|i| {
            let (x, y) = ((i / 3) % w, (i / 3) / w);
            match (x / 16 + y / 16) % 3 {
                0 => rng.next() as u8,
                1 => {
                    if (x / 3 + y / 5) % 2 == 0 {
                        255
                    } else {
                        0
                    }
                }
                _ => ((x * 4 + y * 2 + i % 3 * 40) % 256) as u8,
            }
        })
        .collect()
}

/// The named files under `fixtures/`, each with its name.
pub fn fixtures(names: &[&str]) -> Vec<(String, Vec<u8>)> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    names
        .iter()
        .map(|name| {
            let bytes = std::fs::read(format!("{folder}/{name}")).unwrap();
            (name.to_string(), bytes)
        })
        .collect()
}

/// A decompressor with `err` as its error manager, its header read from `bytes`.
///
/// # Safety
/// `err` and `bytes` outlive the decompressor, which the caller destroys.
pub unsafe fn open(
    err: &mut mozjpeg_sys::jpeg_error_mgr,
    bytes: &[u8],
) -> mozjpeg_sys::jpeg_decompress_struct {
    // SAFETY: the caller's promise; set up as libjpeg documents.
    unsafe {
        let mut cinfo: mozjpeg_sys::jpeg_decompress_struct = std::mem::zeroed();
        cinfo.common.err = err;
        mozjpeg_sys::jpeg_create_decompress(&mut cinfo);
        mozjpeg_sys::jpeg_mem_src(&mut cinfo, bytes.as_ptr(), bytes.len() as _);
        mozjpeg_sys::jpeg_read_header(&mut cinfo, 1);
        cinfo
    }
}
