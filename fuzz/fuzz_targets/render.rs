//! Arbitrary item fields and feed metadata through every format: the feeds must be well-formed and read back.
//! The check is `checks::render`, shared with `tests/it/regressions.rs`.

#![no_main]

use pressfeed_testkit::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::render(data));
