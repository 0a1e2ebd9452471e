//! Manifests: loading Compose files into the validated [`model::Project`].

pub mod model;
