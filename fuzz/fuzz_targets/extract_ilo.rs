//! Arbitrary bytes as the page of the shipped ILO feed: decoded, extracted, built into items and rendered in every format; the feeds must read back.
//! The check is `checks::extract_ilo`, shared with `tests/it/regressions.rs`.

#![no_main]

use pressfeed_testkit::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::extract_ilo(data));
