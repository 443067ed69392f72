#!/usr/bin/env python3
"""pixgate's render pipeline against libvips, interleaved, one core each (issue 6).

Normally started by run.sh, which sets up the venv, the binary, the baseline JPEG and the
CPU pinning. Prints a Markdown table on stdout, progress on stderr, and writes every
round's numbers as JSON to --out.

With --vipsthumbnail, the libvips command-line tool is timed as well: one process per
image, wall clock, start-up included, as a user runs it.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

# libvips sizes its thread pool when it starts, i.e. on import: the variable must be set
# first, and it is forced (not defaulted) so a stray value in the caller's shell cannot make
# the comparison two cores against one.
os.environ["VIPS_CONCURRENCY"] = "1"
# The wheel's libvips setenv()s VIPSHOME to its own build prefix (/target) when it starts.
# A distribution vipsthumbnail that inherited that would look for its loadable modules
# (HEIF/AVIF among them) under /target and not find them, so child processes get the
# environment as it was before the import.
CHILD_ENV = dict(os.environ)
import pyvips  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
QUALITY = 75
LOSSY = {"jpg", "webp", "avif"}

SRCSET = (320, 640, 960, 1280, 1920)
# libvips loads every page of an animation only when asked to.
VIPS_LOAD_OPTIONS = {".gif": "[n=-1]"}

# (name, input, target width or SRCSET, output format). "baseline" is the progressive beach photo
# rewritten as a baseline JPEG, so the first two rows differ only in the entropy coding.
WORKLOADS = [
    ("progressive-jpg-400-jpg", "progressive", 400, "jpg"),
    ("baseline-jpg-400-jpg", "baseline", 400, "jpg"),
    ("baseline-jpg-400-webp", "baseline", 400, "webp"),
    ("forest-jpg-1200-jpg", "forest", 1200, "jpg"),
    ("milkyway-png-400-png", "png", 400, "png"),
    ("baseline-jpg-400-avif", "baseline", 400, "avif"),
    # Every frame of the kite GIF, 240 px wide, written as an animated WebP.
    ("animated-gif-240-webp", "animated", 240, "webp"),
    # A page's srcset: five widths of one large photo, rendered one after the other. libvips
    # renders each independently (the sum of five medians); pixgate renders the five in turn
    # per sample (`bench --srcset`), carrying the decode one width keeps to the next as the
    # server does (`cache.mezzanine_max_bytes`), and reports the median sequence.
    ("srcset-progressive-5-widths-jpg", "progressive", SRCSET, "jpg"),
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def jpeg_coding(path):
    """'progressive' or 'baseline' from the first SOF marker, to confirm the inputs are
    what the workload names claim (a re-saved corpus file could silently change that)."""
    data = Path(path).read_bytes()
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return "unknown"
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xC0, 0xC1):
            return "baseline"
        if marker == 0xC2:
            return "progressive"
        if marker == 0xDA:  # start of scan before any SOF: not a JPEG we understand
            return "unknown"
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return "unknown"


def vips_suffix(fmt):
    return f".{fmt}[Q={QUALITY}]" if fmt in LOSSY else f".{fmt}"


def each_width(one_round, width, *args):
    """A srcset workload runs one round per width and adds them up; others run once."""
    if not isinstance(width, tuple):
        return one_round(width, *args)
    parts = [one_round(w, *args) for w in width]
    total = {"ms": sum(p["ms"] for p in parts), "bytes": sum(p["bytes"] or 0 for p in parts)}
    if "stages_ms" in parts[0]:
        total["stages_ms"] = {k: sum(p["stages_ms"][k] or 0 for p in parts)
                              for k in ("decode", "resize", "encode")}
        total["peak_rss_bytes"] = max(p["peak_rss_bytes"] or 0 for p in parts) or None
    return total


def vips_round(width, path, fmt, iterations):
    """Median wall time of thumbnail + encode, in ms, and the output size."""
    suffix = vips_suffix(fmt)
    times = []
    out = b""
    # One untimed render first, as pixgate's --warmup 1 does: it loads the codec modules
    # and faults in the file, which a long-running server has already paid for.
    for i in range(iterations + 1):
        t0 = time.perf_counter_ns()
        # thumbnail() shrinks on load (JPEG DCT scaling, WebP/AVIF too), as imgproxy and
        # sharp do; the write forces the lazy pipeline, so the timing covers both.
        img = pyvips.Image.thumbnail(str(path) + VIPS_LOAD_OPTIONS.get(Path(path).suffix, ""),
                                     width)
        out = img.write_to_buffer(suffix)
        t1 = time.perf_counter_ns()
        if i > 0:
            times.append((t1 - t0) / 1e6)
    if img.width != width:
        raise RuntimeError(f"libvips made {img.width} px wide output, expected {width}")
    return {"ms": statistics.median(times), "bytes": len(out)}


def vipsthumbnail_version(binary):
    """'8.14.1' from `vipsthumbnail --vips-version` ('libvips 8.14.1'), or None."""
    try:
        proc = subprocess.run([binary, "--vips-version"], capture_output=True, text=True,
                              env=CHILD_ENV, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = proc.stdout.split()
    return words[-1] if proc.returncode == 0 and words else None


def vipsthumbnail_round(width, binary, path, fmt, iterations, out_dir, name):
    """Median wall time of whole `vipsthumbnail` processes, in ms, and the output size.

    Each render is its own process, so the time includes exec, dynamic linking, libvips
    start-up and module loading, which the in-process sides do not pay. The options match
    vips_round: thumbnail to `width` (--size W is a W x W box; every input is landscape, so
    the width is W, checked below) and the same saver options through the output suffix.
    The process inherits the taskset pinning and VIPS_CONCURRENCY=1 from this one.
    """
    stem = Path(out_dir) / f"vipsthumbnail-{name}"
    target = Path(f"{stem}.{fmt}")
    # An absolute -o: a relative one would be taken relative to the input's directory.
    cmd = [binary, str(path), "--size", str(width), "-o", f"{stem}{vips_suffix(fmt)}"]
    times = []
    # One untimed run first, like the other sides: it faults the binary, its libraries and
    # the input into the page cache, which a user running it twice has too.
    for i in range(iterations + 1):
        target.unlink(missing_ok=True)
        t0 = time.perf_counter_ns()
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              env=CHILD_ENV)
        t1 = time.perf_counter_ns()
        if proc.returncode != 0 or not target.exists():
            err = proc.stderr.decode(errors="replace").strip()
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode} "
                               f"or wrote no {target.name}: {err[-300:]}")
        if i > 0:
            times.append((t1 - t0) / 1e6)
    made = pyvips.Image.new_from_file(str(target)).width
    if made != width:
        raise RuntimeError(f"vipsthumbnail made {made} px wide output, expected {width}")
    return {"ms": statistics.median(times), "bytes": target.stat().st_size}


def pixgate_round(width, binary, path, fmt, iterations):
    """One `pixgate bench` process; its own in-process median, so start-up is excluded. A
    srcset is one sequence of widths per sample."""
    if isinstance(width, tuple):
        size = ["--srcset", ",".join(str(w) for w in width)]
    else:
        size = ["--w", str(width)]
    cmd = [binary, "bench", str(path), *size, "--fm", fmt]
    if fmt in LOSSY:
        cmd += ["--q", str(QUALITY)]
    cmd += ["--iterations", str(iterations), "--warmup", "1", "--threads", "1",
            "--json", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    # The contract is one JSON object on stdout; take the last line that parses so a stray
    # log line on stdout does not sink the whole run.
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            report = json.loads(line)
            break
        except json.JSONDecodeError:
            continue
    else:
        raise RuntimeError(f"no JSON on stdout of {' '.join(cmd)}: {proc.stdout[:300]!r}")
    if report.get("images") != iterations:
        log(f"  note: pixgate reported {report.get('images')} images, asked for {iterations}")
    stages = report["median_ms"]
    return {
        "ms": stages["total"],
        "stages_ms": {k: stages.get(k) for k in ("decode", "resize", "encode")},
        "bytes": report.get("mean_bytes_out"),
        "peak_rss_bytes": report.get("peak_rss_bytes"),
    }


# Issue 23's AVIF target, checked on these inputs at AVIF_WIDTH: AVIF at no more bytes than
# WebP at equal or better SSIM. AVIF is rendered at each of AVIF_QUALITIES and its bytes at
# WebP's SSIM (q 75) interpolated along that curve.
AVIF_WIDTH = 400
AVIF_INPUTS = ("baseline", "forest")
AVIF_QUALITIES = range(50, 100, 5)


def pixgate_output(binary, path, width, fmt, quality, out):
    """One render written to `out` (`bench --out`); returns its bytes."""
    cmd = [binary, "bench", str(path), "--w", str(width), "--fm", fmt, "--iterations", "1",
           "--warmup", "0", "--no-progress", "--out", str(out)]
    if quality is not None:
        cmd += ["--q", str(quality)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    return Path(out).stat().st_size


def luma(path):
    """Rec. 601 luma of an image file as a float image in memory."""
    img = pyvips.Image.new_from_file(str(path), access="sequential")
    if img.hasalpha():
        img = img.flatten(background=[255, 255, 255])
    img = img.cast("float")
    return (img[0] * 0.299 + img[1] * 0.587 + img[2] * 0.114).copy_memory()


def ssim(a, b):
    """Mean SSIM of two luma images: Gaussian window, sigma 1.5, K1 0.01, K2 0.03, L 255."""
    def blur(x):
        return x.gaussblur(1.5, precision="float", min_ampl=0.001)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ma, mb = blur(a), blur(b)
    var_a, var_b = blur(a * a) - ma * ma, blur(b * b) - mb * mb
    cov = blur(a * b) - ma * mb
    return (((ma * mb * 2 + c1) * (cov * 2 + c2))
            / ((ma * ma + mb * mb + c1) * (var_a + var_b + c2))).avg()


def avif_against_webp(binary, path, out_dir):
    """pixgate's AVIF and WebP of one input at AVIF_WIDTH, both against pixgate's own PNG
    (lossless) render of the same size: bytes and luma SSIM at q 75, and AVIF's bytes at
    WebP's SSIM."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(path).stem
    reference = out_dir / f"{stem}-{AVIF_WIDTH}.png"
    pixgate_output(binary, path, AVIF_WIDTH, "png", None, reference)
    ref = luma(reference)

    def measured(fmt, quality):
        out = out_dir / f"{stem}-{AVIF_WIDTH}-q{quality}.{fmt}"
        size = pixgate_output(binary, path, AVIF_WIDTH, fmt, quality, out)
        return {"quality": quality, "bytes": size, "ssim": ssim(ref, luma(out))}

    webp = measured("webp", QUALITY)
    curve = sorted((measured("avif", q) for q in AVIF_QUALITIES), key=lambda p: p["ssim"])
    at_equal = None
    for lo, hi in zip(curve, curve[1:]):
        if lo["ssim"] <= webp["ssim"] <= hi["ssim"] and hi["ssim"] > lo["ssim"]:
            t = (webp["ssim"] - lo["ssim"]) / (hi["ssim"] - lo["ssim"])
            at_equal = lo["bytes"] + t * (hi["bytes"] - lo["bytes"])
            break
    avif = next(p for p in curve if p["quality"] == QUALITY)
    return {"input": str(path), "width": AVIF_WIDTH, "webp": webp, "avif": avif,
            "avif_curve": curve, "avif_bytes_at_webp_ssim": at_equal,
            "avif_over_webp_bytes_at_equal_ssim":
                at_equal / webp["bytes"] if at_equal is not None else None}


