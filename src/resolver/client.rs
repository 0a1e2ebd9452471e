//! msctl's side of the resolver API, over [`crate::apiclient`].

use std::net::SocketAddr;

use serde::Deserialize;

use crate::apiclient::{segment, ApiClient};
pub use crate::apiclient::{ClientError, CALL_TIMEOUT};

use super::server::Health;
use super::table::{Claim, Entry, ProjectTable};

/// Talks to one resolver.
#[derive(Clone, Debug)]
pub struct Client {
    api: ApiClient,
}

#[derive(Deserialize)]
struct Remaining {
    projects: usize,
}

impl Client {
    pub fn new(addr: SocketAddr, token: impl Into<String>) -> Client {
        Client {
            api: ApiClient::new("msctl resolver", addr, token),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.api.addr()
    }

    /// Whether it runs, how many projects it holds and where it serves DNS.
    pub async fn health(&self) -> Result<Health, ClientError> {
        let answer = self.api.call("GET", "/v1/health".to_string(), None).await?;
        self.api.json("GET /v1/health", &answer)
    }

    /// Replaces a project's whole table (an empty one registers the project).
    pub async fn set_project(
        &self,
        project: &str,
        table: &ProjectTable,
    ) -> Result<(), ClientError> {
        let body = self.api.encode(table)?;
        let path = format!("/v1/projects/{}", segment(project));
        self.api.call("PUT", path, Some(body)).await.map(drop)
    }

    /// Forgets a project; returns how many the resolver still holds.
    pub async fn remove_project(&self, project: &str) -> Result<usize, ClientError> {
        let path = format!("/v1/projects/{}", segment(project));
        let request = format!("DELETE {path}");
        let answer = self.api.call("DELETE", path, None).await?;
        let remaining: Remaining = self.api.json(&request, &answer)?;
        Ok(remaining.projects)
    }

    /// Sets where one ready replica answers and to which names; returns whether that
    /// changed anything (`false`: it answered with these already).
    pub async fn set_replica(
        &self,
        project: &str,
        container: &str,
        entries: &[Entry],
    ) -> Result<bool, ClientError> {
        let body = self.api.encode(entries)?;
        let path = format!(
            "/v1/projects/{}/replicas/{}",
            segment(project),
            segment(container)
        );
        Ok(self.api.call("PUT", path, Some(body)).await?.status == 201)
    }

    /// A project's table as the resolver holds it (empty when it holds none).
    pub async fn project(&self, project: &str) -> Result<ProjectTable, ClientError> {
        let path = format!("/v1/projects/{}", segment(project));
        let request = format!("GET {path}");
        let answer = self.api.call("GET", path, None).await?;
        self.api.json(&request, &answer)
    }

    /// Gives the project these gateways: other projects' entries there are dropped (and
    /// its own at a `fresh` one).
    pub async fn claim(&self, project: &str, claims: &[Claim]) -> Result<(), ClientError> {
        let body = self.api.encode(claims)?;
        let path = format!("/v1/projects/{}/gateways", segment(project));
        self.api.call("PUT", path, Some(body)).await.map(drop)
    }

    /// Stops answering with one replica.
    pub async fn remove_replica(&self, project: &str, container: &str) -> Result<(), ClientError> {
        let path = format!(
            "/v1/projects/{}/replicas/{}",
            segment(project),
            segment(container)
        );
        self.api.call("DELETE", path, None).await.map(drop)
    }
}
