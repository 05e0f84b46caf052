//! pressfeed turns news listing pages that have no feed into RSS 2.0 and Atom 1.0 feeds.
//!
//! The data flow, one module per step: [`config`] → [`fetch`] → [`extract`] → [`item`]
//! (with [`dates`]) → [`store`] → [`render`] → [`output`], driven by [`pipeline`].

pub mod config;
pub mod dates;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod item;
pub mod notify;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod serve;
pub mod site;
pub mod store;
pub mod suggest;

pub use config::{Config, FeedSpec};
pub use error::{Error, Result};
pub use item::Item;
