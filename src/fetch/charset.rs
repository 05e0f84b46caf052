//! Turning page bytes into text: BOM, then the feed's override, then the HTTP `charset`, then
//! `<meta charset>` / `http-equiv`, then UTF-8; a declaration that is plainly wrong loses to a
//! reading that decodes cleanly.

use encoding_rs::{Encoding, UTF_8};

/// How far into a page `<meta charset>` is looked for.
const META_SCAN_BYTES: usize = 4096;

/// Decoded text, the encoding used, and a note when the page's declaration was overruled.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// The encoding it was read with.
    pub encoding: &'static Encoding,
    /// Why the encoding differs from what the page declared, or that bytes were replaced.
    pub note: Option<String>,
}

/// Where an encoding came from, for notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Override,
    Http,
    Meta,
    Default,
}

impl Origin {
    fn describe(self) -> &'static str {
        match self {
            Origin::Override => "the feed's `encoding`",
            Origin::Http => "the HTTP Content-Type header",
            Origin::Meta => "the page's <meta> charset",
            Origin::Default => "the default",
        }
    }
}

/// Decodes `bytes`. `http_charset` is the `charset` parameter of the response's
/// `Content-Type`; `override_encoding` is the feed's `encoding`.
pub(crate) fn decode(
    bytes: &[u8],
    http_charset: Option<&str>,
    override_encoding: Option<&'static Encoding>,
) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return finish(text.into_owned(), encoding, had_errors, None);
    }
    let (declared, origin) = override_encoding
        .map(|e| (e, Origin::Override))
        .or_else(|| http_charset.and_then(label).map(|e| (e, Origin::Http)))
        .or_else(|| meta_charset(bytes).map(|e| (e, Origin::Meta)))
        .unwrap_or((UTF_8, Origin::Default));
    // An override is the user's word: it is not second-guessed.
    if origin == Origin::Override {
        let (text, had_errors) = declared.decode_without_bom_handling(bytes);
        return finish(text.into_owned(), declared, had_errors, None);
    }
    let utf8 = std::str::from_utf8(bytes).ok();
    if declared == UTF_8 {
        if let Some(text) = utf8 {
            return finish(text.to_string(), UTF_8, false, None);
        }
        let lossy = String::from_utf8_lossy(bytes).into_owned();
        // A few bad bytes in a UTF-8 page (a cut-off character in an excerpt) are just that;
        // a page that is mostly not UTF-8 is in another encoding: guess which.
        if not_utf8(&lossy) {
            let guess = detect(bytes);
            let (text, had_errors) = guess.decode_without_bom_handling(bytes);
            if guess != UTF_8 && !had_errors {
                let note = match origin {
                    Origin::Default => format!(
                        "the page declares no encoding and is not UTF-8; read as {} (detected)",
                        guess.name()
                    ),
                    _ => format!(
                        "{} declares UTF-8, but the page is not; read as {}, which decodes it cleanly",
                        origin.describe(),
                        guess.name()
                    ),
                };
                return finish(text.into_owned(), guess, false, Some(note));
            }
        }
        return finish(lossy, UTF_8, true, None);
    }
    // Declared something else. Valid UTF-8 with non-ASCII bytes is UTF-8, whatever the label;
    // so is plain ASCII declared as UTF-16 (real UTF-16 has zero bytes, or a BOM).
    let ascii_as_utf16 = |t: &str| !declared.is_ascii_compatible() && !t.contains('\0');
    if let Some(text) = utf8.filter(|t| !t.is_ascii() || ascii_as_utf16(t)) {
        let note = format!(
            "{} declares {}, but the page is valid UTF-8; read as UTF-8",
            origin.describe(),
            declared.name()
        );
        return finish(text.to_string(), UTF_8, false, Some(note));
    }
    let (text, had_errors) = declared.decode_without_bom_handling(bytes);
    if had_errors && mostly_broken(&text) {
        let guess = detect(bytes);
        if guess != declared {
            let (guessed, guess_errors) = guess.decode_without_bom_handling(bytes);
            if !guess_errors {
                let note = format!(
                    "{} declares {}, which cannot decode the page; read as {}, which decodes it cleanly",
                    origin.describe(),
                    declared.name(),
                    guess.name()
                );
                return finish(guessed.into_owned(), guess, false, Some(note));
            }
        }
    }
    finish(text.into_owned(), declared, had_errors, None)
}

fn finish(
    text: String,
    encoding: &'static Encoding,
    had_errors: bool,
    note: Option<String>,
) -> Decoded {
    let note = if had_errors {
        Some(format!(
            "the page has bytes that are not valid {}; they are replaced",
            encoding.name()
        ))
    } else {
        note
    };
    Decoded {
        text,
        encoding,
        note,
    }
}

/// Whether text read as UTF-8 has more replacement characters than well-formed non-ASCII
/// characters. Text in another encoding almost never forms valid UTF-8 sequences, while stray
/// bytes in a UTF-8 page sit among many valid ones: one bad sequence on a short page must not
/// switch the whole page to another encoding.
fn not_utf8(lossy: &str) -> bool {
    let (mut replaced, mut valid) = (0usize, 0usize);
    for c in lossy.chars().filter(|c| !c.is_ascii()) {
        if c == char::REPLACEMENT_CHARACTER {
            replaced += 1;
        } else {
            valid += 1;
        }
    }
    replaced > valid
}

