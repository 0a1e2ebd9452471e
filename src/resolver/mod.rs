//! The project resolver: DNS answers for readiness-gated service names.
//!
//! A replica's service name must resolve only while the replica is ready. Docker's
//! embedded DNS (127.0.0.11 in every container on a user-defined network) answers the
//! names it knows itself and forwards every other query, from the container's network
//! namespace, to the container's `dns` servers in order, trying the next one when a
//! server answers SERVFAIL. So msctl gives every replica
//! `dns: [<its network's gateway>, <the usual upstreams>...]` and runs one resolver per
//! engine, with host networking, listening on port 53 of each network's gateway:
//!
//! - a query arriving at a gateway for a name the resolver holds gets the addresses of
//!   that name's ready replicas on that network (the gateway tells which network);
//! - any other query gets SERVFAIL, so Docker falls through to the real upstream. The
//!   resolver never forwards anything itself.
//!
//! msctl (the CLI and the control plane) pushes the tables over a small HTTP API on
//! 127.0.0.1 with a bearer token.
//!
//! - [`table`]: the tables and their lookup index (pure).
//! - [`dns`]: the DNS wire format, queries in and answers out (pure).
//! - [`server`]: the resolver process: the API and the DNS listeners.
//! - [`client`]: msctl's side of the API.

pub mod client;
pub mod container;
pub mod dns;
pub mod server;
pub mod table;
// The servers a replica asks after the resolver: the engine sets them (`crate::engine::dns`).

pub use client::{Client, ClientError};
pub use server::{run, start, Health, Running, ServerOptions};
pub use table::{Entry, EntryError, ProjectTable, Tables};
