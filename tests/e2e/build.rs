//! Image builds against the real engine: Dockerfile contexts with `.dockerignore`, build
//! args and targets, input-digest skipping, the cargo builder, and the errors a build can
//! end with. Every image a test builds is removed when the test ends, even on failure.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListImagesOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;
use msctl::build::{
    ensure_images_with, BuildError, BuildEvent, BuildOptions, BuildPolicy, BuildReporter, ImageRef,
    MissingReason,
};
use msctl::plan::labels;

use super::support::{block_on, engine, TestProject};

/// Removes, on drop, every image built for the project (by its build label, so images a
/// rebuild left untagged go too), and the step images of failed builds it is told of.
struct BuiltImages {
    project_name: String,
    step_images: std::sync::Mutex<Vec<String>>,
}

impl BuiltImages {
    fn of(project: &TestProject) -> BuiltImages {
        BuiltImages {
            project_name: project.name().to_string(),
            step_images: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A failed build leaves the images of its finished steps (` ---> <id>` lines), which
    /// carry no label yet.
    fn forget_steps_of(&self, events: &Events) {
        let ids = events.lines().into_iter().filter_map(|line| {
            let id = line.split(" ---> ").nth(1)?.trim().to_string();
            (id.len() == 12 && id.chars().all(|c| c.is_ascii_hexdigit())).then_some(id)
        });
        if let Ok(mut step_images) = self.step_images.lock() {
            step_images.extend(ids);
        }
    }
}

impl Drop for BuiltImages {
    fn drop(&mut self) {
        let label = format!("{}={}", labels::BUILD_PROJECT, self.project_name);
        // On its own thread: the drop may run inside the runtime of a panicking test.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // Connect (once per process) outside the runtime: `engine()` blocks on its own.
                let docker = engine().client();
                block_on(async {
                    let filters = HashMap::from([("label", vec![label.as_str()])]);
                    let options = ListImagesOptionsBuilder::default()
                        .all(true)
                        .filters(&filters)
                        .build();
                    let Ok(images) = docker.list_images(Some(options)).await else {
                        eprintln!("warning: cannot list the images of {}", self.project_name);
                        return;
                    };
                    let mut ids: Vec<String> = images.into_iter().map(|image| image.id).collect();
                    // The last step first: an image with a child cannot be removed.
                    ids.extend(
                        self.step_images
                            .lock()
                            .map(|steps| steps.iter().rev().cloned().collect::<Vec<_>>())
                            .unwrap_or_default(),
                    );
                    for id in ids {
                        let options = RemoveImageOptionsBuilder::default().force(true).build();
                        match docker.remove_image(&id, Some(options), None).await {
                            Ok(_) => {}
                            // Removed already, with the child it was a step of.
                            Err(bollard::errors::Error::DockerResponseServerError {
                                status_code: 404,
                                ..
                            }) => {}
                            Err(err) => eprintln!("warning: cannot remove image {id}: {err}"),
                        }
                    }
                })
            });
        });
    }
}

/// Collects build events, for assertions on what a build reported.
#[derive(Default)]
struct Events(std::sync::Mutex<Vec<BuildEvent>>);

impl BuildReporter for Events {
    fn event(&self, event: BuildEvent) {
        if let Ok(mut events) = self.0.lock() {
            events.push(event);
        }
    }
}

impl Events {
    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|events| events.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }
}

/// `ensure_images` for all of the project's services.
fn ensure(
    project: &TestProject,
    policy: BuildPolicy,
    events: &Events,
) -> Result<BTreeMap<String, ImageRef>, BuildError> {
    let loaded = project.load();
    let services: Vec<String> = loaded.services.keys().cloned().collect();
    block_on(ensure_images_with(
        engine().client(),
        &loaded,
        &services,
        policy,
        &BuildOptions::default(),
        events,
    ))
}

