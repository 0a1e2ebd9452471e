//! Images from registries, on the real engine and a real registry on loopback (Debian's
//! `docker-registry`, started per test by [`Registry`]): `up` pulls what is missing,
//! `pull_policy` and `--pull` decide when, a digest pins, credentials come from the
//! Docker CLI's config, and `msctl push` sends what msctl built.
//!
//! Each test pushes the busybox test image (or a variant of it) to its own registry and
//! removes the local copy, so that only the registry has it.

use std::process::Command;

use msctl::engine::Engine;

use super::registry::{own_image, Registry};
use super::support::{block_on, engine, httpd_service, test_image, TestProject};

/// Whether the engine has an image by this name.
fn engine_has(image: &str) -> bool {
    block_on(engine().image_exists(image)).expect("the engine answers")
}

/// Removes an image name from the engine at the end of a test, even a failed one.
struct RemoveImage(String);

impl Drop for RemoveImage {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

/// A service running `image` with busybox httpd and a health check.
fn web_with(image: &str, extra: &str) -> String {
    let service = httpd_service("web", extra);
    format!("services:\n{}", service.replacen(test_image(), image, 1))
}

/// A Docker CLI config directory whose `config.json` holds `user:password` for `registry`.
fn docker_config_with(dir: &std::path::Path, registry: &str, user: &str, password: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    std::fs::create_dir_all(dir).expect("a config dir");
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths": {{"{registry}": {{"auth": "{auth}"}}}}}}"#),
    )
    .expect("config.json");
}

/// `msctl ARGS` with the Docker CLI config in `config_dir`.
fn msctl_with_config(
    project: &TestProject,
    config_dir: &std::path::Path,
    args: &[&str],
) -> (i32, String, String) {
    let output = project
        .command(args)
        .env("DOCKER_CONFIG", config_dir)
        .output()
        .expect("msctl runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn up_pulls_a_missing_image_from_the_registry_and_runs_it_healthy() {
    let registry = Registry::start();
    let pushed = registry.push(own_image(), "e2e/web:1");
    registry.remove_local("e2e/web:1");
    let _cleanup = RemoveImage(pushed.name.clone());
    assert!(!engine_has(&pushed.name));

    let project = TestProject::new("pull-up", &web_with(&pushed.name, ""));
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(engine_has(&pushed.name), "the image was pulled");
    let containers = project.containers();
    assert_eq!(containers.len(), 1);
    let details = project.inspect(&containers[0].id);
    assert_eq!(details.summary.health, msctl::plan::Health::Healthy);
    assert!(
        stderr.contains(&format!("{} | pulling for `web` (missing)", pushed.name)),
        "{stderr}"
    );

    // The image is there now: a second `up` neither pulls nor changes anything.
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("pulling"), "{stderr}");
    assert!(stderr.contains("up to date"), "{stderr}");
}

#[test]
fn pull_policy_always_pulls_a_new_image_and_replaces_the_replica_never_refuses_a_missing_one() {
    let registry = Registry::start();
    let pushed = registry.push(own_image(), "e2e/app:1");
    let _cleanup = RemoveImage(pushed.name.clone());
    let project = TestProject::new(
        "pull-always",
        &web_with(&pushed.name, "    pull_policy: always\n"),
    );
    project.msctl_ok(&["up"]);
    let first = project.containers()[0].id.clone();

    // The registry gets a new image under the same tag: `always` pulls it, and the
    // replica is replaced because its image changed.
    let variant = format!("msctl-e2e-variant-{}:1", std::process::id());
    let _variant = RemoveImage(variant.clone());
    let built = Command::new("docker")
        .args(["build", "-q", "-t", &variant, "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(
                format!(
                    "FROM {}\nLABEL e2e.variant=2 io.msctl-e2e.own={}\n",
                    test_image(),
                    std::process::id()
                )
                .as_bytes(),
            )?;
            child.wait_with_output()
        })
        .expect("docker build runs");
    assert!(built.status.success(), "{built:?}");
    let second = registry.push(&variant, "e2e/app:1");
    assert_ne!(pushed.digest, second.digest);
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("(pull_policy: always)"), "{stderr}");
    let containers = project.containers();
    assert_eq!(containers.len(), 1);
    assert_ne!(containers[0].id, first, "the replica runs the new image");

    // `never` with the image gone from the engine: a located error, nothing created.
    project.msctl_ok(&["down"]);
    let _ = Command::new("docker")
        .args(["rmi", "-f", &pushed.name])
        .output();
    project.write_compose(&web_with(&pushed.name, "    pull_policy: never\n"));
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("its `pull_policy` forbids pulling it"),
        "{stderr}"
    );
    assert!(stderr.contains("compose.yaml:"), "{stderr}");
    assert!(stderr.contains("pull_policy: never"), "{stderr}");
    assert!(project.containers().is_empty());
    assert!(!engine_has(&pushed.name));

    // `--pull never` over the default policy says the flag forbade it.
    project.write_compose(&web_with(&pushed.name, ""));
    let (code, _, stderr) = project.msctl(&["up", "--pull", "never"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("`--pull never` forbids pulling it"),
        "{stderr}"
    );
}

