//! The shop on the real engine, through the gateway only: the order flow, scaling orders,
//! logs of every replica, data surviving down/up, and durability while payments is down.
//!
//! These tests build the five services with msctl's cargo builder (static binaries in
//! scratch images), so the first one pays for a release build of the workspace.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::support::TestProject;

/// The token signing key of the test shops.
pub const TOKEN_KEY: &str = "e2e-token-key-0123456789abcdef0123456789abcdef";
/// The credentials of the services that call others (`manifests/secrets/identity-*`).
pub const ORDERS_IDENTITY: &str = "e2e-orders-identity-0123456789abcdef";
pub const PAYMENTS_IDENTITY: &str = "e2e-payments-identity-0123456789abcdef";

/// A project on the repository's shop manifest, under its own name and host port, with
/// its own secrets in the project directory.
pub fn shop(hint: &str) -> (TestProject, u16) {
    let root = env!("CARGO_MANIFEST_DIR");
    let yaml = std::fs::read_to_string(format!("{root}/manifests/compose.yaml")).expect("manifest");
    // Paths in the manifest are relative to manifests/: point them at the repository,
    // and the secrets at the project directory.
    let yaml = yaml
        .replace("workspace: ..", &format!("workspace: {root}"))
        .replace("file: ./secrets/", "file: ./")
        .replace("name: shop\n", "");
    let project = TestProject::new(hint, &yaml);
    project.write_file("token-key", TOKEN_KEY);
    for (service, token) in [("orders", ORDERS_IDENTITY), ("payments", PAYMENTS_IDENTITY)] {
        project.write_file(&format!("identity-{service}"), token);
        // What scripts/bootstrap writes: `sha256sum` of the token.
        let digest: String = Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        project.write_file(
            &format!("identity-{service}.sha256"),
            &format!("{digest}\n"),
        );
    }
    let port = super::support::free_port();
    (project, port)
}

/// A new image under the name of `service`'s image, made from it (so it carries the
/// digest of the current build inputs: `up` takes it as built), whose process never
/// listens: its health check fails.
pub fn replace_with_a_never_listening_image(project: &TestProject, service: &str) {
    let image = format!("{}-{service}", project.name());
    std::fs::create_dir_all(project.dir().join("bad")).expect("a build context");
    std::fs::copy("/bin/busybox", project.dir().join("bad/busybox")).expect("busybox");
    project.write_file(
        "bad/Dockerfile",
        &format!(
            "FROM {image}\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\", \"sleep\", \"3600\"]\n"
        ),
    );
    let built = std::process::Command::new("docker")
        .args(["build", "-q", "-t", &image])
        .arg(project.dir().join("bad"))
        .output()
        .expect("docker build");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
}

/// The header a service's credential travels in, as `(name, value)`.
pub fn credential(service: &str, token: &str) -> (&'static str, String) {
    ("X-Service-Credential", format!("{service}:{token}"))
}