/// Whether replacement characters make up a large share (5 % or more) of the text's non-ASCII
/// characters: the sign of a wrong encoding rather than a few stray bytes.
fn mostly_broken(text: &str) -> bool {
    let (mut replaced, mut non_ascii) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_ascii()) {
        non_ascii += 1;
        replaced += usize::from(c == char::REPLACEMENT_CHARACTER);
    }
    replaced > 0 && replaced * 20 >= non_ascii
}

fn label(name: &str) -> Option<&'static Encoding> {
    Encoding::for_label(name.trim().trim_matches(['"', '\'']).as_bytes())
}

/// The encoding chardetng guesses for `bytes`.
fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    // Called only for bytes that are not valid UTF-8.
    detector.guess(None, chardetng::Utf8Detection::Deny)
}

/// The `charset` parameter of a `Content-Type` value.
pub(crate) fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']))
    })
}

/// The encoding a page declares in `<meta charset="…">` or
/// `<meta http-equiv="Content-Type" content="…; charset=…">` near its start.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(META_SCAN_BYTES)];
    // The declaration itself is ASCII in every encoding a page can declare this way.
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(start) = rest.find("<meta") {
        let tag = &rest[start..];
        let end = tag.find('>').unwrap_or(tag.len());
        let tag_text = &tag[..end];
        if let Some(encoding) = charset_in_meta(tag_text) {
            // A page that says UTF-16 in ASCII bytes is not UTF-16 (HTML's rule).
            return Some(if encoding.output_encoding() == UTF_8 {
                UTF_8
            } else {
                encoding
            });
        }
        rest = &tag[end..];
    }
    None
}

fn charset_in_meta(tag: &str) -> Option<&'static Encoding> {
    let at = tag.find("charset")?;
    let after = tag[at + "charset".len()..].trim_start();
    let value = after.strip_prefix('=')?.trim_start();
    let value = value.trim_start_matches(['"', '\'']);
    let end = value
        .find(|c: char| c == '"' || c == '\'' || c == ';' || c == '/' || c.is_whitespace())
        .unwrap_or(value.len());
    label(&value[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_in_order() {
        let gbk = encoding_rs::GBK.encode("<p>劳动</p>").0.into_owned();
        assert_eq!(decode(&gbk, Some("gbk"), None).text, "<p>劳动</p>");
        let page = [b"<meta charset=\"gbk\">".as_slice(), &gbk].concat();
        let decoded = decode(&page, None, None);
        assert_eq!(decoded.encoding, encoding_rs::GBK);
        assert_eq!(decoded.note, None);
        let page = [
            b"<meta http-equiv='Content-Type' content='text/html; charset=GB2312'>".as_slice(),
            &gbk,
        ]
        .concat();
        assert_eq!(decode(&page, None, None).encoding, encoding_rs::GBK);
        // The HTTP header wins over the page; the override over both.
        let latin = b"<meta charset=utf-8><p>caf\xe9</p>";
        assert_eq!(
            decode(latin, Some("iso-8859-1"), None).text,
            "<meta charset=utf-8><p>café</p>"
        );
        assert_eq!(
            decode(latin, Some("utf-8"), Some(encoding_rs::WINDOWS_1252)).text,
            "<meta charset=utf-8><p>café</p>"
        );
    }

    #[test]
    fn wrong_declarations_lose_to_clean_readings() {
        let page = "<meta charset=\"iso-8859-1\"><p>Café – 中文</p>";
        let decoded = decode(page.as_bytes(), None, None);
        assert_eq!(decoded.text, page);
        assert_eq!(decoded.encoding, UTF_8);
        assert!(decoded.note.unwrap().contains("valid UTF-8"));
        let bom = [b"\xEF\xBB\xBF".as_slice(), b"<p>x</p>"].concat();
        assert_eq!(decode(&bom, Some("gbk"), None).text, "<p>x</p>");
        assert_eq!(
            charset_param("text/html; Charset=\"Shift_JIS\""),
            Some("Shift_JIS")
        );
        // Plain ASCII declared as UTF-16 is read as what it is.
        assert_eq!(decode(b"<p>hi</p>", Some("utf-16"), None).text, "<p>hi</p>");
    }

    #[test]
    fn a_few_bad_bytes_do_not_change_the_encoding() {
        let mut page = "<p>国际劳工组织发布报告，就业和社会展望。</p>"
            .repeat(5)
            .into_bytes();
        page.insert(3, 0xFF);
        let decoded = decode(&page, None, None);
        assert_eq!(decoded.encoding, UTF_8);
        assert_eq!(decoded.text.matches('\u{FFFD}').count(), 1);
        assert!(decoded.note.unwrap().contains("replaced"));
        // A page that is mostly not UTF-8 is detected.
        let gbk = encoding_rs::GBK
            .encode(&"<p>国际劳工组织发布报告，就业和社会展望。</p>".repeat(5))
            .0
            .into_owned();
        let decoded = decode(&gbk, None, None);
        assert_eq!(decoded.encoding, encoding_rs::GBK);
        assert!(decoded.text.contains("国际劳工组织"));
    }
}
