//! `msctl export kubernetes`: the shop's objects read back strictly as Kubernetes types,
//! the whole export against golden files, and `-o DIR`.
//!
//! Regenerate the golden files with `MSCTL_BLESS=1 cargo nextest run -E 'test(/export::/)'`
//! and review the diff: it is what `kubectl apply` would get.

use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Secret, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Fixed secret contents, so the golden stream does not change between runs.
const SECRETS: &[(&str, &str)] = &[
    ("token-key", "test-token-key\n"),
    ("identity-orders", "test-orders-identity\n"),
    ("identity-orders.sha256", "test-orders-digest\n"),
    ("identity-payments", "test-payments-identity\n"),
    ("identity-payments.sha256", "test-payments-digest\n"),
];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden_dir() -> PathBuf {
    repo_root().join("tests/golden/kubernetes")
}

/// A copy of the shop's manifest in a temporary directory, with its own secret files
/// in `secrets/` where the manifest looks for them.
fn shop() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("msctl-export-")
        .tempdir()
        .expect("tempdir");
    let yaml = std::fs::read_to_string(repo_root().join("manifests/compose.yaml"))
        .expect("the shop's manifest");
    let yaml = yaml.replace(
        "workspace: ..",
        &format!("workspace: {}", repo_root().display()),
    );
    std::fs::write(dir.path().join("compose.yaml"), yaml).expect("write manifest");
    std::fs::create_dir(dir.path().join("secrets")).expect("mkdir secrets");
    for (file, content) in SECRETS {
        std::fs::write(dir.path().join("secrets").join(file), content).expect("write secret");
    }
    dir
}

fn project(manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("msctl-export-")
        .tempdir()
        .expect("tempdir");
    std::fs::write(dir.path().join("compose.yaml"), manifest).expect("write manifest");
    dir
}

