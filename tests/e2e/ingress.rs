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

/// A host port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("0.0.0.0:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `GET /` on 127.0.0.1:`port`: the body of a 200 answer, or what went wrong.
fn get(port: u16) -> Result<String, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
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
    let port = free_port();
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
