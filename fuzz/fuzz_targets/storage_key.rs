#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pixgate_fuzz::storage_key(data));
