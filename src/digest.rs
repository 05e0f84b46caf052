//! Short content digests: the first 16 bytes of a SHA-256, as 32 lowercase hex digits.
//!
//! One function for every digest pressfeed keeps or sends: item content hashes, the
//! configuration fingerprint, the ids of items without a link, and `serve`'s ETags. A listing
//! page's bytes, which can be megabytes and are only compared with themselves, get a faster
//! digest: [`page_digest`].

use sha2::{Digest as _, Sha256};

/// The digest of `parts`, hashed one after the other (no separator is added: callers that
/// need one pass it as a part).
pub fn hex16(parts: &[&[u8]]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(32);
    for &byte in &digest[..16] {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// The hash of what a reader sees of an item: its title and summary, NUL between them. Kept
/// in the history: a changed hash marks the item updated.
pub fn content_hash(title: &str, summary: Option<&str>) -> String {
    hex16(&[title.as_bytes(), &[0], summary.unwrap_or("").as_bytes()])
}

/// The print of `settings` (their `Debug` forms, which show every value) under this
/// pressfeed's version: files made from the same history under the same print are the same.
pub(crate) fn settings_print(settings: &[&dyn std::fmt::Debug]) -> String {
    let text = settings
        .iter()
        .map(|setting| format!("{setting:?}"))
        .collect::<Vec<_>>()
        .join("\u{1e}");
    hex16(&[env!("CARGO_PKG_VERSION").as_bytes(), &[0], text.as_bytes()])
}

/// The digest of a listing page as read: its address (relative links depend on it), the
/// HTTP charset and the bytes; an unchanged digest means an unchanged page. XXH3-128, which
/// is not made to stand up to an attacker: none is needed, as whoever can make two pages
/// collide controls the page anyway.
pub(crate) fn page_digest(url: &str, charset: Option<&str>, bytes: &[u8]) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(url.as_bytes());
    hasher.update(&[0]);
    hasher.update(charset.unwrap_or("").as_bytes());
    hasher.update(&[0]);
    hasher.update(bytes);
    format!("x3-{:032x}", hasher.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable() {
        // Stored in state files and sent as ETags: these values must never change.
        assert_eq!(hex16(&[b""]), "e3b0c44298fc1c149afbf4c8996fb924");
        assert_eq!(
            content_hash("Title", Some("Summary")),
            hex16(&[b"Title\0Summary"])
        );
        assert_eq!(content_hash("T", None), hex16(&[b"T", b"\0"]));
        let page = page_digest("https://example.org/", None, b"<p>");
        assert_eq!(page.len(), 35);
        assert_eq!(page, page_digest("https://example.org/", None, b"<p>"));
        assert_ne!(
            page,
            page_digest("https://example.org/", Some("utf-8"), b"<p>")
        );
        assert_ne!(page, page_digest("https://example.org/a", None, b"<p>"));
    }
}
