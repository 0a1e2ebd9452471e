//! The fake engine's call log and injected failures, and the events it sends.

use std::sync::MutexGuard;
use std::time::Duration;

use super::{FakeEngine, FakeFault, FakeState, FAKE_ADDRESS};
use crate::engine::{ContainerSummary, EngineError, EngineEvent, EventAction};
use crate::plan::ContainerState;

impl FakeEngine {
    /// Sends an event to every `events` stream open now.
    pub(super) fn emit(
        &self,
        state: &mut FakeState,
        summary: &ContainerSummary,
        action: EventAction,
    ) {
        state.event_clock += 1;
        let exit_code = match (&action, summary.state) {
            (EventAction::Die, ContainerState::Exited { code }) => Some(code),
            _ => None,
        };
        // No receiver is not an error: nobody is listening.
        let _ = self.events.send(EngineEvent {
            container_id: summary.id.clone(),
            container_name: summary.name.clone(),
            action,
            labels: summary.labels.clone(),
            exit_code,
            time_nanos: state.event_clock,
        });
    }

    /// Makes the next call of `operation` (a trait method name, e.g. `start_container`)
    /// fail with `fault`. Several failures queue up in order.
    pub fn fail_next(&self, operation: &str, fault: FakeFault) {
        self.lock()
            .faults
            .entry(operation.to_string())
            .or_default()
            .push(fault);
    }

    /// Every call so far, one line each: `start_container c0001`.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A test that panicked while holding the lock leaves consistent data behind: every
        // mutation below is a single insert or field write.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Logs the call and returns the injected failure, if one is queued.
    pub(super) fn enter(
        &self,
        operation: &str,
        target: &str,
    ) -> Result<MutexGuard<'_, FakeState>, EngineError> {
        let mut state = self.lock();
        let call = if target.is_empty() {
            operation.to_string()
        } else {
            format!("{operation} {target}")
        };
        state.calls.push(call);
        let fault = state.faults.get_mut(operation).and_then(|queue| {
            if queue.is_empty() {
                None
            } else {
                Some(queue.remove(0))
            }
        });
        match fault {
            None => Ok(state),
            Some(fault) => Err(fault_error(fault, operation, target)),
        }
    }
}

fn fault_error(fault: FakeFault, operation: &str, target: &str) -> EngineError {
    match fault {
        FakeFault::NotFound => EngineError::NotFound {
            what: target.to_string(),
        },
        FakeFault::Conflict => EngineError::Conflict {
            what: target.to_string(),
            message: "injected conflict".to_string(),
        },
        FakeFault::Unavailable => EngineError::Unavailable {
            address: FAKE_ADDRESS.to_string(),
            cause: "injected: connection refused".into(),
        },
        FakeFault::Timeout => EngineError::Timeout {
            operation: operation.to_string(),
            timeout: Duration::from_secs(10),
        },
        FakeFault::Other => EngineError::Other {
            operation: operation.to_string(),
            message: "injected failure".to_string(),
        },
    }
}
