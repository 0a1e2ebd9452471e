//! `msctl scale SERVICE=N...`: converge services to N replicas without touching the
//! others, on the project's target. The counts are desired state: kept in the state
//! store, so a later `up` keeps them until the service's replicas in the manifest change
//! (or `up --reset-scale`).

use std::collections::BTreeMap;

use crate::cli::ScaleArgs;
use crate::manifest::validate::MAX_REPLICAS;

use crate::session::{CommandError, Context};

/// `web=3` -> (`web`, 3).
pub fn parse_target(text: &str) -> Result<(String, u32), CommandError> {
    let usage = |why: &str| {
        CommandError::Usage(format!(
            "`{text}` {why}: write SERVICE=N with N from 0 to {MAX_REPLICAS}, e.g. `orders=3`"
        ))
    };
    let (service, count) = text.split_once('=').ok_or_else(|| usage("has no `=`"))?;
    if service.is_empty() {
        return Err(usage("names no service"));
    }
    let count: u32 = count
        .parse()
        .map_err(|_| usage("has no whole number after `=`"))?;
    if i64::from(count) > MAX_REPLICAS {
        return Err(usage("asks for too many replicas"));
    }
    Ok((service.to_string(), count))
}

pub fn run(ctx: &Context, args: ScaleArgs) -> Result<(), CommandError> {
    let mut targets = BTreeMap::new();
    for text in &args.targets {
        let (service, count) = parse_target(text)?;
        if targets.insert(service.clone(), count).is_some() {
            return Err(CommandError::Usage(format!(
                "service `{service}` is given twice"
            )));
        }
    }
    let loaded = ctx.load()?;
    let names: Vec<String> = targets.keys().cloned().collect();
    ctx.check_services(&loaded.project, &names)?;
    crate::targets::of(loaded.project.target).scale(ctx, &loaded, &targets, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_or_say_why_not() {
        assert_eq!(
            parse_target("orders=3").ok(),
            Some(("orders".to_string(), 3))
        );
        assert_eq!(
            parse_target("orders=0").ok(),
            Some(("orders".to_string(), 0))
        );
        for bad in ["orders", "=3", "orders=-1", "orders=x", "orders=100000"] {
            assert!(
                matches!(parse_target(bad), Err(CommandError::Usage(_))),
                "{bad}"
            );
        }
    }
}
