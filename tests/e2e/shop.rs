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
    let port = free_port();
    (project, port)
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

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
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
