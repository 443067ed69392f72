//! `pixgate bench`: the real render pipeline (the function the server calls on a cache miss)
//! over files with one transform (or a srcset's transforms in turn), on N threads, reporting
//! per-stage medians, throughput, bytes out and peak memory. No HTTP and no cache: this
//! measures rendering, nothing else — except that a srcset carries the decoded pixels a
//! render keeps to the next width, as the server's `cache.mezzanine_max_bytes` does.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::render::faces::FaceDetector;
use crate::render::{self, Limits, Mezzanine, SourceFormat, Stages};
use crate::transform::Transform;

/// What to run.
pub struct Plan<'a> {
    pub inputs: &'a [Input],
    /// Rendered in turn per timed sample: one transform, or a srcset's widths.
    pub transforms: &'a [Transform],
    /// Timed renders per input.
    pub iterations: u32,
    /// Untimed renders per input first (caches, page faults, lazy tables).
    pub warmup: u32,
    pub threads: usize,
    pub limits: &'a Limits,
}

/// One original, read into memory before timing starts.
pub struct Input {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// One timed render.
#[derive(Debug, Clone, Copy)]
struct Sample {
    stages: Stages,
    total: Duration,
    bytes_out: usize,
}

/// The figures `pixgate bench` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub images: usize,
    pub threads: usize,
    pub wall: Duration,
    /// Medians per image.
    pub decode: Duration,
    pub resize: Duration,
    pub encode: Duration,
    pub total: Duration,
    pub bytes_out: u64,
    /// Linux's `VmHWM` of this process; `None` elsewhere.
    pub peak_rss_bytes: Option<u64>,
    /// Whether libjpeg-turbo runs its SIMD code (built with nasm on `PATH`).
    pub libjpeg_simd: bool,
    /// Whether JPEG work uses pixgate's AVX2 DCTs and colour conversion (no SIMD in libjpeg,
    /// AVX2 CPU); its Huffman decoder and coder run on every x86-64.
    pub jpeg_idct_avx2: bool,
}

/// Each names the file; the cause follows as the error's source (printed by `{:#}`).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no images among the given paths")]
    NoImages,
    #[error("{}", path.display())]
    Render {
        path: PathBuf,
        source: render::RenderError,
    },
}

/// Reads the files named, and the images directly inside the folders named (sorted by name;
/// other files there are skipped). A file named explicitly is taken as it is.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, BenchError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| BenchError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut inputs = Vec::new();
    for path in paths {
        if !path.is_dir() {
            inputs.push(Input {
                path: path.clone(),
                bytes: read(path)?,
            });
            continue;
        }
        let listing = std::fs::read_dir(path).map_err(|source| BenchError::Read {
            path: path.clone(),
            source,
        })?;
        let mut files: Vec<PathBuf> = listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let bytes = read(&file)?;
            if SourceFormat::sniff(&bytes).is_some() {
                inputs.push(Input { path: file, bytes });
            }
        }
    }
    if inputs.is_empty() {
        return Err(BenchError::NoImages);
    }
    Ok(inputs)
}

/// Runs the plan; `progress(done, total)` is called after every timed render (from worker
/// threads).
pub fn run(
    plan: &Plan<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, BenchError> {
    let faces = FaceDetector::default();
    for input in plan.inputs {
        for _ in 0..plan.warmup {
            render_one(plan, input, &faces)?;
        }
    }
    let jobs = plan.inputs.len() * plan.iterations as usize;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let samples = Mutex::new(Vec::with_capacity(jobs));
    let failure = Mutex::new(None);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..plan.threads.max(1) {
            scope.spawn(|| {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= jobs {
                        return;
                    }
                    let input = &plan.inputs[job % plan.inputs.len()];
                    match render_one(plan, input, &faces) {
                        Ok(sample) => lock(&samples).push(sample),
                        Err(e) => {
                            lock(&failure).get_or_insert(e);
                            // Stop everyone: the figures would describe a partial run.
                            next.store(jobs, Ordering::Relaxed);
                            return;
                        }
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, jobs);
                }
            });
        }
    });
    let wall = started.elapsed();
    if let Some(e) = lock(&failure).take() {
        return Err(e);
    }
    let samples = std::mem::take(&mut *lock(&samples));
    Ok(summarise(&samples, plan.threads.max(1), wall))
}

/// The output of one render of `input` through the plan's (first) transform, untimed.
pub fn render_bytes(plan: &Plan<'_>, input: &Input) -> Result<Vec<u8>, BenchError> {
    let Some(transform) = plan.transforms.first() else {
        return Ok(Vec::new());
    };
    let rendered = render_transform(plan, input, transform, &FaceDetector::default(), None)?;
    Ok(rendered.bytes)
}

/// One render of `input`, standing on `kept` when given. A transform that needs faces looks
/// for them every time, as a miss on an original not yet in the originals cache does.
fn render_transform(
    plan: &Plan<'_>,
    input: &Input,
    transform: &Transform,
    faces: &FaceDetector,
    kept: Option<&Mezzanine>,
) -> Result<render::Rendered, BenchError> {
    let failed = |source| BenchError::Render {
        path: input.path.clone(),
        source,
    };
    let found = if transform.needs_faces() {
        Some(render::faces::detect(&input.bytes, faces, plan.limits).map_err(failed)?)
    } else {
        None
    };
    let layers = render::Layers {
        faces: found.as_ref(),
        mezzanine: kept,
        ..render::Layers::default()
    };
    render::render_with(&input.bytes, transform, None, plan.limits, layers).map_err(failed)
}

