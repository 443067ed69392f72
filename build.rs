//! Build-time facts for `pixgate_build_info`: the compiler's version, as `rustc --version`
//! prints it (`unknown` if it cannot be run). And the small C files that swap libjpeg's
//! scalar routines for pixgate's (`src/render/libjpeg/hooks.c`) and its Huffman coder and
//! decoder (`huffman.c`, `huffman_decode.c`), compiled against the headers mozjpeg-sys built libjpeg with (it passes
//! their folders as `DEP_JPEG_INCLUDE`).

fn main() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=PIXGATE_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC");

    let sources = [
        "src/render/libjpeg/hooks.c",
        "src/render/libjpeg/huffman.c",
        "src/render/libjpeg/huffman_decode.c",
    ];
    let mut c = cc::Build::new();
    c.files(sources).warnings(true);
    if let Some(include) = std::env::var_os("DEP_JPEG_INCLUDE") {
        for dir in std::env::split_paths(&include) {
            c.include(dir);
        }
    }
    c.compile("pixgate_jpeg_hooks");
    for source in sources {
        println!("cargo:rerun-if-changed={source}");
    }
    println!("cargo:rerun-if-changed=src/render/libjpeg/zigzag.h");
}
