//! Validated inputs and the processor settings. Each type checks its rules once, on
//! construction; a failed check is a message for a 400, or for startup to refuse to run.

use std::time::Duration;

pub use shop_common::OrderId;

/// A charge's amount in cents: more than zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(i64);

impl Amount {
    pub fn parse(cents: i64) -> Result<Self, String> {
        if cents <= 0 {
            return Err("`amount_cents` must be more than zero".into());
        }
        Ok(Amount(cents))
    }

    pub fn cents(self) -> i64 {
        self.0
    }
}

/// The probability that the simulated processor declines a charge: 0.0 ..= 1.0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureRate(f64);

impl FailureRate {
    pub const NEVER: FailureRate = FailureRate(0.0);
    pub const ALWAYS: FailureRate = FailureRate(1.0);

    pub fn parse(text: &str) -> Result<Self, String> {
        let rate: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("FAILURE_RATE={text:?} is not a number"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("FAILURE_RATE={text:?} must be between 0.0 and 1.0"));
        }
        Ok(FailureRate(rate))
    }

    /// Whether a draw in `0.0 .. 1.0` declines: `ALWAYS` declines every draw, `NEVER`
    /// none.
    pub fn declines(self, draw: f64) -> bool {
        draw < self.0
    }
}

/// How the simulated processor behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessorSettings {
    /// How long the processor takes to answer (`LATENCY`).
    pub latency: Duration,
    /// How often it declines (`FAILURE_RATE`).
    pub failure_rate: FailureRate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_rates_outside_zero_to_one_are_refused() {
        assert_eq!(FailureRate::parse("0"), Ok(FailureRate::NEVER));
        assert_eq!(FailureRate::parse(" 1.0 "), Ok(FailureRate::ALWAYS));
        assert!(FailureRate::parse("0.25").is_ok());
        assert!(FailureRate::parse("-0.1").is_err());
        assert!(FailureRate::parse("1.01").is_err());
        assert!(FailureRate::parse("NaN").is_err());
        assert!(FailureRate::parse("often").is_err());
    }

    #[test]
    fn the_extreme_rates_always_or_never_decline() {
        for draw in [0.0, 0.5, 0.999_999] {
            assert!(FailureRate::ALWAYS.declines(draw));
            assert!(!FailureRate::NEVER.declines(draw));
        }
    }

    #[test]
    fn amounts_must_be_positive() {
        assert!(Amount::parse(0).is_err());
        assert!(Amount::parse(-5).is_err());
        assert_eq!(Amount::parse(1).map(Amount::cents), Ok(1));
    }

    #[test]
    fn order_ids_must_be_short_printable_and_present() {
        assert!(OrderId::parse(String::new()).is_err());
        assert!(OrderId::parse("a\tb".into()).is_err());
        assert!(OrderId::parse("x".repeat(129)).is_err());
        assert!(OrderId::parse("ord_1".into()).is_ok());
    }
}
