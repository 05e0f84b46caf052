//! Fault injection for the kill tests: places where a run can be made to stop, so that a test
//! can kill it there, or to fail. Compiled in only with the `fault-injection` feature; without it every
//! pause point is an empty function.

/// Stops the run here for a minute when `PRESSFEED_PAUSE_AT` names `name` (comma-separated
/// names), after saying so on stderr, so that a test can kill it at this step.
#[cfg(feature = "fault-injection")]
pub(crate) fn pause_point(name: &str) {
    if std::env::var("PRESSFEED_PAUSE_AT").is_ok_and(|at| at.split(',').any(|n| n == name)) {
        eprintln!("pressfeed: debug: paused at {name}");
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

/// Without the `fault-injection` feature, nothing.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn pause_point(_name: &str) {}

/// Whether `PRESSFEED_FAIL_AT` names `name` (comma-separated names): the step then fails as
/// it would on a full disk.
#[cfg(feature = "fault-injection")]
pub(crate) fn fails_at(name: &str) -> bool {
    std::env::var("PRESSFEED_FAIL_AT").is_ok_and(|at| at.split(',').any(|n| n == name))
}

/// Without the `fault-injection` feature, never.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn fails_at(_name: &str) -> bool {
    false
}
