//! What the resolver answers: for each project, the ready replicas and, per network
//! gateway, the names each one answers to.
//!
//! Pure: the server holds one [`Tables`] behind a lock and the DNS tasks only call
//! [`Tables::lookup`]. Queries come far more often than changes (every connection a
//! replica opens starts with one), so each change updates an index that makes a lookup
//! two hash probes.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// The longest name DNS can carry, in presentation form without the trailing dot.
const MAX_NAME_LEN: usize = 253;
/// The longest label DNS can carry.
const MAX_LABEL_LEN: usize = 63;

/// One replica on one network: queries arriving at `gateway` for any of `names` get
/// `address` among their answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The network's gateway, where the resolver listens for that network's queries.
    pub gateway: Ipv4Addr,
    /// The names, as the replica's peers look them up (service name, aliases).
    pub names: Vec<String>,
    /// The replica's address on that network.
    pub address: Ipv4Addr,
}

/// A project's table: for each ready replica (by container id), where it answers and to which names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProjectTable {
    pub replicas: BTreeMap<String, Vec<Entry>>,
}

/// An entry the resolver could never serve, refused before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("gateway {0} is not an address the resolver can listen on")]
    Gateway(Ipv4Addr),
    #[error("`{0}` is not a DNS name (labels of 1 to 63 bytes, at most 253 bytes in all)")]
    Name(String),
}

impl Entry {
    /// Refuses what would bind the wrong socket (0.0.0.0 would take port 53 on every
    /// interface) or what no query could ever ask for.
    pub fn check(&self) -> Result<(), EntryError> {
        let gateway = self.gateway;
        if gateway.is_unspecified() || gateway.is_broadcast() || gateway.is_multicast() {
            return Err(EntryError::Gateway(gateway));
        }
        for name in &self.names {
            let bare = name.strip_suffix('.').unwrap_or(name);
            let labels_fit = bare
                .split('.')
                .all(|label| !label.is_empty() && label.len() <= MAX_LABEL_LEN);
            if bare.is_empty() || bare.len() > MAX_NAME_LEN || !labels_fit {
                return Err(EntryError::Name(name.clone()));
            }
        }
        Ok(())
    }
}

/// A gateway a project claims (`Tables::claim`): `fresh` when its network was just made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub gateway: Ipv4Addr,
    pub fresh: bool,
}

/// Every project's table, and the index queries are answered from.
#[derive(Debug, Default)]
pub struct Tables {
    projects: BTreeMap<String, ProjectTable>,
    index: Index,
}

/// Derived from `projects`: each change removes the old entries it replaces and adds the
/// new ones, so a change costs its own size, not the size of every table (a full rebuild
/// of 100 projects of 100 services took tens of milliseconds, under the lock queries wait
/// on). Counts, because two entries can give the same answer.
#[derive(Debug, Default, PartialEq, Eq)]
struct Index {
    /// gateway -> normalized name -> address -> how many entries give it.
    names: HashMap<Ipv4Addr, HashMap<String, BTreeMap<Ipv4Addr, usize>>>,
    /// gateway -> how many entries name it.
    gateways: BTreeMap<Ipv4Addr, usize>,
}

/// Names compare ASCII-case-insensitively and with or without one trailing dot, as DNS
/// does; borrowed when already in that form, which is the usual case.
fn normalize(name: &str) -> Cow<'_, str> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(bare.to_ascii_lowercase())
    } else {
        Cow::Borrowed(bare)
    }
}

