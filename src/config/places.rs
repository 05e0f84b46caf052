//! Where the config file is looked for, and where feeds and the state file go when it does not
//! say: `--config`, then `$PRESSFEED_CONFIG`, then `./config.toml`, then
//! `$XDG_CONFIG_HOME/pressfeed/config.toml` (by default `~/.config/pressfeed/config.toml`).
//!
//! A config in a project folder (`./config.toml`, or one named by `--config`) keeps its feeds
//! and state beside it. The user's config (the XDG one) keeps them under `$XDG_DATA_HOME` and
//! `$XDG_STATE_HOME`, so that `~/.config` holds only configuration. Under systemd,
//! `StateDirectory=` (`$STATE_DIRECTORY`) takes both, so that a config in `/etc/pressfeed`
//! never writes into `/etc`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::defaults::{DEFAULT_OUTPUT_DIR, STATE_FILE_NAME};
use super::output::resolved;
pub use crate::spec::{ConfigSource, DefaultPlaces};

/// The name of the config file in the current folder and in the user's config folder.
pub(crate) const CONFIG_FILE_NAME: &str = "config.toml";

/// The variables that decide where things are, read once (tests build their own).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `$PRESSFEED_CONFIG`.
    pub pressfeed_config: Option<PathBuf>,
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<PathBuf>,
    /// `$XDG_DATA_HOME`.
    pub xdg_data_home: Option<PathBuf>,
    /// `$XDG_STATE_HOME`.
    pub xdg_state_home: Option<PathBuf>,
    /// `$STATE_DIRECTORY`, set by systemd's `StateDirectory=` (the first of its folders).
    pub state_directory: Option<PathBuf>,
    /// The current folder.
    pub current_dir: PathBuf,
}

/// A config file to read, why it was chosen, and where its defaults put things.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundConfig {
    /// The config file.
    pub path: PathBuf,
    /// Why this one.
    pub source: ConfigSource,
    /// Where feeds and the state go unless the config says.
    pub places: DefaultPlaces,
}

/// No config file was given or found.
#[derive(Debug, thiserror::Error)]
#[error(
    "no config file: none given with --config or $PRESSFEED_CONFIG, and none at {}; write one with `pressfeed init`, or see `pressfeed paths`",
    looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" or ")
)]
pub struct NoConfig {
    /// The places looked at, in order.
    pub looked: Vec<PathBuf>,
}

