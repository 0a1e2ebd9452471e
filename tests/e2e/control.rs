//! The control plane on the real engine: `up` starts it in the background, it replaces
//! what dies with no command typed, backs off what keeps failing, adopts what runs when
//! it starts again, and serves its API on loopback behind a token; `down` stops it.
//!
//! Each test turns self-heal on for its own project and state directory (the other e2e
//! tests run with `MSCTL_SELF_HEAL=0`), and stops its control plane whatever happens
//! ([`ControlPlaneGuard`]), before the project's containers are removed.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use msctl::control::process::{self, Mode};
use msctl::engine::{observe, parse_rfc3339_nanos, Engine};
use msctl::plan::{plan, ContainerState, Health, PlanOptions};
use msctl::state::{StateStore, StoredEvent};

use super::support::{block_on, engine, httpd_service, test_image, TestProject};

/// `msctl ARGS...` for the project with self-heal on, the API on a free loopback port
/// and quick rounds.
pub fn healing(project: &TestProject, args: &[&str]) -> Command {
    let mut command = project.command(args);
    command
        .env("MSCTL_SELF_HEAL", "1")
        .env("MSCTL_API_ADDR", "127.0.0.1:0")
        .env("MSCTL_RESYNC_INTERVAL", "1");
    command
}

fn run_ok(mut command: Command, what: &str) -> (String, String) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "`{what}` failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

/// Stops the project's control plane when the test ends, passed or failed: the
/// background one by its pid file, a foreground child by its handle. Declared after
/// the [`TestProject`], it drops first, so nothing recreates what the clean-up removes.
pub struct ControlPlaneGuard<'a> {
    project: &'a TestProject,
    child: Option<Child>,
}

impl<'a> ControlPlaneGuard<'a> {
    pub fn new(project: &'a TestProject) -> Self {
        ControlPlaneGuard {
            project,
            child: None,
        }
    }
}

impl Drop for ControlPlaneGuard<'_> {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        super::support::kill_control_plane(&self.project.state_dir());
    }
}

/// The pid of the control plane of the project's state directory.
fn control_pid(project: &TestProject) -> i32 {
    let running = process::running(&project.state_dir())
        .expect("the pid file")
        .expect("a control plane runs");
    assert!(running.pid > 0);
    running.pid
}

/// Whether a process runs (a zombie does not).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// utime + stime of a process, in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    let (_, rest) = stat.rsplit_once(')').expect("stat format");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

pub fn events(project: &TestProject) -> Vec<StoredEvent> {
    StateStore::open(&project.state_dir())
        .expect("the state store")
        .events(Some(project.name()), 0, 10_000)
        .expect("events")
}

fn events_of(project: &TestProject, kind: &str, service: &str) -> Vec<StoredEvent> {
    events(project)
        .into_iter()
        .filter(|e| e.kind == kind && e.service == service)
        .collect()
}

fn started_at(project: &TestProject, container_id: &str) -> i64 {
    let started = project.inspect(container_id).started_at.expect("started");
    parse_rfc3339_nanos(&started).expect("an RFC 3339 time")
}

/// `down`, then check that the control plane `up` started is gone, not left behind.
fn down_stops_the_control_plane(project: &TestProject, pid: i32) {
    let supervisor = process::running(&project.state_dir())
        .expect("look")
        .and_then(|r| r.supervisor);
    let (_, stderr) = run_ok(healing(project, &["down"]), "msctl down");
    assert!(
        stderr.contains(&format!("control plane stopped (pid {pid})")),
        "{stderr}"
    );
    // It released its lock; its exit follows within moments.
    project.wait_for(
        &format!("the control plane (pid {pid}) to exit after `down`"),
        Duration::from_secs(2),
        || !alive(pid),
    );
    assert_eq!(process::running(&project.state_dir()).expect("look"), None);
    assert!(project.containers().is_empty());
    if let Some(supervisor) = supervisor {
        project.wait_for(
            &format!("the supervisor (pid {supervisor}) to exit after `down`"),
            Duration::from_secs(2),
            || !alive(supervisor),
        );
    }
}

