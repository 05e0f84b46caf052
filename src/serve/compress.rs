//! Content codings (RFC 9110 §12.5.3, §8.4): brotli or gzip as the client's `Accept-Encoding`
//! prefers, each body compressed once per file version, off the async threads, at most one
//! compression per core at a time.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use tokio::sync::{OnceCell, Semaphore};

/// A content coding the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    /// The coding's name in `Content-Encoding`.
    pub(super) fn name(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// What the coding adds to the identity ETag: each representation has its own strong tag.
    pub(super) fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Brotli => "-br",
            Coding::Gzip => "-gz",
        }
    }
}

/// The best coding the client accepts, from every `Accept-Encoding` header: the highest
/// quality value, brotli before gzip on a tie; none when neither is acceptable.
pub(super) fn negotiate(headers: &HeaderMap) -> Option<Coding> {
    let mut best: Option<(f32, Coding)> = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let token = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            // Parameter names are case-insensitive (RFC 9110 §5.6.6): `Q=0` is `q=0`.
            let quality = pieces
                .find_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    name.trim().eq_ignore_ascii_case("q").then(|| value.trim())
                })
                .map_or(Some(1.0), |q| q.parse::<f32>().ok())
                .filter(|q| q.is_finite())
                .unwrap_or(0.0);
            let coding = match token.as_str() {
                "br" => Coding::Brotli,
                "gzip" | "x-gzip" => Coding::Gzip,
                _ => continue,
            };
            let better = best.is_none_or(|(q, c)| {
                quality > q || (quality == q && coding == Coding::Brotli && c == Coding::Gzip)
            });
            if quality > 0.0 && better {
                best = Some((quality, coding));
            }
        }
    }
    best.map(|(_, coding)| coding)
}

/// Compresses a body.
type Compressor = fn(&[u8]) -> Vec<u8>;

/// The compressed forms of one version of a file, made on first demand and kept with it.
#[derive(Debug, Default)]
pub(super) struct Compressed {
    gzip: OnceCell<Bytes>,
    brotli: OnceCell<Bytes>,
}

impl Compressed {
    /// `bytes` in `coding`, compressed once on a blocking thread, at most as many at a time as
    /// `permits` allows (a brotli encoder holds megabytes).
    pub(super) async fn get(
        &self,
        coding: Coding,
        bytes: &Bytes,
        permits: &Arc<Semaphore>,
    ) -> Bytes {
        let (cell, make): (_, Compressor) = match coding {
            Coding::Gzip => (&self.gzip, gzip),
            Coding::Brotli => (&self.brotli, brotli_bytes),
        };
        let bytes = bytes.clone();
        cell.get_or_init(|| async move {
            let Ok(permit) = Arc::clone(permits).acquire_owned().await else {
                return Bytes::new();
            };
            // The permit goes with the job: a request that gives up does not free its slot
            // while the compression still runs.
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                Bytes::from(make(&bytes))
            })
            .await
            .unwrap_or_default()
        })
        .await
        .clone()
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn brotli_bytes(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        let _ = writer.write_all(bytes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn codings_by_quality() {
        let with = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            }
            negotiate(&headers)
        };
        assert_eq!(with(&["gzip, deflate, br"]), Some(Coding::Brotli));
        assert_eq!(with(&["br;q=0.1, gzip"]), Some(Coding::Gzip));
        assert_eq!(with(&["identity", "x-gzip"]), Some(Coding::Gzip));
        assert_eq!(with(&["br;q=0, gzip;q=0"]), None);
        // Issue 12: parameter names in any case; a quality that is no number refuses.
        assert_eq!(with(&["gzip;Q=0"]), None);
        assert_eq!(with(&["br ; Q=0.2, gzip ; q = 0.5"]), Some(Coding::Gzip));
        assert_eq!(with(&["br;q=NaN, gzip;q=0.1"]), Some(Coding::Gzip));
        assert_eq!(with(&[]), None);
    }
}
