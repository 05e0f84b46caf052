//! Arbitrary text, `date_formats` and time zone through the date parsers: no panic, no hang, four-digit years.
//! The check is `checks::dates`, shared with `tests/it/regressions.rs`.

#![no_main]

use pressfeed_testkit::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::dates(data));
