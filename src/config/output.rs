//! `[output]`: where feeds are written and served, the state file, the formats, the hub.

use std::path::{Path, PathBuf};

use toml::Spanned;
use url::Url;

use super::defaults::STATE_FILE_NAME;
use super::raw::RawOutput;
use super::{ConfigError, Ctx, Problem};
use crate::spec::{Format, OutputSettings};

/// The output settings and the formats feeds write unless they say otherwise.
pub(super) fn compile(
    ctx: Ctx<'_>,
    raw: &RawOutput,
    base_dir: &Path,
) -> Result<(OutputSettings, Vec<Format>), ConfigError> {
    let dir = base_dir.join(&raw.dir);
    let state = match &raw.state {
        Some(state) => base_dir.join(state),
        None => default_state_path(&dir),
    };
    let websub_hub = match &raw.websub_hub {
        Some(hub) if raw.base_url.is_none() => {
            return ctx.invalid(hub.span(), "output.websub_hub", Problem::HubNeedsBaseUrl);
        }
        Some(hub) => Some(hub_url(ctx, hub)?),
        None => None,
    };
    let default_formats = match &raw.formats {
        Some(formats) => ctx.formats(formats, "output.formats")?,
        None => Format::ALL.to_vec(),
    };
    let base_url = match &raw.base_url {
        Some(spanned) => Some(base_url(ctx, spanned)?),
        None => None,
    };
    let output = OutputSettings {
        dir,
        base_url,
        state,
        websub_hub,
    };
    Ok((output, default_formats))
}

/// The state file's default place: beside the output folder (not in it: that folder is served).
fn default_state_path(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(parent) => parent.join(STATE_FILE_NAME),
        None => dir.join(STATE_FILE_NAME),
    }
}

fn base_url(ctx: Ctx<'_>, spanned: &Spanned<String>) -> Result<Url, ConfigError> {
    let raw = spanned.get_ref();
    match Url::parse(raw) {
        Ok(mut url) if matches!(url.scheme(), "http" | "https") => {
            // Make sure joining a file name keeps the last path segment.
            if !url.path().ends_with('/') {
                let path = format!("{}/", url.path());
                url.set_path(&path);
            }
            Ok(url)
        }
        Ok(_) => ctx.invalid(
            spanned.span(),
            "output.base_url",
            Problem::NotHttpUrl(raw.clone()),
        ),
        Err(error) => ctx.invalid(
            spanned.span(),
            "output.base_url",
            Problem::InvalidUrl {
                value: raw.clone(),
                error,
            },
        ),
    }
}

fn hub_url(ctx: Ctx<'_>, raw: &Spanned<String>) -> Result<Url, ConfigError> {
    let text = raw.get_ref().trim();
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => ctx.invalid(
            raw.span(),
            "output.websub_hub",
            Problem::NotHttpUrl(text.to_string()),
        ),
    }
}

impl Ctx<'_> {
    /// A list of formats: known names, not empty; kept in [`Format::ALL`] order.
    pub(super) fn formats(
        &self,
        raw: &Spanned<Vec<Format>>,
        field: &'static str,
    ) -> Result<Vec<Format>, ConfigError> {
        let mut formats = raw.get_ref().clone();
        formats.sort();
        formats.dedup();
        if formats.is_empty() {
            return self.invalid(raw.span(), field, Problem::NoFormats);
        }
        Ok(formats)
    }
}