impl Environment {
    /// The process's environment.
    pub fn from_process() -> Environment {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let path = |name: &str| var(name).map(PathBuf::from);
        Environment {
            pressfeed_config: path("PRESSFEED_CONFIG"),
            home: path("HOME"),
            xdg_config_home: path("XDG_CONFIG_HOME"),
            xdg_data_home: path("XDG_DATA_HOME"),
            xdg_state_home: path("XDG_STATE_HOME"),
            // systemd gives one folder per `StateDirectory=` entry, separated by colons.
            state_directory: var("STATE_DIRECTORY").and_then(|v| first_of_list(&v)),
            current_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// An XDG base folder: the variable when it is an absolute path (the specification says
    /// to ignore a relative one), else `$HOME/<fallback>`.
    fn xdg(&self, variable: Option<&PathBuf>, fallback: &str) -> Option<PathBuf> {
        variable
            .filter(|path| path.is_absolute())
            .cloned()
            .or_else(|| self.home.as_ref().map(|home| home.join(fallback)))
    }

    /// `$XDG_CONFIG_HOME/pressfeed/config.toml`, by default `~/.config/pressfeed/config.toml`.
    pub fn user_config(&self) -> Option<PathBuf> {
        self.xdg(self.xdg_config_home.as_ref(), ".config")
            .map(|dir| dir.join("pressfeed").join(CONFIG_FILE_NAME))
    }

    /// The config file to read: `flag`, else `$PRESSFEED_CONFIG`, else `./config.toml`, else
    /// the user's config when they exist.
    pub fn find_config(&self, flag: Option<&Path>) -> Result<FoundConfig, NoConfig> {
        let found = |path: PathBuf, source| {
            let places = self.default_places(&path, source);
            Ok(FoundConfig {
                path,
                source,
                places,
            })
        };
        if let Some(path) = flag {
            return found(path.to_path_buf(), ConfigSource::Flag);
        }
        if let Some(path) = &self.pressfeed_config {
            return found(path.clone(), ConfigSource::Variable);
        }
        let local = PathBuf::from(CONFIG_FILE_NAME);
        if self.current_dir.join(&local).is_file() {
            return found(local, ConfigSource::CurrentDir);
        }
        let user = self.user_config();
        if let Some(user) = user.as_ref().filter(|user| user.is_file()) {
            return found(user.clone(), ConfigSource::UserConfig);
        }
        Err(NoConfig {
            looked: std::iter::once(self.current_dir.join(local))
                .chain(user)
                .collect(),
        })
    }

    /// Where `config` (chosen as `source` says) puts its feeds and state unless it says.
    pub fn default_places(&self, config: &Path, source: ConfigSource) -> DefaultPlaces {
        if let Some(dir) = &self.state_directory {
            return DefaultPlaces::Folders {
                output: dir.join(DEFAULT_OUTPUT_DIR),
                state_dir: dir.clone(),
                why: "$STATE_DIRECTORY (systemd's StateDirectory=)",
            };
        }
        let is_user_config = source == ConfigSource::UserConfig
            || self
                .user_config()
                .is_some_and(|user| resolved(&user) == resolved(&self.current_dir.join(config)));
        let data = self.xdg(self.xdg_data_home.as_ref(), ".local/share");
        let state = self.xdg(self.xdg_state_home.as_ref(), ".local/state");
        match (is_user_config, data, state) {
            (true, Some(data), Some(state)) => DefaultPlaces::Folders {
                output: data.join("pressfeed").join(DEFAULT_OUTPUT_DIR),
                state_dir: state.join("pressfeed"),
                why: "the user's config: $XDG_DATA_HOME/pressfeed and $XDG_STATE_HOME/pressfeed",
            },
            _ => DefaultPlaces::BesideConfig,
        }
    }
}

/// The state file `places` give, if they are folders of their own.
pub(crate) fn state_file(places: &DefaultPlaces) -> Option<PathBuf> {
    match places {
        DefaultPlaces::BesideConfig => None,
        DefaultPlaces::Folders { state_dir, .. } => Some(state_dir.join(STATE_FILE_NAME)),
    }
}

/// The first folder of a colon-separated list.
fn first_of_list(list: &OsString) -> Option<PathBuf> {
    let text = list.to_str()?;
    text.split(':')
        .find(|part| !part.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(dir: &Path) -> Environment {
        Environment {
            home: Some(dir.join("home")),
            current_dir: dir.join("work"),
            ..Environment::default()
        }
    }

    #[test]
    fn the_flag_then_the_variable_then_the_folder_then_the_user_config() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = home(dir.path());
        std::fs::create_dir_all(&env.current_dir).unwrap();
        let none = env.find_config(None).unwrap_err();
        assert_eq!(
            none.looked,
            [
                dir.path().join("work/config.toml"),
                dir.path().join("home/.config/pressfeed/config.toml")
            ]
        );
        let user = dir.path().join("home/.config/pressfeed/config.toml");
        std::fs::create_dir_all(user.parent().unwrap()).unwrap();
        std::fs::write(&user, "").unwrap();
        let found = env.find_config(None).unwrap();
        assert_eq!(
            (found.path.clone(), found.source),
            (user.clone(), ConfigSource::UserConfig)
        );
        assert_eq!(
            found.places,
            DefaultPlaces::Folders {
                output: dir.path().join("home/.local/share/pressfeed/public"),
                state_dir: dir.path().join("home/.local/state/pressfeed"),
                why: "the user's config: $XDG_DATA_HOME/pressfeed and $XDG_STATE_HOME/pressfeed",
            }
        );
        std::fs::write(env.current_dir.join("config.toml"), "").unwrap();
        let found = env.find_config(None).unwrap();
        assert_eq!(found.source, ConfigSource::CurrentDir);
        assert_eq!(found.places, DefaultPlaces::BesideConfig);
        env.pressfeed_config = Some(PathBuf::from("/etc/pressfeed/config.toml"));
        assert_eq!(
            env.find_config(None).unwrap().source,
            ConfigSource::Variable
        );
        let flag = env.find_config(Some(Path::new("x.toml"))).unwrap();
        assert_eq!(
            (flag.path, flag.source),
            (PathBuf::from("x.toml"), ConfigSource::Flag)
        );
        // The user's config named by --config keeps its XDG places.
        let named = env.find_config(Some(&user)).unwrap();
        assert!(matches!(named.places, DefaultPlaces::Folders { .. }));
    }

    #[test]
    fn xdg_variables_and_systemd_state_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = home(dir.path());
        env.xdg_config_home = Some(dir.path().join("cfg"));
        env.xdg_data_home = Some(dir.path().join("data"));
        // A relative XDG path is ignored, as the specification says.
        env.xdg_state_home = Some(PathBuf::from("relative"));
        assert_eq!(
            env.user_config(),
            Some(dir.path().join("cfg/pressfeed/config.toml"))
        );
        let places = env.default_places(Path::new("x"), ConfigSource::UserConfig);
        assert_eq!(
            state_file(&places),
            Some(
                dir.path()
                    .join("home/.local/state/pressfeed/pressfeed-state.sqlite")
            )
        );
        env.state_directory = first_of_list(&OsString::from("/var/lib/pressfeed:/var/lib/x"));
        let places =
            env.default_places(Path::new("/etc/pressfeed/config.toml"), ConfigSource::Flag);
        assert_eq!(
            places,
            DefaultPlaces::Folders {
                output: PathBuf::from("/var/lib/pressfeed/public"),
                state_dir: PathBuf::from("/var/lib/pressfeed"),
                why: "$STATE_DIRECTORY (systemd's StateDirectory=)",
            }
        );
    }
}
