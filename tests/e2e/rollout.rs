//! Changing the shop without downtime: a rolling update of orders (3 replicas,
//! start-first) under steady load through the gateway fails no request; a new orders
//! image whose health check fails is rolled back by itself, fails no request either,
//! and `up` exits 1 saying why. Self-heal is on: a new replica takes the service's
//! name only once ready.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::control::{healing, ControlPlaneGuard};
use super::shop::{customer, http, place_order, shop};
use super::support::TestProject;

/// orders at 3 replicas, checked every second, rolled one at a time (start-first,
/// watched for 3 s, rolled back on failure: the shop's own settings, quicker).
const OVERRIDE: &str = r#"services:
  orders:
    deploy:
      replicas: 3
      update_config: {parallelism: 1, order: start-first, monitor: 3s, failure_action: rollback}
      rollback_config: {parallelism: 1, order: start-first, monitor: 1s}
    healthcheck: {interval: 1s, retries: 3, start_period: 3s}
"#;

/// A client of the shop through the gateway: reads of the catalogue and of the
/// customer's orders, and orders placed with an Idempotency-Key, together well over 50
/// requests a second; every answer that is not a success is kept.
struct Load {
    stop: AtomicBool,
    ok: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

impl Load {
    fn new() -> Load {
        Load {
            stop: AtomicBool::new(false),
            ok: AtomicUsize::new(0),
            failures: Mutex::new(Vec::new()),
        }
    }

    fn run(&self, port: u16, token: &str, product: i64, worker: usize) {
        let auth = format!("Bearer {token}");
        let mut n = 0;
        while !self.stop.load(Ordering::Relaxed) {
            n += 1;
            // Mostly reads; one request in eight places an order, so the stock of the
            // product (the largest in the catalogue) lasts however fast this runs.
            let (what, status, body) = match n % 8 {
                0..=3 => {
                    let (status, body) = http("GET", port, "/api/products/products", &[], "");
                    ("GET products", status, body)
                }
                4..=6 => {
                    let (status, body) = http(
                        "GET",
                        port,
                        "/api/orders/orders",
                        &[("Authorization", &auth)],
                        "",
                    );
                    ("GET orders", status, body)
                }
                _ => {
                    let (status, body) =
                        place_order(port, token, &format!("load-{worker}-{n}"), product);
                    ("POST order", status, body.to_string())
                }
            };
            if (200..300).contains(&status) {
                self.ok.fetch_add(1, Ordering::Relaxed);
            } else {
                self.failures
                    .lock()
                    .expect("failures")
                    .push(format!("{what}: {status} {body}"));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

/// Sets the stop flag however the scope ends, so a failed assertion does not leave the
/// client threads running forever.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn ids(project: &TestProject, service: &str) -> Vec<String> {
    let mut ids: Vec<String> = project
        .replicas(service)
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    ids
}

/// Runs `change` (an `up`) under load; returns the `up`'s output, the number of
/// successful requests, their rate, and the failures.
fn under_load(
    project: &TestProject,
    port: u16,
    change: impl FnOnce() -> std::process::Output,
) -> (std::process::Output, usize, f64, Vec<String>) {
    let token = customer(port, &format!("load-{}@example.com", project.name()));
    let product = largest_stock(port);
    let load = Load::new();
    let started = std::time::Instant::now();
    let output = std::thread::scope(|scope| {
        let _stop = StopOnDrop(&load.stop);
        for worker in 0..8 {
            let (load, token) = (&load, &token);
            scope.spawn(move || load.run(port, token, product, worker));
        }
        std::thread::sleep(Duration::from_secs(2));
        let output = change();
        std::thread::sleep(Duration::from_secs(2));
        output
    });
    let ok = load.ok.load(Ordering::Relaxed);
    let rate = ok as f64 / started.elapsed().as_secs_f64();
    let failures = load.failures.into_inner().expect("failures");
    eprintln!(
        "load during the change: {ok} requests answered, {} failed, {rate:.1} a second",
        failures.len()
    );
    (output, ok, rate, failures)
}

/// The product with the most stock.
fn largest_stock(port: u16) -> i64 {
    let (status, text) = http("GET", port, "/api/products/products", &[], "");
    assert_eq!(status, 200, "{text}");
    let products: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    products
        .as_array()
        .expect("a list of products")
        .iter()
        .max_by_key(|p| p["stock"].as_i64().unwrap_or(0))
        .and_then(|p| p["id"].as_i64())
        .expect("a product")
}

fn up(project: &TestProject, port: u16) -> std::process::Output {
    healing(project, &["up", "--timeout", "1500"])
        .env("SHOP_PORT", port.to_string())
        .output()
        .expect("msctl up")
}

#[test]
fn a_rolling_update_of_orders_under_load_fails_no_request() {
    let (project, port) = shop("roll-ok");
    project.write_file("compose.override.yaml", OVERRIDE);
    let guard = ControlPlaneGuard::new(&project);
    let first = up(&project, port);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = ids(&project, "orders");
    assert_eq!(before.len(), 3);

    // A new setting for orders: each replica is replaced.
    project.write_file(
        "compose.override.yaml",
        &OVERRIDE.replace(
            "  orders:\n",
            "  orders:\n    environment: {ROLLOUT: \"2\"}\n",
        ),
    );
    let (output, ok, rate, failures) = under_load(&project, port, || up(&project, port));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {failures:?}",
        failures.len(),
        ok + failures.len()
    );
    assert!(rate >= 50.0, "only {rate:.1} requests a second");
    let after = ids(&project, "orders");
    assert_eq!(after.len(), 3);
    assert!(
        after.iter().all(|id| !before.contains(id)),
        "every orders replica was replaced"
    );
    assert!(
        stderr.contains("rolling out `orders-1` (start-first)"),
        "{stderr}"
    );

    let history = project.msctl_ok(&["history", "orders"]);
    let last = history.lines().last().unwrap_or_default();
    assert!(
        last.contains("completed") && last.contains(" 3 "),
        "{history}"
    );
    project.msctl_ok(&["down", "--volumes"]);
    drop(guard);
}

#[test]
fn a_new_orders_image_that_fails_its_health_check_is_rolled_back_under_load() {
    let (project, port) = shop("roll-back");
    project.write_file("compose.override.yaml", OVERRIDE);
    let guard = ControlPlaneGuard::new(&project);
    let first = up(&project, port);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = ids(&project, "orders");

    // A new orders image whose process never listens: its health check fails.
    super::shop::replace_with_a_never_listening_image(&project, "orders");

    let (output, ok, rate, failures) = under_load(&project, port, || up(&project, port));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the rollout of service `orders` rolled back")
            && stderr.contains("orders-1"),
        "{stderr}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {failures:?}",
        failures.len(),
        ok + failures.len()
    );
    assert!(rate >= 50.0, "only {rate:.1} requests a second");
    assert_eq!(
        ids(&project, "orders"),
        before,
        "the old replicas never stopped"
    );

    let history = project.msctl_ok(&["history", "orders"]);
    let last = history.lines().last().unwrap_or_default();
    assert!(last.contains("rolled back"), "{history}");
    let json = project.msctl_ok(&["--format", "json", "history", "orders"]);
    let record: serde_json::Value =
        serde_json::from_str(json.lines().last().expect("a rollout")).expect("JSON");
    assert_eq!(record["outcome"], "rolled back");
    assert_ne!(record["from_image"], record["to_image"], "{record}");
    project.msctl_ok(&["down", "--volumes"]);
    drop(guard);
}
