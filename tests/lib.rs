//! Integration tests, one binary.
mod cli;
mod completions;
mod cost;
mod diagnostics;
mod differential;
mod e2e;
mod export;
mod hostile;
mod layers;
mod loader_props;
mod planner;
mod risks;
mod support;
mod valid;
