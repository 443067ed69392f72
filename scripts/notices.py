#!/usr/bin/env python3
"""Writes THIRD_PARTY_NOTICES.md: every crate built into the pixgate binary, with its licence
and the notices its licence asks a binary distribution to carry.

Reads `cargo metadata` (offline, the locked graph for x86_64 Linux, default features) and the
licence, copying and notice files in each crate's unpacked source under ~/.cargo/registry, so
every crate must have been downloaded (any `cargo build` does that). Standard library only.

    scripts/notices.py            rewrite THIRD_PARTY_NOTICES.md
    scripts/notices.py --check    exit 1 if the committed file differs from what it would write

What counts: the crates reached from pixgate through normal dependencies (proc macros included,
development and build dependencies not: they are not part of what ships). For an `OR`
expression the notice of one permissive choice is kept (see PREFERRED); the full text of a
licence file shared word for word by several crates appears once. C libraries compiled into
the binary from vendored sources (libjpeg-turbo, libwebp) get their own files and the credit
their licences ask for (see VENDORED and CREDITS).
"""

import hashlib
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "THIRD_PARTY_NOTICES.md")
# The platform the release image ships for; fixed so the file does not depend on the machine.
PLATFORM = "x86_64-unknown-linux-gnu"

# Which licence of an `A OR B` choice to take, first found wins: those whose notice is the
# copyright lines and a short permission text.
PREFERRED = [
    "MIT", "BSD-3-Clause", "BSD-2-Clause", "ISC", "Zlib", "0BSD", "MIT-0", "Unlicense",
    "CC0-1.0", "BSL-1.0", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "Unicode-3.0",
]

# Licence files beyond a crate's top level: the licences of C code built from vendored sources.
VENDORED = {
    "libwebp-sys": ["vendor/COPYING", "vendor/PATENTS"],
}

# Statements a licence requires in the documentation of a binary distribution, verbatim.
CREDITS = {
    "mozjpeg-sys": (
        "libjpeg-turbo, built into pixgate from the sources vendored in this crate, is based on "
        "the IJG's libjpeg. The IJG licence asks that the documentation of a binary "
        "distribution say so:\n\n"
        "> This software is based in part on the work of the Independent JPEG Group."
    ),
    "avif-parse": (
        "avif-parse is covered by the Mozilla Public License 2.0 (file-level copyleft): its "
        "source code, unmodified in pixgate, is available from its repository "
        "(https://github.com/kornelski/avif-parse) and from crates.io as `avif-parse` at the "
        "version above. The MPL 2.0 text follows."
    ),
}

LICENCE_FILE = re.compile(r"(?i)^(licen[cs]e|copying|notice|copyright|unlicense|patents)")


def cargo_metadata():
    cargo = os.environ.get("CARGO", "cargo")
    out = subprocess.run(
        [cargo, "metadata", "--offline", "--format-version", "1",
         "--filter-platform", PLATFORM, "--manifest-path", os.path.join(ROOT, "Cargo.toml")],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def shipped_packages(metadata):
    """Packages reached from the root by normal dependency edges, the root excluded."""
    packages = {p["id"]: p for p in metadata["packages"]}
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
    root = metadata["resolve"]["root"]
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for dep in nodes[node]["deps"]:
            if any(k["kind"] is None for k in dep["dep_kinds"]):
                stack.append(dep["pkg"])
    seen.discard(root)
    return sorted((packages[i] for i in seen), key=lambda p: (p["name"], p["version"]))


def chosen_licence(expression):
    """The licence kept from an expression: an OR's preferred choice, else all of it."""
    if not expression:
        return None
    normal = expression.replace("/", " OR ")
    if " AND " in normal or "(" in normal:
        return expression
    choices = [c.strip() for c in normal.split(" OR ")]
    for name in PREFERRED:
        if name in choices:
            return name
    return choices[0]


def licence_files(package, licence):
    """The crate's licence files that go with the chosen licence, as relative paths."""
    directory = os.path.dirname(package["manifest_path"])
    names = sorted(f for f in os.listdir(directory)
                   if LICENCE_FILE.match(f) and os.path.isfile(os.path.join(directory, f)))
    if package.get("license_file"):
        names = sorted(set(names) | {package["license_file"]})
    if licence and " " not in licence:
        # LICENSE-MIT beside LICENSE-APACHE: keep the chosen one's, and any NOTICE.
        key = licence.split("-")[0].lower()
        specific = [n for n in names if key in n.lower()]
        if specific:
            names = specific + [n for n in names if "notice" in n.lower() and n not in specific]
    return names + VENDORED.get(package["name"], [])


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().strip().replace("\r\n", "\n")


def fenced(text):
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"


def render(metadata):
    packages = shipped_packages(metadata)
    texts = {}  # digest -> (text, [crate labels]) in order of first use
    entries = []
    for package in packages:
        label = f"{package['name']} {package['version']}"
        licence = chosen_licence(package["license"])
        directory = os.path.dirname(package["manifest_path"])
        refs = []
        for name in licence_files(package, licence):
            text = read_text(os.path.join(directory, name))
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            texts.setdefault(digest, (text, []))[1].append(label)
            refs.append((name, digest))
        entries.append((package, label, licence, refs))

    out = [
        "# Third-party notices",
        "",
        "pixgate's binary is built from the crates below (for " + PLATFORM + ", default",
        "features). Each entry names the crate's licence as it declares it, the licence whose",
        "terms pixgate takes where it offers a choice, and the files that carry its notices; the",
        "texts follow, each once. Generated by `scripts/notices.py` from `cargo metadata` and the",
        "crates' own files: do not edit by hand (a test checks it is current).",
        "",
        "## Crates",
        "",
    ]
    for package, label, licence, refs in entries:
        repository = package.get("repository") or f"https://crates.io/crates/{package['name']}"
        declared = package["license"] or f"see {package.get('license_file')}"
        line = f"- **{label}** — `{declared}`"
        if licence and licence != declared:
            line += f", under `{licence}`"
        line += f" — {repository}"
        out.append(line)
        if refs:
            out.append("  " + "; ".join(f"`{name}`: [text {d}](#text-{d})" for name, d in refs))
        else:
            out.append("  (the crate ships no licence file; its repository holds the licence)")
        if package["name"] in CREDITS:
            out.append("")
            out.extend("  " + l if l else "" for l in CREDITS[package["name"]].split("\n"))
        out.append("")
    out += ["## Texts", ""]
    for digest, (text, labels) in texts.items():
        out += [f"### Text {digest}", "", "For: " + ", ".join(labels) + ".", "",
                fenced(text), ""]
    return "\n".join(out).rstrip() + "\n"


def main():
    generated = render(cargo_metadata())
    if sys.argv[1:] == ["--check"]:
        try:
            current = open(OUTPUT, encoding="utf-8").read()
        except FileNotFoundError:
            current = None
        if current != generated:
            print("THIRD_PARTY_NOTICES.md is stale: run scripts/notices.py", file=sys.stderr)
            return 1
        return 0
    if sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(generated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