/// Adds one to a count, or takes one away and forgets it at zero.
fn count<K: Ord>(counts: &mut BTreeMap<K, usize>, key: K, add: bool) {
    if add {
        *counts.entry(key).or_default() += 1;
    } else if let Some(n) = counts.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

impl Index {
    fn add(&mut self, entries: &[Entry]) {
        self.apply(entries, true);
    }

    fn remove(&mut self, entries: &[Entry]) {
        self.apply(entries, false);
    }

    fn add_table(&mut self, table: &ProjectTable) {
        table
            .replicas
            .values()
            .for_each(|entries| self.add(entries));
    }

    fn remove_table(&mut self, table: &ProjectTable) {
        table
            .replicas
            .values()
            .for_each(|entries| self.remove(entries));
    }

    /// Removing applies exactly what adding the same entries did, so counts never drift.
    fn apply(&mut self, entries: &[Entry], add: bool) {
        for entry in entries {
            count(&mut self.gateways, entry.gateway, add);
            let names = self.names.entry(entry.gateway).or_default();
            for name in &entry.names {
                let name = normalize(name);
                if name.is_empty() {
                    continue;
                }
                if add {
                    let addresses = names.entry(name.into_owned()).or_default();
                    count(addresses, entry.address, true);
                } else if let Some(addresses) = names.get_mut(name.as_ref()) {
                    count(addresses, entry.address, false);
                    if addresses.is_empty() {
                        names.remove(name.as_ref());
                    }
                }
            }
            if names.is_empty() {
                self.names.remove(&entry.gateway);
            }
        }
    }
}

impl Tables {
    /// Replaces a project's whole table; an empty table still registers the project.
    pub fn set_project(&mut self, project: &str, table: ProjectTable) {
        if let Some(old) = self.projects.remove(project) {
            self.index.remove_table(&old);
        }
        self.index.add_table(&table);
        self.projects.insert(project.to_string(), table);
    }

    /// Gives `gateway` to `project`: the entries other projects have there are dropped,
    /// and with `fresh` (its network was just created) the project's own too. A network
    /// removed without telling the resolver (its containers removed by hand) leaves its
    /// entries behind, and the engine gives its subnet, so its gateway, to the next
    /// network it creates: those entries would answer with addresses that are now other
    /// containers'. A bridge network belongs to one project, so at one gateway only the
    /// entries of the project that claimed it last can be right.
    pub fn claim(&mut self, project: &str, gateway: Ipv4Addr, fresh: bool) {
        let mut dropped: Vec<Entry> = Vec::new();
        for (name, table) in self.projects.iter_mut() {
            if name == project && !fresh {
                continue;
            }
            for entries in table.replicas.values_mut() {
                entries.retain(|entry| {
                    let stale = entry.gateway == gateway;
                    if stale {
                        dropped.push(entry.clone());
                    }
                    !stale
                });
            }
            table.replicas.retain(|_, entries| !entries.is_empty());
        }
        self.index.remove(&dropped);
    }

    /// Forgets every entry at `gateway`, whose network is gone from the host (removed
    /// without a word to the resolver: its containers removed by hand). A project left
    /// with nothing by it is forgotten too, so that the resolver, which goes with the
    /// last project it serves, is not kept by projects that are gone.
    pub fn forget_gateway(&mut self, gateway: Ipv4Addr) {
        let mut dropped: Vec<Entry> = Vec::new();
        let mut emptied: Vec<String> = Vec::new();
        for (name, table) in self.projects.iter_mut() {
            let before = table.replicas.len();
            for entries in table.replicas.values_mut() {
                entries.retain(|entry| {
                    let gone = entry.gateway == gateway;
                    if gone {
                        dropped.push(entry.clone());
                    }
                    !gone
                });
            }
            table.replicas.retain(|_, entries| !entries.is_empty());
            if before > 0 && table.replicas.is_empty() {
                emptied.push(name.clone());
            }
        }
        self.index.remove(&dropped);
        for name in emptied {
            self.projects.remove(&name);
        }
    }

    /// Forgets a project; returns how many projects remain, so the caller can tell when
    /// the resolver serves nobody any more.
    pub fn remove_project(&mut self, project: &str) -> usize {
        if let Some(old) = self.projects.remove(project) {
            self.index.remove_table(&old);
        }
        self.projects.len()
    }

    /// Sets one replica's entries, registering the project if it was not: a replica that
    /// turns ready must be answered even if the project's table was never pushed.
    /// Returns whether anything changed (the replica was not answered with just these).
    pub fn set_replica(&mut self, project: &str, container: &str, entries: Vec<Entry>) -> bool {
        self.index.add(&entries);
        let table = self.projects.entry(project.to_string()).or_default();
        let changed = table.replicas.get(container) != Some(&entries);
        let old = table.replicas.insert(container.to_string(), entries);
        if let Some(old) = old {
            self.index.remove(&old);
        }
        changed
    }

    /// A project's table, as the resolver answers from it.
    pub fn project(&self, project: &str) -> Option<&ProjectTable> {
        self.projects.get(project)
    }

    /// Stops answering with one replica; the project stays registered.
    pub fn remove_replica(&mut self, project: &str, container: &str) {
        let removed = self
            .projects
            .get_mut(project)
            .and_then(|table| table.replicas.remove(container));
        if let Some(old) = removed {
            self.index.remove(&old);
        }
    }

    pub fn project_count(&self) -> usize {
        self.projects.len()
    }

    /// Every gateway any entry names: where the resolver must listen.
    pub fn gateways(&self) -> BTreeSet<Ipv4Addr> {
        self.index.gateways.keys().copied().collect()
    }

    /// The addresses `name` has for queries arriving at `gateway`: unique, sorted, empty
    /// when the name is not ours there.
    pub fn lookup(&self, gateway: Ipv4Addr, name: &str) -> Vec<Ipv4Addr> {
        self.index
            .names
            .get(&gateway)
            .and_then(|names| names.get(normalize(name).as_ref()))
            .map(|addresses| addresses.keys().copied().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    const NET_A: Ipv4Addr = Ipv4Addr::new(172, 18, 0, 1);
    const NET_B: Ipv4Addr = Ipv4Addr::new(172, 19, 0, 1);

    fn entry(gateway: Ipv4Addr, names: &[&str], address: [u8; 4]) -> Entry {
        Entry {
            gateway,
            names: names.iter().map(|n| n.to_string()).collect(),
            address: Ipv4Addr::from(address),
        }
    }

    fn table(replicas: &[(&str, Vec<Entry>)]) -> ProjectTable {
        ProjectTable {
            replicas: replicas
                .iter()
                .map(|(id, entries)| (id.to_string(), entries.clone()))
                .collect(),
        }
    }

    #[test]
    fn lookup_answers_each_ready_replica_once_sorted() {
        let mut tables = Tables::default();
        tables.set_project(
            "shop",
            table(&[
                ("c2", vec![entry(NET_A, &["orders"], [172, 18, 0, 9])]),
                (
                    "c1",
                    vec![entry(NET_A, &["orders", "orders"], [172, 18, 0, 3])],
                ),
                ("c3", vec![entry(NET_A, &["web"], [172, 18, 0, 4])]),
            ]),
        );
        assert_eq!(
            tables.lookup(NET_A, "orders"),
            vec![Ipv4Addr::new(172, 18, 0, 3), Ipv4Addr::new(172, 18, 0, 9)]
        );
        assert_eq!(
            tables.lookup(NET_A, "web"),
            vec![Ipv4Addr::new(172, 18, 0, 4)]
        );
        assert!(tables.lookup(NET_A, "payments").is_empty());
        assert!(tables.lookup(NET_B, "orders").is_empty());
    }

    #[test]
    fn lookup_ignores_case_and_one_trailing_dot() {
        let mut tables = Tables::default();
        tables.set_replica(
            "shop",
            "c1",
            vec![entry(NET_A, &["Orders.Shop."], [10, 0, 0, 1])],
        );
        let want = vec![Ipv4Addr::new(10, 0, 0, 1)];
        assert_eq!(tables.lookup(NET_A, "orders.shop"), want);
        assert_eq!(tables.lookup(NET_A, "ORDERS.SHOP."), want);
        assert_eq!(tables.lookup(NET_A, "oRdErS.sHoP"), want);
        assert!(tables.lookup(NET_A, "orders.shop..").is_empty());
        assert!(tables.lookup(NET_A, "orders").is_empty());
    }

    #[test]
    fn the_same_name_on_two_networks_answers_each_networks_address() {
        let mut tables = Tables::default();
        tables.set_replica(
            "shop",
            "c1",
            vec![
                entry(NET_A, &["web"], [172, 18, 0, 5]),
                entry(NET_B, &["web"], [172, 19, 0, 5]),
            ],
        );
        assert_eq!(
            tables.lookup(NET_A, "web"),
            vec![Ipv4Addr::new(172, 18, 0, 5)]
        );
        assert_eq!(
            tables.lookup(NET_B, "web"),
            vec![Ipv4Addr::new(172, 19, 0, 5)]
        );
        assert_eq!(tables.gateways(), BTreeSet::from([NET_A, NET_B]));
    }

    #[test]
    fn removing_a_replica_stops_its_answers_and_keeps_the_project() {
        let mut tables = Tables::default();
        tables.set_replica("shop", "c1", vec![entry(NET_A, &["web"], [10, 0, 0, 1])]);
        tables.set_replica("shop", "c2", vec![entry(NET_A, &["web"], [10, 0, 0, 2])]);
        tables.remove_replica("shop", "c1");
        assert_eq!(
            tables.lookup(NET_A, "web"),
            vec![Ipv4Addr::new(10, 0, 0, 2)]
        );
        tables.remove_replica("shop", "c2");
        tables.remove_replica("shop", "c2");
        tables.remove_replica("nobody", "c2");
        assert!(tables.lookup(NET_A, "web").is_empty());
        assert!(tables.gateways().is_empty());
        assert_eq!(tables.project_count(), 1);
    }

    #[test]
    fn set_project_replaces_the_whole_table() {
        let mut tables = Tables::default();
        tables.set_replica("shop", "c1", vec![entry(NET_A, &["web"], [10, 0, 0, 1])]);
        tables.set_project(
            "shop",
            table(&[("c9", vec![entry(NET_B, &["api"], [10, 0, 1, 9])])]),
        );
        assert!(tables.lookup(NET_A, "web").is_empty());
        assert_eq!(
            tables.lookup(NET_B, "api"),
            vec![Ipv4Addr::new(10, 0, 1, 9)]
        );
        assert_eq!(tables.gateways(), BTreeSet::from([NET_B]));
    }

    #[test]
    fn remove_project_counts_the_projects_left_and_empty_tables_count() {
        let mut tables = Tables::default();
        tables.set_project("empty", ProjectTable::default());
        tables.set_replica("shop", "c1", vec![entry(NET_A, &["web"], [10, 0, 0, 1])]);
        tables.set_replica("blog", "c1", vec![entry(NET_A, &["web"], [10, 0, 0, 7])]);
        assert_eq!(tables.project_count(), 3);
        assert_eq!(
            tables.lookup(NET_A, "web"),
            vec![Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 7)]
        );
        assert_eq!(tables.remove_project("shop"), 2);
        assert_eq!(
            tables.lookup(NET_A, "web"),
            vec![Ipv4Addr::new(10, 0, 0, 7)]
        );
        assert_eq!(tables.remove_project("shop"), 2);
        assert_eq!(tables.remove_project("empty"), 1);
        assert_eq!(tables.remove_project("blog"), 0);
        assert!(tables.gateways().is_empty());
    }

    /// xorshift64: deterministic, so a failure reproduces.
    fn noise(state: &mut u64, below: u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state % below
    }

    #[test]
    fn the_index_after_any_changes_is_the_index_built_from_scratch() {
        let mut state = 0x2545_F491_4F6C_DD1D;
        let mut tables = Tables::default();
        for _ in 0..3000 {
            let project = format!("p{}", noise(&mut state, 3));
            let container = format!("c{}", noise(&mut state, 4));
            let mut entries = Vec::new();
            for _ in 0..noise(&mut state, 3) {
                let names = ["web", "WEB.", "api", "", "web"];
                let name = names[noise(&mut state, 5) as usize];
                let gateway = [NET_A, NET_B][noise(&mut state, 2) as usize];
                entries.push(entry(
                    gateway,
                    &[name, "db"],
                    [10, 0, 0, noise(&mut state, 3) as u8],
                ));
            }
            match noise(&mut state, 5) {
                0 => tables.set_project(&project, table(&[(&container, entries)])),
                1 => {
                    tables.remove_project(&project);
                }
                2 => tables.remove_replica(&project, &container),
                _ => {
                    tables.set_replica(&project, &container, entries);
                }
            }
            let mut rebuilt = Index::default();
            tables.projects.values().for_each(|t| rebuilt.add_table(t));
            assert_eq!(tables.index, rebuilt);
        }
    }

    #[test]
    fn check_refuses_wildcard_gateways_and_impossible_names() {
        assert!(entry(NET_A, &["web", "web.shop."], [10, 0, 0, 1])
            .check()
            .is_ok());
        for gateway in [
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            Ipv4Addr::new(224, 0, 0, 1),
        ] {
            assert_eq!(
                entry(gateway, &["web"], [10, 0, 0, 1]).check(),
                Err(EntryError::Gateway(gateway))
            );
        }
        let long_label = "a".repeat(64);
        for name in ["", ".", "a..b", long_label.as_str()] {
            assert_eq!(
                entry(NET_A, &[name], [10, 0, 0, 1]).check(),
                Err(EntryError::Name(name.to_string()))
            );
        }
    }
}
