//! Loading a feed's page: from a local file (fixtures, mirrors) or, later, over HTTP.

use std::path::PathBuf;

use url::Url;

use crate::config::{FeedSpec, Source};

/// Largest page pressfeed reads (10 MiB).
pub const MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;

/// A page's text and the address its links are relative to.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page's public address.
    pub url: Url,
    /// The decoded text.
    pub body: String,
}

/// A page that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A local source file could not be read.
    #[error("feed \"{feed}\": field \"source\": cannot read {}", path.display())]
    Read {
        /// The feed.
        feed: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The page is larger than [`MAX_BODY_BYTES`].
    #[error(
        "feed \"{feed}\": field \"source\": the page at {source_name} is larger than {limit} bytes"
    )]
    TooLarge {
        /// The feed.
        feed: String,
        /// Where the page came from.
        source_name: String,
        /// The cap.
        limit: u64,
    },
    /// Live fetching is not in this version.
    #[error(
        "feed \"{feed}\": field \"url\": fetching {url} over HTTP is not supported by this version; set `source` to a saved copy of the page"
    )]
    HttpUnsupported {
        /// The feed.
        feed: String,
        /// The address.
        url: Url,
    },
}

/// Loads `spec`'s page.
pub async fn load(spec: &FeedSpec) -> Result<Page, FetchError> {
    match &spec.source {
        Source::File(path) => {
            let read_error = |source| FetchError::Read {
                feed: spec.id.clone(),
                path: path.clone(),
                source,
            };
            let size = tokio::fs::metadata(path).await.map_err(read_error)?.len();
            if size > MAX_BODY_BYTES {
                return Err(FetchError::TooLarge {
                    feed: spec.id.clone(),
                    source_name: path.display().to_string(),
                    limit: MAX_BODY_BYTES,
                });
            }
            let bytes = tokio::fs::read(path).await.map_err(read_error)?;
            Ok(Page {
                url: spec.page_url.clone(),
                body: decode(&bytes, &spec.id),
            })
        }
        Source::Http(url) => Err(FetchError::HttpUnsupported {
            feed: spec.id.clone(),
            url: url.clone(),
        }),
    }
}

/// Decodes page bytes as UTF-8 (dropping a BOM); bytes that are not UTF-8 are replaced, with
/// a warning.
fn decode(bytes: &[u8], feed: &str) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(err) => {
            tracing::warn!(
                "feed \"{feed}\": the page is not valid UTF-8 (first bad byte at offset {}); undecodable bytes are replaced",
                err.valid_up_to()
            );
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}
