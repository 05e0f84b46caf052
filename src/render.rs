//! Rendering: a feed's items to RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents. Pure: the same
//! input gives the same bytes.

use std::io::Write;

use atom_syndication as atom;
use chrono::{DateTime, FixedOffset, SubsecRound as _, Utc};
use rss::extension::atom as rss_atom;
use serde::Serialize;

use crate::item::FeedItem;
use crate::spec::{FeedSpec, Format, OutputSettings, SummaryFormat};
use crate::text::{clean_text, escape_attribute, escape_html, strip_forbidden_chars};

/// The name pressfeed writes into feeds' `generator` (with its version, and no address: the
/// project has no home page of its own yet).
pub(crate) const GENERATOR: &str = "pressfeed";

/// What a feed says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedMeta {
    /// Feed title.
    pub title: String,
    /// Feed description.
    pub description: String,
    /// The listing page (the feed's `link`).
    pub page_url: String,
    /// Language tag.
    pub language: Option<String>,
    /// Author name (Atom).
    pub author: String,
    /// Where the RSS file is served, when known.
    pub rss_url: Option<String>,
    /// Where the Atom file is served, when known.
    pub atom_url: Option<String>,
    /// Where the JSON Feed file is served, when known.
    pub json_url: Option<String>,
    /// The WebSub hub the feed names, if any.
    pub hub: Option<String>,
    /// Whether item summaries are HTML (else plain text).
    pub summary_is_html: bool,
    /// The feed's last change: the newest item date.
    pub updated: DateTime<FixedOffset>,
}

impl FeedMeta {
    /// What `spec`'s feed says about itself when it publishes `items` (newest first); its
    /// `updated` is its newest item date or change, or `now` without items.
    pub fn of(
        spec: &FeedSpec,
        output: &OutputSettings,
        items: &[FeedItem],
        now: DateTime<Utc>,
    ) -> FeedMeta {
        let updated = items
            .iter()
            .flat_map(|i| [i.date, i.updated])
            .flatten()
            .max()
            .unwrap_or_else(|| now.trunc_subsecs(0).fixed_offset());
        let served = |format| output.served_url(&spec.file_name(format)).map(String::from);
        FeedMeta {
            title: spec.title.clone(),
            description: spec.description.clone(),
            page_url: spec.page_url.to_string(),
            language: spec.language.clone(),
            author: spec.author.clone(),
            rss_url: served(Format::Rss),
            atom_url: served(Format::Atom),
            json_url: served(Format::Json),
            hub: output.websub_hub.as_ref().map(url::Url::to_string),
            summary_is_html: spec.summary_format == SummaryFormat::Html,
            updated,
        }
    }
}

