//! Autoscaling decisions: how many replicas a service with `x-msctl.autoscale` should run,
//! from the CPU use of its replicas. Pure, like the planner: the caller measures and
//! keeps time; this only decides, and says why.
//!
//! The rule is the one Kubernetes' horizontal autoscaler uses: the count that would bring
//! the average back to the target, `ceil(current * average / target)`, kept within
//! `min..=max`, ignored within a 10% tolerance of the target, and held back by the
//! cooldown since the last change in that direction.

use std::time::Duration;

use crate::manifest::model::Autoscale;

/// Within this fraction of the target, the count is left alone (no flapping).
pub const TOLERANCE: f64 = 0.1;

/// A change of replica count, with the reason recorded as an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

/// What to do with a service running `current` replicas whose ready replicas use
/// `cpu_percent` each (percent of one CPU), `since_change` after its last change (`None`:
/// never changed). `None` when the count should stay.
pub fn decide(
    settings: &Autoscale,
    current: u32,
    cpu_percent: &[f64],
    since_change: Option<Duration>,
) -> Option<Decision> {
    let bounded = current.clamp(settings.min, settings.max);
    if bounded != current {
        return Some(Decision {
            from: current,
            to: bounded,
            reason: format!(
                "{current} replicas is outside the autoscale range {} to {}",
                settings.min, settings.max
            ),
        });
    }
    if cpu_percent.is_empty() || current == 0 {
        return None;
    }
    let average = cpu_percent.iter().sum::<f64>() / cpu_percent.len() as f64;
    let ratio = average / settings.cpu_percent;
    if (ratio - 1.0).abs() <= TOLERANCE {
        return None;
    }
    let wanted = (f64::from(current) * ratio).ceil();
    let to = (wanted.max(0.0) as u32).clamp(settings.min, settings.max);
    if to == current {
        return None;
    }
    let cooldown = if to > current {
        settings.scale_up_cooldown
    } else {
        settings.scale_down_cooldown
    };
    if since_change.is_some_and(|elapsed| elapsed < cooldown) {
        return None;
    }
    Some(Decision {
        from: current,
        to,
        reason: format!(
            "average CPU {average:.0}% against a target of {:.0}% over {} ready replica{}",
            settings.cpu_percent,
            cpu_percent.len(),
            if cpu_percent.len() == 1 { "" } else { "s" }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Autoscale {
        Autoscale {
            min: 1,
            max: 4,
            cpu_percent: 50.0,
            scale_up_cooldown: Duration::from_secs(15),
            scale_down_cooldown: Duration::from_secs(60),
        }
    }

    #[test]
    fn load_scales_up_to_the_count_that_meets_the_target_within_max() {
        let d = decide(&settings(), 1, &[140.0], None).expect("a decision");
        assert_eq!((d.from, d.to), (1, 3));
        assert!(
            d.reason.contains("140%") && d.reason.contains("50%"),
            "{}",
            d.reason
        );
        let d = decide(&settings(), 2, &[190.0, 200.0], None).expect("a decision");
        assert_eq!(d.to, 4, "capped at max");
    }

    #[test]
    fn idle_scales_down_to_min() {
        let d = decide(
            &settings(),
            4,
            &[1.0, 0.5, 0.0, 2.0],
            Some(Duration::from_secs(61)),
        )
        .expect("a decision");
        assert_eq!((d.from, d.to), (4, 1));
    }

    #[test]
    fn near_the_target_nothing_changes() {
        assert_eq!(decide(&settings(), 2, &[54.0, 50.0], None), None);
        assert_eq!(decide(&settings(), 2, &[46.0, 48.0], None), None);
    }

    #[test]
    fn cooldowns_hold_changes_back_each_in_its_direction() {
        let up = |elapsed| decide(&settings(), 1, &[150.0], Some(Duration::from_secs(elapsed)));
        assert_eq!(up(5), None);
        assert!(up(15).is_some());
        let down = |elapsed| {
            decide(
                &settings(),
                3,
                &[1.0, 1.0, 1.0],
                Some(Duration::from_secs(elapsed)),
            )
        };
        assert_eq!(down(30), None, "the scale-down cooldown is longer");
        assert!(down(60).is_some());
    }

    #[test]
    fn a_count_outside_the_range_is_brought_back_at_once() {
        let d = decide(&settings(), 7, &[], Some(Duration::ZERO)).expect("a decision");
        assert_eq!(d.to, 4);
        let d = decide(&settings(), 0, &[], Some(Duration::ZERO)).expect("a decision");
        assert_eq!(d.to, 1);
    }

    #[test]
    fn no_measurement_no_change() {
        assert_eq!(decide(&settings(), 2, &[], None), None);
    }
}
