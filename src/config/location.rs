//! Places in the config file: byte offsets from the TOML parser turned into
//! `path:line:column` and the `[[feed]]` they belong to.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in the config file: `path:line:column`, and the feed it belongs to.
#[derive(Debug, Clone)]
pub struct Location {
    /// The config file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The id of the `[[feed]]` the place is in, if any.
    pub feed: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)?;
        if let Some(feed) = &self.feed {
            write!(f, ": feed \"{feed}\"")?;
        }
        Ok(())
    }
}

/// The config text, for turning byte offsets into places and names.
#[derive(Debug, Clone, Copy)]
pub(super) struct Document<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
}

impl Document<'_> {
    /// The place of `offset`, in `feed` when it is known (else the feed whose table holds it).
    pub(super) fn location(&self, offset: usize, feed: Option<&str>) -> Location {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        Location {
            path: self.path.to_path_buf(),
            line,
            column,
            feed: feed
                .map(str::to_string)
                .or_else(|| self.feed_id_before(offset)),
        }
    }

    /// The id of the `[[feed]]` table that contains `offset`, read from the text (a syntax
    /// error leaves no parsed table to ask).
    fn feed_id_before(&self, offset: usize) -> Option<String> {
        // An error at a `[[feed]]` header (a missing key) belongs to that feed.
        let end = (offset + "[[feed]]".len()).min(self.text.len());
        let before = self.text.get(..end)?;
        let start = before.rfind("[[feed]]")?;
        // A later top-level table ends the feed (but `[feed.…]` sub-tables do not).
        let after_header = &before[start + "[[feed]]".len()..];
        if after_header.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with('[') && !l.starts_with("[feed.") && !l.starts_with("[[feed.")
        }) {
            return None;
        }
        let rest = &self.text[start + "[[feed]]".len()..];
        let end = rest.find("[[feed]]").unwrap_or(rest.len());
        rest[..end].lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            if key.trim() != "id" {
                return None;
            }
            let value = value.trim();
            let value = value.split('#').next().unwrap_or(value).trim();
            Some(value.trim_matches(|c| c == '"' || c == '\'').to_string())
        })
    }

    /// The key written at the start of the line that holds `offset`, if any.
    pub(super) fn key_at(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let line_start = self.text.get(..offset)?.rfind('\n').map(|i| i + 1)?;
        let line = self.text[line_start..].lines().next()?;
        let (key, _) = line.split_once('=')?;
        let key = key.trim();
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        valid.then(|| key.to_string())
    }
}

/// A path as given, with the folder it is relative to when it is relative.
pub(super) fn shown_path(path: &Path) -> String {
    match std::env::current_dir() {
        Ok(dir) if path.is_relative() => format!("{} (in {})", path.display(), dir.display()),
        _ => path.display().to_string(),
    }
}