fn ensure_ok(project: &TestProject, policy: BuildPolicy) -> BTreeMap<String, ImageRef> {
    let events = Events::default();
    ensure(project, policy, &events).unwrap_or_else(|err| {
        panic!(
            "ensure_images failed: {err}\n--- events\n{}",
            events.lines().join("\n")
        )
    })
}

/// The labels of an image, as the engine has them.
fn image_labels(image: &str) -> HashMap<String, String> {
    block_on(engine().client().inspect_image(image))
        .unwrap_or_else(|err| panic!("cannot inspect image {image}: {err}"))
        .config
        .and_then(|config| config.labels)
        .unwrap_or_default()
}

/// Files the engine puts in every container's filesystem.
const ENGINE_MADE: &[&str] = &[
    ".dockerenv",
    "dev/console",
    "etc/hostname",
    "etc/hosts",
    "etc/mtab",
    "etc/resolv.conf",
];

/// The regular files of an image's filesystem (from a created, never started, container).
fn files_in_image(project: &TestProject, image: &str) -> Vec<String> {
    let docker = engine().client();
    block_on(async {
        let container_id = create_container(project, image, &["unused"]).await;
        let mut tar_bytes = Vec::new();
        let mut stream = docker.export_container(&container_id);
        while let Some(chunk) = stream.next().await {
            tar_bytes.extend_from_slice(&chunk.expect("export the container"));
        }
        remove_container(&container_id).await;
        let mut archive = tar::Archive::new(tar_bytes.as_slice());
        let mut files: Vec<String> = archive
            .entries()
            .expect("the export is a tar")
            .map(|entry| entry.expect("a tar entry"))
            .filter(|entry| entry.header().entry_type().is_file())
            .map(|entry| entry.path().expect("a path").display().to_string())
            .filter(|path| !ENGINE_MADE.contains(&path.as_str()))
            .collect();
        files.sort();
        files
    })
}

/// Runs `image` with `command` to its end: (exit code, output).
fn run_image(project: &TestProject, image: &str, command: &[&str]) -> (i64, String) {
    let docker = engine().client();
    block_on(async {
        let container_id = create_container(project, image, command).await;
        docker
            .start_container(&container_id, None)
            .await
            .unwrap_or_else(|err| panic!("cannot start a container of {image}: {err}"));
        let code = match docker.wait_container(&container_id, None).next().await {
            Some(Ok(response)) => response.status_code,
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
            other => panic!("waiting for a container of {image}: {other:?}"),
        };
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .build();
        let mut output = String::new();
        let mut logs = docker.logs(&container_id, Some(options));
        while let Some(chunk) = logs.next().await {
            output.push_str(&chunk.expect("a log chunk").to_string());
        }
        remove_container(&container_id).await;
        (code, output)
    })
}

/// A container of `image` labelled with the project, so the project's clean-up removes it
/// if the test fails before it does.
async fn create_container(project: &TestProject, image: &str, command: &[&str]) -> String {
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(command.iter().map(ToString::to_string).collect()),
        labels: Some(HashMap::from([(
            labels::PROJECT.to_string(),
            project.name().to_string(),
        )])),
        ..ContainerCreateBody::default()
    };
    engine()
        .client()
        .create_container(Some(CreateContainerOptionsBuilder::default().build()), body)
        .await
        .unwrap_or_else(|err| panic!("cannot create a container of {image}: {err}"))
        .id
}

async fn remove_container(container_id: &str) {
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    let _ = engine()
        .client()
        .remove_container(container_id, Some(options))
        .await;
}

/// A project whose service `web` builds `./web` with `build_yaml` (more keys under
/// `build:`, indented by six spaces).
fn dockerfile_project(hint: &str, build_yaml: &str) -> TestProject {
    TestProject::new(
        hint,
        &format!("services:\n  web:\n    build:\n      context: ./web\n{build_yaml}"),
    )
}

