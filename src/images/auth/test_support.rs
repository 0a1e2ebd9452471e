//! The fixture the credential tests share: a config directory, helper scripts, and
//! the env naming both.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;

use base64::Engine as _;

use super::{Credentials, DockerConfig};

/// A config directory, a directory for helper scripts, and the env naming both.
pub(super) struct Fixture {
    pub(super) config_dir: tempfile::TempDir,
    pub(super) bin_dir: tempfile::TempDir,
}

impl Fixture {
    pub(super) fn new() -> Fixture {
        Fixture {
            config_dir: tempfile::tempdir().unwrap(),
            bin_dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(super) fn env(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "DOCKER_CONFIG".to_string(),
                self.config_dir.path().display().to_string(),
            ),
            (
                "PATH".to_string(),
                format!("{}:/usr/bin:/bin", self.bin_dir.path().display()),
            ),
        ])
    }

    pub(super) fn write_config(&self, json: &str) {
        std::fs::write(self.config_dir.path().join("config.json"), json).unwrap();
    }

    pub(super) fn load(&self, json: &str) -> DockerConfig {
        self.write_config(json);
        DockerConfig::load(&self.env()).unwrap()
    }

    /// Writes `docker-credential-<name>` as a shell script. The file is written by a
    /// child shell, never through a descriptor of this process: a descriptor open for
    /// writing, inherited by a process another test forks at that moment, would make
    /// executing the script fail with ETXTBSY.
    pub(super) fn helper(&self, name: &str, body: &str) {
        let path = self
            .bin_dir
            .path()
            .join(format!("docker-credential-{name}"));
        let mut writer = std::process::Command::new("/bin/sh")
            .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
            .arg(&path)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = writer.stdin.take().unwrap();
        stdin
            .write_all(format!("#!/bin/sh\n{body}\n").as_bytes())
            .unwrap();
        drop(stdin);
        assert!(writer.wait().unwrap().success());
    }
}

pub(super) fn basic(user_password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(user_password)
}

pub(super) fn user_password(username: &str, password: &str, server_address: &str) -> Credentials {
    Credentials {
        username: username.to_string(),
        password: password.to_string(),
        identity_token: None,
        server_address: server_address.to_string(),
    }
}
