//! Request counters and latency histograms, exposed in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The upper bounds of the latency histogram's buckets, in seconds (`+Inf` is added).
pub const LATENCY_BUCKETS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Debug, Default)]
struct Histogram {
    /// Non-cumulative counts per bucket; the last one is `+Inf`.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Inner {
    /// (method, route, status) -> count.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route) -> latency.
    latency: BTreeMap<(String, String), Histogram>,
    /// name -> (help, value): a service's own counters.
    counters: BTreeMap<String, (String, u64)>,
}

/// A service's metrics: `http_requests_total{method,route,status}`,
/// `http_request_duration_seconds{method,route}` and the service's own counters.
/// `route` is the route template (`/orders/{id}`), never the raw path, so the number
/// of series stays bounded.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// No requests yet.
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Counts one request and its latency.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        *inner
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let histogram = inner
            .latency
            .entry((method.to_string(), route.to_string()))
            .or_default();
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        histogram.buckets[bucket] += 1;
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// Adds `by` to the service's counter `name` (a Prometheus metric name, e.g.
    /// `payments_charged_total`), created with `help` on first use.
    pub fn add(&self, name: &str, help: &str, by: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = inner
            .counters
            .entry(name.to_string())
            .or_insert_with(|| (help.to_string(), 0));
        entry.1 += by;
    }

    /// The number of requests recorded for `route`, any method and status.
    pub fn requests_for(&self, route: &str) -> u64 {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .requests
            .iter()
            .filter(|((_, r, _), _)| r == route)
            .map(|(_, count)| count)
            .sum()
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        out.push_str(
            "# HELP http_requests_total HTTP requests by method, route template and status.\n",
        );
        out.push_str("# TYPE http_requests_total counter\n");
        for ((method, route, status), count) in &inner.requests {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(method),
                escape(route)
            );
        }
        out.push_str(
            "# HELP http_request_duration_seconds HTTP request latency by method and route template.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for ((method, route), histogram) in &inner.latency {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            let mut cumulative = 0;
            for (index, count) in histogram.buckets.iter().enumerate() {
                cumulative += count;
                let bound = LATENCY_BUCKETS
                    .get(index)
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "+Inf".to_string());
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{labels}}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {}",
                histogram.count
            );
        }
        for (name, (help, value)) in &inner.counters {
            let _ = writeln!(out, "# HELP {name} {}", help.replace('\n', " "));
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_exposition() {
        let metrics = Metrics::new();
        metrics.record("GET", "/items/{id}", 200, Duration::from_millis(3));
        metrics.record("GET", "/items/{id}", 200, Duration::from_millis(30));
        metrics.record("GET", "/items/{id}", 404, Duration::from_secs(10));
        metrics.record("POST", "/items", 201, Duration::from_millis(1));
        metrics.add("items_sold_total", "Items sold.", 3);
        metrics.add("items_sold_total", "Items sold.", 2);
        let text = metrics.render();
        for line in [
            "# TYPE http_requests_total counter",
            r#"http_requests_total{method="GET",route="/items/{id}",status="200"} 2"#,
            r#"http_requests_total{method="GET",route="/items/{id}",status="404"} 1"#,
            r#"http_requests_total{method="POST",route="/items",status="201"} 1"#,
            "# TYPE http_request_duration_seconds histogram",
            r#"http_request_duration_seconds_bucket{method="GET",route="/items/{id}",le="0.001"} 0"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/items/{id}",le="0.005"} 1"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/items/{id}",le="0.05"} 2"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/items/{id}",le="5"} 2"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/items/{id}",le="+Inf"} 3"#,
            r#"http_request_duration_seconds_count{method="GET",route="/items/{id}"} 3"#,
            r#"http_request_duration_seconds_bucket{method="POST",route="/items",le="0.001"} 1"#,
            "# TYPE items_sold_total counter",
            "items_sold_total 5",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
        assert_eq!(metrics.requests_for("/items/{id}"), 3);
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