/// `msctl up` of the shop on `port`, asserting it succeeded; returns its stderr.
pub fn up(project: &TestProject, port: u16) -> String {
    let out = project
        .command(&["up", "--timeout", "1500"])
        .env("SHOP_PORT", port.to_string())
        .output()
        .expect("msctl up");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// The address of a replica on its first network: the tests reach services the gateway
/// does not route to there, from the host.
pub fn address_of(project: &TestProject, container_id: &str) -> String {
    project
        .inspect(container_id)
        .ip_addresses
        .values()
        .next()
        .expect("an address")
        .clone()
}

/// A small HTTP/1.1 client: (status, body).
pub fn http(
    method: &str,
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    http_to("127.0.0.1", port, method, path, headers, body)
}

pub fn http_to(
    host: &str,
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect((host, port)) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    if stream.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = match text.split_once("\r\n\r\n") {
        Some((head, rest))
            if head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked") =>
        {
            dechunk(rest)
        }
        Some((_, rest)) => rest.to_string(),
        None => String::new(),
    };
    (status, body)
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Register and log in a customer; returns the bearer token.
pub fn customer(port: u16, email: &str) -> String {
    let body = format!(r#"{{"email":"{email}","password":"correct horse battery"}}"#);
    let (status, text) = http("POST", port, "/api/users/register", &[], &body);
    assert_eq!(status, 201, "register: {text}");
    let (status, text) = http("POST", port, "/api/users/login", &[], &body);
    assert_eq!(status, 200, "login: {text}");
    json(&text)["token"].as_str().expect("token").to_string()
}

pub fn place_order(port: u16, token: &str, key: &str, product_id: i64) -> (u16, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let body = format!(r#"{{"items":[{{"product_id":{product_id},"quantity":1}}]}}"#);
    let (status, text) = http(
        "POST",
        port,
        "/api/orders/orders",
        &[("Authorization", &auth), ("Idempotency-Key", key)],
        &body,
    );
    (
        status,
        if text.is_empty() {
            serde_json::Value::Null
        } else {
            json(&text)
        },
    )
}

pub fn order_status(port: u16, token: &str, id: &serde_json::Value) -> String {
    let auth = format!("Bearer {token}");
    let id = id
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| id.to_string());
    let (status, text) = http(
        "GET",
        port,
        &format!("/api/orders/orders/{id}"),
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(status, 200, "{text}");
    json(&text)["status"].as_str().unwrap_or("").to_string()
}

pub fn first_product(port: u16) -> i64 {
    let (status, text) = http("GET", port, "/api/products/products", &[], "");
    assert_eq!(status, 200, "{text}");
    let products = json(&text);
    let list = products
        .as_array()
        .or_else(|| products["products"].as_array())
        .expect("a list of products");
    assert!(!list.is_empty(), "the catalogue is seeded");
    list.iter()
        .find(|p| p["stock"].as_i64().unwrap_or(0) > 100)
        .or(list.first())
        .and_then(|p| p["id"].as_i64())
        .expect("a product id")
}

#[test]
fn the_order_flow_through_the_gateway_scales_logs_and_survives_down_up() {
    let (project, port) = shop("shop-flow");
    let stderr = up(&project, port);
    // Bound to the loopback address only (SHOP_ADDRESS).
    assert!(
        stderr.contains(&format!("published at http://127.0.0.1:{port}")),
        "{stderr}"
    );

    // Images are small: a static binary in a scratch image.
    for service in ["users", "products", "orders", "payments", "gateway"] {
        let image = format!("{}-{service}", project.name());
        let out = std::process::Command::new("docker")
            .args(["image", "inspect", "-f", "{{.Size}}", &image])
            .output()
            .expect("docker image inspect");
        let size: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(u64::MAX);
        assert!(size < 20 * 1024 * 1024, "{image} is {size} bytes");
    }

    let token = customer(port, "alice@example.com");
    let product = first_product(port);
    let (status, order) = place_order(port, &token, "order-1", product);
    assert_eq!(status, 201, "{order}");
    let id = order["id"].clone();
    project.wait_for("the order to be paid", Duration::from_secs(30), || {
        order_status(port, &token, &id) == "paid"
    });

    // Three orders replicas share the load.
    project.msctl_ok(&["scale", "orders=3"]);
    let orders = project.replicas("orders");
    assert_eq!(orders.len(), 3);
    let auth = format!("Bearer {token}");
    // The gateway re-resolves a service's addresses every second (DNS_TTL).
    std::thread::sleep(Duration::from_millis(1500));
    for _ in 0..60 {
        let (status, text) = http(
            "GET",
            port,
            "/api/orders/orders",
            &[("Authorization", &auth)],
            "",
        );
        assert_eq!(status, 200, "{text}");
    }
    for replica in &orders {
        let ip = address_of(&project, &replica.id);
        let (status, metrics) = http_to(&ip, 8080, "GET", "/metrics", &[], "");
        assert_eq!(status, 200);
        let served: f64 = metrics
            .lines()
            .filter(|l| {
                !l.starts_with('#')
                    && l.contains("/orders")
                    && l.contains("GET")
                    && !l.contains("bucket")
            })
            .filter(|l| l.contains("_total") || l.contains("requests"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert!(
            served > 0.0,
            "{} served no request:\n{metrics}",
            replica.name
        );
    }
    let logs = project.msctl_ok(&["logs", "orders"]);
    for n in 1..=3 {
        assert!(
            logs.contains(&format!("orders-{n} |")),
            "no lines from orders-{n}"
        );
    }

    // Data lives on the volumes: down (keeping them) and up again, the order is there.
    project.msctl_ok(&["down"]);
    up(&project, port);
    let token = {
        let body = r#"{"email":"alice@example.com","password":"correct horse battery"}"#;
        let (status, text) = http("POST", port, "/api/users/login", &[], body);
        assert_eq!(status, 200, "{text}");
        json(&text)["token"].as_str().expect("token").to_string()
    };
    assert_eq!(order_status(port, &token, &id), "paid");
    project.msctl_ok(&["down", "--volumes"]);
}

#[test]
fn orders_accepted_while_payments_is_down_are_all_paid_once_it_returns() {
    let (project, port) = shop("shop-durable");
    up(&project, port);
    let token = customer(port, "bob@example.com");
    let product = first_product(port);
    let payments = project.replicas("payments").remove(0);
    let stopped = std::process::Command::new("docker")
        .args(["stop", &payments.id])
        .status()
        .expect("docker stop");
    assert!(stopped.success());

    let mut ids = Vec::new();
    for n in 0..20 {
        let (status, order) = place_order(port, &token, &format!("durable-{n}"), product);
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["status"], "pending");
        ids.push(order["id"].clone());
    }
    let started = std::process::Command::new("docker")
        .args(["start", &payments.id])
        .status()
        .expect("docker start");
    assert!(started.success());
    project.wait_for("all 20 orders to be paid", Duration::from_secs(30), || {
        ids.iter()
            .all(|id| order_status(port, &token, id) == "paid")
    });

    // Each order charged exactly once: payments' own record, read through its API as
    // orders reads it (payments answers nobody else).
    let ip = address_of(&project, &payments.id);
    let (header, value) = credential("orders", ORDERS_IDENTITY);
    for id in &ids {
        let (status, text) = http_to(
            &ip,
            8080,
            "GET",
            &format!(
                "/charges/{}",
                id.as_str().map(str::to_string).unwrap_or(id.to_string())
            ),
            &[(header, &value)],
            "",
        );
        assert_eq!(status, 200, "{text}");
    }
    let (_, metrics) = http_to(&ip, 8080, "GET", "/metrics", &[], "");
    let charges: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("payments_charges_attempted_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(charges, 20.0, "each order charged exactly once:\n{metrics}");
    project.msctl_ok(&["down", "--volumes"]);
}

#[test]
fn every_order_the_gateway_acknowledged_survives_an_orders_replica_being_killed() {
    let (project, port) = shop("shop-kill");
    up(&project, port);
    let token = customer(port, "carol@example.com");
    let product = first_product(port);
    let victim = project.replicas("orders").remove(0);

    let acknowledged = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let token = &token;
            let acknowledged = &acknowledged;
            scope.spawn(move || {
                for n in 0..15 {
                    let (status, order) =
                        place_order(port, token, &format!("burst-{worker}-{n}"), product);
                    if status == 201 || status == 200 {
                        acknowledged.lock().expect("ids").push(order["id"].clone());
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(150));
        let killed = std::process::Command::new("docker")
            .args(["kill", &victim.id])
            .status()
            .expect("docker kill");
        assert!(killed.success());
    });
    let acknowledged = acknowledged.into_inner().expect("ids");
    assert!(!acknowledged.is_empty(), "some orders were acknowledged");
    for id in &acknowledged {
        let auth = format!("Bearer {token}");
        let id = id
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| id.to_string());
        let (status, text) = http(
            "GET",
            port,
            &format!("/api/orders/orders/{id}"),
            &[("Authorization", &auth)],
            "",
        );
        assert_eq!(status, 200, "acknowledged order {id} is gone: {text}");
    }
    project.msctl_ok(&["down", "--volumes"]);
}

/// What a products replica logs of the requests it served, with the engine's receive
/// time, gathered from `docker logs --follow` until the container is gone.
struct RequestLog {
    lines: std::sync::Arc<std::sync::Mutex<Vec<(i64, String)>>>,
    child: std::process::Child,
}

impl RequestLog {
    fn follow(container_id: &str) -> RequestLog {
        use std::io::BufRead;
        let mut child = std::process::Command::new("docker")
            .args(["logs", "--follow", "--timestamps", container_id])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("docker logs");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("stdout"));
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("stderr"));
        for stream in [stdout, stderr] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                {
                    let Some((stamp, text)) = line.split_once(' ') else {
                        continue;
                    };
                    if let Some(at) = msctl::engine::parse_rfc3339_nanos(stamp) {
                        lines.lock().expect("lines").push((at, text.to_string()));
                    }
                }
            });
        }
        RequestLog { lines, child }
    }

    /// When it served a request for the product list, in nanoseconds since the epoch.
    fn list_requests(&self) -> Vec<i64> {
        self.lines
            .lock()
            .expect("lines")
            .iter()
            .filter(|(_, text)| text.contains("\"route\":\"/products\"") && text.contains("GET"))
            .map(|(at, _)| *at)
            .collect()
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The engine's verdict time of a container turning unhealthy: the end of the health
/// check that made it so, in nanoseconds since the epoch; `None` while it is not.
fn unhealthy_since(container_id: &str) -> Option<i64> {
    let output = std::process::Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{json .State.Health}}",
            container_id,
        ])
        .output()
        .ok()?;
    let health: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    if health["Status"] != "unhealthy" {
        return None;
    }
    let end = health["Log"].as_array()?.last()?["End"]
        .as_str()?
        .to_string();
    msctl::engine::parse_rfc3339_nanos(&end)
}

