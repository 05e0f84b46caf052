//! Arbitrary item fields and feed metadata through every format: the feeds must be well-formed and read back.
//! The check is `checks::render`, shared with `tests/it/regressions.rs`.

#![no_main]

#[path = "../checks.rs"]
#[expect(dead_code, reason = "each target uses one of the shared checks")]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::render(data));