/// A feed that cannot be serialised.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The RSS writer failed.
    #[error("cannot write RSS")]
    Rss(#[source] rss::Error),
    /// The Atom writer failed.
    #[error("cannot write Atom")]
    Atom(#[source] atom::Error),
    /// The JSON writer failed.
    #[error("cannot write JSON Feed")]
    Json(#[source] serde_json::Error),
    /// The document could not be written out.
    #[error("cannot write the feed")]
    Io(#[source] std::io::Error),
}

/// The date an item is published under: its own, or the feed's when it has none.
fn item_date(item: &FeedItem, meta: &FeedMeta) -> DateTime<FixedOffset> {
    item.date.unwrap_or(meta.updated)
}

/// Item text is clean when it comes from `build_items`; this only guarantees XML can carry it.
fn xml_safe(value: &str) -> String {
    strip_forbidden_chars(value).into_owned()
}

/// The Media RSS namespace: item images (`media:thumbnail`) and enclosures beyond the first
/// (`media:content`).
const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";

/// A `media:` element with `attrs`.
fn media(name: &str, attrs: &[(&str, &str)]) -> rss::extension::Extension {
    rss::extension::Extension {
        name: format!("media:{name}"),
        attrs: attrs
            .iter()
            .map(|(k, v)| ((*k).to_string(), xml_safe(v)))
            .collect(),
        ..Default::default()
    }
}

/// An item's Media RSS elements: its image as `media:thumbnail`, and its enclosures after the
/// first (RSS has one `enclosure` per item) as `media:content`.
fn media_elements(item: &FeedItem) -> rss::extension::ExtensionMap {
    let mut found: std::collections::BTreeMap<String, Vec<rss::extension::Extension>> =
        std::collections::BTreeMap::new();
    if let Some(image) = &item.image {
        found
            .entry("thumbnail".to_string())
            .or_default()
            .push(media("thumbnail", &[("url", image)]));
    }
    for enclosure in item.enclosures.iter().skip(1) {
        let length = enclosure.length.map(|l| l.to_string());
        let mut attrs = vec![
            ("url", enclosure.url.as_str()),
            ("type", enclosure.mime_type.as_str()),
        ];
        if let Some(length) = &length {
            attrs.push(("fileSize", length));
        }
        found
            .entry("content".to_string())
            .or_default()
            .push(media("content", &attrs));
    }
    let mut map = rss::extension::ExtensionMap::new();
    if !found.is_empty() {
        map.insert("media".to_string(), found);
    }
    map
}

/// An RSS item of `item`.
fn rss_item(item: &FeedItem, meta: &FeedMeta) -> rss::Item {
    rss::Item {
        title: Some(xml_safe(&item.title)),
        link: Some(item.link.clone()),
        description: item.summary.as_ref().map(|s| {
            if meta.summary_is_html {
                xml_safe(s)
            } else {
                escape_html(&strip_forbidden_chars(s))
            }
        }),
        guid: Some(rss::Guid {
            value: item.id.clone(),
            permalink: item.id == item.link,
        }),
        content: item.content.as_deref().map(xml_safe),
        pub_date: Some(item_date(item, meta).to_rfc2822()),
        categories: item
            .categories
            .iter()
            .map(|name| rss::Category {
                name: xml_safe(name),
                domain: None,
            })
            .collect(),
        // RSS 2.0 has one enclosure per item, and its length is required: 0 when unknown.
        enclosure: item.enclosures.first().map(|e| rss::Enclosure {
            url: e.url.clone(),
            length: e.length.unwrap_or(0).to_string(),
            mime_type: e.mime_type.clone(),
        }),
        dublin_core_ext: item.author.as_ref().map(|name| {
            rss::extension::dublincore::DublinCoreExtension {
                creators: vec![xml_safe(&clean_text(name))],
                ..Default::default()
            }
        }),
        extensions: media_elements(item),
        ..Default::default()
    }
}

/// Writes `items` as an RSS 2.0 document to `out`.
fn rss<W: Write>(meta: &FeedMeta, items: &[FeedItem], out: W) -> Result<W, RenderError> {
    let mut channel = rss::Channel {
        title: clean_text(&meta.title),
        link: meta.page_url.clone(),
        description: clean_text(&meta.description),
        language: meta.language.clone(),
        generator: Some(format!("{GENERATOR} {}", env!("CARGO_PKG_VERSION"))),
        docs: Some("https://www.rssboard.org/rss-specification".to_string()),
        last_build_date: Some(meta.updated.to_rfc2822()),
        pub_date: Some(meta.updated.to_rfc2822()),
        ..Default::default()
    };
    let mut ext_links = Vec::new();
    if let Some(self_url) = &meta.rss_url {
        ext_links.push(atom::Link {
            href: self_url.clone(),
            rel: "self".to_string(),
            mime_type: Some("application/rss+xml".to_string()),
            ..Default::default()
        });
    }
    if let Some(hub) = &meta.hub {
        ext_links.push(hub_link(hub));
    }
    if !ext_links.is_empty() {
        let mut atom_ext = rss_atom::AtomExtension::default();
        atom_ext.set_links(ext_links);
        channel.atom_ext = Some(atom_ext);
    }
    channel.items = items.iter().map(|item| rss_item(item, meta)).collect();
    if channel.items.iter().any(|item| !item.extensions.is_empty()) {
        channel
            .namespaces
            .insert("media".to_string(), MEDIA_NS.to_string());
    }
    channel
        .pretty_write_to(out, b' ', 2)
        .map_err(RenderError::Rss)
}

/// Writes `items` as an Atom 1.0 document to `out`.
fn atom<W: Write>(meta: &FeedMeta, items: &[FeedItem], out: W) -> Result<W, RenderError> {
    let mut links = vec![atom::Link {
        href: meta.page_url.clone(),
        rel: "alternate".to_string(),
        mime_type: Some("text/html".to_string()),
        ..Default::default()
    }];
    if let Some(self_url) = &meta.atom_url {
        links.push(atom::Link {
            href: self_url.clone(),
            rel: "self".to_string(),
            mime_type: Some("application/atom+xml".to_string()),
            ..Default::default()
        });
    }
    if let Some(hub) = &meta.hub {
        links.push(hub_link(hub));
    }
    let entries: Vec<atom::Entry> = items.iter().map(|item| atom_entry(item, meta)).collect();
    let mut namespaces = std::collections::BTreeMap::new();
    if entries.iter().any(|entry| !entry.extensions.is_empty()) {
        namespaces.insert("media".to_string(), MEDIA_NS.to_string());
    }
    let feed = atom::Feed {
        id: meta
            .atom_url
            .clone()
            .unwrap_or_else(|| meta.page_url.clone()),
        title: atom::Text::plain(clean_text(&meta.title)),
        subtitle: Some(atom::Text::plain(clean_text(&meta.description))),
        updated: meta.updated,
        authors: vec![atom::Person {
            name: clean_text(&meta.author),
            ..Default::default()
        }],
        generator: Some(atom::Generator {
            value: GENERATOR.to_string(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
        lang: meta.language.clone(),
        links,
        entries,
        namespaces,
        ..Default::default()
    };
    let config = atom::WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    feed.write_with_config(out, config)
        .map_err(RenderError::Atom)
}

/// An Atom entry of `item`. Without a summary or content, its title is its summary: an entry
/// with no textual content is valid, but validators warn and some readers show nothing.
fn atom_entry(item: &FeedItem, meta: &FeedMeta) -> atom::Entry {
    let date = item_date(item, meta);
    let mut links = vec![atom::Link {
        href: item.link.clone(),
        rel: "alternate".to_string(),
        mime_type: Some("text/html".to_string()),
        ..Default::default()
    }];
    links.extend(item.enclosures.iter().map(|e| atom::Link {
        href: e.url.clone(),
        rel: "enclosure".to_string(),
        mime_type: Some(e.mime_type.clone()),
        length: e.length.map(|l| l.to_string()),
        ..Default::default()
    }));
    let summary = match &item.summary {
        Some(s) if meta.summary_is_html => atom::Text::html(xml_safe(s)),
        Some(s) => atom::Text::plain(xml_safe(s)),
        None => atom::Text::plain(xml_safe(&item.title)),
    };
    let mut extensions = atom::extension::ExtensionMap::new();
    if let Some(image) = &item.image {
        // atom_syndication writes extension attributes as they are: escaped here.
        let thumbnail = atom::extension::Extension {
            name: "media:thumbnail".to_string(),
            attrs: [("url".to_string(), escape_attribute(&xml_safe(image)))].into(),
            ..Default::default()
        };
        extensions.insert(
            "media".to_string(),
            [("thumbnail".to_string(), vec![thumbnail])].into(),
        );
    }
    atom::Entry {
        id: item.id.clone(),
        title: atom::Text::plain(xml_safe(&item.title)),
        updated: item.updated.filter(|u| *u > date).unwrap_or(date),
        published: Some(date),
        links,
        summary: (item.summary.is_some() || item.content.is_none()).then_some(summary),
        content: item.content.as_ref().map(|html| atom::Content {
            value: Some(xml_safe(html)),
            content_type: Some("html".to_string()),
            ..Default::default()
        }),
        authors: item
            .author
            .iter()
            .map(|name| atom::Person {
                name: clean_text(name),
                ..Default::default()
            })
            .collect(),
        categories: item
            .categories
            .iter()
            .map(|term| atom::Category {
                term: xml_safe(term),
                ..Default::default()
            })
            .collect(),
        extensions,
        ..Default::default()
    }
}

fn hub_link(hub: &str) -> atom::Link {
    atom::Link {
        href: hub.to_string(),
        rel: "hub".to_string(),
        ..Default::default()
    }
}

/// A JSON Feed 1.1 document (<https://www.jsonfeed.org/version/1.1/>).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: String,
    home_page_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_url: Option<&'a str>,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    authors: [JsonAuthor; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<JsonHub<'a>>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
}

#[derive(Serialize)]
struct JsonHub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment>,
    date_published: String,
    date_modified: String,
}

#[derive(Serialize)]
struct JsonAttachment {
    url: String,
    mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

/// Writes `items` as a JSON Feed 1.1 document to `out`. An item's content is its summary, or
/// its title when it has none (the format requires content).
fn json<W: Write>(meta: &FeedMeta, items: &[FeedItem], mut out: W) -> Result<W, RenderError> {
    let rfc3339 = |d: DateTime<FixedOffset>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let document = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: clean_text(&meta.title),
        home_page_url: &meta.page_url,
        feed_url: meta.json_url.as_deref(),
        description: clean_text(&meta.description),
        language: meta.language.as_deref(),
        authors: [JsonAuthor {
            name: clean_text(&meta.author),
        }],
        hubs: meta
            .hub
            .iter()
            .map(|url| JsonHub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: items
            .iter()
            .map(|item| {
                let date = item_date(item, meta);
                let summary = item.summary.as_deref().map(xml_safe);
                // Full text from the item's page when there is one; the summary then goes with it.
                let (content_html, content_text, summary) = match (&item.content, summary) {
                    // JSON Feed's `summary` is plain text.
                    (Some(content), summary) => (
                        Some(xml_safe(content)),
                        None,
                        summary.filter(|_| !meta.summary_is_html),
                    ),
                    (None, Some(html)) if meta.summary_is_html => (Some(html), None, None),
                    (None, Some(text)) => (None, Some(text), None),
                    (None, None) => (None, Some(xml_safe(&item.title)), None),
                };
                JsonItem {
                    id: item.id.clone(),
                    url: item.link.clone(),
                    title: xml_safe(&item.title),
                    content_html,
                    content_text,
                    summary,
                    image: item.image.clone(),
                    authors: item
                        .author
                        .iter()
                        .map(|name| JsonAuthor {
                            name: clean_text(name),
                        })
                        .collect(),
                    tags: item.categories.iter().map(|c| xml_safe(c)).collect(),
                    attachments: item
                        .enclosures
                        .iter()
                        .map(|e| JsonAttachment {
                            url: e.url.clone(),
                            mime_type: e.mime_type.clone(),
                            size_in_bytes: e.length,
                        })
                        .collect(),
                    date_published: rfc3339(date),
                    date_modified: rfc3339(item.updated.filter(|u| *u > date).unwrap_or(date)),
                }
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut out, &document).map_err(RenderError::Json)?;
    Ok(out)
}

/// Renders `items` (newest first) in `format`, the feed described by `meta`.
pub fn render(format: Format, meta: &FeedMeta, items: &[FeedItem]) -> Result<Vec<u8>, RenderError> {
    render_to(format, meta, items, Vec::new())
}

/// [`render`], writing to `out` as it goes (a feed need not be held in memory whole); the
/// document ends with a newline.
pub fn render_to<W: Write>(
    format: Format,
    meta: &FeedMeta,
    items: &[FeedItem],
    out: W,
) -> Result<W, RenderError> {
    let out = FinalNewline { out, last: None };
    let mut written = match format {
        Format::Rss => rss(meta, items, out)?,
        Format::Atom => atom(meta, items, out)?,
        Format::Json => json(meta, items, out)?,
    };
    if written.last != Some(b'\n') {
        written.write_all(b"\n").map_err(RenderError::Io)?;
    }
    Ok(written.out)
}

/// A writer that remembers the last byte written, to end a document with a newline.
struct FinalNewline<W> {
    out: W,
    last: Option<u8>,
}

impl<W: Write> Write for FinalNewline<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(buf)?;
        if let Some(&last) = buf.get(..written).and_then(<[u8]>::last) {
            self.last = Some(last);
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> FeedMeta {
        FeedMeta {
            title: "T & <T>".into(),
            description: "D\u{1}".into(),
            page_url: "https://example.org/news?a=1&b=2".into(),
            language: Some("en".into()),
            author: "example.org".into(),
            rss_url: Some("https://feeds.example.org/t.rss".into()),
            atom_url: Some("https://feeds.example.org/t.atom".into()),
            json_url: Some("https://feeds.example.org/t.json".into()),
            hub: Some("https://hub.example.org/?a=1&b=2".into()),
            summary_is_html: false,
            updated: DateTime::parse_from_rfc3339("2014-04-25T00:00:00+08:00").unwrap(),
        }
    }

    fn hostile_item() -> FeedItem {
        FeedItem {
            id: "https://example.org/a?x=1&y=2".into(),
            title: "Tom & Jerry <b>\u{0}\u{B}]]> \"q\"".into(),
            link: "https://example.org/a?x=1&y=2".into(),
            summary: Some("a < b && c ]]> d\u{FFFE}".into()),
            date: None,
            updated: None,
            content: None,
            author: None,
            image: None,
            categories: Vec::new(),
            enclosures: Vec::new(),
        }
    }

    /// An item with an image, an author, two categories and two enclosures.
    fn item_with_media() -> FeedItem {
        FeedItem {
            author: Some("Li & Wang".into()),
            image: Some("https://example.org/t.jpg?w=1&h=2".into()),
            categories: vec!["Labour & rights".into(), "中国".into()],
            enclosures: vec![
                crate::item::Enclosure {
                    url: "https://example.org/r.pdf?a=1&b=2".into(),
                    mime_type: "application/pdf".into(),
                    length: None,
                },
                crate::item::Enclosure {
                    url: "https://example.org/r.mp3".into(),
                    mime_type: "audio/mpeg".into(),
                    length: Some(1234),
                },
            ],
            ..hostile_item()
        }
    }

    #[test]
    fn images_authors_categories_and_enclosures_in_every_format() {
        let items = [item_with_media()];
        let bytes = render(Format::Rss, &meta(), &items).unwrap();
        let channel = rss::Channel::read_from(&bytes[..]).unwrap();
        let item = &channel.items[0];
        let names: Vec<&str> = item.categories.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Labour & rights", "中国"]);
        let enclosure = item.enclosure.as_ref().unwrap();
        assert_eq!(
            (enclosure.url.as_str(), enclosure.length.as_str()),
            ("https://example.org/r.pdf?a=1&b=2", "0")
        );
        assert_eq!(enclosure.mime_type, "application/pdf");
        let creators = &item.dublin_core_ext.as_ref().unwrap().creators;
        assert_eq!(creators, &["Li & Wang"]);
        let media = &item.extensions["media"];
        assert_eq!(
            media["thumbnail"][0].attrs["url"],
            "https://example.org/t.jpg?w=1&h=2"
        );
        let second = &media["content"][0].attrs;
        assert_eq!(
            (second["url"].as_str(), second["type"].as_str()),
            ("https://example.org/r.mp3", "audio/mpeg")
        );
        assert_eq!(second["fileSize"], "1234");

        let bytes = render(Format::Atom, &meta(), &items).unwrap();
        let feed = atom::Feed::read_from(&bytes[..]).unwrap();
        let entry = &feed.entries[0];
        let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, ["Labour & rights", "中国"]);
        let enclosures: Vec<(&str, Option<&str>, Option<&str>)> = entry
            .links
            .iter()
            .filter(|l| l.rel == "enclosure")
            .map(|l| (l.href.as_str(), l.mime_type.as_deref(), l.length.as_deref()))
            .collect();
        assert_eq!(
            enclosures,
            [
                (
                    "https://example.org/r.pdf?a=1&b=2",
                    Some("application/pdf"),
                    None
                ),
                (
                    "https://example.org/r.mp3",
                    Some("audio/mpeg"),
                    Some("1234")
                ),
            ]
        );
        assert_eq!(entry.authors[0].name, "Li & Wang");
        let thumbnail = &entry.extensions["media"]["thumbnail"][0];
        assert_eq!(thumbnail.attrs["url"], "https://example.org/t.jpg?w=1&h=2");

        let bytes = render(Format::Json, &meta(), &items).unwrap();
        let feed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let item = &feed["items"][0];
        assert_eq!(item["tags"], serde_json::json!(["Labour & rights", "中国"]));
        assert_eq!(item["image"], "https://example.org/t.jpg?w=1&h=2");
        assert_eq!(
            item["attachments"],
            serde_json::json!([
                {"url": "https://example.org/r.pdf?a=1&b=2", "mime_type": "application/pdf"},
                {"url": "https://example.org/r.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 1234}
            ])
        );
        assert_eq!(item["authors"][0]["name"], "Li & Wang");
    }

    #[test]
    fn an_atom_entry_without_summary_or_content_has_its_title_as_summary() {
        let item = FeedItem {
            summary: None,
            title: "Only a title".into(),
            ..hostile_item()
        };
        let bytes = render(Format::Atom, &meta(), std::slice::from_ref(&item)).unwrap();
        let feed = atom::Feed::read_from(&bytes[..]).unwrap();
        let summary = feed.entries[0].summary.as_ref().map(|s| s.value.as_str());
        assert_eq!(summary, Some("Only a title"));
        // With content, the content is the entry's text: no summary is made up.
        let item = FeedItem {
            content: Some("<p>Full text</p>".into()),
            ..item
        };
        let bytes = render(Format::Atom, &meta(), &[item]).unwrap();
        let feed = atom::Feed::read_from(&bytes[..]).unwrap();
        assert_eq!(feed.entries[0].summary, None);
    }

    #[test]
    fn rss_escapes_and_parses_back() {
        let bytes = render(Format::Rss, &meta(), &[hostile_item()]).unwrap();
        let channel = rss::Channel::read_from(&bytes[..]).unwrap();
        assert_eq!(channel.title, "T & <T>");
        assert_eq!(channel.description, "D");
        assert_eq!(channel.link, "https://example.org/news?a=1&b=2");
        let item = &channel.items[0];
        assert_eq!(item.title.as_deref(), Some("Tom & Jerry <b>]]> \"q\""));
        assert_eq!(
            item.description.as_deref(),
            Some("a &lt; b &amp;&amp; c ]]&gt; d")
        );
        assert_eq!(
            item.pub_date.as_deref(),
            Some("Fri, 25 Apr 2014 00:00:00 +0800")
        );
        assert!(item.guid.as_ref().unwrap().is_permalink());
    }

    #[test]
    fn atom_escapes_and_parses_back() {
        let bytes = render(Format::Atom, &meta(), &[hostile_item()]).unwrap();
        let feed = atom::Feed::read_from(&bytes[..]).unwrap();
        assert_eq!(feed.title.as_str(), "T & <T>");
        assert_eq!(feed.id, "https://feeds.example.org/t.atom");
        let entry = &feed.entries[0];
        assert_eq!(entry.title.as_str(), "Tom & Jerry <b>]]> \"q\"");
        assert_eq!(entry.summary.as_ref().unwrap().as_str(), "a < b && c ]]> d");
        assert_eq!(entry.updated.to_rfc3339(), "2014-04-25T00:00:00+08:00");
        let rels: Vec<(&str, &str)> = feed
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str()))
            .collect();
        assert_eq!(
            rels,
            [
                ("alternate", "https://example.org/news?a=1&b=2"),
                ("self", "https://feeds.example.org/t.atom"),
                ("hub", "https://hub.example.org/?a=1&b=2"),
            ]
        );
    }

    #[test]
    fn json_feed_escapes_nothing_and_keeps_values() {
        let bytes = render(Format::Json, &meta(), &[hostile_item()]).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(value["title"], "T & <T>");
        assert_eq!(value["feed_url"], "https://feeds.example.org/t.json");
        assert_eq!(value["hubs"][0]["type"], "WebSub");
        let item = &value["items"][0];
        assert_eq!(item["id"], "https://example.org/a?x=1&y=2");
        assert_eq!(item["title"], "Tom & Jerry <b>]]> \"q\"");
        assert_eq!(item["content_text"], "a < b && c ]]> d");
        assert!(item.get("content_html").is_none());
        assert_eq!(item["date_published"], "2014-04-25T00:00:00+08:00");
    }

    #[test]
    fn rendering_is_deterministic() {
        let items = [hostile_item()];
        assert_eq!(
            render(Format::Rss, &meta(), &items).unwrap(),
            render(Format::Rss, &meta(), &items).unwrap()
        );
        assert_eq!(
            render(Format::Atom, &meta(), &items).unwrap(),
            render(Format::Atom, &meta(), &items).unwrap()
        );
    }
}
