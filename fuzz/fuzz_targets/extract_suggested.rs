//! Arbitrary bytes as a page for `pressfeed suggest`: the block it proposes must load as a config, find items and render feeds that read back.
//! The check is `checks::extract_suggested`, shared with `tests/it/regressions.rs`.

#![no_main]

use pressfeed_testkit::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::extract_suggested(data));