#[test]
fn while_a_products_replica_is_unhealthy_no_request_through_the_gateway_reaches_it() {
    let (project, port) = shop("shop-gate");
    // Three products replicas whose health check an operator can fail by hand (a file in
    // /tmp), with busybox lent to them for it; self-heal on, as after a plain `up`.
    project.write_file(
        "compose.override.yaml",
        r#"services:
  products:
    deploy: {replicas: 3}
    volumes: ["/bin/busybox:/bin/busybox:ro"]
    healthcheck:
      test: [CMD, /bin/busybox, test, "!", -e, /tmp/unready]
      interval: 1s
      retries: 3
"#,
    );
    let guard = super::control::ControlPlaneGuard::new(&project);
    let out = super::control::healing(&project, &["up", "--timeout", "1500"])
        .env("SHOP_PORT", port.to_string())
        .output()
        .expect("msctl up");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut products = project.replicas("products");
    products.sort_by_key(|r| r.name.clone());
    assert_eq!(products.len(), 3);
    let victim = products[1].clone();
    let log = RequestLog::follow(&victim.id);

    // A client reads the catalogue through the gateway, about 50 times a second.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (ok, failed) = (
        std::sync::atomic::AtomicUsize::new(0),
        std::sync::atomic::AtomicUsize::new(0),
    );
    let unhealthy_at = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, _) = http("GET", port, "/api/products/products", &[], "");
                let counter = if status == 200 { &ok } else { &failed };
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        // Stops the client however this ends: a failed wait would otherwise leave the
        // scope waiting for it forever.
        struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let _stop = StopOnDrop(&stop);
        project.wait_for(
            "the victim to serve some requests",
            Duration::from_secs(20),
            || log.list_requests().len() >= 3,
        );
        let status = std::process::Command::new("docker")
            .args(["exec", &victim.id, "/bin/busybox", "touch", "/tmp/unready"])
            .status()
            .expect("docker exec");
        assert!(status.success());
        let mut unhealthy_at = None;
        project.wait_for(
            "the engine to call it unhealthy",
            Duration::from_secs(30),
            || {
                unhealthy_at = unhealthy_since(&victim.id);
                unhealthy_at.is_some()
            },
        );
        // Replaced: a new replica 2, serving.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !super::control::events(&project).iter().any(|e| {
            e.kind == "serving"
                && e.replica == victim.name
                && e.at_ms * 1_000_000 > unhealthy_at.unwrap_or(0)
        }) {
            assert!(
                std::time::Instant::now() < deadline,
                "no replacement served within 60 s; events:\n{}\ncontrol plane log:\n{}",
                super::control::events(&project)
                    .iter()
                    .map(|e| format!("{} {} {} {}", e.at_ms, e.replica, e.kind, e.message))
                    .collect::<Vec<_>>()
                    .join("\n"),
                std::fs::read_to_string(project.state_dir().join("control.log"))
                    .unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        std::thread::sleep(Duration::from_secs(1));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        unhealthy_at.expect("unhealthy")
    });

    let served = log.list_requests();
    let late: Vec<&i64> = served.iter().filter(|at| **at >= unhealthy_at).collect();
    eprintln!(
        "the victim served {} catalogue reads, {} of them after it turned unhealthy; the client had {} answered, {} failed",
        served.len(),
        late.len(),
        ok.load(std::sync::atomic::Ordering::Relaxed),
        failed.load(std::sync::atomic::Ordering::Relaxed)
    );
    assert!(
        late.is_empty(),
        "{} of {} requests reached the replica after it turned unhealthy at {unhealthy_at}: {late:?}",
        late.len(),
        served.len()
    );
    let replicas = project.replicas("products");
    assert_eq!(replicas.len(), 3);
    assert!(
        replicas.iter().all(|r| r.id != victim.id),
        "the unhealthy replica was replaced"
    );
    let story = super::control::events(&project);
    assert!(
        story
            .iter()
            .any(|e| e.kind == "withdrawn" && e.replica == victim.name),
        "{story:?}\ncontrol plane log:\n{}",
        std::fs::read_to_string(project.state_dir().join("control.log")).unwrap_or_default()
    );
    let (ok, failed) = (ok.into_inner(), failed.into_inner());
    assert!(ok > 100, "{ok} reads answered, {failed} failed");
    // A read the victim was serving when it left the network is asked of another
    // replica; the service kept answering throughout.
    assert!(
        failed * 100 <= ok,
        "{failed} reads failed of {}",
        ok + failed
    );
    project.msctl_ok(&["down", "--volumes"]);
    drop(guard);
}
