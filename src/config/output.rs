//! `[output]`: where feeds are written and served, the state file, the formats, the hub.

use std::path::{Path, PathBuf};

use toml::Spanned;
use url::Url;

use super::defaults::{DEFAULT_OUTPUT_DIR, STATE_FILE_NAME};
use super::places::DefaultPlaces;
use super::raw::RawOutput;
use super::{ConfigError, Ctx, Problem};
use crate::spec::{Format, Hook, OutputSettings};

/// What relative and default paths are taken from.
pub(super) struct Places<'a> {
    /// The folder relative paths are taken from: the config file's, as named.
    pub(super) base_dir: &'a Path,
    /// The config file's real folder (symbolic links resolved), for the state file.
    pub(super) config_dir: &'a Path,
    /// Where the output folder and the state file go when `[output]` does not say.
    pub(super) defaults: &'a DefaultPlaces,
}

/// The output settings and the formats feeds write unless they say otherwise.
pub(super) fn compile(
    ctx: Ctx<'_>,
    raw: &RawOutput,
    places: &Places<'_>,
) -> Result<(OutputSettings, Vec<Format>), ConfigError> {
    let dir = match (&raw.dir, places.defaults) {
        (Some(dir), _) => places.base_dir.join(dir),
        (None, DefaultPlaces::Folders { output, .. }) => output.clone(),
        (None, DefaultPlaces::BesideConfig) => places.base_dir.join(DEFAULT_OUTPUT_DIR),
    };
    let state = state_path(ctx, raw, places, &dir)?;
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
    let on_change = ctx.hook(raw.on_change.as_ref(), "output.on_change")?;
    let output = OutputSettings {
        dir,
        base_url,
        state,
        websub_hub,
        on_change,
    };
    Ok((output, default_formats))
}

/// The state file: `output.state`, or by default beside the config file; either way taken
/// from the config file's real folder (`config_dir`), so that one config reached by different
/// paths keeps one history. It must not be inside the output folder, which is published.
///
/// Before 0.2 the default was beside the output folder; a state file found there (and not
/// beside the config) is still used, with a warning saying where to move it.
fn state_path(
    ctx: Ctx<'_>,
    raw: &RawOutput,
    places: &Places<'_>,
    dir: &Path,
) -> Result<PathBuf, ConfigError> {
    let config_dir = places.config_dir;
    let published = resolved(dir);
    let inside = |path: &Path| resolved(path).starts_with(&published);
    if let Some(state) = &raw.state {
        let path = resolved(&config_dir.join(state.get_ref()));
        if inside(&path) {
            let problem = Problem::StateInOutput {
                state: path,
                dir: published,
                default: false,
            };
            return ctx.invalid(state.span(), "output.state", problem);
        }
        return Ok(path);
    }
    let own_folder = super::places::state_file(places.defaults);
    let beside_config = own_folder.is_none();
    let path = own_folder.unwrap_or_else(|| config_dir.join(STATE_FILE_NAME));
    let legacy = dir
        .parent()
        .map(|parent| parent.join(STATE_FILE_NAME))
        .filter(|_| beside_config);
    if let Some(legacy) = legacy.filter(|legacy| {
        resolved(legacy) != path && !path.exists() && legacy.exists() && !inside(legacy)
    }) {
        tracing::warn!(
            "the state file {} is where earlier versions kept it; it now belongs beside the config file: move it to {} while no run is going, or set output.state",
            legacy.display(),
            path.display()
        );
        return Ok(legacy);
    }
    if inside(&path) {
        let problem = Problem::StateInOutput {
            state: path,
            dir: published,
            default: true,
        };
        return ctx.invalid(0..0, "output.state", problem);
    }
    Ok(path)
}

/// `path` absolute, without `.` and `..`, its longest existing part with symlinks resolved:
/// comparable whether or not it exists yet.
pub(super) fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut lexical = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    // The existing ancestor, canonical, then the rest as written.
    let mut rest = Vec::new();
    let mut head = lexical.as_path();
    loop {
        if let Ok(real) = head.canonicalize() {
            return rest.iter().rev().fold(real, |path, part| path.join(part));
        }
        match (head.parent(), head.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                head = parent;
            }
            _ => return lexical,
        }
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
    /// An `on_change` command: a program and its arguments, the program not blank.
    pub(super) fn hook(
        &self,
        raw: Option<&Spanned<Vec<String>>>,
        field: &'static str,
    ) -> Result<Option<Hook>, ConfigError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let argv = raw.get_ref();
        if argv.first().is_none_or(|program| program.trim().is_empty()) {
            return self.invalid(raw.span(), field, Problem::NoCommand);
        }
        Ok(Some(Hook { argv: argv.clone() }))
    }

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
