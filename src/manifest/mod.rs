//! Manifests: loading Compose files into the validated [`model::Project`].
//!
//! The pipeline, one file per stage: `yaml` (text -> located tree, anchors, `<<` merges)
//! -> `interpolate` (`${VAR}` from the environment and `.env`) -> `merge` (several `-f`
//! files, Compose override rules) -> `validate` (tree -> model, every error in one pass).
//! `load` runs it; `diagnostic` renders problems with file:line:col and a caret.

mod container_keys;
pub mod diagnostic;
pub mod dotenv;
mod expand;
pub mod fields;
pub mod interpolate;
pub mod load;
pub mod merge;
pub mod model;
pub mod ports;
pub mod read;
pub mod reference;
mod risks;
pub mod units;
pub mod validate;
pub mod yaml;

#[cfg(test)]
pub use load::demo_project;
pub use load::{load, load_str, LoadError, LoadOptions, Loaded};
