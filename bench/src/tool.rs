//! The three things compared, each on its own project so they never touch each other.

/// A tool under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tool {
    Msctl,
    Compose,
    /// The Engine API through bollard with no orchestrator: the lower bound.
    Raw,
}

impl Tool {
    pub const ALL: [Tool; 3] = [Tool::Msctl, Tool::Compose, Tool::Raw];

    /// The table column.
    pub fn column(self) -> &'static str {
        match self {
            Tool::Msctl => "msctl",
            Tool::Compose => "docker-compose",
            Tool::Raw => "raw",
        }
    }

    /// The project name: also the prefix of every container and network the tool creates,
    /// which is how a leftover is found and removed between runs.
    pub fn project(self) -> &'static str {
        match self {
            Tool::Msctl => "msbench-msctl",
            Tool::Compose => "msbench-compose",
            Tool::Raw => "msbench-raw",
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

    /// The project network (msctl and Compose both name it `<project>_default`).
    pub fn network(self) -> String {
        format!("{}_default", self.project())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LabelKeys {
    pub project: &'static str,
    pub service: &'static str,
}
