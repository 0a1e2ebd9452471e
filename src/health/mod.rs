//! Health: when is a replica ready, and waiting until it is.
//!
//! A replica is ready when msctl's own probe passes (`x-msctl.probe`), else when Docker
//! reports it healthy (a Compose `healthcheck` or the image's own), else when it runs.
//! A replica that exits, dies or turns unhealthy has failed.

pub mod probe;
pub mod wait;

pub use wait::{
    check_replica, served_ready, serving_readiness, wait_ready, Readiness, ReadyError, ReplicaRef,
};