#[test]
fn a_dockerfile_build_leaves_out_what_dockerignore_excludes_and_labels_the_image() {
    let project = dockerfile_project("build-ignore", "      labels: {team: shop}\n");
    let _images = BuiltImages::of(&project);
    project.write_file("web/Dockerfile", "FROM scratch\nCOPY . /ctx/\n");
    project.write_file(
        "web/.dockerignore",
        "# secrets and logs stay home\nsecret.txt\nlogs\n!logs/keep.log\n**/*.tmp\n",
    );
    project.write_file("web/app.txt", "app");
    project.write_file("web/secret.txt", "secret");
    project.write_file("web/logs/drop.log", "noise");
    project.write_file("web/logs/keep.log", "kept by the exception");
    project.write_file("web/deep/down/scratch.tmp", "temporary");
    project.write_file("web/deep/down/data.txt", "data");

    let images = ensure_ok(&project, BuildPolicy::Always);

    let built = &images["web"];
    assert!(built.built);
    assert_eq!(built.name, format!("{}-web", project.name()));
    assert_eq!(
        files_in_image(&project, &built.name),
        vec![
            "ctx/.dockerignore",
            "ctx/Dockerfile",
            "ctx/app.txt",
            "ctx/deep/down/data.txt",
            "ctx/logs/keep.log",
        ]
    );
    let image_labels = image_labels(&built.name);
    assert_eq!(
        image_labels.get(labels::BUILD_PROJECT),
        Some(&project.name().to_string())
    );
    assert_eq!(
        image_labels.get(labels::BUILD_SERVICE),
        Some(&"web".to_string())
    );
    assert_eq!(image_labels.get("team"), Some(&"shop".to_string()));
    assert_eq!(
        image_labels.get(labels::BUILD_DIGEST),
        built.build_digest.as_ref()
    );
    // Containers inherit image labels: the image must not look like a replica.
    assert_eq!(image_labels.get(labels::PROJECT), None);
    assert_eq!(image_labels.get(labels::SERVICE), None);
}

#[test]
fn build_args_and_the_target_choose_what_is_built() {
    let project = dockerfile_project(
        "build-args",
        "      target: base\n      args:\n        GREETING: hola\n        FILE: a.txt\n",
    );
    let _images = BuiltImages::of(&project);
    project.write_file(
        "web/Dockerfile",
        "FROM scratch AS base\n\
         ARG GREETING=hello\n\
         ARG FILE\n\
         LABEL greeting=$GREETING\n\
         COPY $FILE /picked.txt\n\
         FROM base AS final\n\
         COPY b.txt /final.txt\n",
    );
    project.write_file("web/a.txt", "a");
    project.write_file("web/b.txt", "b");

    let images = ensure_ok(&project, BuildPolicy::Always);

    let image = &images["web"].name;
    assert_eq!(files_in_image(&project, image), vec!["picked.txt"]);
    assert_eq!(
        image_labels(image).get("greeting"),
        Some(&"hola".to_string())
    );
}

#[test]
fn unchanged_inputs_skip_the_build_in_well_under_a_second() {
    let project = dockerfile_project("build-skip", "");
    let _images = BuiltImages::of(&project);
    project.write_file("web/Dockerfile", "FROM scratch\nCOPY app.txt /app.txt\n");
    project.write_file("web/app.txt", "app");
    let first = ensure_ok(&project, BuildPolicy::Missing);
    assert!(first["web"].built);

    let events = Events::default();
    let started = Instant::now();
    let second = ensure(&project, BuildPolicy::Missing, &events).expect("second ensure_images");
    let elapsed = started.elapsed();

    assert!(!second["web"].built, "{:?}", events.lines());
    assert_eq!(second["web"].id, first["web"].id);
    assert_eq!(
        events.lines(),
        vec![format!(
            "web | image `{}-web` is up to date",
            project.name()
        )]
    );
    assert!(
        elapsed < Duration::from_millis(500),
        "checking an unchanged build took {elapsed:?}"
    );
}

