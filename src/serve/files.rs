//! The files `serve` answers with: plain names in the output folder only, read once per
//! version (size, time and inode), each with its strong ETag (RFC 9110 §8.8.3) and
//! `Last-Modified` (§8.8.2).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::http::{HeaderValue, Uri};

use super::compress::{Coding, Compressed};
use crate::spec::Format;

/// A file as last read, with its validators, reused while its size, time and inode stay.
#[derive(Debug, Clone)]
pub(super) struct CachedFile {
    stamp: (u64, SystemTime, u64),
    /// The body.
    pub(super) bytes: Bytes,
    /// The identity representation's ETag.
    etag: HeaderValue,
    /// `Last-Modified`.
    pub(super) last_modified: HeaderValue,
    /// When the file was last changed.
    pub(super) modified: SystemTime,
    /// Its compressed forms, made on first demand and kept with it.
    pub(super) compressed: Arc<Compressed>,
    /// Whether it was old enough, when read, for its stamp to be trusted (see [`FileCache::read`]).
    settled: bool,
}

impl CachedFile {
    /// The strong ETag of the representation in `coding`.
    pub(super) fn etag_for(&self, coding: Option<Coding>) -> HeaderValue {
        let Some(coding) = coding else {
            return self.etag.clone();
        };
        let plain = self.etag.to_str().unwrap_or("\"\"").trim_end_matches('"');
        HeaderValue::from_str(&format!("{plain}{}\"", coding.etag_suffix()))
            .unwrap_or_else(|_| self.etag.clone())
    }
}

/// The output folder's files as last read.
#[derive(Debug)]
pub(super) struct FileCache {
    dir: PathBuf,
    files: RwLock<HashMap<String, CachedFile>>,
}

impl FileCache {
    /// An empty cache of the files in `dir`.
    pub(super) fn new(dir: &Path) -> Self {
        FileCache {
            dir: dir.to_path_buf(),
            files: RwLock::new(HashMap::new()),
        }
    }

    /// The file `name` of the output folder, from the cache while it is unchanged. Symbolic
    /// links and anything but regular files are not served.
    ///
    /// The file is looked at (`lstat`) on every request, right on the async thread: a stat of
    /// a file the kernel has cached takes about a microsecond, far less than handing it to a
    /// blocking thread and back. Only a file that changed is read, on a blocking thread.
    pub(super) async fn read(&self, name: &str) -> Option<CachedFile> {
        let path: PathBuf = self.dir.join(name);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.file_type().is_file() {
            return None;
        }
        let modified = meta.modified().ok()?;
        let stamp = (meta.len(), modified, inode(&meta));
        let previous = self
            .files
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        if let Some(cached) = previous.as_ref().filter(|c| c.stamp == stamp && c.settled) {
            return Some(cached.clone());
        }
        // Files are replaced by rename, never rewritten in place: what is read is one whole file.
        let bytes = Bytes::from(tokio::fs::read(&path).await.ok()?);
        let etag =
            HeaderValue::from_str(&format!("\"{}\"", crate::digest::hex16(&[&bytes]))).ok()?;
        // The same content keeps its compressed forms, whatever its stamp says.
        let compressed = previous
            .filter(|c| c.etag == etag)
            .map(|c| c.compressed)
            .unwrap_or_default();
        // A file changed within the last two seconds may change again within its timestamp's
        // resolution, unseen by size and time: such a file is read afresh until it settles.
        let settled = modified
            .elapsed()
            .is_ok_and(|age| age > Duration::from_secs(2));
        let file = CachedFile {
            stamp,
            etag,
            last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(modified)).ok()?,
            modified,
            bytes,
            compressed,
            settled,
        };
        self.files
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), file.clone());
        Some(file)
    }

    /// Forgets the files not among `names` (a new configuration's files).
    pub(super) fn keep_only(&self, names: &HashSet<String>) {
        self.files
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|name, _| names.contains(name));
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    meta.ino()
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// The media types of the files pressfeed writes, by extension: the feed formats' and the
/// discovery files'.
static MEDIA_TYPES: LazyLock<Vec<(&'static str, HeaderValue)>> = LazyLock::new(|| {
    let feeds = Format::ALL.map(|format| (format.extension(), format.media_type()));
    let discovery = [("html", "text/html"), ("opml", "text/x-opml")];
    feeds
        .into_iter()
        .chain(discovery)
        .filter_map(|(extension, media_type)| {
            let value = HeaderValue::from_str(&format!("{media_type}; charset=utf-8")).ok()?;
            Some((extension, value))
        })
        .collect()
});

/// The media type of a file pressfeed writes, by extension; other files are not served.
pub(super) fn media_type(name: &str) -> Option<HeaderValue> {
    let extension = name.rsplit_once('.')?.1;
    MEDIA_TYPES
        .iter()
        .find(|(known, _)| *known == extension)
        .map(|(_, value)| value.clone())
}

/// The file a request path names: one plain name in the folder (letters, digits, `-`, `_`,
/// `.`, not starting with a dot). Anything else (`..`, `/`, `%`-escapes, hidden files) is none.
pub(super) fn file_name(uri: &Uri) -> Option<&str> {
    let name = uri.path().strip_prefix('/')?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site;

    #[test]
    fn only_plain_names_are_files() {
        let name = |path: &str| file_name(&path.parse::<Uri>().unwrap()).map(str::to_string);
        assert_eq!(name("/"), None);
        assert_eq!(name("/ilo-china.rss").as_deref(), Some("ilo-china.rss"));
        for bad in [
            "/../config.toml",
            "/%2e%2e/config.toml",
            "//etc/passwd",
            "/.hidden",
            "/a/b.rss",
            "/a%2fb.rss",
        ] {
            assert_eq!(name(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_written_file_has_a_media_type() {
        let served = |name: &str| media_type(name).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(
            served("x.rss").as_deref(),
            Some("application/rss+xml; charset=utf-8")
        );
        assert_eq!(
            served("x.json").as_deref(),
            Some("application/feed+json; charset=utf-8")
        );
        assert_eq!(
            served(site::INDEX).as_deref(),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            served(site::OPML).as_deref(),
            Some("text/x-opml; charset=utf-8")
        );
        assert_eq!(served("config.toml"), None);
    }
}
