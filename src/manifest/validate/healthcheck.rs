//! Health checks: a service's `healthcheck` (test command and timings).

use crate::manifest::fields::Reader;
use crate::manifest::model::Healthcheck;
use crate::manifest::yaml::{Node, Value};

use super::common::field_name;
use super::keys::HEALTHCHECK;

pub(super) fn healthcheck(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Healthcheck> {
    let what = format!("`healthcheck` of {what}");
    r.map(node, &what)?;
    let mut hc = Healthcheck {
        test: Vec::new(),
        interval: None,
        timeout: None,
        retries: None,
        start_period: None,
        start_interval: None,
    };
    let mut disabled = false;
    for e in HEALTHCHECK.check(node, &what, r.diags) {
        let field = field_name(&what, &e.key);
        let v = &e.value;
        match e.key.as_str() {
            "test" => match &v.value {
                Value::Str(s) => hc.test = vec!["CMD-SHELL".to_string(), s.clone()],
                Value::Seq(_) => {
                    let items = r.strings(v, &field, false)?;
                    match items.first().map(String::as_str) {
                        Some("CMD") | Some("CMD-SHELL") if items.len() >= 2 => hc.test = items,
                        Some("NONE") => hc.test = items,
                        Some("CMD") | Some("CMD-SHELL") => r.error_hint(
                            format!("{field} names no command"),
                            v.span,
                            "add the command after `CMD`, e.g. `[\"CMD\", \"/app\", \"healthcheck\"]`",
                        ),
                        _ => r.error_hint(
                            format!("{field} must start with `CMD`, `CMD-SHELL` or `NONE`"),
                            v.span,
                            "write `[\"CMD\", \"prog\", \"arg\"]`, `[\"CMD-SHELL\", \"shell command\"]`, or a plain string for a shell command",
                        ),
                    }
                }
                _ => {
                    r.error(
                        format!(
                            "{field} must be a string or a list, found {}",
                            v.type_name()
                        ),
                        v.span,
                    );
                }
            },
            "interval" => hc.interval = r.duration(v, &field),
            "timeout" => hc.timeout = r.duration(v, &field),
            "start_period" => hc.start_period = r.duration(v, &field),
            "start_interval" => hc.start_interval = r.duration(v, &field),
            "retries" => hc.retries = r.int(v, &field, 0, 1_000_000).map(|n| n as u32),
            "disable" => disabled = r.bool(v, &field).unwrap_or_default(),
            _ => {}
        }
    }
    if disabled {
        hc.test = vec!["NONE".to_string()];
    } else if hc.test.is_empty() {
        // Without a test, the image's own HEALTHCHECK applies with these timings.
        return Some(hc);
    }
    Some(hc)
}
