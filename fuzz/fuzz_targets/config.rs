//! Arbitrary bytes as `config.toml`: loading fails or succeeds, and what loads reads and renders a small page.
//! The check is `checks::config`, shared with `tests/it/regressions.rs`.

#![no_main]

#[path = "../checks.rs"]
#[expect(dead_code, reason = "each target uses one of the shared checks")]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::config(data));