#[test]
fn missing_keeps_the_image_the_engine_has_and_a_digest_pins_what_runs() {
    let registry = Registry::start();
    let pushed = registry.push(own_image(), "e2e/pinned:1");
    let _cleanup = RemoveImage(pushed.name.clone());
    // `missing` (the default, written out) with the image present: no pull.
    let project = TestProject::new(
        "pull-missing",
        &web_with(&pushed.name, "    pull_policy: missing\n"),
    );
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("pulling"), "{stderr}");
    project.msctl_ok(&["down"]);

    // Pinned by digest, with no local copy: the pull fetches exactly that manifest.
    registry.remove_local("e2e/pinned:1");
    let repository = pushed.name.rsplit_once(':').expect("a tag").0.to_string();
    let pinned = format!("{repository}@{}", pushed.digest);
    let _pinned = RemoveImage(pinned.clone());
    project.write_compose(&web_with(&pinned, ""));
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("{pinned} | pulled")), "{stderr}");
    let containers = project.containers();
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0].image, pinned);
}

#[test]
fn an_unknown_tag_is_an_error_naming_the_service_the_image_and_the_registrys_answer() {
    let registry = Registry::start();
    registry.push(own_image(), "e2e/known:1");
    let missing = registry.image("e2e/known:nope");
    let compose = format!(
        "{}  other:\n    image: {}\n    command: [\"sleep\", \"60\"]\n    init: true\n",
        web_with(&missing, ""),
        test_image()
    );
    let project = TestProject::new("pull-unknown", &compose);
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: service `web`: cannot pull image `{missing}` from registry `{}`",
            registry.address()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("manifest unknown"), "{stderr}");
    assert!(stderr.contains("hint: check the name and tag"), "{stderr}");
    // Nothing changed: not even the service whose image was there was started.
    assert!(project.containers().is_empty());
}

