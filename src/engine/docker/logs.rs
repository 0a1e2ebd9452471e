//! Logs and events: a container's log read off the engine's socket (`log_reader`), the
//! engine's log frames as [`LogLine`]s, and its container events as [`EngineEvent`]s.

use bollard::container::LogOutput;
use bollard::models::{EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::stream::{BoxStream, StreamExt};

use super::{map_error, DockerEngine, CALL_TIMEOUT};
use crate::engine::{
    log_reader, timestamp, EngineError, EngineEvent, EventAction, LabelFilter, LogLine, LogOptions,
    LogStream,
};
use crate::plan::Health;

impl DockerEngine {
    pub(super) async fn container_logs_impl(
        &self,
        container_id: &str,
        options: &LogOptions,
    ) -> Result<BoxStream<'static, Result<LogLine, EngineError>>, EngineError> {
        let clamp = |seconds: i64| i32::try_from(seconds.max(0)).unwrap_or(i32::MAX);
        let tail = options
            .tail
            .map(|lines| lines.to_string())
            .unwrap_or_else(|| "all".to_string());
        let mut query = format!(
            "stdout=1&stderr=1&timestamps=1&follow={}&tail={}",
            u8::from(options.follow),
            log_reader::encode(&tail)
        );
        if let Some(since) = options.since {
            query.push_str(&format!("&since={}", clamp(since)));
        }
        if let Some(until) = options.until {
            // Docker reads 0 as "no bound": a bound at the epoch keeps nothing anyway.
            query.push_str(&format!("&until={}", clamp(until).max(1)));
        }
        let path = format!(
            "/v{}/containers/{}/logs?{query}",
            self.api_version,
            log_reader::encode(container_id)
        );
        let address = self.address.clone();
        let what = format!("container `{container_id}`");
        let unavailable = |address: &str, err: std::io::Error| EngineError::Unavailable {
            address: address.to_string(),
            cause: err.to_string().into(),
        };
        let batches =
            match log_reader::open(&self.address, &path, options.follow, CALL_TIMEOUT).await {
                Ok(batches) => batches,
                Err(log_reader::OpenError::Io(err)) => return Err(unavailable(&address, err)),
                Err(log_reader::OpenError::Status { code, message }) => {
                    let err = bollard::errors::Error::DockerResponseServerError {
                        status_code: code,
                        message,
                    };
                    return Err(map_error(&address, "container_logs", what, err));
                }
            };
        let stream = batches.flat_map(move |batch| {
            let lines: Vec<Result<LogLine, EngineError>> = match batch {
                Ok(lines) => lines.into_iter().map(Ok).collect(),
                Err(err) => vec![Err(unavailable(&address, err))],
            };
            futures_util::stream::iter(lines)
        });
        Ok(stream.boxed())
    }

    pub(super) async fn events_impl(
        &self,
        filter: &LabelFilter,
    ) -> Result<BoxStream<'static, Result<EngineEvent, EngineError>>, EngineError> {
        let mut filters = DockerEngine::label_filters(filter);
        filters.insert("type".to_string(), vec!["container".to_string()]);
        // bollard sends the request when the stream is first polled, which may be after
        // the caller's next move: asking for events since now makes the stream start here.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let since = format!("{}.{:09}", now.as_secs(), now.subsec_nanos());
        let options = EventsOptionsBuilder::default()
            .since(&since)
            .filters(&filters)
            .build();
        let address = self.address.clone();
        let filter = filter.clone();
        let stream = self.docker.events(Some(options)).filter_map(move |item| {
            let mapped = match item {
                Ok(message) => event_of(message)
                    .filter(|event| filter.matches(&event.labels))
                    .map(Ok),
                Err(err) => Some(Err(map_error(
                    &address,
                    "events",
                    "events".to_string(),
                    err,
                ))),
            };
            std::future::ready(mapped)
        });
        Ok(stream.boxed())
    }
}

/// Splits Docker's `TIMESTAMP message\n` frame into a [`LogLine`]. A frame without a
/// readable timestamp keeps `fallback_nanos` (the previous line's time) and all its text.
pub(in crate::engine) fn log_line(output: LogOutput, fallback_nanos: i64) -> LogLine {
    let (stream, bytes) = match output {
        LogOutput::StdErr { message } => (LogStream::Stderr, message),
        LogOutput::StdOut { message }
        | LogOutput::Console { message }
        | LogOutput::StdIn { message } => (LogStream::Stdout, message),
    };
    log_line_of(stream, &bytes, fallback_nanos)
}

