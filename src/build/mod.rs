//! Image builds: Dockerfile contexts sent to the engine, and the cargo builder.
//!
//! This first part holds the build context: the tar of a context directory the engine
//! receives, with `.dockerignore` honoured as Docker's client honours it.

pub mod context;
pub mod ignore;