/// One HTTP/1.1 request; (status, body).
fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connect to {address}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// An address of this machine that is not loopback: the one its default route leaves
/// from, else the Docker bridge's gateway (there whenever the engine runs).
fn non_loopback_address() -> IpAddr {
    let routed = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|socket| {
            socket.connect("8.8.8.8:53")?;
            socket.local_addr()
        })
        .map(|address| address.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    routed.unwrap_or_else(|| {
        let network = block_on(engine().client().inspect_network(
            "bridge",
            None::<bollard::query_parameters::InspectNetworkOptions>,
        ))
        .expect("the bridge network");
        network
            .ipam
            .and_then(|ipam| ipam.config)
            .into_iter()
            .flatten()
            .find_map(|config| config.gateway?.parse().ok())
            .expect("the bridge's gateway address")
    })
}

#[test]
fn a_killed_replica_is_ready_again_within_3s_with_no_command_typed() {
    let project = TestProject::new(
        "heal-kill",
        &format!("services:\n{}", httpd_service("web", "")),
    );
    let guard = ControlPlaneGuard::new(&project);
    let (_, stderr) = run_ok(healing(&project, &["up"]), "msctl up");
    assert!(stderr.contains("control plane started (pid"), "{stderr}");
    let pid = control_pid(&project);
    let running = process::running(&project.state_dir())
        .expect("look")
        .expect("running");
    assert_eq!(running.mode, Mode::Background);
    // Detached: a session of its own, so the terminal that ran `up` closing cannot stop it.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let session = stat
        .rsplit_once(')')
        .expect("stat")
        .1
        .split_whitespace()
        .nth(3)
        .expect("sid");
    assert_eq!(
        session,
        pid.to_string(),
        "the control plane leads its own session"
    );
    project.wait_for(
        "the control plane to adopt the project",
        Duration::from_secs(10),
        || !events_of(&project, "adopted", "").is_empty(),
    );

    let victim = project.replicas("web").remove(0);
    let before = started_at(&project, &victim.id);
    block_on(engine().kill_container(&victim.id, "SIGKILL")).expect("kill");
    let killed = Instant::now();
    project.wait_for("a ready replacement", Duration::from_secs(3), || {
        project.replicas("web").iter().any(|c| {
            c.state == ContainerState::Running
                && c.health == Health::Healthy
                && (c.id != victim.id || started_at(&project, &c.id) > before)
        })
    });
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(3), "ready again after {took:?}");
    assert_eq!(project.replicas("web").len(), 1);

    project.wait_for("the `ready` event", Duration::from_secs(5), || {
        !events_of(&project, "ready", "web").is_empty()
    });
    let died = events_of(&project, "died", "web");
    assert_eq!(died.len(), 1, "{died:?}");
    assert!(
        died[0].message.contains("exited with code 137"),
        "{:?}",
        died[0]
    );
    let restarted: Vec<StoredEvent> = events(&project)
        .into_iter()
        .filter(|e| e.service == "web" && (e.kind == "started" || e.kind == "replaced"))
        .collect();
    assert_eq!(restarted.len(), 1, "{restarted:?}");
    assert!(
        restarted[0].message.contains("it exited with code 137"),
        "{:?}",
        restarted[0]
    );

    // `events` prints the story: table and JSON lines on stdout.
    let table = project.msctl_ok(&["events"]);
    assert!(
        table.contains("died") && table.contains("exited with code 137"),
        "{table}"
    );
    let json = project.msctl_ok(&["--format", "json", "events", "--tail", "2"]);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2, "{json}");
    assert_eq!(lines[1]["kind"], "ready", "{json}");

    down_stops_the_control_plane(&project, pid);
    drop(guard);
}

