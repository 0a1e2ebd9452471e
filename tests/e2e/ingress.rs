//! The ingress on the real engine: a service of 3 replicas publishes one host port
//! through the control plane, which spreads connections over the ready replicas, keeps
//! answering when one is killed, and lets the port go on `down`.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use msctl::engine::Engine;

use super::control::{events, healing, ControlPlaneGuard};
use super::support::{block_on, engine, test_image, TestProject};

/// `GET /` on 127.0.0.1:`port`: the body of a 200 answer, or what went wrong.
fn get(port: u16) -> Result<String, String> {
    get_path(port, "/")
}

/// 3 busybox httpd replicas, each serving its own hostname, publishing `port`.
fn web(port: u16) -> String {
    format!(
        r#"services:
  web:
    image: {image}
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
    init: true
    deploy:
      replicas: 3
    ports:
      - "{port}:8080"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 500ms
      timeout: 2s
      retries: 3
      start_period: 10s
"#,
        image = test_image()
    )
}

#[test]
fn the_ingress_spreads_a_published_port_over_ready_replicas_and_frees_it_on_down() {
    let port = super::support::free_port();
    let project = TestProject::new("ingress", &web(port));
    let guard = ControlPlaneGuard::new(&project);
    let output = healing(&project, &["up"]).output().expect("msctl up");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "msctl up failed:\n{stderr}");

    // No replica binds the port: they could not all have started otherwise.
    let replicas = project.replicas("web");
    assert_eq!(replicas.len(), 3);
    for replica in &replicas {
        assert!(
            project.inspect(&replica.id).ports.is_empty(),
            "replica `{}` binds a host port",
            replica.name
        );
    }
    let hostnames: BTreeSet<String> = replicas.iter().map(|r| r.id[..12].to_string()).collect();

    // (a) Connections reach every replica.
    let mut seen = BTreeSet::new();
    for i in 0..60 {
        let body = get(port).unwrap_or_else(|e| panic!("request {i}: {e}"));
        seen.insert(body);
    }
    assert_eq!(seen, hostnames, "every replica answers, and only they do");
    assert!(
        stderr.contains(&format!(
            "service `web` is published at http://localhost:{port} (ingress over 3 replicas)"
        )),
        "{stderr}"
    );
    let ps = project.msctl_ok(&["--format", "json", "ps"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ps).expect("ps JSON");
    let shown = format!("0.0.0.0:{port}->8080/tcp (ingress)");
    assert_eq!(rows.len(), 3, "{ps}");
    for row in &rows {
        assert_eq!(row["ports"], serde_json::json!([shown]), "{ps}");
    }

    // (b) A killed replica costs no request once the control plane has seen it die.
    let victim = replicas[0].clone();
    block_on(engine().kill_container(&victim.id, "SIGKILL")).expect("kill");
    let killed = Instant::now();
    while killed.elapsed() < Duration::from_secs(2)
        && !events(&project)
            .iter()
            .any(|e| e.kind == "died" && e.service == "web")
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let failures: Vec<String> = (0..100)
        .filter_map(|i| get(port).err().map(|e| format!("request {i}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");

    // (c) `down` lets the port go.
    let output = healing(&project, &["down"]).output().expect("msctl down");
    assert!(
        output.status.success(),
        "msctl down failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(3);
    let bound = loop {
        match TcpListener::bind(("0.0.0.0", port)) {
            Ok(listener) => break Ok(listener),
            Err(err) if Instant::now() >= deadline => break Err(err),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    assert!(
        bound.is_ok(),
        "port {port} still taken after down: {bound:?}"
    );
    drop(guard);
}

#[test]
fn a_port_another_program_holds_fails_up_and_is_taken_once_free() {
    let holder = TcpListener::bind("0.0.0.0:0").expect("a free port");
    let port = holder.local_addr().expect("its address").port();
    let project = TestProject::new("ingress-taken", &web(port));
    let guard = ControlPlaneGuard::new(&project);
    let output = healing(&project, &["up"]).output().expect("msctl up");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let why = format!("cannot listen on 0.0.0.0:{port} for service `web`");
    assert!(stderr.contains(&why), "{stderr}");
    assert!(stderr.contains("hint: `msctl events`"), "{stderr}");
    assert!(
        events(&project)
            .iter()
            .any(|e| e.kind == "ingress" && e.message.starts_with(&why)),
        "{:?}",
        events(&project)
    );

    // The control plane keeps trying: the port is the ingress's once it is free.
    drop(holder);
    project.wait_for(
        "the ingress on the freed port",
        Duration::from_secs(10),
        || get(port).is_ok(),
    );
    drop(guard);
}

/// `GET path` on 127.0.0.1:`port`: the body of a 200 answer, or what went wrong.
fn get_path(port: u16, path: &str) -> Result<String, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("read: {e}"))?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP answer: {answer:?}"))?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        return Err(format!("not 200: {head}"));
    }
    Ok(body.trim().to_string())
}

#[test]
fn a_rolling_update_behind_the_published_port_fails_no_direct_request() {
    // 3 replicas rolled start-first one at a time, each answer taking 200 ms (a CGI
    // script), so that requests are in flight whenever a replica stops; clients connect
    // to the port itself, a new request every 20 ms, with no retry: each old replica
    // leaves the ingress and finishes what it has before it stops.
    let port = super::support::free_port();
    let rolled = |version: &str| {
        format!(
            r#"services:
  web:
    image: {image}
    command: ["sh", "-c", "mkdir -p /www/cgi-bin && printf '#!/bin/sh\\nsleep 0.2\\nprintf \"Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n\"\\nhostname\\n' > /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
    init: true
    environment:
      VERSION: "{version}"
    deploy:
      replicas: 3
      update_config:
        parallelism: 1
        order: start-first
    ports:
      - "{port}:8080"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 500ms
      timeout: 2s
      retries: 3
      start_period: 10s
"#,
            image = test_image()
        )
    };
    let project = TestProject::new("ingress-roll", &rolled("1"));
    let guard = ControlPlaneGuard::new(&project);
    let output = healing(&project, &["up"]).output().expect("msctl up");
    assert!(
        output.status.success(),
        "msctl up failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let before: BTreeSet<String> = project.replicas("web").into_iter().map(|r| r.id).collect();
    project.wait_for("the ingress to answer", Duration::from_secs(10), || {
        get_path(port, "/cgi-bin/slow").is_ok()
    });

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A request every 20 ms: ten clients, each 200 ms of answer and 20 ms apart.
    let clients: Vec<_> = (0..10)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut answered = 0usize;
                let mut failed = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match get_path(port, "/cgi-bin/slow") {
                        Ok(_) => answered += 1,
                        Err(err) => failed.push(err),
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                (answered, failed)
            })
        })
        .collect();
    project.write_compose(&rolled("2"));
    let output = healing(&project, &["up"]).output().expect("msctl up");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // A moment after the last replica is replaced, still through the port.
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = 0;
    let mut failed = Vec::new();
    for client in clients {
        let (ok, errors) = client.join().expect("client");
        answered += ok;
        failed.extend(errors);
    }
    assert!(output.status.success(), "msctl up failed:\n{stderr}");

    let after: BTreeSet<String> = project.replicas("web").into_iter().map(|r| r.id).collect();
    assert_eq!(after.len(), 3, "{stderr}");
    assert!(
        after.is_disjoint(&before),
        "every replica was replaced:\n{stderr}"
    );
    assert!(
        stderr.contains("rolled out `web-3`"),
        "a rollout, one replica at a time:\n{stderr}"
    );
    assert!(answered > 100, "only {answered} requests were answered");
    assert!(
        failed.is_empty(),
        "{} of {} requests failed during the rollout: {failed:#?}",
        failed.len(),
        answered + failed.len()
    );
    drop(guard);
}