def simd_in_binary(binary):
    """Whether libjpeg-turbo's SIMD kernels were linked in. Without nasm at build time
    mozjpeg-sys compiles only the jsimd_* stubs, so look for the kernels' own symbols."""
    if not shutil.which("nm"):
        return "unknown (no nm)"
    proc = subprocess.run(["nm", "--defined-only", "--demangle", binary],
                          capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout:
        return "unknown (stripped?)"
    kernels = [l for l in proc.stdout.splitlines() if "jsimd_" in l and ("_avx2" in l or "_sse2" in l)]
    if kernels:
        return "yes"
    # pixgate's own DCTs, colour conversion and Huffman coder stand in for libjpeg's scalar
    # ones on AVX2 CPUs.
    ours = "libjpeg::idct::avx2::islow" in proc.stdout
    return "no (scalar libjpeg-turbo" + (", pixgate's AVX2 JPEG kernels)" if ours else ")")


def machine_info(args):
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu_model": model,
        "nproc": os.cpu_count(),
        # Not nproc: under taskset that would report the pinned set, not the machine.
        "cores_used": len(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "libvips": f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}",
        "vips_concurrency": pyvips.concurrency_get(),
        "nasm_on_path": shutil.which("nasm") is not None,
        "baseline_jpeg": args.baseline_how,
    }
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    info["pixgate_commit"] = git.stdout.strip() or "unknown"
    if args.vipsthumbnail:
        info["vipsthumbnail_bin"] = args.vipsthumbnail
        info["vipsthumbnail_libvips"] = vipsthumbnail_version(args.vipsthumbnail) or "unknown"
    else:
        info["vipsthumbnail_bin"] = None
    if args.pixgate:
        info["pixgate_bin"] = args.pixgate
        info["pixgate_built_by_run_sh"] = args.pixgate_built == 1
        info["libjpeg_turbo_simd_in_binary"] = simd_in_binary(args.pixgate)
    return info


