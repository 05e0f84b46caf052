//! A field's `replace` pairs and `template`, compiled (see [`crate::rewrite`]).

use toml::Spanned;

use super::raw::RawField;
use super::{ConfigError, Ctx, Problem};
use crate::rewrite::parse_template;
use crate::spec::{Replace, Template};

/// The fields a `template` may build.
const TEMPLATED: [&str; 2] = ["selectors.title", "selectors.summary"];

impl Ctx<'_> {
    /// `replace` and `template` of field `name`: each pair's pattern compiled, the template's
    /// placeholders checked against the fields templates can use.
    pub(super) fn rewrites(
        &self,
        raw: &Spanned<RawField>,
        name: &'static str,
    ) -> Result<(Vec<Replace>, Option<Template>), ConfigError> {
        let value = raw.get_ref();
        let replace = value
            .replace
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, pair)| self.replace_pair(pair, &format!("{name}.replace[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let template = match &value.template {
            None => None,
            Some(text) => Some(self.template(text, name)?),
        };
        Ok((replace, template))
    }

    /// One `["pattern", "replacement"]` pair; `field` names it in messages.
    fn replace_pair(
        &self,
        pair: &Spanned<toml::Value>,
        field: &str,
    ) -> Result<Replace, ConfigError> {
        let strings = match pair.get_ref() {
            toml::Value::Array(items) => match items.as_slice() {
                [
                    toml::Value::String(pattern),
                    toml::Value::String(replacement),
                ] => Some((pattern, replacement)),
                _ => None,
            },
            _ => None,
        };
        let Some((pattern, replacement)) = strings else {
            return self.invalid(pair.span(), field.to_string(), Problem::BadReplacePair);
        };
        match regex::Regex::new(pattern) {
            Ok(regex) => Ok(Replace {
                regex,
                replacement: replacement.clone(),
            }),
            Err(error) => self.invalid(
                pair.span(),
                field.to_string(),
                Problem::BadRegex {
                    pattern: pattern.clone(),
                    error,
                },
            ),
        }
    }

    /// The `template` of field `name` (a title or a summary).
    fn template(
        &self,
        text: &Spanned<String>,
        name: &'static str,
    ) -> Result<Template, ConfigError> {
        let field = format!("{name}.template");
        if !TEMPLATED.contains(&name) {
            return self.invalid(text.span(), field, Problem::TemplateNotHere);
        }
        if text.get_ref().trim().is_empty() {
            return self.invalid(text.span(), field, Problem::Empty);
        }
        parse_template(text.get_ref()).or_else(|error| {
            self.invalid(
                text.span(),
                field,
                Problem::BadTemplate {
                    template: text.get_ref().clone(),
                    reason: error.to_string(),
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::spec::Config;

    /// A config whose feed `demo` has `title` as its title field (line 9).
    fn config(title: &str, summary: &str) -> String {
        format!(
            "[output]\ndir = \"out\"\n\n[[feed]]\nid = \"demo\"\ntitle = \"Demo\"\n\
             url = \"https://example.org/\"\n[feed.selectors]\nitem = \"li\"\ntitle = {title}\n\
             link = {{ selector = \"a\" }}\nsummary = {summary}\n"
        )
    }

    /// The error `text` loads with ("" when it loads).
    fn err(text: &str) -> String {
        Config::parse(text, Path::new("pf.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_bad_pattern_names_its_pair() {
        let text = config(
            r#"{ selector = "a", replace = [["^Press", ""], ["[PDF", ""]] }"#,
            "\"p\"",
        );
        let message = err(&text);
        assert!(
            message.starts_with(
                "pf.toml:10:54: feed \"demo\": field \"selectors.title.replace[1]\": regex \"[PDF\" is not valid: "
            ),
            "{message}"
        );
    }

    #[test]
    fn a_replace_is_a_pair_of_strings() {
        for replace in [
            r#"[["a"]]"#,
            r#"[["a", 1]]"#,
            r#"["a", "b"]"#,
            r#"[["a", "b", "c"]]"#,
        ] {
            let text = config(
                &format!("{{ selector = \"a\", replace = {replace} }}"),
                "\"p\"",
            );
            let message = err(&text);
            assert!(
                message.contains(
                    "feed \"demo\": field \"selectors.title.replace[0]\": a replace is a pair of strings"
                ),
                "{replace}: {message}"
            );
        }
    }

    #[test]
    fn an_unknown_template_field_lists_the_known_ones() {
        let text = config(
            r#"{ selector = "a", template = "{section}: {title}" }"#,
            "\"p\"",
        );
        assert_eq!(
            err(&text),
            "pf.toml:10:38: feed \"demo\": field \"selectors.title.template\": template \"{section}: {title}\" is not valid: {section} is not a field a template can use (it can use {title}, {summary}, {link}, {date}, {category}, {author})"
        );
        let text = config("\"a\"", r#"{ selector = "p", template = "{title" }"#);
        assert!(err(&text).contains(
            "field \"selectors.summary.template\": template \"{title\" is not valid: a lone `{`"
        ));
    }

    #[test]
    fn templates_build_titles_and_summaries_only() {
        let text = config("\"a\"", "\"p\"").replace(
            "link = { selector = \"a\" }",
            "link = { selector = \"a\", template = \"{link}\" }",
        );
        assert!(
            err(&text).contains(
                "field \"selectors.link.template\": a template builds titles and summaries only"
            ),
            "{}",
            err(&text)
        );
        let text = config(r#"{ selector = "a", template = " " }"#, "\"p\"");
        assert!(err(&text).contains("field \"selectors.title.template\": must not be empty"));
    }

    #[test]
    fn rewrites_change_the_fingerprint_and_nothing_else_does() {
        let parse = |title: &str| {
            Config::parse(&config(title, "\"p\""), Path::new("pf.toml"))
                .unwrap()
                .feeds
                .remove(0)
                .fingerprint()
        };
        let plain = parse("\"a\"");
        // The same as before rewrites existed.
        assert_eq!(plain, parse(r#"{ selector = "a" }"#));
        let replaced = parse(r#"{ selector = "a", replace = [["x", ""]] }"#);
        let other = parse(r#"{ selector = "a", replace = [["x", "y"]] }"#);
        let templated = parse(r#"{ selector = "a", template = "{title}!" }"#);
        assert_ne!(plain, replaced);
        assert_ne!(replaced, other);
        assert_ne!(plain, templated);
        assert_ne!(replaced, templated);
    }
}
