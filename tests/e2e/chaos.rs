//! Issue 5's chaos and memory acceptance lines, on the real engine: the shop at 20
//! replicas with self-heal on, a client placing orders through the gateway for three
//! minutes while a replica of any service is SIGKILLed every 5-10 s. No acknowledged order
//! may be lost, the success rate is reported (goal >= 99%), and the control plane's
//! resident memory stays under 50 MB.
//!
//! The summary line goes to stderr and to `target/chaos-report.txt`.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use msctl::control::process;
use msctl::engine::Engine;
use msctl::plan::{ContainerState, Health};

use super::shop::{customer, http, json, shop};
use super::support::{block_on, engine, service_of, TestProject};

/// How long the replicas are killed while orders are placed.
const CHAOS: Duration = Duration::from_secs(180);
/// The replicas of each service: 20 in all. The gateway publishes a host port, so it
/// stays at one; the others share their database file on their volume (SQLite in WAL
/// mode, made for several replicas).
const REPLICAS: [(&str, usize); 5] = [
    ("gateway", 1),
    ("orders", 6),
    ("products", 5),
    ("users", 4),
    ("payments", 4),
];
/// The control plane's resident memory bound.
const MAX_RSS_KB: u64 = 50 * 1024;
/// The success rate the issue asks for.
const GOAL: f64 = 0.99;
/// The client's pause between two orders: unpaced, it places about 45 orders a second
/// here and sells the whole seeded catalogue (8,370 items) out within three minutes,
/// which would be failures (409, out of stock) that have nothing to do with the kills.
const PACE: Duration = Duration::from_millis(40);

/// `msctl ARGS...` for the shop with self-heal on, the API on a free loopback port,
/// quick resyncs and the shop's host port.
fn healing(project: &TestProject, port: u16, args: &[&str]) -> Command {
    let mut command = project.command(args);
    command
        .env("SHOP_PORT", port.to_string())
        .env("MSCTL_SELF_HEAL", "1")
        .env("MSCTL_API_ADDR", "127.0.0.1:0")
        .env("MSCTL_RESYNC_INTERVAL", "1");
    command
}

fn run_ok(mut command: Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "`{what}` failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Stops the project's control plane when the test ends, passed or failed. Declared
/// after the [`TestProject`], it drops first, so nothing recreates what the clean-up
/// removes.
struct ControlPlaneGuard<'a>(&'a TestProject);

impl Drop for ControlPlaneGuard<'_> {
    fn drop(&mut self) {
        super::support::kill_control_plane(&self.0.state_dir());
    }
}

/// The control plane's resident set in kB (`VmRSS`), if it runs.
fn control_rss_kb(project: &TestProject) -> Option<u64> {
    let running = process::running(&project.state_dir()).ok()??;
    let status = std::fs::read_to_string(format!("/proc/{}/status", running.pid)).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// A small xorshift generator: the test needs no more, and prints its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Whether every service has its replicas running and healthy.
fn all_ready(project: &TestProject) -> bool {
    let containers = project.containers();
    REPLICAS.iter().all(|(service, count)| {
        let ready = containers
            .iter()
            .filter(|c| service_of(c) == Some(service))
            .filter(|c| c.state == ContainerState::Running && c.health == Health::Healthy)
            .count();
        ready == *count
    })
}

fn id_text(id: &serde_json::Value) -> String {
    id.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| id.to_string())
}

/// What the client saw.
#[derive(Default)]
struct ClientTally {
    /// Orders tried (each with its own Idempotency-Key, retried a few times).
    orders: u64,
    /// HTTP requests sent, retries included.
    requests: u64,
    /// Orders acknowledged only after a retry.
    retried: u64,
    /// Acknowledged orders: (key, id).
    acknowledged: Vec<(String, String)>,
    /// Orders given up on: (key, when it was first sent in seconds of chaos, the status
    /// of each attempt, the last body).
    failed: Vec<(String, f64, Vec<u16>, String)>,
    /// Orders acknowledged after a retry: (key, when, the status of each attempt).
    recovered: Vec<(String, f64, Vec<u16>)>,
    /// Statuses of requests that were not acknowledged, with their counts.
    statuses: BTreeMap<u16, u64>,
}