#[test]
fn a_replica_that_exits_at_once_is_retried_with_growing_capped_delays_and_little_cpu() {
    let yaml = format!(
        r#"services:
  crash:
    image: {image}
    command: ["sh", "-c", "echo boom; exit 3"]
{web}"#,
        image = test_image(),
        web = httpd_service("web", "")
    );
    let project = TestProject::new("heal-backoff", &yaml);
    let guard = ControlPlaneGuard::new(&project);
    let mut up = healing(&project, &["up", "--detach"]);
    up.env("MSCTL_BACKOFF_INITIAL", "0.25")
        .env("MSCTL_BACKOFF_MAX", "2");
    run_ok(up, "msctl up --detach");
    let pid = control_pid(&project);

    std::thread::sleep(Duration::from_secs(3));
    let cpu_before = cpu_ticks(pid);
    let measured = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    let cpu = (cpu_ticks(pid) - cpu_before) as f64 / 100.0 / measured.elapsed().as_secs_f64();
    assert!(
        cpu < 0.10,
        "the control plane used {:.1}% of a CPU",
        cpu * 100.0
    );

    // The delays it chose: 0.25 s doubling, less up to 20 % jitter, capped at 2 s. On a
    // loaded engine (after the chaos test) each attempt's start is slower: wait for
    // five attempts rather than count them in a fixed window.
    project.wait_for("five backoffs", Duration::from_secs(40), || {
        events_of(&project, "backoff", "crash").len() >= 5
    });
    let backoffs = events_of(&project, "backoff", "crash");
    let delays: Vec<f64> = backoffs
        .iter()
        .map(|e| {
            let (_, rest) = e.message.split_once("next attempt in ").expect("a delay");
            rest.split_once('s')
                .expect("seconds")
                .0
                .parse()
                .expect("a number")
        })
        .collect();
    assert!(delays.len() >= 5, "{delays:?}");
    assert!(delays.len() <= 10, "retried too often: {delays:?}");
    for pair in delays.windows(2) {
        if pair[0] < 1.6 {
            assert!(
                pair[1] > pair[0],
                "delay {} after {}: {delays:?}",
                pair[1],
                pair[0]
            );
        }
    }
    assert!(delays.iter().all(|d| *d <= 2.0 && *d >= 0.2), "{delays:?}");
    assert!(
        delays.iter().filter(|d| **d >= 1.6).count() >= 2,
        "reached the cap and stayed there: {delays:?}"
    );
    // Each restart waited for its delay: never sooner.
    let restarts = events_of(&project, "started", "crash");
    for (backoff, delay) in backoffs.iter().zip(&delays) {
        let delay_ms = delay * 1000.0;
        if let Some(next) = restarts.iter().find(|r| r.id > backoff.id) {
            let waited = (next.at_ms - backoff.at_ms) as f64;
            assert!(
                waited >= delay_ms - 50.0,
                "restarted {waited} ms after a backoff of {delay_ms} ms"
            );
        }
    }
    assert!(
        backoffs[0].message.contains("exited with code 3"),
        "{:?}",
        backoffs[0]
    );
    assert!(
        events_of(&project, "died", "crash").len() >= delays.len(),
        "each failure is a `died` event"
    );
    // The healthy service was never touched.
    assert!(events_of(&project, "died", "web").is_empty());
    assert!(events_of(&project, "backoff", "web").is_empty());

    // `ps` says why and when, in JSON and in the table.
    let json = project.msctl_ok(&["ps", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json).expect("ps json");
    let crash = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["service"] == "crash")
        .unwrap_or_else(|| panic!("the stopped replica is listed while backing off: {json}"));
    assert!(
        crash["backoff"]["failures"].as_u64().unwrap_or(0) >= 5,
        "{crash}"
    );
    assert!(
        crash["backoff"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("exited with code 3")),
        "{crash}"
    );
    assert!(
        crash["backoff"]["next_attempt"].as_str().is_some(),
        "{crash}"
    );
    let web = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["service"] == "web")
        .expect("web");
    assert_eq!(web["backoff"], serde_json::Value::Null);
    let table = project.msctl_ok(&["ps"]);
    let line = table
        .lines()
        .find(|l| l.contains("-crash-1"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        line.contains("backing off after") || line.contains("retrying after"),
        "{table}"
    );
    assert!(line.contains("exited with code 3"), "{table}");
    let events_text = project.msctl_ok(&["events"]);
    assert!(
        events_text.contains("backoff") && events_text.contains("next attempt in"),
        "{events_text}"
    );

    down_stops_the_control_plane(&project, pid);
    drop(guard);
}

