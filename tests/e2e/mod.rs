//! End-to-end tests against the real Docker Engine: each test its own project, cleaned
//! up even when it fails, state asserted through the engine.
//!
//! `cargo nextest run e2e::` runs them; they fail (never skip) when the engine or the
//! static busybox the test image is built from is missing.

pub mod support;

mod build;
mod chaos;
mod commands;
mod compat;
mod containers;
mod control;
mod engine;
mod exec;
mod ingress;
mod logs;
mod pull;
mod registry;
mod rollout;
mod run;
mod shop;
mod shop_security;
mod size;
mod swarm;
mod swarm_node;
mod up;
mod watch;
