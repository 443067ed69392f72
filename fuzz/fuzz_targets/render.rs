#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        // libfuzzer-sys aborts on every panic, even one the decoder guard catches; go back to
        // the default hook, under pixgate_fuzz's own (see `install_panic_hook`).
        drop(std::panic::take_hook());
        pixgate_fuzz::install_panic_hook();
    },
    |data: &[u8]| {
        let _ = pixgate_fuzz::render(data);
    }
);
