//! msctl: a container orchestration CLI and control plane for Compose-format manifests.
//!
//! See ARCHITECTURE.md for the code map and the invariants each module keeps.

pub mod apiclient;
pub mod build;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod control;
pub mod converge;
pub mod dirs;
pub mod engine;
pub mod executor;
pub mod export;
pub mod health;
pub mod images;
pub mod ingress;
pub mod lock;
pub mod manifest;
pub mod output;
pub mod plan;
pub mod report;
pub mod resolver;
pub mod rollout;
pub mod serving;
pub mod session;
pub mod state;
pub mod targets;
pub mod teardown;
