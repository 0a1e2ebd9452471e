//! Integration tests, one binary.
mod completions;