/// msctl in `dir` with none of the variables that change what the manifests say.
fn msctl(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_msctl"));
    cmd.current_dir(dir).env("NO_COLOR", "1").env("CI", "true");
    for (key, _) in std::env::vars() {
        if key.starts_with("MSCTL_") || key.starts_with("COMPOSE_") || key.starts_with("SHOP_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `(exit code, stdout, stderr)`.
fn run(cmd: &mut Command) -> (i32, String, String) {
    let output = cmd.output().expect("msctl runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("utf-8 stdout"),
        String::from_utf8(output.stderr).expect("utf-8 stderr"),
    )
}

fn export_shop() -> (String, String) {
    let dir = shop();
    let (code, stdout, stderr) = run(msctl(dir.path()).args(["export", "kubernetes"]));
    assert_eq!(code, 0, "{stderr}");
    (stdout, stderr)
}

/// The documents of a `---`-separated stream.
fn documents(stream: &str) -> Vec<&str> {
    stream
        .split("---\n")
        .filter(|doc| !doc.trim().is_empty())
        .collect()
}

/// Read `yaml` as `T` and write it back: equal JSON means no field was unknown to the
/// Kubernetes type (k8s-openapi skips unknown fields, so they would be missing) and
/// none was misread.
fn assert_round_trips<T: Serialize + DeserializeOwned>(yaml: &str) {
    let value: serde_json::Value = serde_norway::from_str(yaml).expect("valid YAML");
    let typed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("not a valid object: {e}\n{yaml}"));
    let back = serde_json::to_value(&typed).expect("serialize");
    assert_eq!(back, value, "fields lost or changed reading:\n{yaml}");
}

/// Every object of the shop's export is a valid object of its kind, field for field.
#[test]
fn every_shop_object_reads_back_strictly_as_its_kubernetes_type() {
    let (stdout, _) = export_shop();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for doc in documents(&stdout) {
        let value: serde_json::Value = serde_norway::from_str(doc).expect("valid YAML");
        let kind = value["kind"].as_str().expect("a kind").to_string();
        match kind.as_str() {
            "Deployment" => assert_round_trips::<Deployment>(doc),
            "Service" => assert_round_trips::<Service>(doc),
            "HorizontalPodAutoscaler" => assert_round_trips::<HorizontalPodAutoscaler>(doc),
            "PersistentVolumeClaim" => assert_round_trips::<PersistentVolumeClaim>(doc),
            "Secret" => assert_round_trips::<Secret>(doc),
            "ConfigMap" => assert_round_trips::<ConfigMap>(doc),
            "NetworkPolicy" => assert_round_trips::<NetworkPolicy>(doc),
            other => panic!("unexpected kind {other}"),
        }
        *kinds.entry(kind).or_default() += 1;
    }
    let expected = [
        ("Deployment", 5),
        ("NetworkPolicy", 5),
        ("PersistentVolumeClaim", 4),
        ("Secret", 5),
        ("Service", 5),
    ];
    assert_eq!(
        kinds,
        expected
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect::<std::collections::BTreeMap<_, _>>()
    );
}

/// The round trip itself catches a field the type does not know.
#[test]
fn an_unknown_field_fails_the_strict_read() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  prots: []\n";
    let result = std::panic::catch_unwind(|| assert_round_trips::<Service>(yaml));
    assert!(result.is_err(), "a misspelt field passed");
}

fn check_golden(file: &str, actual: &str, stale: &mut Vec<String>) {
    let path = golden_dir().join(file);
    if std::env::var_os("MSCTL_BLESS").is_some() {
        std::fs::create_dir_all(golden_dir()).expect("mkdir golden");
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != actual {
        stale.push(format!(
            "tests/golden/kubernetes/{file}\n--- committed\n{committed}\n--- now\n{actual}"
        ));
    }
}

/// The shop's export, objects and untranslated list, is exactly the committed one.
#[test]
fn the_shop_exports_as_the_golden_files() {
    let (stdout, stderr) = export_shop();
    let mut stale = Vec::new();
    check_golden("shop.yaml", &stdout, &mut stale);
    check_golden("shop.untranslated.txt", &stderr, &mut stale);
    assert!(
        stale.is_empty(),
        "{}\nhint: if the change is intended, run `MSCTL_BLESS=1 cargo nextest run -E 'test(/export::/)'` and review the diff",
        stale.join("\n")
    );
}

/// The shop's list names what matters most when moving it: its network segmentation,
/// its startup order and the rollback it relies on.
#[test]
fn the_shop_untranslated_list_names_segmentation_order_and_rollback() {
    let (_, stderr) = export_shop();
    for line in [
        "network services: (isolation) — ",
        "network payments: (isolation) — ",
        "service orders: depends_on — ",
        "service orders: deploy.update_config.failure_action — rollback: ",
        "service gateway: ports — 8080:8080 is published on 127.0.0.1 only",
    ] {
        assert!(
            stderr.lines().any(|l| l.starts_with(line)),
            "no `{line}` in:\n{stderr}"
        );
    }
}

/// The shop's segmentation survives: payments takes connections from orders (and its own
/// replicas) only, and reaches nothing but them and the cluster DNS; the gateway, on a
/// network with a way out, may call out.
#[test]
fn the_shop_network_policies_keep_payments_apart() {
    let (stdout, _) = export_shop();
    let policy = |name: &str| -> serde_json::Value {
        documents(&stdout)
            .iter()
            .map(|d| serde_norway::from_str::<serde_json::Value>(d).expect("yaml"))
            .find(|v| v["kind"] == "NetworkPolicy" && v["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no NetworkPolicy {name}"))
    };
    let names = |peers: &serde_json::Value| -> Vec<String> {
        peers
            .as_array()
            .expect("peers")
            .iter()
            .filter_map(|p| p["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str())
            .map(str::to_string)
            .collect()
    };
    let payments = policy("payments");
    assert_eq!(
        names(&payments["spec"]["ingress"][0]["from"]),
        ["orders", "payments"]
    );
    assert_eq!(
        names(&payments["spec"]["egress"][0]["to"]),
        ["orders", "payments"]
    );
    assert_eq!(
        payments["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    let gateway = policy("gateway");
    assert_eq!(
        gateway["spec"]["policyTypes"],
        serde_json::json!(["Ingress"])
    );
    assert!(
        !names(&gateway["spec"]["ingress"][0]["from"]).contains(&"payments".to_string()),
        "{gateway}"
    );
}

const AUTOSCALED: &str = r#"
services:
  web:
    image: example/web:1
    ports: ["80:8080"]
    volumes: ["./site:/srv:ro", "cache:/cache"]
    deploy:
      resources:
        reservations: {cpus: "0.5"}
      update_config: {parallelism: 2, order: stop-first}
    x-msctl:
      autoscale: {min: 2, max: 6, cpu_percent: 60}
volumes:
  cache: {}
"#;

/// Autoscaling, a published port and a bind mount: the autoscaler's target is the same
/// load relative to the CPU request, the Service is a LoadBalancer on the target port,
/// a stop-first update takes pods down before adding, and the bind mount is listed.
#[test]
fn an_autoscaled_service_gets_an_autoscaler_scaled_to_its_cpu_request() {
    let dir = project(AUTOSCALED);
    let (code, stdout, stderr) = run(msctl(dir.path()).args(["export", "kubernetes"]));
    assert_eq!(code, 0, "{stderr}");
    let docs = documents(&stdout);
    let find = |kind: &str| -> serde_json::Value {
        docs.iter()
            .map(|d| serde_norway::from_str::<serde_json::Value>(d).expect("yaml"))
            .find(|v| v["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in:\n{stdout}"))
    };
    let hpa = find("HorizontalPodAutoscaler");
    assert_eq!(hpa["spec"]["minReplicas"], 2);
    assert_eq!(hpa["spec"]["maxReplicas"], 6);
    assert_eq!(
        hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 120,
        "60% of one CPU is 120% of a 0.5 CPU request"
    );
    let deployment = find("Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2, "autoscale.min");
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"],
        serde_json::json!({"maxSurge": 0, "maxUnavailable": 2})
    );
    let service = find("Service");
    assert_eq!(service["spec"]["type"], "LoadBalancer");
    assert_eq!(service["spec"]["ports"][0]["port"], 8080);
    assert!(
        stderr.contains("service web: volumes — the bind mount of"),
        "{stderr}"
    );
    assert!(
        stderr.contains("service web: ports — published port 80 differs from its target 8080"),
        "{stderr}"
    );
}

/// `-o DIR` writes one file per object, named after its kind and name, each the same
/// document as in the stream.
#[test]
fn output_dir_gets_one_file_per_object() {
    let dir = shop();
    let out = dir.path().join("k8s");
    let (code, stdout, stderr) = run(msctl(dir.path()).args([
        "export",
        "kubernetes",
        "-o",
        out.to_str().expect("utf-8 path"),
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "", "nothing on stdout with -o");
    let (_, stream, _) = run(msctl(dir.path()).args(["export", "kubernetes"]));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("the directory was created")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), documents(&stream).len(), "{files:?}");
    assert!(
        files.contains(&"deployment-orders.yaml".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"secret-token-key.yaml".to_string()),
        "{files:?}"
    );
    let orders = std::fs::read_to_string(out.join("deployment-orders.yaml")).expect("read");
    assert!(
        documents(&stream).contains(&orders.as_str()),
        "the file differs from its document in the stream"
    );
}

#[test]
fn output_dir_that_is_not_empty_is_refused() {
    let dir = shop();
    let out = dir.path().join("k8s");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("keep.txt"), "mine").expect("write");
    let (code, stdout, stderr) = run(msctl(dir.path()).args([
        "export",
        "kubernetes",
        "-o",
        out.to_str().expect("utf-8 path"),
    ]));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert!(
        stderr.contains("hint: give `-o` a new directory"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&out).expect("dir").collect();
    assert_eq!(left.len(), 1, "nothing was written next to keep.txt");
}

#[test]
fn a_missing_secret_file_fails_with_the_secret_and_path() {
    let dir = shop();
    std::fs::remove_file(dir.path().join("secrets/token-key")).expect("rm");
    let (code, stdout, stderr) = run(msctl(dir.path()).args(["export", "kubernetes"]));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("cannot read secret `token_key` from `") && stderr.contains("token-key"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
}

/// Every valid fixture exports, and each of its objects reads back strictly: the keys
/// the fixtures cover (container keys, hooks, ports, volumes, networks, probes, deploy)
/// all give valid objects or an entry in the list, never an error or a panic.
#[test]
fn every_valid_fixture_exports_objects_that_read_back_strictly() {
    use msctl::export::{kubernetes, Sources};
    use msctl::manifest::{load, LoadOptions};

    let dir = repo_root().join("tests/fixtures/valid");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/valid")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    let mut objects = 0;
    for path in &paths {
        let (cwd, files) = if path.is_dir() {
            (path.clone(), Vec::new())
        } else {
            (
                path.parent().expect("parent").to_path_buf(),
                vec![path.clone()],
            )
        };
        let options = LoadOptions {
            files,
            cwd,
            environment: std::collections::BTreeMap::from([(
                "HOME".to_string(),
                "/home/test".to_string(),
            )]),
            ..LoadOptions::default()
        };
        let loaded =
            load(&options).unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
        let project = &loaded.project;
        // Fixed contents: the fixtures' secret files need not exist.
        let sources = Sources {
            secrets: project
                .secrets
                .keys()
                .map(|k| (k.clone(), b"secret".to_vec()))
                .collect(),
            configs: project
                .configs
                .keys()
                .map(|k| (k.clone(), b"config".to_vec()))
                .collect(),
        };
        let export = kubernetes::export(project, &sources)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for object in &export.objects {
            let yaml = object.to_yaml().expect("yaml");
            match object {
                kubernetes::Object::Deployment(_) => assert_round_trips::<Deployment>(&yaml),
                kubernetes::Object::Service(_) => assert_round_trips::<Service>(&yaml),
                kubernetes::Object::NetworkPolicy(_) => assert_round_trips::<NetworkPolicy>(&yaml),
                kubernetes::Object::HorizontalPodAutoscaler(_) => {
                    assert_round_trips::<HorizontalPodAutoscaler>(&yaml)
                }
                kubernetes::Object::PersistentVolumeClaim(_) => {
                    assert_round_trips::<PersistentVolumeClaim>(&yaml)
                }
                kubernetes::Object::Secret(_) => assert_round_trips::<Secret>(&yaml),
                kubernetes::Object::ConfigMap(_) => assert_round_trips::<ConfigMap>(&yaml),
            }
            objects += 1;
        }
    }
    assert!(
        objects >= 50,
        "only {objects} objects from {} fixtures",
        paths.len()
    );
}

/// The container keys real-world files use and a pod has no field for are each listed
/// under their service, so moving such a file shows what it loses.
#[test]
fn container_keys_without_a_pod_field_are_listed() {
    let fixtures = repo_root().join("tests/fixtures/valid");
    let (code, _, stderr) = run(msctl(&fixtures).env("FIXTURE_TAG", "1").args([
        "-q",
        "-f",
        "container-keys.yaml",
        "export",
        "kubernetes",
    ]));
    assert_eq!(code, 0, "{stderr}");
    for entry in [
        "service proxy: logging — ",
        "service proxy: sysctls — ",
        "service proxy: ulimits — ",
        "service proxy: container_name — ",
        "service proxy: links — ",
        "service proxy: volumes — the bind mount of ",
        "service exporter: devices — ",
        "service exporter: network_mode — ",
        "service exporter: pid — ",
        "service app: shm_size — ",
        "service app: dns — ",
        "service cache: ipc — ",
    ] {
        assert!(
            stderr.lines().any(|l| l.starts_with(entry)),
            "no `{entry}` in:\n{stderr}"
        );
    }
}
