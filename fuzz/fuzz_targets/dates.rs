//! Arbitrary text, `date_formats` and time zone through the date parsers: no panic, no hang, four-digit years.
//! The check is `checks::dates`, shared with `tests/it/regressions.rs`.

#![no_main]

#[path = "../checks.rs"]
#[expect(dead_code, reason = "each target uses one of the shared checks")]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::dates(data));
