//! The fuzz targets' inputs kept under `fixtures/fuzz/<target>/` (crashes found and fixed, and
//! hand-made hostile inputs), replayed through the targets' own checks (`testkit/src/checks.rs`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use pressfeed_testkit::fixture;

use pressfeed_testkit::checks;

/// Runs `check` on every file under `fixtures/fuzz/<target>/` and names each one that fails.
fn replay(target: &str, check: fn(&[u8])) {
    let dir = fixture("fuzz").join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no input in {}", dir.display());
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "fuzz target {target}: these inputs fail its check (the panics are printed above):\n{}",
        failed.join("\n")
    );
}

#[test]
fn issue_6_fuzz_inputs_extract_ilo() {
    replay("extract_ilo", checks::extract_ilo);
}

#[test]
fn issue_6_fuzz_inputs_extract_suggested() {
    replay("extract_suggested", checks::extract_suggested);
}

#[test]
fn issue_6_fuzz_inputs_dates() {
    replay("dates", checks::dates);
}

#[test]
fn issue_6_fuzz_inputs_config() {
    replay("config", checks::config);
}

#[test]
fn issue_6_fuzz_inputs_render() {
    replay("render", checks::render);
}

#[test]
fn issue_17_fuzz_inputs_json_source() {
    replay("json_source", checks::json_source);
}