#[test]
fn a_changed_input_rebuilds_and_an_ignored_file_does_not() {
    let project = dockerfile_project("build-change", "");
    let _images = BuiltImages::of(&project);
    project.write_file("web/Dockerfile", "FROM scratch\nCOPY . /ctx/\n");
    project.write_file("web/.dockerignore", "*.log\n");
    project.write_file("web/app.txt", "one");
    let first = ensure_ok(&project, BuildPolicy::Missing);

    project.write_file("web/debug.log", "ignored by .dockerignore");
    let unchanged = ensure_ok(&project, BuildPolicy::Missing);
    assert!(!unchanged["web"].built);
    assert_eq!(unchanged["web"].id, first["web"].id);

    project.write_file("web/app.txt", "two");
    let changed = ensure_ok(&project, BuildPolicy::Missing);
    assert!(changed["web"].built);
    assert_ne!(changed["web"].id, first["web"].id);
    assert_ne!(changed["web"].build_digest, first["web"].build_digest);

    // A build arg is an input too.
    project.write_compose(
        "services:\n  web:\n    build:\n      context: ./web\n      args: {MODE: fast}\n",
    );
    let with_arg = ensure_ok(&project, BuildPolicy::Missing);
    assert!(with_arg["web"].built);
    assert_ne!(with_arg["web"].build_digest, changed["web"].build_digest);
}

/// The cargo fixture: its own tiny workspace, so the test builds one small binary.
fn cargo_hello() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build/cargo-hello")
}

#[test]
fn the_cargo_builder_makes_a_runnable_scratch_image_without_a_dockerfile() {
    let workspace = cargo_hello();
    let project = TestProject::new(
        "build-cargo",
        &format!(
            r#"services:
  hello:
    x-msctl:
      build:
        cargo:
          workspace: {workspace}
          package: cargo-hello
          bin: hello
          files: {{./greeting.txt: /etc/app/greeting.txt}}
  loud:
    x-msctl:
      build:
        cargo:
          workspace: {workspace}
          package: cargo-hello
          bin: hello
          features: [loud]
"#,
            workspace = workspace.display()
        ),
    );
    let _images = BuiltImages::of(&project);
    project.write_file("greeting.txt", "hi");

    let images = ensure_ok(&project, BuildPolicy::Missing);

    let hello = &images["hello"].name;
    assert_eq!(
        run_image(&project, hello, &["from", "scratch"]),
        (0, "hello from cargo-hello from scratch\n".to_string())
    );
    assert_eq!(
        run_image(&project, &images["loud"].name, &[]),
        (0, "HELLO FROM CARGO-HELLO \n".to_string())
    );
    let inspect = block_on(engine().client().inspect_image(hello)).expect("inspect");
    assert_eq!(
        inspect
            .root_fs
            .and_then(|rootfs| rootfs.layers)
            .map(|l| l.len()),
        Some(1)
    );
    assert_eq!(
        inspect.config.and_then(|c| c.entrypoint),
        Some(vec!["/hello".to_string()])
    );
    // Only the binary and the extra file: no base image, no shell.
    assert_eq!(
        files_in_image(&project, hello),
        vec!["etc/app/greeting.txt", "hello"]
    );
    assert_eq!(
        image_labels(hello).get(labels::BUILD_DIGEST),
        images["hello"].build_digest.as_ref()
    );

    // Nothing changed: the second run builds nothing, cargo is not even started.
    let events = Events::default();
    let again = ensure(&project, BuildPolicy::Missing, &events).expect("second ensure_images");
    assert!(!again["hello"].built && !again["loud"].built);
    assert_eq!(again["hello"].id, images["hello"].id);
    assert!(
        !events.lines().iter().any(|line| line.contains("Compiling")),
        "{:?}",
        events.lines()
    );
}