#[test]
fn credentials_from_the_docker_config_are_sent_and_missing_or_wrong_ones_are_clear_errors() {
    let password = "e2e-right-pass-7291";
    let registry = Registry::start_with_auth("ci", password);
    let pushed = registry.push(own_image(), "e2e/private:1");
    registry.remove_local("e2e/private:1");
    let _cleanup = RemoveImage(pushed.name.clone());
    let project = TestProject::new("pull-auth", &web_with(&pushed.name, ""));

    // No credentials: the registry's refusal and how to log in.
    let none = project.dir().join("docker-none");
    std::fs::create_dir_all(&none).expect("dir");
    let (code, _, stderr) = msctl_with_config(&project, &none, &["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("access denied"), "{stderr}");
    assert!(
        stderr.contains(&format!("docker login {}", registry.address())),
        "{stderr}"
    );
    assert!(project.containers().is_empty());

    // A wrong password: refused, the file named, the password never printed.
    let wrong = project.dir().join("docker-wrong");
    let wrong_password = "e2e-wrong-pass-4410";
    docker_config_with(&wrong, &registry.address(), "ci", wrong_password);
    let (code, stdout, stderr) = msctl_with_config(&project, &wrong, &["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("access denied"), "{stderr}");
    assert!(
        stderr.contains("refused the credentials msctl sent from"),
        "{stderr}"
    );
    assert!(stderr.contains("config.json"), "{stderr}");
    for output in [&stdout, &stderr] {
        assert!(!output.contains(wrong_password), "{output}");
    }
    assert!(project.containers().is_empty());

    // The right one: pulled and running; `config` never shows it either.
    let right = project.dir().join("docker-right");
    docker_config_with(&right, &registry.address(), "ci", password);
    let (code, _, stderr) = msctl_with_config(&project, &right, &["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains(password), "{stderr}");
    assert_eq!(project.containers().len(), 1);
    let (_, config, _) = msctl_with_config(&project, &right, &["config"]);
    assert!(!config.contains(password));
}

#[test]
fn push_sends_the_built_image_and_a_clean_engine_pulls_it_instead_of_building() {
    let registry = Registry::start();
    let image = registry.image("e2e/built:1");
    let _cleanup = RemoveImage(image.clone());
    let project = TestProject::new(
        "push",
        &format!(
            "services:\n  web:\n    build: ./web\n    image: {image}\n    command: [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/\"]\n    init: true\n"
        ),
    );
    project.write_file(
        "web/Dockerfile",
        &format!("FROM {}\nLABEL e2e.pushed=1\n", test_image()),
    );

    // Nothing built yet: nothing to push, and it says what to run.
    let (code, _, stderr) = project.msctl(&["push"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is not built yet"), "{stderr}");
    assert!(stderr.contains("msctl build web"), "{stderr}");

    project.msctl_ok(&["build"]);
    let stdout = project.msctl_ok(&["push"]);
    let line = stdout.trim();
    assert!(
        line.starts_with(&format!("{image}@sha256:")),
        "push prints NAME@DIGEST: {stdout}"
    );
    assert_eq!(registry.tags("e2e/built"), vec!["1".to_string()]);
    assert_eq!(
        line.rsplit_once('@').map(|(_, d)| d),
        Some(registry.digest("e2e/built:1").as_str())
    );

    // A clean engine: `up --pull missing` pulls the pushed image, which carries the
    // digest of the same build inputs, so nothing is built.
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
    assert!(!engine_has(&image));
    let (code, _, stderr) = project.msctl(&["up", "--pull", "missing"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("{image} | pulled")), "{stderr}");
    assert!(stderr.contains("is up to date"), "{stderr}");
    assert!(!stderr.contains("building image"), "{stderr}");
    assert_eq!(project.containers().len(), 1);
}

#[test]
fn msctl_pull_pulls_every_image_once_and_names_what_it_skips() {
    let registry = Registry::start();
    let pushed = registry.push(own_image(), "e2e/many:1");
    registry.remove_local("e2e/many:1");
    let _cleanup = RemoveImage(pushed.name.clone());
    let missing = registry.image("e2e/many:nope");
    let compose = format!(
        "services:\n  a:\n    image: {name}\n  b:\n    image: {name}\n  c:\n    image: {name}\n    pull_policy: never\n  d:\n    image: {missing}\n    profiles: [broken]\n",
        name = pushed.name
    );
    let project = TestProject::new("pull-cmd", &compose);
    let (code, _, stderr) = project.msctl(&["pull", "a", "b", "c"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches("| pulling for").count(), 1, "{stderr}");
    assert!(stderr.contains("pulling for `a`, `b`"), "{stderr}");
    assert!(
        stderr.contains("c | not pulled: its `pull_policy` is `never`"),
        "{stderr}"
    );
    assert!(engine_has(&pushed.name));

    let (code, _, stderr) = project.msctl(&["--profile", "broken", "pull", "d"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("service `d`: cannot pull image"),
        "{stderr}"
    );
    let (code, _, stderr) =
        project.msctl(&["--profile", "broken", "pull", "--ignore-pull-failures", "d"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning: service `d`"), "{stderr}");
}

#[test]
fn pull_policy_build_builds_even_when_the_registry_has_the_image() {
    let registry = Registry::start();
    let pushed = registry.push(own_image(), "e2e/local:1");
    registry.remove_local("e2e/local:1");
    let _cleanup = RemoveImage(pushed.name.clone());
    let project = TestProject::new(
        "pull-build",
        &format!(
            "services:\n  web:\n    build: ./web\n    image: {}\n    pull_policy: build\n    command: [\"sleep\", \"60\"]\n    init: true\n",
            pushed.name
        ),
    );
    project.write_file(
        "web/Dockerfile",
        &format!("FROM {}\nLABEL e2e.built=1\n", test_image()),
    );
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("pulling"), "{stderr}");
    assert!(stderr.contains("building image"), "{stderr}");
    let labels = block_on(engine().inspect_image(&pushed.name))
        .expect("inspect")
        .expect("the built image")
        .labels;
    assert_eq!(labels.get("e2e.built").map(String::as_str), Some("1"));
}

/// Docker Compose v5.6.1 (`compose5`, installed by scripts/bootstrap) in `dir` as
/// project `name`: its exit code and stderr.
fn compose5(dir: &std::path::Path, name: &str, args: &[&str]) -> (i32, String) {
    let output = Command::new("compose5")
        .current_dir(dir)
        .args(["-p", name])
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run compose5 (scripts/bootstrap installs it): {err}"));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Takes Compose's project down at the end of a test, even a failed one.
struct ComposeDown(std::path::PathBuf, String);

impl Drop for ComposeDown {
    fn drop(&mut self) {
        let _ = compose5(&self.0, &self.1, &["down", "--timeout", "1"]);
    }
}

#[test]
fn compose_v5_pulls_and_refuses_the_same_file_as_msctl() {
    let registry = Registry::start();
    let pushed = registry.push(own_image(), "e2e/same:1");
    registry.remove_local("e2e/same:1");
    let _cleanup = RemoveImage(pushed.name.clone());
    let project = TestProject::new(
        "pull-compose",
        &web_with(&pushed.name, "    pull_policy: never\n"),
    );
    let compose_name = format!("{}-compose", project.name());
    let _down = ComposeDown(project.dir().to_path_buf(), compose_name.clone());

    // `never` with the image only in the registry: both refuse, neither pulls.
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 1, "{stderr}");
    let (code, compose_err) = compose5(project.dir(), &compose_name, &["up", "-d"]);
    assert_ne!(code, 0, "compose v5 refuses too: {compose_err}");
    assert!(!engine_has(&pushed.name));

    // `missing`: both pull it and run it.
    project.write_compose(&web_with(&pushed.name, "    pull_policy: missing\n"));
    let (code, compose_err) = compose5(project.dir(), &compose_name, &["up", "-d"]);
    assert_eq!(code, 0, "{compose_err}");
    assert!(engine_has(&pushed.name), "compose v5 pulled it");
    let _ = compose5(project.dir(), &compose_name, &["down", "--timeout", "1"]);
    registry.remove_local("e2e/same:1");
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("pulling for `web` (missing)"), "{stderr}");
    assert_eq!(project.containers().len(), 1);
}