#[test]
fn a_control_plane_killed_and_started_again_restarts_nothing_that_is_healthy() {
    let project = TestProject::new(
        "heal-adopt",
        &format!(
            "services:\n{}",
            httpd_service("web", "    deploy: {replicas: 2}\n")
        ),
    );
    let mut guard = ControlPlaneGuard::new(&project);
    run_ok(healing(&project, &["up"]), "msctl up");
    run_ok(healing(&project, &["scale", "web=3"]), "msctl scale web=3");
    let first = control_pid(&project);
    project.wait_for(
        "the first control plane to adopt",
        Duration::from_secs(10),
        || !events_of(&project, "adopted", "").is_empty(),
    );
    let before: Vec<(String, i64)> = project
        .replicas("web")
        .iter()
        .map(|c| (c.id.clone(), started_at(&project, &c.id)))
        .collect();
    assert_eq!(before.len(), 3);

    // It and its supervisor (which would start it again) die.
    super::support::kill_control_plane(&project.state_dir());
    assert!(!alive(first));
    project.wait_for(
        "the first control plane to die",
        Duration::from_secs(5),
        || process::running(&project.state_dir()).is_ok_and(|r| r.is_none()),
    );
    let seen = events(&project).last().map_or(0, |e| e.id);

    // An operator starts one in the foreground.
    let mut serve = healing(&project, &["serve"]);
    serve
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    guard.child = Some(serve.spawn().expect("msctl serve"));
    project.wait_for(
        "the second control plane to adopt",
        Duration::from_secs(10),
        || {
            events(&project)
                .iter()
                .any(|e| e.id > seen && e.kind == "adopted")
        },
    );
    let adopted = events(&project)
        .into_iter()
        .find(|e| e.id > seen && e.kind == "adopted")
        .expect("adopted");
    assert!(adopted.message.contains("3 replicas ready"), "{adopted:?}");
    // A few resyncs (1 s apart) and engine events later, still the same containers.
    std::thread::sleep(Duration::from_secs(3));
    let after: Vec<(String, i64)> = project
        .replicas("web")
        .iter()
        .map(|c| (c.id.clone(), started_at(&project, &c.id)))
        .collect();
    assert_eq!(after, before, "no replica was recreated or restarted");
    let since: Vec<String> = events(&project)
        .into_iter()
        .filter(|e| e.id > seen && e.kind != "adopted")
        .map(|e| format!("{} {}", e.kind, e.message))
        .collect();
    assert!(since.is_empty(), "the new control plane acted: {since:?}");

    // The state survived: desired state, self-heal, the scaled count; and the stored
    // desired state plans nothing against what runs.
    let store = StateStore::open(&project.state_dir()).expect("store");
    let desired = store
        .desired(project.name())
        .expect("read")
        .expect("desired");
    assert!(desired.self_heal);
    assert_eq!(
        store
            .scale_override(project.name(), "web")
            .expect("read")
            .map(|o| o.replicas),
        Some(3)
    );
    let observed = block_on(observe(engine(), project.name())).expect("observe");
    let options = PlanOptions {
        scale: [("web".to_string(), 3)].into_iter().collect(),
        ..PlanOptions::default()
    };
    let planned = plan(&desired.project, &observed, &options);
    assert!(planned.is_empty(), "the desired state wants:\n{planned}");

    // SIGTERM: it stops cleanly, exit 0, lock released.
    let mut child = guard.child.take().expect("the child");
    let child_pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(child_pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "`msctl serve` did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(process::running(&project.state_dir()).expect("look"), None);
    run_ok(healing(&project, &["down"]), "msctl down");
    drop(guard);
}

#[test]
fn the_api_needs_its_token_and_listens_on_loopback_only() {
    let project = TestProject::new(
        "heal-api",
        &format!("services:\n{}", httpd_service("web", "")),
    );
    let guard = ControlPlaneGuard::new(&project);
    run_ok(healing(&project, &["up"]), "msctl up");
    let pid = control_pid(&project);
    let state_dir = project.state_dir();
    // `up` returns once the control plane runs; it writes `api-addr` once it listens.
    project.wait_for("the API to listen", Duration::from_secs(10), || {
        process::api_address(&state_dir).is_some()
    });
    let address = process::api_address(&state_dir).expect("api-addr");
    assert!(address.ip().is_loopback(), "{address}");
    let token_path = state_dir.join(process::TOKEN_FILE);
    let token = std::fs::read_to_string(&token_path)
        .expect("the token")
        .trim()
        .to_string();
    assert_eq!(token.len(), 64);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&token_path)
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the token file is the owner's alone");

    assert_eq!(http(address, "GET", "/healthz", None, None).0, 200);
    let (status, body) = http(address, "GET", "/v1/projects", None, None);
    assert_eq!(status, 401, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert!(error["error"].is_string(), "{body}");
    let wrong = "0".repeat(64);
    assert_eq!(
        http(address, "GET", "/v1/projects", Some(&wrong), None).0,
        401
    );
    assert_eq!(http(address, "GET", "/metrics", None, None).0, 401);

    let (status, body) = http(address, "GET", "/v1/projects", Some(&token), None);
    assert_eq!(status, 200, "{body}");
    let projects: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(projects[0]["name"], project.name(), "{body}");
    assert_eq!(projects[0]["self_heal"], true, "{body}");

    // Scaling through the API does what `msctl scale` does.
    let path = format!("/v1/projects/{}/services/web/scale", project.name());
    let (status, body) = http(
        address,
        "POST",
        &path,
        Some(&token),
        Some(r#"{"replicas": 2}"#),
    );
    assert_eq!(status, 200, "{body}");
    project.wait_for("2 running replicas", Duration::from_secs(15), || {
        project
            .replicas("web")
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .count()
            == 2
    });
    let store = StateStore::open(&state_dir).expect("store");
    assert_eq!(
        store
            .scale_override(project.name(), "web")
            .expect("read")
            .map(|o| o.replicas),
        Some(2)
    );
    let (status, body) = http(
        address,
        "GET",
        &format!("/v1/projects/{}/services", project.name()),
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let services: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(services[0]["service"], "web");
    assert_eq!(services[0]["desired"], 2, "{body}");
    assert_eq!(
        services[0]["replicas"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    project.wait_for(
        "metrics with both replicas ready",
        Duration::from_secs(15),
        || {
            let (status, text) = http(address, "GET", "/metrics", Some(&token), None);
            status == 200
                && text.contains(&format!(
                    "msctl_replicas_desired{{project=\"{}\",service=\"web\"}} 2",
                    project.name()
                ))
                && text.contains(&format!(
                    "msctl_replicas_ready{{project=\"{}\",service=\"web\"}} 2",
                    project.name()
                ))
        },
    );
    let (_, body) = http(
        address,
        "GET",
        &format!("/v1/events?project={}", project.name()),
        Some(&token),
        None,
    );
    assert!(body.contains("\"kind\":\"scaled\""), "{body}");

    // Not reachable from other machines: the port is closed on every other address.
    let outside = SocketAddr::new(non_loopback_address(), address.port());
    assert!(
        TcpStream::connect_timeout(&outside, Duration::from_secs(2)).is_err(),
        "the API answered on {outside}"
    );

    down_stops_the_control_plane(&project, pid);
    drop(guard);
}

#[test]
fn cpu_load_scales_an_autoscaled_service_up_and_idle_scales_it_back_down() {
    // Each replica keeps a CPU busy for its first 12 seconds, then idles: one replica's
    // load scales the service up, the new replicas' load keeps it up for a while, and
    // once all idle the service comes back down to `min` after the cooldown.
    let project = TestProject::new(
        "autoscale",
        &format!(
            r#"services:
  worker:
    image: {image}
    init: true
    command: ["sh", "-c", "end=$$(( $$(date +%s) + 12 )); while [ $$(date +%s) -lt $$end ]; do :; done; exec sleep 3600"]
    x-msctl:
      autoscale: {{min: 1, max: 4, cpu_percent: 40, scale_up_cooldown: 1s, scale_down_cooldown: 5s}}
"#,
            image = test_image()
        ),
    );
    let guard = ControlPlaneGuard::new(&project);
    let mut up = healing(&project, &["up"]);
    up.env("MSCTL_AUTOSCALE_INTERVAL", "2");
    run_ok(up, "msctl up");
    assert_eq!(
        project.replicas("worker").len(),
        1,
        "the count starts at min"
    );
    let pid = control_pid(&project);

    let scaled = |project: &TestProject| -> Vec<(u32, u32, String)> {
        events_of(project, "scaled", "worker")
            .into_iter()
            .filter_map(|e| {
                let (_, rest) = e.message.split_once(" from ")?;
                let (from, rest) = rest.split_once(" to ")?;
                let to = rest.split_whitespace().next()?;
                Some((from.parse().ok()?, to.parse().ok()?, e.message.clone()))
            })
            .collect()
    };
    project.wait_for("a scale-up", Duration::from_secs(30), || {
        scaled(&project).iter().any(|(from, to, _)| to > from)
    });
    let up_event = scaled(&project).remove(0);
    assert_eq!(up_event.0, 1, "{up_event:?}");
    assert!(up_event.1 > 1 && up_event.1 <= 4, "{up_event:?}");
    assert!(
        up_event.2.contains("average CPU") && up_event.2.contains("target of 40%"),
        "the event says why: {up_event:?}"
    );
    project.wait_for(
        "the replicas the autoscaler asked for",
        Duration::from_secs(15),
        || project.replicas("worker").len() >= 2,
    );

    project.wait_for(
        "a scale-down to min once idle",
        Duration::from_secs(60),
        || {
            scaled(&project)
                .last()
                .is_some_and(|(from, to, _)| to < from && *to == 1)
        },
    );
    project.wait_for("one replica left", Duration::from_secs(15), || {
        project.replicas("worker").len() == 1
    });
    let story = scaled(&project);
    let peak = story.iter().map(|(_, to, _)| *to).max().unwrap_or(0);
    assert!(peak <= 4, "never beyond max: {story:?}");
    // `msctl events` shows both decisions.
    let table = project.msctl_ok(&["events"]);
    assert!(table.matches("autoscaled `worker`").count() >= 2, "{table}");

    down_stops_the_control_plane(&project, pid);
    drop(guard);
}

/// The addresses `name` resolves to from inside `container_id` (busybox `nslookup`,
/// through Docker's embedded DNS); empty when it does not resolve.
pub fn resolve_from(container_id: &str, name: &str) -> std::collections::BTreeSet<String> {
    let output = Command::new("docker")
        .args(["exec", container_id, "nslookup", name])
        .output()
        .expect("docker exec nslookup");
    let text = String::from_utf8_lossy(&output.stdout);
    // The answer's addresses follow its `Name:` lines; the first `Address:` is the server's.
    let answer = text.split_once("Name:").map_or("", |(_, rest)| rest);
    answer
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Address:"))
        .map(|address| address.trim().to_string())
        .filter(|address| !address.contains(':'))
        .collect()
}

/// The address of a replica on the network `network`.
fn serving_address(container_id: &str, network: &str) -> Option<String> {
    let details = block_on(engine().inspect_container(container_id)).ok()?;
    details.ip_addresses.get(network).cloned()
}

#[test]
fn a_service_name_leads_only_to_its_ready_replicas() {
    // web becomes ready 3 s after it starts (its health check looks for /tmp/ok); a
    // client on the same network looks its name up.
    let yaml = format!(
        r#"services:
  web:
    image: {image}
    init: true
    command: [sh, -c, "mkdir -p /tmp; sleep 6; touch /tmp/ok; while true; do sleep 1; done"]
    deploy: {{replicas: 2}}
    healthcheck:
      test: [CMD, test, -f, /tmp/ok]
      interval: 500ms
      retries: 4
      start_period: 10s
  client:
    image: {image}
    init: true
    command: [sh, -c, "while true; do sleep 1; done"]
"#,
        image = test_image()
    );
    let project = TestProject::new("gate-dns", &yaml);
    let guard = ControlPlaneGuard::new(&project);
    run_ok(healing(&project, &["up", "-d"]), "msctl up -d");
    // The names are the resolver's; the addresses those of the replicas on the network.
    let serving = format!("{}_default", project.name());
    let client = project.replicas("client").remove(0).id;

    // Started, not ready: the name leads nowhere.
    let mut web = project.replicas("web");
    assert_eq!(web.len(), 2);
    for _ in 0..4 {
        let found = resolve_from(&client, "web");
        assert!(
            found.is_empty(),
            "`web` resolves to {found:?} before any replica is ready"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    // Each replica can still be reached as itself while it is not ready.
    assert_eq!(resolve_from(&client, &web[0].name).len(), 1);

    // Ready: the name leads to both, on their addresses on the network.
    let mut addresses = std::collections::BTreeSet::new();
    project.wait_for("both replicas to serve", Duration::from_secs(15), || {
        addresses = web
            .iter()
            .filter_map(|r| serving_address(&r.id, &serving))
            .collect();
        addresses.len() == 2 && resolve_from(&client, "web") == addresses
    });
    assert_eq!(events_of(&project, "serving", "web").len(), 2);

    // Its health check fails: the name stops leading to it well before Docker calls it
    // unhealthy (4 failures, 2 s), and it is replaced.
    web.sort_by_key(|r| r.name.clone());
    let (kept, failing) = (&web[0], &web[1]);
    let kept_address = serving_address(&kept.id, &serving).expect("serving");
    let status = Command::new("docker")
        .args(["exec", &failing.id, "rm", "/tmp/ok"])
        .status()
        .expect("docker exec");
    assert!(status.success());
    let failed_at = Instant::now();
    project.wait_for(
        "the failing replica to leave",
        Duration::from_secs(3),
        || resolve_from(&client, "web") == std::collections::BTreeSet::from([kept_address.clone()]),
    );
    assert!(failed_at.elapsed() < Duration::from_secs(3));
    project.wait_for("the unhealthy event", Duration::from_secs(15), || {
        events(&project)
            .iter()
            .any(|e| e.kind == "unhealthy" && e.replica == failing.name)
    });
    let story = events(&project);
    let withdrawn = story
        .iter()
        .find(|e| e.kind == "withdrawn" && e.replica == failing.name)
        .unwrap_or_else(|| panic!("no `withdrawn` event: {story:?}"));
    let unhealthy = story
        .iter()
        .find(|e| e.kind == "unhealthy" && e.replica == failing.name)
        .expect("unhealthy");
    assert!(
        withdrawn.at_ms < unhealthy.at_ms,
        "withdrawn at {} but unhealthy at {}; the control plane's log:\n{}",
        withdrawn.at_ms,
        unhealthy.at_ms,
        std::fs::read_to_string(project.state_dir().join("control.log")).unwrap_or_default()
    );
    assert!(
        withdrawn.message.contains("health check failing"),
        "{withdrawn:?}"
    );

    // Its replacement takes the name once it is ready.
    project.wait_for("the replacement to serve", Duration::from_secs(20), || {
        let replacement = project
            .replicas("web")
            .into_iter()
            .find(|r| r.name == failing.name && r.id != failing.id);
        replacement
            .and_then(|r| serving_address(&r.id, &serving))
            .is_some_and(|address| {
                resolve_from(&client, "web")
                    == std::collections::BTreeSet::from([kept_address.clone(), address])
            })
    });

    let pid = control_pid(&project);
    down_stops_the_control_plane(&project, pid);
    assert!(
        project
            .networks()
            .iter()
            .all(|n| !n.name.starts_with(project.name())),
        "down removes the project's networks"
    );
    drop(guard);
}

#[test]
fn a_second_state_directory_hands_its_project_to_the_engines_control_plane() {
    // Two state directories (two users, or `sudo`) on one engine, under one control
    // plane name: the first `up` starts the control plane, the second's `up` finds it
    // and hands its project over instead of starting another.
    let yaml = format!(
        r#"services:
  web:
    image: {image}
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 500ms
      retries: 10
"#,
        image = test_image()
    );
    let first = TestProject::new("keeper-a", &yaml);
    let second = TestProject::new("keeper-b", &yaml);
    let _guard = ControlPlaneGuard::new(&first);
    let _second_guard = ControlPlaneGuard::new(&second);
    let shared = first.name().to_string();
    let under = |project: &TestProject, args: &[&str]| {
        let mut command = healing(project, args);
        command.env("MSCTL_CONTROL_PLANE", &shared);
        command
    };
    run_ok(under(&first, &["up"]), "msctl up (first state directory)");
    let pid = control_pid(&first);

    let (_, stderr) = run_ok(under(&second, &["up"]), "msctl up (second state directory)");
    assert!(
        stderr.contains(&format!(
            "control plane running (pid {pid}, state directory"
        )),
        "{stderr}"
    );
    assert_eq!(
        process::running(&second.state_dir()).expect("look"),
        None,
        "no second control plane"
    );

    // The first state directory's control plane keeps the second's project healthy.
    let killed = second.replicas("web").remove(0);
    let status = Command::new("docker")
        .args(["rm", "-f", &killed.id])
        .status()
        .expect("docker rm");
    assert!(status.success());
    second.wait_for(
        "the engine's control plane to replace the removed replica",
        Duration::from_secs(20),
        || {
            second
                .replicas("web")
                .iter()
                .any(|r| r.id != killed.id && r.state == ContainerState::Running)
        },
    );

    // `down` from the second state directory stops self-heal for it: nothing comes back.
    let (_, stderr) = run_ok(under(&second, &["down"]), "msctl down (second)");
    assert!(
        stderr.contains(&format!(
            "(pid {pid}): self-heal stopped for project `{}`",
            second.name()
        )),
        "{stderr}"
    );
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        second.containers().is_empty(),
        "the control plane brought back {:?}",
        second.containers()
    );
    assert!(alive(pid), "the first project is still kept");

    // `down` from the first state directory of a project the second handed over stops
    // self-heal too: up from the second again, down from the first.
    run_ok(under(&second, &["up"]), "msctl up (second, again)");
    let mut down_second = Command::new(env!("CARGO_BIN_EXE_msctl"));
    crate::support::clean_env(&mut down_second);
    down_second
        .current_dir(second.dir())
        .env("MSCTL_STATE_DIR", first.state_dir())
        .env("MSCTL_CONTROL_PLANE", &shared)
        .args(["-p", second.name(), "down"]);
    run_ok(
        down_second,
        "msctl -p <second> down (first state directory)",
    );
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        second.containers().is_empty(),
        "the control plane brought back {:?}",
        second.containers()
    );
    down_stops_the_control_plane(&first, pid);
}

#[test]
fn a_control_plane_killed_with_sigkill_is_back_and_replaces_a_killed_replica_within_5s() {
    let project = TestProject::new(
        "heal-supervised",
        &format!("services:\n{}", httpd_service("web", "")),
    );
    let guard = ControlPlaneGuard::new(&project);
    run_ok(healing(&project, &["up"]), "msctl up");
    project.wait_for(
        "the control plane to adopt the project",
        Duration::from_secs(10),
        || !events_of(&project, "adopted", "").is_empty(),
    );
    let first = process::running(&project.state_dir())
        .expect("look")
        .expect("a control plane runs");
    let supervisor = first.supervisor.expect("`up` starts it supervised");
    assert!(alive(supervisor));

    // The control plane dies without a word, then a replica.
    let pid = rustix::process::Pid::from_raw(first.pid).expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("SIGKILL");
    let victim = project.replicas("web").remove(0);
    let before = started_at(&project, &victim.id);
    block_on(engine().kill_container(&victim.id, "SIGKILL")).expect("kill");
    let killed = Instant::now();
    project.wait_for("a ready replacement", Duration::from_secs(5), || {
        project.replicas("web").iter().any(|c| {
            c.state == ContainerState::Running
                && c.health == Health::Healthy
                && (c.id != victim.id || started_at(&project, &c.id) > before)
        })
    });
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(5), "ready again after {took:?}");

    // Another control plane, under the same supervisor, said why.
    let second = process::running(&project.state_dir())
        .expect("look")
        .expect("a control plane runs");
    assert_ne!(second.pid, first.pid);
    assert_eq!(second.supervisor, Some(supervisor));
    let log = std::fs::read_to_string(project.state_dir().join(process::LOG_FILE)).expect("log");
    assert!(
        log.contains(&format!("the control plane (pid {}) ended", first.pid)),
        "{log}"
    );
    down_stops_the_control_plane(&project, second.pid);
    drop(guard);
}

#[test]
fn the_next_command_starts_a_control_plane_that_is_gone_again() {
    let project = TestProject::new(
        "heal-revive",
        &format!("services:\n{}", httpd_service("web", "")),
    );
    let guard = ControlPlaneGuard::new(&project);
    run_ok(healing(&project, &["up"]), "msctl up");
    let first = control_pid(&project);
    // Both the control plane and its supervisor are gone (a machine restart, kill -9).
    super::support::kill_control_plane(&project.state_dir());
    assert!(!alive(first));
    let started = Instant::now();
    let (_, stderr) = run_ok(healing(&project, &["ps"]), "msctl ps");
    assert!(
        stderr.contains(&format!(
            "no control plane runs to keep project `{}` healthy: starting one",
            project.name()
        )),
        "{stderr}"
    );
    let again = control_pid(&project);
    assert_ne!(again, first);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // It keeps the project: a killed replica is replaced.
    let victim = project.replicas("web").remove(0);
    block_on(engine().kill_container(&victim.id, "SIGKILL")).expect("kill");
    project.wait_for("a replacement", Duration::from_secs(10), || {
        project.replicas("web").iter().any(|c| {
            c.state == ContainerState::Running && (c.id == victim.id || c.health == Health::Healthy)
        })
    });
    // With one running, `ps` starts nothing.
    let (_, stderr) = run_ok(healing(&project, &["ps"]), "msctl ps");
    assert!(!stderr.contains("starting one"), "{stderr}");
    assert_eq!(control_pid(&project), again);
    drop(guard);
}
