//! `pressfeed reset ID...`: forgets feeds' history, so their next run starts afresh.

use std::fmt::Write as _;

use pressfeed::Config;

use super::exit::{self, Outcome};

/// Forgets the history of the feeds `ids` of `config`.
pub(crate) fn reset(config: &Config, ids: &[String]) -> anyhow::Result<Outcome> {
    if ids.iter().any(|id| super::find_feed(config, id).is_none()) {
        return Ok(Outcome::Usage);
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let counts = match pressfeed::forget(config, &ids) {
        Ok(counts) => counts,
        Err(err) => return Ok(exit::store_failed(&err)),
    };
    let mut out = String::new();
    for (id, count) in ids.iter().zip(counts) {
        let _ = writeln!(
            out,
            "feed \"{id}\": forgot {count} items; its next run reads the page afresh"
        );
    }
    super::print(&out)?;
    Ok(Outcome::Success)
}
