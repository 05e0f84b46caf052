//! `[feed.selectors]` and `[feed.detail]`: CSS selectors (JSONPaths for JSON feeds) compiled
//! once, with their attribute and `regex`.

use std::ops::Range;

use scraper::Selector;
use toml::Spanned;

use super::raw::{RawDetail, RawField, RawSelectors};
use super::{ConfigError, Ctx, Problem};
use crate::spec::{
    DetailSelectors, EnclosureSelector, FieldSelector, ItemSelector, Scope, Selectors,
};

/// The listing's selectors: CSS selectors, or JSONPaths when the feed reads JSON (`json`).
pub(super) fn compile(
    ctx: Ctx<'_>,
    raw: &RawSelectors,
    json: bool,
) -> Result<Selectors, ConfigError> {
    let item_css = raw.item.get_ref().trim().to_string();
    if json {
        return compile_json(ctx, raw, item_css);
    }
    let item = ItemSelector::Css(ctx.css(&item_css, raw.item.span(), "selectors.item")?);
    let optional = |raw: &Option<Spanned<RawField>>, name| {
        raw.as_ref().map(|f| ctx.field(f, name, None)).transpose()
    };
    Ok(Selectors {
        item,
        item_css,
        title: ctx.field(&raw.title, "selectors.title", None)?,
        link: ctx.field(&raw.link, "selectors.link", Some("href"))?,
        date: optional(&raw.date, "selectors.date")?,
        summary: optional(&raw.summary, "selectors.summary")?,
        image: optional(&raw.image, "selectors.image")?,
        author: optional(&raw.author, "selectors.author")?,
        category: optional(&raw.category, "selectors.category")?,
        enclosure: enclosure(ctx, raw, |f| {
            ctx.field(f, "selectors.enclosure", Some("href"))
        })?,
    })
}

/// `selectors.enclosure`, its field compiled by `field`, with its `type`.
fn enclosure(
    ctx: Ctx<'_>,
    raw: &RawSelectors,
    field: impl Fn(&Spanned<RawField>) -> Result<FieldSelector, ConfigError>,
) -> Result<Option<EnclosureSelector>, ConfigError> {
    let Some(raw) = &raw.enclosure else {
        return Ok(None);
    };
    let mime_type = match raw.get_ref().mime_type.as_deref().map(str::trim) {
        Some(value) => match value.parse::<mime::Mime>() {
            Ok(parsed) if !value.contains('*') => Some(parsed.essence_str().to_string()),
            _ => {
                let problem = Problem::BadMediaType(value.to_string());
                return ctx.invalid(raw.span(), "selectors.enclosure", problem);
            }
        },
        None => None,
    };
    Ok(Some(EnclosureSelector {
        field: field(raw)?,
        mime_type,
    }))
}

/// The JSONPaths of a JSON feed: `item` from the document's root, the fields from the item's.
fn compile_json(
    ctx: Ctx<'_>,
    raw: &RawSelectors,
    item_css: String,
) -> Result<Selectors, ConfigError> {
    let item = ctx.json_path(&item_css, raw.item.span(), "selectors.item")?;
    let optional = |raw: &Option<Spanned<RawField>>, name| {
        raw.as_ref().map(|f| ctx.json_field(f, name)).transpose()
    };
    Ok(Selectors {
        item: ItemSelector::Json(item),
        item_css,
        title: ctx.json_field(&raw.title, "selectors.title")?,
        link: ctx.json_field(&raw.link, "selectors.link")?,
        date: optional(&raw.date, "selectors.date")?,
        summary: optional(&raw.summary, "selectors.summary")?,
        image: optional(&raw.image, "selectors.image")?,
        author: optional(&raw.author, "selectors.author")?,
        category: optional(&raw.category, "selectors.category")?,
        enclosure: enclosure(ctx, raw, |f| ctx.json_field(f, "selectors.enclosure"))?,
    })
}

/// The selectors of items' own pages.
pub(super) fn detail(ctx: Ctx<'_>, raw: &RawDetail) -> Result<DetailSelectors, ConfigError> {
    let field = |raw: &Option<Spanned<RawField>>, name, attr| {
        raw.as_ref().map(|f| ctx.field(f, name, attr)).transpose()
    };
    Ok(DetailSelectors {
        content: field(&raw.content, "detail.content", None)?,
        date: field(&raw.date, "detail.date", None)?,
        summary: field(&raw.summary, "detail.summary", None)?,
        author: field(&raw.author, "detail.author", None)?,
        image: field(&raw.image, "detail.image", Some("src"))?,
    })
}

