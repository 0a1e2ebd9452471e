//! `msctl events`: what happened to projects, from the state store's event log: what the
//! control plane decided (replicas that died or turned unhealthy, replaced, backing off)
//! and what commands changed (`scale`, `up`). A table, or with `--format json` one JSON
//! object per line; `--follow` keeps printing new events until interrupted.
//!
//! The project is `-p`, else the manifest's; without either, every project's events.

use std::io::Write;
use std::time::Duration;

use crate::cli::{EventsArgs, Format};
use crate::control::api::EventView;
use crate::control::format_ms;
use crate::state::StoredEvent;

use crate::session::{CommandError, Context};

/// How often `--follow` looks for new events.
const POLL: Duration = Duration::from_millis(250);

pub fn run(ctx: &Context, args: EventsArgs) -> Result<(), CommandError> {
    let json = match ctx.global.format {
        Some(Format::Json) => true,
        None | Some(Format::Table) => false,
        Some(Format::Yaml) => {
            return Err(CommandError::Usage(
                "`events` prints a table or json (one object per line), not yaml".to_string(),
            ))
        }
    };
    // Quietly: no manifest here means every project, not an error.
    let loaded = crate::manifest::load(&ctx.load_options()).ok();
    if let Some(loaded) = &loaded {
        ctx.local_only(
            "events",
            &loaded.project,
            "the Swarm keeps its own record of what it did; `docker service ps --no-trunc SERVICE` on a manager shows it (`msctl ps -a` lists the tasks)",
        )?;
    }
    let project = match &ctx.global.project_name {
        Some(name) => Some(name.clone()),
        None => loaded.map(|loaded| loaded.project.name),
    };
    let store = ctx.state_store()?;
    let failed = |e: crate::state::StateError| CommandError::Failed(e.into());
    let mut found = store
        .events(project.as_deref(), 0, crate::state::EVENTS_KEPT * 1000)
        .map_err(failed)?;
    if let Some(tail) = args.tail {
        let skip = found.len().saturating_sub(tail);
        found.drain(..skip);
    }
    let mut after = found.last().map_or(0, |e| e.id);
    if !args.follow {
        let text = if json {
            json_lines(&found)
        } else {
            table(&found, true)
        };
        ctx.printer.data(&text).map_err(anyhow::Error::from)?;
        return Ok(());
    }
    // Following writes as events come; a reader that goes away ends it quietly.
    let mut out = std::io::stdout();
    let mut write = |text: &str| -> Result<bool, CommandError> {
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(err) => Err(CommandError::Failed(err.into())),
        }
    };
    let first = if json {
        json_lines(&found)
    } else {
        table(&found, true)
    };
    if !write(&first)? {
        return Ok(());
    }
    loop {
        std::thread::sleep(POLL);
        let newer = store
            .events(project.as_deref(), after, 1000)
            .map_err(failed)?;
        let Some(last) = newer.last() else { continue };
        after = last.id;
        let text = if json {
            json_lines(&newer)
        } else {
            table(&newer, false)
        };
        if !write(&text)? {
            return Ok(());
        }
    }
}

fn json_lines(events: &[StoredEvent]) -> String {
    events
        .iter()
        .filter_map(|event| serde_json::to_string(&EventView::from(event)).ok())
        .map(|line| line + "\n")
        .collect()
}

/// Columns of fixed width (the message last, whole), so that followed rows line up with
/// the header.
fn table(events: &[StoredEvent], header: bool) -> String {
    let mut out = String::new();
    if header {
        out.push_str(&format!(
            "{:<24} {:<20} {:<12} {:<12} {}\n",
            "TIME", "PROJECT", "SERVICE", "KIND", "MESSAGE"
        ));
    }
    for event in events {
        let service = if event.service.is_empty() {
            "-"
        } else {
            &event.service
        };
        out.push_str(&format!(
            "{:<24} {:<20} {:<12} {:<12} {}\n",
            format_ms(event.at_ms),
            event.project,
            service,
            event.kind,
            event.message
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_says_when_who_what_and_why() {
        let event = StoredEvent {
            id: 7,
            at_ms: 1_700_000_000_250,
            project: "shop".to_string(),
            service: "web".to_string(),
            replica: "shop-web-1".to_string(),
            kind: "died".to_string(),
            message: "replica `shop-web-1` exited with code 3".to_string(),
        };
        assert_eq!(
            table(std::slice::from_ref(&event), false),
            "2023-11-14T22:13:20.250Z shop                 web          died         replica `shop-web-1` exited with code 3\n"
        );
        assert_eq!(
            json_lines(&[event]),
            "{\"id\":7,\"time\":\"2023-11-14T22:13:20.250Z\",\"project\":\"shop\",\"service\":\"web\",\"replica\":\"shop-web-1\",\"kind\":\"died\",\"message\":\"replica `shop-web-1` exited with code 3\"}\n"
        );
    }
}
