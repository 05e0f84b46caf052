//! `[feed.filter]`: the patterns that keep or drop items, compiled case-insensitive.

use toml::Spanned;

use super::raw::RawFilter;
use super::{ConfigError, Ctx, Problem};
use crate::spec::{Filter, FilterField};

/// The filter, its patterns compiled; a bad pattern or an empty `fields` is an error naming
/// its place (`filter.exclude[1]`).
pub(super) fn compile(ctx: Ctx<'_>, raw: &Spanned<RawFilter>) -> Result<Filter, ConfigError> {
    let filter = raw.get_ref();
    let patterns = |list: &[Spanned<String>], name: &'static str| {
        list.iter()
            .map(|pattern| {
                regex::RegexBuilder::new(pattern.get_ref())
                    .case_insensitive(true)
                    .build()
                    .or_else(|error| {
                        ctx.invalid(
                            pattern.span(),
                            name,
                            Problem::BadRegex {
                                pattern: pattern.get_ref().clone(),
                                error,
                            },
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let include = patterns(&filter.include, "filter.include")?;
    let exclude = patterns(&filter.exclude, "filter.exclude")?;
    let fields = match &filter.fields {
        Some(fields) if fields.get_ref().is_empty() => {
            return ctx.invalid(fields.span(), "filter.fields", Problem::NoFilterFields);
        }
        Some(fields) => {
            let mut kept: Vec<FilterField> = Vec::new();
            for field in fields.get_ref() {
                if !kept.contains(field) {
                    kept.push(*field);
                }
            }
            kept
        }
        None => FilterField::DEFAULT.to_vec(),
    };
    Ok(Filter {
        include,
        exclude,
        fields,
    })
}