impl Ctx<'_> {
    /// One field of a JSON item: its JSONPath (`selector`) and `regex`; `attr`, `before` and
    /// `from` belong to HTML.
    fn json_field(
        &self,
        raw: &Spanned<RawField>,
        name: &'static str,
    ) -> Result<FieldSelector, ConfigError> {
        let value = raw.get_ref();
        self.type_only_for_enclosure(raw, name)?;
        for (key, given) in [
            ("attr", value.attr.is_some()),
            ("before", value.before.is_some()),
            ("from", value.from.is_some()),
        ] {
            if given {
                return self.invalid(raw.span(), name, Problem::NotForJson(key));
            }
        }
        let text = value.selector.as_deref().unwrap_or("").trim();
        let path = self.json_path(text, raw.span(), name)?;
        let (replace, template) = self.rewrites(raw, name)?;
        Ok(FieldSelector {
            scope: Scope::Item,
            selector: None,
            css: text.to_string(),
            attr: None,
            path: Some(path),
            regex: self.regex(raw, name)?,
            replace,
            template,
        })
    }

    /// A JSONPath (RFC 9535), compiled.
    fn json_path(
        &self,
        text: &str,
        span: Range<usize>,
        field: &'static str,
    ) -> Result<serde_json_path::JsonPath, ConfigError> {
        if text.is_empty() {
            return self.invalid(span, field, Problem::EmptyJsonPath);
        }
        serde_json_path::JsonPath::parse(text).or_else(|error| {
            self.invalid(
                span,
                field,
                Problem::BadJsonPath {
                    path: text.to_string(),
                    reason: error.to_string(),
                },
            )
        })
    }

    /// A field's `regex`, compiled.
    fn regex(
        &self,
        raw: &Spanned<RawField>,
        name: &'static str,
    ) -> Result<Option<regex::Regex>, ConfigError> {
        match raw.get_ref().regex.as_deref() {
            Some(pattern) => Ok(Some(regex::Regex::new(pattern).or_else(|error| {
                self.invalid(
                    raw.span(),
                    name,
                    Problem::BadRegex {
                        pattern: pattern.to_string(),
                        error,
                    },
                )
            })?)),
            None => Ok(None),
        }
    }

    /// One field: its selector (none: the item itself), attribute and regex.
    fn field(
        &self,
        raw: &Spanned<RawField>,
        name: &'static str,
        default_attr: Option<&str>,
    ) -> Result<FieldSelector, ConfigError> {
        let value = raw.get_ref();
        self.type_only_for_enclosure(raw, name)?;
        let (scope, css) = match (&value.selector, &value.before, value.from.as_deref()) {
            (selector, None, None) => {
                let css = selector.as_deref().unwrap_or("").trim();
                match css
                    .strip_prefix('+')
                    .map(|rest| (Scope::Next, rest))
                    .or_else(|| css.strip_prefix('~').map(|rest| (Scope::Following, rest)))
                {
                    Some((scope, rest)) if !rest.trim().is_empty() => (scope, rest.trim()),
                    Some(_) => return self.invalid(raw.span(), name, Problem::EmptySelector),
                    None => (Scope::Item, css),
                }
            }
            (None, Some(before), None) => (Scope::Before, before.trim()),
            (None, None, Some(from)) => match from.trim() {
                "link" => (Scope::Link, ""),
                "title" => (Scope::Title, ""),
                other => {
                    return self.invalid(raw.span(), name, Problem::BadFrom(other.to_string()));
                }
            },
            _ => return self.invalid(raw.span(), name, Problem::FieldPlaces),
        };
        if scope == Scope::Before && css.is_empty() {
            return self.invalid(raw.span(), name, Problem::EmptySelector);
        }
        let selector = if css.is_empty() {
            None
        } else {
            Some(self.css(css, raw.span(), name)?)
        };
        // As written, for messages and the feed's fingerprint (the plain form unchanged).
        let css = match scope {
            Scope::Item => css.to_string(),
            Scope::Next => format!("+ {css}"),
            Scope::Following => format!("~ {css}"),
            Scope::Before => format!("before = {css:?}"),
            Scope::Link => "from = \"link\"".to_string(),
            Scope::Title => "from = \"title\"".to_string(),
        };
        let attr = match value.attr.as_deref().map(str::trim) {
            Some("") => return self.invalid(raw.span(), name, Problem::EmptyAttr),
            Some(a) => Some(a.to_ascii_lowercase()),
            None => default_attr.map(str::to_string),
        };
        let regex = self.regex(raw, name)?;
        let (replace, template) = self.rewrites(raw, name)?;
        Ok(FieldSelector {
            scope,
            selector,
            css,
            attr,
            path: None,
            regex,
            replace,
            template,
        })
    }

    /// Fails when a field other than `selectors.enclosure` has a `type`.
    fn type_only_for_enclosure(
        &self,
        raw: &Spanned<RawField>,
        name: &'static str,
    ) -> Result<(), ConfigError> {
        if raw.get_ref().mime_type.is_some() && name != "selectors.enclosure" {
            return self.invalid(raw.span(), name, Problem::TypeOnlyForEnclosure);
        }
        Ok(())
    }

    /// A CSS selector, compiled.
    pub(super) fn css(
        &self,
        css: &str,
        span: Range<usize>,
        field: &'static str,
    ) -> Result<Selector, ConfigError> {
        if css.is_empty() {
            return self.invalid(span, field, Problem::EmptySelector);
        }
        Selector::parse(css).or_else(|err| {
            self.invalid(
                span,
                field,
                Problem::BadSelector {
                    css: css.to_string(),
                    reason: describe_selector_error(&err),
                },
            )
        })
    }
}

/// A readable reason for a selector parse failure (scraper's own text for some kinds is a
/// debug dump).
fn describe_selector_error(err: &scraper::error::SelectorErrorKind) -> String {
    use scraper::error::SelectorErrorKind;
    match err {
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => {
            let name = format!("{kind:?}");
            let name = name.split(['(', ' ', '{']).next().unwrap_or(&name);
            let mut words = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    words.push(' ');
                }
                words.push(c.to_ascii_lowercase());
            }
            words
        }
        SelectorErrorKind::EndOfLine => "it ends too early".to_string(),
        other => other.to_string().to_lowercase(),
    }
}
