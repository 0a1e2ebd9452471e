//! The three things compared, each on projects of its own so they never touch each other.

use clap::ValueEnum;

/// A tool under test (`--tools` takes these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum)]
pub enum Tool {
    /// msctl, the binary under test
    Msctl,
    /// Compose v5 (the Go binary, `--compose5`), in every scenario
    Compose,
    /// The Engine API through bollard with no orchestrator: the lower bound
    Raw,
}

impl Tool {
    pub const ALL: [Tool; 3] = [Tool::Msctl, Tool::Compose, Tool::Raw];

    /// The table column.
    pub fn column(self) -> &'static str {
        match self {
            Tool::Msctl => "msctl",
            Tool::Compose => "compose v5",
            Tool::Raw => "raw",
        }
    }

    /// A short name for project names.
    fn short(self) -> &'static str {
        match self {
            Tool::Msctl => "msctl",
            Tool::Compose => "compose",
            Tool::Raw => "raw",
        }
    }

    /// The label keys the tool puts the project and the service name under.
    pub fn labels(self) -> LabelKeys {
        match self {
            // msctl's src/plan/labels.rs.
            Tool::Msctl => LabelKeys {
                project: "io.msctl.project",
                service: "io.msctl.service",
            },
            Tool::Compose => LabelKeys {
                project: "com.docker.compose.project",
                service: "com.docker.compose.service",
            },
            Tool::Raw => LabelKeys {
                project: "io.msctl-bench.project",
                service: "io.msctl-bench.service",
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LabelKeys {
    pub project: &'static str,
    pub service: &'static str,
}

/// The prefix of every project (so of every container and network) the bench creates.
pub const PROJECT_PREFIX: &str = "msbench-";

/// One tool's project for one run. Every run gets a project name of its own: no state
/// (msctl's store, a network the engine failed to release) carries over from one run to
/// the next, and the tools never touch each other's resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub tool: Tool,
    /// The project name, also the prefix of every container and network of the project,
    /// which is how leftovers are found and removed.
    pub project: String,
}

impl Deployment {
    /// `msbench-<tool>-<invocation>-<run>`: `invocation` tells bench runs apart.
    pub fn new(tool: Tool, invocation: &str, run: &str) -> Self {
        Deployment {
            tool,
            project: format!("{PROJECT_PREFIX}{}-{invocation}-{run}", tool.short()),
        }
    }

    pub fn labels(&self) -> LabelKeys {
        self.tool.labels()
    }

    /// The project network (msctl and Compose v5 both name it `<project>_default`).
    pub fn network(&self) -> String {
        format!("{}_default", self.project)
    }

    /// Whether a container or network name belongs to this project.
    pub fn owns(&self, name: &str) -> bool {
        name.strip_prefix(&self.project)
            .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('_'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_owns_its_names_and_not_a_longer_projects() {
        let deployment = Deployment::new(Tool::Compose, "a1b2", "3");
        assert_eq!(deployment.project, "msbench-compose-a1b2-3");
        assert!(deployment.owns("msbench-compose-a1b2-3-web-1"));
        assert!(deployment.owns("msbench-compose-a1b2-3_default"));
        assert!(!deployment.owns("msbench-compose-a1b2-30_web_1"));
        assert!(!deployment.owns("msbench-compose-a1b2-3"));
    }
}
