//! Arbitrary bytes as `config.toml`: loading fails or succeeds, and what loads reads and renders a small page.
//! The check is `checks::config`, shared with `tests/it/regressions.rs`.

#![no_main]

use pressfeed_testkit::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::config(data));
