//! `msctl logs` against the real engine: replicas merged in timestamp order, following
//! picks up replicas that start later, and failures say what and why.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use msctl::engine::{parse_rfc3339_nanos, Engine, LogOptions};

use super::support::{block_on, engine, test_image, TestProject};

/// A service whose replicas print `tick N` every 20 ms, `count` times, then wait.
fn ticker(hint: &str, count: u32) -> TestProject {
    ticker_every(hint, count, 20_000)
}

/// A service whose replicas print `tick N` every `interval_us` microseconds, `count`
/// times, then wait.
fn ticker_every(hint: &str, count: u32, interval_us: u32) -> TestProject {
    TestProject::new(
        hint,
        &format!(
            r#"services:
  ticker:
    image: {image}
    command: ["sh", "-c", "for i in $$(seq 1 {count}); do echo tick $$i; usleep {interval_us}; done; sleep 300"]
    init: true
"#,
            image = test_image()
        ),
    )
}

/// Waits until the container has printed `lines` lines.
fn wait_for_lines(project: &TestProject, container_id: &str, lines: usize) {
    project.wait_for(
        &format!("{lines} log lines of {container_id}"),
        Duration::from_secs(20),
        || {
            let count = block_on(async {
                engine()
                    .container_logs(container_id, &LogOptions::default())
                    .await
                    .expect("logs")
                    .count()
                    .await
            });
            count >= lines
        },
    );
}

#[test]
fn the_logs_of_several_replicas_are_merged_in_timestamp_order() {
    // 25 ticks over 5 s: the replicas, started one after the other, tick side by side
    // even when a loaded machine takes a second or two to start each.
    let project = ticker_every("logs-merged", 25, 200_000);
    let ids: Vec<String> = (1..=3)
        .map(|n| project.start_replica("ticker", n))
        .collect();
    for id in &ids {
        wait_for_lines(&project, id, 25);
    }

    let stdout = project.msctl_ok(&["logs", "-t"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 75, "{stdout}");
    let mut previous = i64::MIN;
    let mut prefix_changes = 0;
    let mut previous_prefix = "";
    for line in &lines {
        // `ticker-1 | 2024-05-01T12:00:00.123456789Z tick 1`
        let (prefix, rest) = line.split_once(" | ").expect("a prefixed line");
        let (timestamp, message) = rest.split_once(' ').expect("a timestamp");
        let nanos = parse_rfc3339_nanos(timestamp).expect("an RFC 3339 timestamp");
        assert!(nanos >= previous, "out of order at `{line}`\n{stdout}");
        assert!(message.starts_with("tick "), "{line}");
        assert!(
            ["ticker-1", "ticker-2", "ticker-3"].contains(&prefix),
            "{line}"
        );
        if prefix != previous_prefix {
            prefix_changes += 1;
            previous_prefix = prefix;
        }
        previous = nanos;
    }
    // The replicas ran side by side: a merge interleaves them, a concatenation would not.
    assert!(prefix_changes > 3, "not interleaved:\n{stdout}");
}

#[test]
fn tail_prefix_and_json_options_shape_the_merged_output() {
    let project = ticker("logs-options", 10);
    let ids: Vec<String> = (1..=2)
        .map(|n| project.start_replica("ticker", n))
        .collect();
    for id in &ids {
        wait_for_lines(&project, id, 10);
    }

    let tail = project.msctl_ok(&["logs", "--tail", "3", "--no-prefix", "ticker"]);
    let messages: Vec<&str> = tail.lines().collect();
    assert_eq!(messages.len(), 6, "{tail}");
    assert!(
        messages
            .iter()
            .all(|m| ["tick 8", "tick 9", "tick 10"].contains(m)),
        "{tail}"
    );

    let json = project.msctl_ok(&["logs", "--format", "json", "--tail", "1"]);
    let records: Vec<serde_json::Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(records.len(), 2, "{json}");
    let mut replicas: Vec<u64> = records
        .iter()
        .map(|record| {
            assert_eq!(record["service"], "ticker");
            assert_eq!(record["stream"], "stdout");
            assert_eq!(record["message"], "tick 10");
            let timestamp = record["timestamp"].as_str().expect("a timestamp");
            assert!(parse_rfc3339_nanos(timestamp).is_some(), "{timestamp}");
            record["replica"].as_u64().expect("a replica number")
        })
        .collect();
    replicas.sort_unstable();
    assert_eq!(replicas, vec![1, 2]);

    let none = project.msctl_ok(&["logs", "--until", "2000-01-01T00:00:00Z"]);
    assert_eq!(none, "");
    let all = project.msctl_ok(&["logs", "--since", "1h"]);
    assert_eq!(all.lines().count(), 20, "{all}");
}

/// Lines a child prints, collected by a thread as they come.
struct Lines {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Lines {
    fn read_from(child: &mut Child) -> Lines {
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().expect("lines").push(line);
            }
        });
        Lines { lines }
    }

    fn any(&self, predicate: impl Fn(&str) -> bool) -> bool {
        self.lines
            .lock()
            .expect("lines")
            .iter()
            .any(|line| predicate(line))
    }

    fn text(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }
}

/// Sends SIGINT, as Ctrl-C would, and waits for the exit code.
fn interrupt(child: &mut Child) -> Option<i32> {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("msctl did not exit within 10 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn logs_follow_picks_up_a_replica_started_by_scale_and_ctrl_c_ends_it_cleanly() {
    let project = ticker("logs-follow", 100_000);
    project.msctl_ok(&["up"]);
    let mut child = project.spawn(&["logs", "-f"]);
    let lines = Lines::read_from(&mut child);
    project.wait_for("lines of replica 1", Duration::from_secs(15), || {
        lines.any(|line| line.starts_with("ticker-1 | tick "))
    });

    project.msctl_ok(&["scale", "ticker=2"]);
    let waited = Instant::now();
    project.wait_for(
        "`logs -f` to follow replica 2 too",
        Duration::from_secs(15),
        || lines.any(|line| line.starts_with("ticker-2 | tick 1")),
    );
    assert!(waited.elapsed() < Duration::from_secs(10));
    // Still following the first one.
    let count_1 = || {
        lines
            .lines
            .lock()
            .expect("lines")
            .iter()
            .filter(|line| line.starts_with("ticker-1 |"))
            .count()
    };
    let before = count_1();
    project.wait_for("more lines of replica 1", Duration::from_secs(10), || {
        count_1() > before
    });

    let code = interrupt(&mut child);
    assert_eq!(
        code,
        Some(0),
        "Ctrl-C ends `logs -f` with 0\n{}",
        lines.text()
    );
    // Each line printed once: following resumes after the history, never repeats it.
    let text = lines.text();
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        assert!(seen.insert(line), "`{line}` printed twice");
    }
}

#[test]
fn logs_of_an_unknown_service_fail_with_a_did_you_mean() {
    let project = ticker("logs-unknown", 1);
    let (code, stdout, stderr) = project.msctl(&["logs", "tickr"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(&format!(
            "`tickr` is not a service of project `{}`",
            project.name()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `ticker`?"), "{stderr}");
}

#[test]
fn an_unreachable_engine_fails_within_seconds_naming_the_address_with_a_hint() {
    let project = ticker("logs-unreachable", 1);
    let started = Instant::now();
    let output = project
        .command(&["logs"])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .output()
        .expect("msctl runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        stderr.contains("cannot reach the Docker engine at unix:///nonexistent.sock: "),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(output.stdout.is_empty());
}