def fmt_ms(v):
    return "—" if v is None else f"{v:.1f}"


def fmt_bytes(v):
    return "—" if v is None else f"{round(v):,}"


def fmt_ratio(v):
    return "—" if v is None else f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--baseline", required=True, help="baseline copy of beach-5120x2880.jpg")
    ap.add_argument("--baseline-how", default="unknown")
    ap.add_argument("--pixgate", help="pixgate binary")
    ap.add_argument("--pixgate-built", type=int, default=0)
    ap.add_argument("--vips-only", action="store_true")
    ap.add_argument("--vipsthumbnail", help="vipsthumbnail binary (optional column)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if not args.vips_only and not args.pixgate:
        ap.error("--pixgate BIN or --vips-only")
    if args.rounds < 1 or args.iterations < 1:
        ap.error("--rounds and --iterations must be at least 1")

    # The operation cache would hand back the previous thumbnail after the first call and
    # time nothing; a CDN origin sees a different image each time anyway.
    pyvips.cache_set_max(0)

    corpus = Path(args.corpus)
    inputs = {
        "progressive": corpus / "beach-5120x2880.jpg",
        "baseline": Path(args.baseline),
        "forest": corpus / "forest-2560x1600.jpg",
        "png": corpus / "milkyway-5120x2880.png",
        "animated": corpus / "kite-animated-480x300.gif",
    }
    wanted = set(args.only.split(",")) if args.only else None
    if wanted and (unknown := wanted - {w[0] for w in WORKLOADS}):
        ap.error(f"unknown workloads: {', '.join(sorted(unknown))}")

    results = []
    for name, key, width, fmt in WORKLOADS:
        if wanted and name not in wanted:
            continue
        path = inputs[key]
        entry = {"name": name, "input": str(path), "width": width, "format": fmt,
                 "quality": QUALITY if fmt in LOSSY else None,
                 "libvips": {"rounds": []}, "pixgate": {"rounds": []},
                 "vipsthumbnail": {"rounds": []}, "errors": []}
        if not path.exists():
            entry["errors"].append(f"missing input {path}")
            log(f"skipping {name}: missing {path}")
        elif path.suffix == ".jpg":
            entry["jpeg_coding"] = jpeg_coding(path)
            expect = "progressive" if key == "progressive" else "baseline"
            if entry["jpeg_coding"] != expect:
                log(f"warning: {name} expects a {expect} JPEG, {path} is {entry['jpeg_coding']}")
        results.append(entry)

    info = machine_info(args)
    log(f"libvips {info['libvips']} (concurrency {info['vips_concurrency']}), "
        f"{info['cores_used']} of {info['nproc']} cores, {args.rounds} rounds x "
        f"{args.iterations} iterations")
    if args.vipsthumbnail:
        log(f"vipsthumbnail {args.vipsthumbnail} (libvips {info['vipsthumbnail_libvips']})")

    sides = {"libvips": lambda e, p: each_width(vips_round, e["width"], p, e["format"],
                                                 args.iterations)}
    if not args.vips_only:
        sides["pixgate"] = lambda e, p: pixgate_round(e["width"], args.pixgate, p,
                                                   e["format"], args.iterations)
    # vipsthumbnail is an extra column, not one of the two sides being compared: when it
    # fails on a workload (a distribution build without an AVIF encoder, say) that column
    # says so and the libvips/pixgate rows carry on, without failing the run.
    optional = set()
    if args.vipsthumbnail:
        out_dir = Path(args.out).parent
        out_dir.mkdir(parents=True, exist_ok=True)
        sides["vipsthumbnail"] = lambda e, p: each_width(
            vipsthumbnail_round, e["width"], args.vipsthumbnail, p, e["format"], args.iterations,
            out_dir, e["name"])
        optional.add("vipsthumbnail")
    start = time.monotonic()
    for r in range(args.rounds):
        # Alternate who goes first so drift (thermal, page cache, a neighbour on the host)
        # does not always land on the same side.
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for e in results:
            if e["errors"]:
                continue
            parts = []
            for side in order:
                if e[side].get("error"):
                    continue
                try:
                    res = sides[side](e, Path(e["input"]))
                except Exception as exc:  # keep the other workloads going; reported below
                    log(f"round {r + 1} {e['name']} {side} FAILED: {exc}")
                    if side in optional:
                        e[side]["error"] = str(exc)
                        continue
                    e["errors"].append(f"{side}: {exc}")
                    break
                e[side]["rounds"].append(res)
                parts.append(f"{side} {res['ms']:.1f} ms")
            else:
                log(f"round {r + 1}/{args.rounds} {e['name']}: {', '.join(parts)}")
    elapsed = time.monotonic() - start

    for e in results:
        for side in sides:
            rounds = e[side]["rounds"]
            if rounds:
                e[side]["median_ms"] = statistics.median(x["ms"] for x in rounds)
                e[side]["bytes"] = rounds[-1]["bytes"]
        pg = e["pixgate"]
        if pg["rounds"]:
            pg["stages_median_ms"] = {
                k: statistics.median(x["stages_ms"][k] for x in pg["rounds"]
                                     if x["stages_ms"][k] is not None)
                for k in ("decode", "resize", "encode")
                if any(x["stages_ms"][k] is not None for x in pg["rounds"])
            }
            pg["peak_rss_bytes"] = max((x["peak_rss_bytes"] or 0) for x in pg["rounds"]) or None
        if "median_ms" in e["libvips"] and "median_ms" in pg and pg["median_ms"] > 0:
            e["ratio_libvips_over_pixgate"] = e["libvips"]["median_ms"] / pg["median_ms"]
        vt = e["vipsthumbnail"]
        if "median_ms" in vt and "median_ms" in pg and pg["median_ms"] > 0:
            e["ratio_vipsthumbnail_over_pixgate"] = vt["median_ms"] / pg["median_ms"]

    # The AVIF target's render half: the AVIF row against the WebP row of the same input.
    by_name = {e["name"]: e for e in results}
    avif_row, webp_row = by_name.get("baseline-jpg-400-avif"), by_name.get("baseline-jpg-400-webp")
    avif_render_ratio = None
    if avif_row and webp_row and "median_ms" in avif_row["pixgate"] \
            and "median_ms" in webp_row["pixgate"]:
        avif_render_ratio = avif_row["pixgate"]["median_ms"] / webp_row["pixgate"]["median_ms"]
    # Its bytes half, untimed, whenever the AVIF row ran.
    avif_quality = []
    if avif_row and not args.vips_only:
        for key in AVIF_INPUTS:
            log(f"AVIF against WebP: {inputs[key].name}")
            try:
                avif_quality.append(avif_against_webp(args.pixgate, inputs[key],
                                                      Path(args.out).parent / "avif"))
            except Exception as exc:  # reported below; the timings stand
                avif_quality.append({"input": str(inputs[key]), "error": str(exc)})

    out = {"machine": info, "rounds": args.rounds, "iterations": args.iterations,
           "seconds": round(elapsed, 1), "workloads": results,
           "avif_render_over_webp_render": avif_render_ratio, "avif_against_webp": avif_quality}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")

    print("## pixgate vs libvips, one core\n")
    print(f"- CPU: {info['cpu_model']}, nproc {info['nproc']}, pinned to "
          f"{info['cores_used']} core(s); libvips {info['libvips']} "
          f"(VIPS_CONCURRENCY={info['vips_concurrency']}), pixgate --threads 1")
    print(f"- pixgate {info['pixgate_commit']}; nasm on PATH: "
          f"{'yes' if info['nasm_on_path'] else 'no'}"
          + (f"; libjpeg-turbo SIMD in binary: {info['libjpeg_turbo_simd_in_binary']}"
             if args.pixgate else " (libvips only)"))
    if args.vipsthumbnail:
        print(f"- vipsthumbnail: {info['vipsthumbnail_bin']}, libvips "
              f"{info['vipsthumbnail_libvips']} (not the wheel's {info['libvips']}); one "
              f"process per image, wall clock, start-up included; same core, "
              f"VIPS_CONCURRENCY=1")
    else:
        print("- vipsthumbnail: not found (or VIPSTHUMBNAIL=off), column n/a "
              "(apt-get install libvips-tools to add it)")
    print(f"- baseline JPEG: {info['baseline_jpeg']}")
    print(f"- median of {args.rounds} interleaved rounds, each the median of "
          f"{args.iterations} renders after 1 warm-up; quality {QUALITY} for lossy output; "
          f"ratio = other side's ms / pixgate ms (>1: pixgate faster)\n")
    print("| workload | libvips ms | pixgate ms | ratio vs libvips | vipsthumbnail ms "
          "| ratio vs vipsthumbnail | pixgate decode / resize / encode ms "
          "| libvips bytes | pixgate bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for e in results:
        lv, pg, vt = e["libvips"], e["pixgate"], e["vipsthumbnail"]
        st = pg.get("stages_median_ms", {})
        stages = " / ".join(fmt_ms(st.get(k)) for k in ("decode", "resize", "encode")) \
            if st else "—"
        if not args.vipsthumbnail:
            vt_ms = vt_ratio = "n/a"
        elif vt.get("error"):
            vt_ms = vt_ratio = "failed"
        else:
            vt_ms = fmt_ms(vt.get("median_ms"))
            vt_ratio = fmt_ratio(e.get("ratio_vipsthumbnail_over_pixgate"))
        print(f"| {e['name']} | {fmt_ms(lv.get('median_ms'))} | {fmt_ms(pg.get('median_ms'))} "
              f"| {fmt_ratio(e.get('ratio_libvips_over_pixgate'))} | {vt_ms} | {vt_ratio} "
              f"| {stages} | {fmt_bytes(lv.get('bytes'))} | {fmt_bytes(pg.get('bytes'))} |")
    if avif_render_ratio is not None or avif_quality:
        print(f"\n### pixgate's AVIF against its WebP ({AVIF_WIDTH} px, q {QUALITY})\n")
        if avif_render_ratio is not None:
            print(f"- render time, AVIF row / WebP row: **{avif_render_ratio:.2f}x** "
                  f"(issue 23's target: at most 2x)")
        print("- luma SSIM against pixgate's lossless (PNG) render of the same size; AVIF's "
              f"bytes at WebP's SSIM interpolated between AVIF renders at q "
              f"{AVIF_QUALITIES.start}-{AVIF_QUALITIES.stop - AVIF_QUALITIES.step} "
              "(target: at most WebP's bytes)\n")
        print("| input | WebP bytes | WebP SSIM | AVIF bytes | AVIF SSIM "
              "| AVIF bytes at WebP's SSIM | AVIF / WebP bytes there |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for q in avif_quality:
            name = Path(q["input"]).name
            if "error" in q:
                print(f"| {name} | failed: {q['error']} |||||| ")
                continue
            w, a = q["webp"], q["avif"]
            print(f"| {name} | {fmt_bytes(w['bytes'])} | {w['ssim']:.4f} "
                  f"| {fmt_bytes(a['bytes'])} | {a['ssim']:.4f} "
                  f"| {fmt_bytes(q['avif_bytes_at_webp_ssim'])} "
                  f"| {fmt_ratio(q['avif_over_webp_bytes_at_equal_ssim'])} |")
    failed = [e for e in results if e["errors"]]
    for e in failed:
        print(f"\n**{e['name']} failed:** {'; '.join(e['errors'])}")
    for e in results:
        if e["vipsthumbnail"].get("error"):
            print(f"\n**vipsthumbnail failed on {e['name']}** (column only; the run goes on): "
                  f"{e['vipsthumbnail']['error']}")
    print(f"\n(JSON: {args.out}; {elapsed:.0f} s)")
    return 1 if failed or any("error" in q for q in avif_quality) else 0


if __name__ == "__main__":
    sys.exit(main())
