//! The simulated payment processor: it takes `LATENCY` to answer and declines a charge
//! with probability `FAILURE_RATE`. Its answer is stored with the charge the first time,
//! and the processor is never asked about a charge again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use shop_common::Metrics;

use crate::domain::ProcessorSettings;
use crate::store::{Charge, Outcome};

/// The Prometheus counter of charges sent to the processor: one per order, ever.
pub const CHARGES_ATTEMPTED: &str = "payments_charges_attempted_total";
const CHARGES_ATTEMPTED_HELP: &str = "Charges sent to the payment processor.";
const SUCCEEDED: &str = "payments_charges_succeeded_total";
const DECLINED: &str = "payments_charges_declined_total";

#[derive(Debug)]
pub struct Processor {
    settings: ProcessorSettings,
    attempted: AtomicU64,
    metrics: Arc<Metrics>,
}

impl Processor {
    pub fn new(settings: ProcessorSettings, metrics: Arc<Metrics>) -> Processor {
        // Zero counters are shown from the start, so a scrape can tell "none" from "unknown".
        metrics.add(CHARGES_ATTEMPTED, CHARGES_ATTEMPTED_HELP, 0);
        metrics.add(SUCCEEDED, "Charges the processor accepted.", 0);
        metrics.add(DECLINED, "Charges the processor declined.", 0);
        Processor {
            settings,
            attempted: AtomicU64::new(0),
            metrics,
        }
    }

    pub fn settings(&self) -> ProcessorSettings {
        self.settings
    }

    /// How many charges this process has sent to the processor.
    pub fn attempted(&self) -> u64 {
        self.attempted.load(Ordering::SeqCst)
    }

    /// Asks the processor to charge: waits `latency`, then succeeds or declines.
    pub async fn charge(&self, charge: &Charge) -> Outcome {
        self.attempted.fetch_add(1, Ordering::SeqCst);
        self.metrics
            .add(CHARGES_ATTEMPTED, CHARGES_ATTEMPTED_HELP, 1);
        tokio::time::sleep(self.settings.latency).await;
        let outcome = if self.settings.failure_rate.declines(fastrand::f64()) {
            Outcome::Declined
        } else {
            Outcome::Succeeded
        };
        let counter = match outcome {
            Outcome::Succeeded => SUCCEEDED,
            Outcome::Declined => DECLINED,
        };
        self.metrics.add(counter, "", 1);
        tracing::info!(
            order_id = %charge.order_id,
            charge_id = %charge.charge_id,
            amount_cents = charge.amount_cents,
            outcome = outcome.as_str(),
            "processor answered"
        );
        outcome
    }
}
