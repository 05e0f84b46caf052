//! Arbitrary bytes as the body of a JSON API feed and as an HTML page with embedded JSON:
//! decoded, parsed, read by JSONPath, built into items and rendered in every format; the feeds
//! must read back. The check is `checks::json_source`, shared with `tests/it/regressions.rs`.

#![no_main]

use pressfeed_testkit::checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::json_source(data));