#[test]
fn three_minutes_of_random_kills_lose_no_acknowledged_order() {
    let started = Instant::now();
    let (project, port) = shop("chaos");
    let guard = ControlPlaneGuard(&project);
    run_ok(
        healing(&project, port, &["up", "--timeout", "1500"]),
        "msctl up",
    );
    let targets: Vec<String> = REPLICAS
        .iter()
        .map(|(service, count)| format!("{service}={count}"))
        .collect();
    let mut scale = vec!["scale"];
    scale.extend(targets.iter().map(String::as_str));
    run_ok(healing(&project, port, &scale), "msctl scale");
    project.wait_for("20 ready replicas", Duration::from_secs(120), || {
        all_ready(&project)
    });
    assert_eq!(project.containers().len(), 20);
    assert!(control_rss_kb(&project).is_some(), "a control plane runs");

    let token = customer(port, "chaos@example.com");
    // Products weighted by stock, so that three minutes of orders do not sell one out.
    let (status, text) = http("GET", port, "/api/products/products", &[], "");
    assert_eq!(status, 200, "{text}");
    let products = json(&text);
    let list = products
        .as_array()
        .or_else(|| products["products"].as_array())
        .expect("a list of products")
        .clone();
    let mut choices = Vec::new();
    for product in &list {
        let id = product["id"].as_i64().expect("an id");
        let stock = product["stock"].as_i64().unwrap_or(0);
        for _ in 0..stock / 250 {
            choices.push(id);
        }
    }
    assert!(!choices.is_empty(), "the catalogue has stock: {text}");

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_nanos() as u64
        | 1;
    eprintln!("chaos: seed {seed}, gateway on 127.0.0.1:{port}");
    let stop = AtomicBool::new(false);
    let tally = Mutex::new(ClientTally::default());
    let kills: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let kill_log: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let max_rss = Mutex::new(0u64);
    let chaos_start = Instant::now();

    std::thread::scope(|scope| {
        // The client: one order at a time, each with its own key, retried with the
        // same key on a failure, like a real client.
        scope.spawn(|| {
            let auth = format!("Bearer {token}");
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("chaos-{seed}-{n}");
                let product = choices[n % choices.len()];
                n += 1;
                let body = format!(r#"{{"items":[{{"product_id":{product},"quantity":1}}]}}"#);
                let first = Instant::now();
                let at = chaos_start.elapsed().as_secs_f64();
                let mut backoff = Duration::from_millis(200);
                let mut outcome = None;
                let mut last = (0u16, String::new());
                let mut history = Vec::new();
                for attempt in 0..6 {
                    if attempt > 0 {
                        if first.elapsed() > Duration::from_secs(30) {
                            break;
                        }
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                    let (status, text) = http(
                        "POST",
                        port,
                        "/api/orders/orders",
                        &[("Authorization", &auth), ("Idempotency-Key", &key)],
                        &body,
                    );
                    history.push(status);
                    let mut tally = tally.lock().expect("tally");
                    tally.requests += 1;
                    if status == 200 || status == 201 {
                        let order: serde_json::Value =
                            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                        outcome = Some(id_text(&order["id"]));
                        break;
                    }
                    *tally.statuses.entry(status).or_default() += 1;
                    last = (status, text);
                }
                let mut tally = tally.lock().expect("tally");
                tally.orders += 1;
                if outcome.is_some() && history.len() > 1 {
                    tally.retried += 1;
                    tally.recovered.push((key.clone(), at, history.clone()));
                }
                match outcome {
                    Some(id) => tally.acknowledged.push((key, id)),
                    None => tally.failed.push((key, at, history, last.1)),
                }
                drop(tally);
                std::thread::sleep(PACE);
            }
        });
        // The killer: a random running replica of any service, every 5-10 s.
        scope.spawn(|| {
            let mut rng = Rng(seed);
            loop {
                let pause = Duration::from_millis(5000 + rng.below(5001));
                let until = Instant::now() + pause;
                while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let running: Vec<_> = project
                    .containers()
                    .into_iter()
                    .filter(|c| c.state == ContainerState::Running)
                    .collect();
                if running.is_empty() {
                    continue;
                }
                let victim = &running[rng.below(running.len() as u64) as usize];
                let service = service_of(victim).unwrap_or("?").to_string();
                match block_on(engine().kill_container(&victim.id, "SIGKILL")) {
                    Ok(()) => {
                        *kills
                            .lock()
                            .expect("kills")
                            .entry(service.clone())
                            .or_default() += 1;
                        kill_log.lock().expect("log").push(format!(
                            "{:>6.1}s {}",
                            chaos_start.elapsed().as_secs_f64(),
                            victim.name
                        ));
                    }
                    Err(err) => eprintln!("chaos: could not kill {}: {err}", victim.name),
                }
            }
        });
        // The control plane's memory, every 2 s.
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                if let Some(rss) = control_rss_kb(&project) {
                    let mut max = max_rss.lock().expect("rss");
                    *max = (*max).max(rss);
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        });
        std::thread::sleep(CHAOS);
        stop.store(true, Ordering::Relaxed);
    });

    // Every replica back, ready.
    let recovering = Instant::now();
    let mut recovered = true;
    let deadline = Instant::now() + Duration::from_secs(90);
    while !all_ready(&project) {
        if Instant::now() > deadline {
            recovered = false;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let recovery = recovering.elapsed();
    if let Some(rss) = control_rss_kb(&project) {
        let mut max = max_rss.lock().expect("rss");
        *max = (*max).max(rss);
    }

    let tally = tally.into_inner().expect("tally");
    let auth = format!("Bearer {token}");
    // Every acknowledged order is found...
    let mut lost = Vec::new();
    for (key, id) in &tally.acknowledged {
        let path = format!("/api/orders/orders/{id}");
        let mut found = None;
        for _ in 0..5 {
            let (status, _) = http("GET", port, &path, &[("Authorization", &auth)], "");
            if status == 200 || status == 404 {
                found = Some(status == 200);
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        if found != Some(true) {
            lost.push(format!("{key} -> {id} ({found:?})"));
        }
    }
    // ... and eventually paid.
    let paying = Instant::now();
    let mut unpaid: Vec<String> = Vec::new();
    loop {
        let (status, text) = http(
            "GET",
            port,
            "/api/orders/orders",
            &[("Authorization", &auth)],
            "",
        );
        if status == 200 {
            let orders = json(&text);
            let statuses: HashMap<String, String> = orders["orders"]
                .as_array()
                .or_else(|| orders.as_array())
                .map(|list| {
                    list.iter()
                        .map(|o| {
                            (
                                id_text(&o["id"]),
                                o["status"].as_str().unwrap_or("").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            unpaid = tally
                .acknowledged
                .iter()
                .filter(|(_, id)| statuses.get(id).map(String::as_str) != Some("paid"))
                .map(|(key, id)| {
                    format!(
                        "{key} -> {id} ({})",
                        statuses.get(id).map(String::as_str).unwrap_or("missing")
                    )
                })
                .collect();
            if unpaid.is_empty() {
                break;
            }
        }
        if paying.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }

    let acknowledged = tally.acknowledged.len() as u64;
    let failed = tally.failed.len() as u64;
    let rate = if tally.orders == 0 {
        0.0
    } else {
        acknowledged as f64 / tally.orders as f64
    };
    let max_rss_kb = *max_rss.lock().expect("rss");
    let kills = kills.into_inner().expect("kills");
    let kill_text: Vec<String> = kills.iter().map(|(s, n)| format!("{s}={n}")).collect();
    let statuses: Vec<String> = tally
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}x{n}"))
        .collect();
    let summary = format!(
        "chaos: {:.0}s of kills, {} orders attempted ({} requests), {acknowledged} acknowledged \
         ({} of them after a retry), {failed} failed, success rate {:.2}% (goal >= 99%), \
         lost {}, not paid after waiting {:.0}s: {}, kills {} [{}], non-2xx answers [{}], \
         all 20 replicas ready {:.1}s after the chaos ended: {recovered}, \
         control plane max RSS {:.1} MB (limit 50 MB), seed {seed}, test took {:.0}s",
        CHAOS.as_secs_f64(),
        tally.orders,
        tally.requests,
        tally.retried,
        rate * 100.0,
        lost.len(),
        paying.elapsed().as_secs_f64(),
        unpaid.len(),
        kills.values().sum::<u64>(),
        kill_text.join(" "),
        statuses.join(" "),
        recovery.as_secs_f64(),
        max_rss_kb as f64 / 1024.0,
        started.elapsed().as_secs_f64(),
    );
    eprintln!("{summary}");
    let mut report = format!("{summary}\n");
    for (key, at, statuses, body) in &tally.failed {
        report.push_str(&format!(
            "failed {key} sent at {at:.1}s: answers {statuses:?}, last {body}\n"
        ));
    }
    for (key, at, statuses) in &tally.recovered {
        report.push_str(&format!(
            "acknowledged after a retry {key} sent at {at:.1}s: answers {statuses:?}\n"
        ));
    }
    for line in kill_log.into_inner().expect("log") {
        report.push_str(&format!("killed {line}\n"));
    }
    let report_path = format!("{}/target/chaos-report.txt", env!("CARGO_MANIFEST_DIR"));
    if let Err(err) = std::fs::write(&report_path, &report) {
        eprintln!("warning: cannot write {report_path}: {err}");
    }
    eprint!("{}", report.split_once('\n').map_or("", |(_, rest)| rest));

    assert!(recovered, "not every replica was ready again within 90 s");
    assert!(
        lost.is_empty(),
        "acknowledged orders lost: {}",
        lost.join(", ")
    );
    assert!(
        unpaid.is_empty(),
        "acknowledged orders not paid: {}",
        unpaid.join(", ")
    );
    assert!(
        max_rss_kb > 0 && max_rss_kb < MAX_RSS_KB,
        "the control plane's RSS reached {max_rss_kb} kB"
    );
    assert!(
        rate >= GOAL,
        "success rate {:.2}% is under the 99% goal",
        rate * 100.0
    );

    run_ok(
        healing(&project, port, &["down", "--volumes"]),
        "msctl down --volumes",
    );
    drop(guard);
}