#[test]
fn a_missing_base_image_is_a_clear_error() {
    let project = dockerfile_project("build-nobase", "");
    let _images = BuiltImages::of(&project);
    project.write_file(
        "web/Dockerfile",
        "FROM scratch AS tools\nFROM msctl-no-such-base:1\nCOPY --from=tools / /\n",
    );

    let started = Instant::now();
    let err = ensure(&project, BuildPolicy::Missing, &Events::default())
        .expect_err("a build on a missing base image");

    assert!(
        matches!(&err, BuildError::BaseImageMissing { service, image, .. } if service == "web" && image == "msctl-no-such-base:1"),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(
            "service `web`: base image `msctl-no-such-base:1` is not on the engine and cannot be pulled: "
        ),
        "{err}"
    );
    // Refused after one failed pull, before the build: it does not wait on the network.
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_failing_step_is_named_with_the_engines_message() {
    let project = dockerfile_project("build-fail", "");
    let images = BuiltImages::of(&project);
    project.write_file(
        "web/Dockerfile",
        "FROM scratch\nCOPY present.txt /\nCOPY missing.txt /\n",
    );
    project.write_file("web/present.txt", "here");

    let events = Events::default();
    let err = ensure(&project, BuildPolicy::Always, &events).expect_err("a failing build");
    images.forget_steps_of(&events);

    let BuildError::Failed {
        service,
        step,
        message,
    } = &err
    else {
        panic!("expected a failed build, got {err:?}");
    };
    assert_eq!(service, "web");
    assert_eq!(step.as_deref(), Some("Step 3/4 : COPY missing.txt /"));
    assert!(message.contains("missing.txt"), "{message}");
    assert!(
        events
            .lines()
            .iter()
            .any(|line| line.starts_with("web | build failed: building service `web` failed at")),
        "{:?}",
        events.lines()
    );
}

#[test]
fn building_turned_off_names_the_missing_image() {
    let project = dockerfile_project("build-never", "");
    project.write_file("web/Dockerfile", "FROM scratch\nCOPY app.txt /\n");
    project.write_file("web/app.txt", "app");

    let err = ensure(&project, BuildPolicy::Never, &Events::default())
        .expect_err("no image and no build");

    assert!(
        matches!(&err, BuildError::ImageMissing { service, reason: MissingReason::NoBuild, .. } if service == "web"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "service `web`: image `{}-web` is not on the engine, and building is turned off",
            project.name()
        )
    );
    assert_eq!(
        err.hint().as_deref(),
        Some("run `msctl build web`, or `up` without `--no-build`")
    );
}

#[test]
fn msctl_build_streams_plain_lines_to_stderr_and_prints_nothing_on_stdout() {
    let project = TestProject::new(
        "build-cli",
        "services:\n  web:\n    build: ./web\n  cache:\n    image: msctl-not-built:1\n",
    );
    let _images = BuiltImages::of(&project);
    project.write_file("web/Dockerfile", "FROM scratch\nCOPY app.txt /\n");
    project.write_file("web/app.txt", "app");

    let (code, stdout, stderr) = project.msctl(&["build"]);

    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    let image = format!("{}-web", project.name());
    assert!(
        stderr.contains(&format!("web | building image `{image}` (dockerfile)\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains("web | Step 2/3 : COPY app.txt /\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("web | built image `{image}` (")),
        "{stderr}"
    );
    assert!(!stderr.contains("cache |"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no escape codes off a terminal: {stderr}"
    );
    assert_eq!(
        image_labels(&image).get(labels::BUILD_SERVICE),
        Some(&"web".to_string())
    );

    // `build` always builds, even with nothing changed.
    let (code, _, stderr) = project.msctl(&["build", "web"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("web | built image `{image}` (")),
        "{stderr}"
    );
}

#[test]
fn msctl_build_exits_1_naming_the_service_and_the_missing_base_image() {
    let project = TestProject::new("build-cli-fail", "services:\n  api:\n    build: ./api\n");
    let _images = BuiltImages::of(&project);
    project.write_file("api/Dockerfile", "FROM msctl-no-such-base:2\n");

    let (code, stdout, stderr) = project.msctl(&["build", "--pull", "never"]);

    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("error: service `api`: base image `msctl-no-such-base:2` is not on the engine and `--pull never` forbids pulling it"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: check the name of `msctl-no-such-base:2`"),
        "{stderr}"
    );
}