/// One sample: the plan's transforms in turn, starting with nothing kept. Faces are looked
/// for every time (`render_transform`): the figures are then an upper bound.
fn render_one(plan: &Plan<'_>, input: &Input, faces: &FaceDetector) -> Result<Sample, BenchError> {
    let started = Instant::now();
    let mut kept: Option<Mezzanine> = None;
    let mut sample = Sample {
        stages: Stages::default(),
        total: Duration::ZERO,
        bytes_out: 0,
    };
    for transform in plan.transforms {
        let rendered = render_transform(plan, input, transform, faces, kept.as_ref())?;
        // A render that stood on the kept decode offers none; one that decoded offers a
        // larger one.
        kept = rendered.kept.or(kept);
        sample.stages.decode += rendered.stages.decode;
        sample.stages.resize += rendered.stages.resize;
        sample.stages.encode += rendered.stages.encode;
        sample.bytes_out += rendered.bytes.len();
    }
    sample.total = started.elapsed();
    Ok(sample)
}

fn summarise(samples: &[Sample], threads: usize, wall: Duration) -> Report {
    let median_of = |stage: fn(&Sample) -> Duration| median(samples.iter().map(stage).collect());
    Report {
        images: samples.len(),
        threads,
        wall,
        decode: median_of(|s| s.stages.decode),
        resize: median_of(|s| s.stages.resize),
        encode: median_of(|s| s.stages.encode),
        total: median_of(|s| s.total),
        bytes_out: samples.iter().map(|s| s.bytes_out as u64).sum(),
        peak_rss_bytes: peak_rss_bytes(),
        libjpeg_simd: render::libjpeg::has_simd(),
        jpeg_idct_avx2: render::libjpeg::has_own_kernels(),
    }
}

/// The middle value (the mean of the two middle ones for an even count); zero for none.
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => Duration::ZERO,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2,
    }
}

/// This process's peak resident set (Linux `VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

impl Report {
    pub fn images_per_second(&self) -> f64 {
        self.images as f64 / self.wall.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// The `--json` form, one object.
    pub fn to_json(&self) -> Value {
        json!({
            "images": self.images,
            "threads": self.threads,
            "wall_seconds": self.wall.as_secs_f64(),
            "images_per_second": self.images_per_second(),
            "median_ms": {
                "decode": ms(self.decode),
                "resize": ms(self.resize),
                "encode": ms(self.encode),
                "total": ms(self.total),
            },
            "bytes_out": self.bytes_out,
            "mean_bytes_out": self.bytes_out / (self.images.max(1) as u64),
            "peak_rss_bytes": self.peak_rss_bytes,
            "libjpeg_simd": self.libjpeg_simd,
            "jpeg_idct_avx2": self.jpeg_idct_avx2,
            "rav1e_asm": cfg!(feature = "nasm"),
        })
    }

    /// The human form, a few lines.
    pub fn to_text(&self) -> String {
        let per_image = self.bytes_out / (self.images.max(1) as u64);
        let rss = self.peak_rss_bytes.map_or("n/a".to_string(), |b| {
            format!("{:.1} MiB", b as f64 / 1048576.0)
        });
        let jpeg = if self.libjpeg_simd && cfg!(target_arch = "x86_64") {
            "libjpeg-turbo with SIMD, and pixgate's Huffman decoding and its Huffman counting \
             for optimised tables"
        } else if self.libjpeg_simd {
            "libjpeg-turbo with SIMD"
        } else if self.jpeg_idct_avx2 {
            "libjpeg-turbo without SIMD (nasm was not on PATH when it was built), \
             with pixgate's AVX2 DCTs and colour conversion and its Huffman decoder and coder"
        } else if cfg!(target_arch = "x86_64") {
            "libjpeg-turbo without SIMD (nasm was not on PATH when it was built), \
             with pixgate's Huffman decoder and coder"
        } else {
            "libjpeg-turbo without SIMD (nasm was not on PATH when it was built)"
        };
        let avif = if cfg!(feature = "nasm") {
            "rav1e with its assembly"
        } else {
            "rav1e without its assembly (build with --features nasm where nasm is installed)"
        };
        format!(
            "{} renders on {} thread(s) in {:.2} s: {:.1} images/s\n\
             median per image: decode {:.1} ms, resize {:.1} ms, encode {:.1} ms, total {:.1} ms\n\
             bytes out: {} ({} per image); peak RSS {rss}\n\
             JPEG: {jpeg}\nAVIF: {avif}\n",
            self.images,
            self.threads,
            self.wall.as_secs_f64(),
            self.images_per_second(),
            ms(self.decode),
            ms(self.resize),
            ms(self.encode),
            ms(self.total),
            self.bytes_out,
            per_image,
        )
    }
}

/// `[#######.............]  35/100` for a terminal.
pub fn progress_bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    format!(
        "[{}{}] {done}/{total}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    )
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_even_and_empty_sets() {
        let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect();
        assert_eq!(median(ms(&[5, 1, 3])), Duration::from_millis(3));
        assert_eq!(median(ms(&[4, 1, 3, 2])), Duration::from_micros(2500));
        assert_eq!(median(Vec::new()), Duration::ZERO);
    }

    #[test]
    fn the_progress_bar_fills_in_proportion() {
        assert_eq!(progress_bar(0, 10), format!("[{}] 0/10", ".".repeat(30)));
        assert_eq!(
            progress_bar(5, 10),
            format!("[{}{}] 5/10", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(progress_bar(10, 10), format!("[{}] 10/10", "#".repeat(30)));
    }
}
