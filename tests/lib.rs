//! Integration tests, one binary.
mod completions;
mod loader_props;
mod planner;