/// One line the engine sent (its RFC 3339 timestamp, a space, the text, a newline) as a
/// [`LogLine`]; a line without a timestamp takes `fallback_nanos`.
pub(in crate::engine) fn log_line_of(
    stream: LogStream,
    bytes: &[u8],
    fallback_nanos: i64,
) -> LogLine {
    let mut text: &[u8] = bytes;
    if let [rest @ .., b'\n'] = text {
        text = rest;
    }
    if let [rest @ .., b'\r'] = text {
        text = rest;
    }
    let (timestamp_nanos, message) = match text.iter().position(|&byte| byte == b' ') {
        Some(space) => match timestamp::parse_bytes(&text[..space]) {
            Some(nanos) => (nanos, &text[space + 1..]),
            None => (fallback_nanos, text),
        },
        None => match timestamp::parse_bytes(text) {
            Some(nanos) => (nanos, &text[text.len()..]),
            None => (fallback_nanos, text),
        },
    };
    let message = match std::str::from_utf8(message) {
        Ok(message) => message.to_string(),
        Err(_) => String::from_utf8_lossy(message).into_owned(),
    };
    LogLine {
        stream,
        timestamp_nanos,
        message,
    }
}

/// Attributes Docker mixes into an event's actor attributes next to the labels.
const EVENT_ATTRIBUTES: &[&str] = &["name", "image", "exitCode", "signal", "execID"];

fn event_of(message: EventMessage) -> Option<EngineEvent> {
    if message.typ != Some(EventMessageTypeEnum::CONTAINER) {
        return None;
    }
    let actor = message.actor?;
    let container_id = actor.id?;
    let mut attributes = actor.attributes.unwrap_or_default();
    let exit_code = attributes
        .get("exitCode")
        .and_then(|code| code.parse::<i64>().ok());
    let container_name = attributes.remove("name").unwrap_or_default();
    let labels = attributes
        .into_iter()
        .filter(|(key, _)| !EVENT_ATTRIBUTES.contains(&key.as_str()))
        .collect();
    let action_text = message.action.unwrap_or_default();
    let action = match action_text.as_str() {
        "create" => EventAction::Create,
        "start" => EventAction::Start,
        "die" => EventAction::Die,
        "kill" => EventAction::Kill,
        "stop" => EventAction::Stop,
        "restart" => EventAction::Restart,
        "pause" => EventAction::Pause,
        "unpause" => EventAction::Unpause,
        "destroy" => EventAction::Destroy,
        "oom" => EventAction::Oom,
        text => match text.strip_prefix("health_status:").map(str::trim) {
            Some("healthy") => EventAction::HealthStatus(Health::Healthy),
            Some("unhealthy") => EventAction::HealthStatus(Health::Unhealthy),
            Some("starting") => EventAction::HealthStatus(Health::Starting),
            _ => EventAction::Other(text.to_string()),
        },
    };
    let time_nanos = message
        .time_nano
        .or_else(|| {
            message
                .time
                .map(|seconds| seconds.saturating_mul(1_000_000_000))
        })
        .unwrap_or(0);
    Some(EngineEvent {
        container_id,
        container_name,
        action,
        labels,
        exit_code,
        time_nanos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    use crate::plan::labels;

    #[test]
    fn splits_the_timestamp_from_a_log_frame() {
        let line = log_line(
            LogOutput::StdErr {
                message: "2024-02-29T12:34:56.000000001Z hello world\n".into(),
            },
            0,
        );
        assert_eq!(line.stream, LogStream::Stderr);
        assert_eq!(line.timestamp_nanos, 1_709_210_096_000_000_001);
        assert_eq!(line.message, "hello world");
        let empty = log_line(
            LogOutput::StdOut {
                message: "2024-02-29T12:34:56.000000001Z \n".into(),
            },
            0,
        );
        assert_eq!(empty.message, "");
        let untimed = log_line(
            LogOutput::Console {
                message: "no time here\r\n".into(),
            },
            42,
        );
        assert_eq!(
            (untimed.timestamp_nanos, untimed.message.as_str()),
            (42, "no time here")
        );
    }

    #[test]
    fn names_health_events() {
        let message = EventMessage {
            typ: Some(EventMessageTypeEnum::CONTAINER),
            action: Some("health_status: unhealthy".to_string()),
            actor: Some(bollard::models::EventActor {
                id: Some("abc".to_string()),
                attributes: Some(HashMap::from([
                    ("name".to_string(), "demo-web-1".to_string()),
                    ("image".to_string(), "img".to_string()),
                    (labels::PROJECT.to_string(), "demo".to_string()),
                ])),
            }),
            time_nano: Some(5),
            ..EventMessage::default()
        };
        let event = event_of(message).expect("a container event");
        assert_eq!(event.action, EventAction::HealthStatus(Health::Unhealthy));
        assert_eq!(event.container_name, "demo-web-1");
        assert_eq!(
            event.labels,
            BTreeMap::from([(labels::PROJECT.to_string(), "demo".to_string())])
        );
    }
}
