//! Integration tests, one binary.
mod completions;
mod loader_props;
mod planner;
mod diagnostics;
mod differential;
mod support;
mod valid;
