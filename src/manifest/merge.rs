//! Merging several manifests (`-f a.yaml -f b.yaml`) with Compose's override rules.
//!
//! Mappings merge key by key, later files winning. Per service: `environment`, `labels`,
//! `build.args`, `depends_on` and `networks` merge as maps (their list forms are turned
//! into maps first); `ports`, `expose`, `cap_add`, `cap_drop`, `security_opt`, `tmpfs`,
//! `env_file`, `profiles`, `dns` are appended without duplicates; `volumes` merge by
//! container path and `secrets` by source; everything else (`command`, `entrypoint`,
//! `image`, ...) is replaced. Nodes keep their own file and position.
//!
//! The Compose Specification's tags step around these rules for one key of the later
//! file: `key: !reset VALUE` removes the key, as if the earlier files had never set it,
//! and `key: !override VALUE` takes VALUE as it is, unmerged. A tagged value replaces the
//! earlier one still tagged, and [`resolve_tags`] then drops the `!reset` keys and clears
//! the `!override` marks, so the merged tree holds plain values only.

use super::yaml::{Entry, MergeTag, Node, Value};

/// Merge `over` into `base` (both whole manifests). The result has no tags left.
pub fn merge_manifests(mut base: Node, over: Node) -> Node {
    resolve_tags(&mut base);
    let mut merged = merge_with(base, over, &|key, base, over| match key {
        "services" => merge_map_by(base, over, &|_, b, o| merge_service(b, o)),
        _ => deep_merge(base, over),
    });
    resolve_tags(&mut merged);
    merged
}

/// Merge service `over` into service `base` (for `-f` overrides and `extends`).
///
/// The tags of `base` are resolved first (they spoke to the files before `base`'s own);
/// those of `over` stay in the result, so a service that `extends` another still resets
/// or overrides what earlier `-f` files gave it.
pub fn merge_service(mut base: Node, over: Node) -> Node {
    resolve_tags(&mut base);
    merge_with(base, over, &|key, base, over| match key {
        "environment" | "labels" | "sysctls" | "annotations" => {
            deep_merge(list_to_map(base, '='), list_to_map(over, '='))
        }
        "depends_on" | "networks" => deep_merge(list_to_map(base, '\0'), list_to_map(over, '\0')),
        "ports" | "expose" | "cap_add" | "cap_drop" | "security_opt" | "tmpfs" | "env_file"
        | "profiles" | "dns" | "dns_search" | "dns_opt" | "extra_hosts" | "links" | "devices"
        | "group_add" => append_unique(base, over),
        "volumes" => merge_list_by(base, over, volume_target),
        "secrets" | "configs" => merge_list_by(base, over, secret_source),
        "build" => merge_with(
            build_to_map(base),
            build_to_map(over),
            &|key, b, o| match key {
                "args" | "labels" => deep_merge(list_to_map(b, '='), list_to_map(o, '=')),
                _ => deep_merge(b, o),
            },
        ),
        "command" | "entrypoint" => over,
        _ => deep_merge(base, over),
    })
}

/// Merge two mappings, calling `rule` for a key present in both, unless the later value
/// is tagged `!reset` or `!override`: then it replaces the earlier one, tag and all.
fn merge_with(base: Node, over: Node, rule: &dyn Fn(&str, Node, Node) -> Node) -> Node {
    match (base.value, over.value) {
        (Value::Map(mut entries), Value::Map(over_entries)) => {
            for entry in over_entries {
                match entries.iter_mut().find(|e| e.key == entry.key) {
                    Some(existing) if entry.value.tag.is_some() => existing.value = entry.value,
                    Some(existing) => {
                        let old = std::mem::replace(
                            &mut existing.value,
                            Node::new(Value::Null, entry.value.span),
                        );
                        existing.value = rule(&entry.key, old, entry.value);
                    }
                    None => entries.push(entry),
                }
            }
            Node::new(Value::Map(entries), base.span)
        }
        (_, over_value) => replaced(over_value, over.span, over.tag),
    }
}

/// The later value where it replaces the earlier one, keeping its tag for
/// [`resolve_tags`].
fn replaced(value: Value, span: super::diagnostic::Span, tag: Option<MergeTag>) -> Node {
    let mut node = Node::new(value, span);
    node.tag = tag;
    node
}

/// Apply the tags left in a merged tree: a key or list item tagged `!reset` is removed,
/// an `!override` mark is cleared. A `!reset` with nothing earlier to reset (in the
/// first file, or on a key no earlier file set) leaves the key absent all the same.
pub fn resolve_tags(node: &mut Node) {
    node.tag = None;
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|e| e.value.tag != Some(MergeTag::Reset));
            for entry in entries {
                resolve_tags(&mut entry.value);
            }
        }
        Value::Seq(items) => {
            items.retain(|i| i.tag != Some(MergeTag::Reset));
            for item in items {
                resolve_tags(item);
            }
        }
        _ => {}
    }
}

/// Whether a tree still holds a merge tag (for tests and debug assertions).
pub fn has_tags(node: &Node) -> bool {
    node.tag.is_some()
        || match &node.value {
            Value::Map(entries) => entries.iter().any(|e| has_tags(&e.value)),
            Value::Seq(items) => items.iter().any(has_tags),
            _ => false,
        }
}

fn merge_map_by(base: Node, over: Node, rule: &dyn Fn(&str, Node, Node) -> Node) -> Node {
    merge_with(base, over, rule)
}

/// Recursive merge: mappings merge, anything else is replaced by the later value.
pub fn deep_merge(base: Node, over: Node) -> Node {
    merge_with(base, over, &|_, b, o| deep_merge(b, o))
}

fn append_unique(base: Node, over: Node) -> Node {
    match (base.value, over.value) {
        (Value::Seq(mut items), Value::Seq(more)) => {
            for item in more {
                if !items.iter().any(|i| i.value == item.value) {
                    items.push(item);
                }
            }
            Node::new(Value::Seq(items), base.span)
        }
        (_, value) => replaced(value, over.span, over.tag),
    }
}

fn merge_list_by(base: Node, over: Node, key: fn(&Node) -> Option<String>) -> Node {
    match (base.value, over.value) {
        (Value::Seq(mut items), Value::Seq(more)) => {
            for item in more {
                let k = key(&item);
                match items.iter_mut().find(|i| k.is_some() && key(i) == k) {
                    Some(existing) => *existing = item,
                    None => items.push(item),
                }
            }
            Node::new(Value::Seq(items), base.span)
        }
        (_, value) => replaced(value, over.span, over.tag),
    }
}

/// The container path of a volume entry, short (`src:dst:mode`) or long (`target:`).
fn volume_target(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            Some(if parts.len() >= 2 { parts[1] } else { parts[0] }.to_string())
        }
        Value::Map(_) => node.get("target")?.scalar_text(),
        _ => None,
    }
}

fn secret_source(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Map(_) => node.get("source")?.scalar_text(),
        _ => None,
    }
}

/// `build: ./dir` is `build: {context: ./dir}`.
fn build_to_map(node: Node) -> Node {
    match node.value {
        Value::Str(_) => {
            let span = node.span;
            Node::new(
                Value::Map(vec![Entry {
                    key: "context".to_string(),
                    key_span: span,
                    value: node,
                }]),
                span,
            )
        }
        _ => node,
    }
}

/// `[A=1, B]` is `{A: "1", B: null}`; with `sep == '\0'`, `[a, b]` is `{a: null, b: null}`.
/// Anything that is not a list of scalars is returned as it is, for validation to report.
pub fn list_to_map(node: Node, sep: char) -> Node {
    let Value::Seq(items) = &node.value else {
        return node;
    };
    let mut entries: Vec<Entry> = Vec::new();
    for item in items {
        let Some(text) = item.scalar_text() else {
            return node;
        };
        let (key, value) = match (sep != '\0').then(|| text.split_once(sep)).flatten() {
            Some((k, v)) => (k.to_string(), Value::Str(v.to_string())),
            None => (text, Value::Null),
        };
        entries.retain(|e| e.key != key);
        entries.push(Entry {
            key,
            key_span: item.span,
            value: Node::new(value, item.span),
        });
    }
    Node::new(Value::Map(entries), node.span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::diagnostic::Diagnostics;
    use crate::manifest::yaml::parse;

    fn yaml(text: &str) -> Node {
        let mut diags = Diagnostics::default();
        parse(text, 0, &mut diags).expect("yaml")
    }

    #[test]
    fn override_rules() {
        let base = yaml(
            "services:\n  web:\n    image: a\n    command: [x, y]\n    environment: [A=1, B=2]\n    ports: ['80']\n    volumes: ['d:/data', '/logs']\n",
        );
        let over = yaml(
            "services:\n  web:\n    image: b\n    command: [z]\n    environment: {B: '3', C: '4'}\n    ports: ['81', '80']\n    volumes: ['e:/data']\n",
        );
        let merged = merge_manifests(base, over).to_json();
        let web = &merged["services"]["web"];
        assert_eq!(web["image"], "b");
        assert_eq!(web["command"], serde_json::json!(["z"]));
        assert_eq!(
            web["environment"],
            serde_json::json!({"A": "1", "B": "3", "C": "4"})
        );
        assert_eq!(web["ports"], serde_json::json!(["80", "81"]));
        assert_eq!(web["volumes"], serde_json::json!(["e:/data", "/logs"]));
    }

    const BASE: &str = "services:\n  web:\n    image: a\n    security_opt: [no-new-privileges]\n    ports: ['80:80', '443:443']\n    environment: {A: '1', B: '2'}\n    healthcheck: {test: [CMD, 'true'], interval: 5s}\n    deploy: {resources: {limits: {memory: 64m}}}\n";

    #[test]
    fn reset_removes_the_key_as_if_never_set() {
        let over = yaml(
            "services:\n  web:\n    security_opt: !reset []\n    ports: !reset []\n    environment: !reset {}\n    healthcheck: !reset null\n    deploy: {resources: {limits: !reset {}}}\n",
        );
        let merged = merge_manifests(yaml(BASE), over);
        assert!(!has_tags(&merged));
        let web = &merged.to_json()["services"]["web"];
        assert_eq!(
            web,
            &serde_json::json!({"image": "a", "deploy": {"resources": {}}})
        );
    }

    #[test]
    fn reset_of_one_entry_of_a_merged_map() {
        let over = yaml("services:\n  web:\n    environment: {B: !reset null, C: '3'}\n");
        let web = &merge_manifests(yaml(BASE), over).to_json()["services"]["web"];
        assert_eq!(web["environment"], serde_json::json!({"A": "1", "C": "3"}));
    }

    #[test]
    fn reset_of_a_whole_service() {
        let base = yaml("services:\n  web: {image: a}\n  debug: {image: b}\n");
        let over = yaml("services:\n  debug: !reset {}\n");
        let merged = merge_manifests(base, over).to_json();
        assert_eq!(
            merged["services"],
            serde_json::json!({"web": {"image": "a"}})
        );
    }

    #[test]
    fn override_replaces_instead_of_merging() {
        let over = yaml(
            "services:\n  web:\n    ports: !override ['8080:80']\n    environment: !override {C: '3'}\n    healthcheck: !override {test: [CMD, 'false']}\n",
        );
        let merged = merge_manifests(yaml(BASE), over);
        assert!(!has_tags(&merged));
        let web = &merged.to_json()["services"]["web"];
        assert_eq!(web["ports"], serde_json::json!(["8080:80"]));
        assert_eq!(web["environment"], serde_json::json!({"C": "3"}));
        // Without the tag the two healthchecks would merge and keep `interval`.
        assert_eq!(
            web["healthcheck"],
            serde_json::json!({"test": ["CMD", "false"]})
        );
        assert_eq!(
            web["security_opt"],
            serde_json::json!(["no-new-privileges"])
        );
    }

    #[test]
    fn override_of_a_list_form_environment_drops_the_earlier_map() {
        let over = yaml("services:\n  web:\n    environment: !override [C=3]\n");
        let web = &merge_manifests(yaml(BASE), over).to_json()["services"]["web"];
        assert_eq!(web["environment"], serde_json::json!(["C=3"]));
    }

    #[test]
    fn tags_with_nothing_earlier_leave_plain_values() {
        let mut first = yaml(
            "services:\n  web:\n    image: a\n    ports: !reset ['80']\n    dns: !override [1.1.1.1]\n",
        );
        resolve_tags(&mut first);
        assert!(!has_tags(&first));
        assert_eq!(
            first.to_json()["services"]["web"],
            serde_json::json!({"image": "a", "dns": ["1.1.1.1"]})
        );
        // A key no earlier file set: `!reset` leaves it absent, `!override` sets it.
        let over = yaml(
            "services:\n  web:\n    cap_add: !reset [NET_ADMIN]\n    expose: !override ['9000']\n",
        );
        let web = &merge_manifests(yaml(BASE), over).to_json()["services"]["web"];
        assert!(web.get("cap_add").is_none(), "{web}");
        assert_eq!(web["expose"], serde_json::json!(["9000"]));
    }

    #[test]
    fn the_tags_of_the_base_speak_to_the_files_before_it_only() {
        // The second file's `!override` was its business with the first; a third file
        // merges with the result by the usual rules.
        let second = yaml("services:\n  web:\n    ports: !override ['8080:80']\n");
        let third = yaml("services:\n  web:\n    ports: ['9090:90']\n");
        let merged = merge_manifests(merge_manifests(yaml(BASE), second), third);
        assert_eq!(
            merged.to_json()["services"]["web"]["ports"],
            serde_json::json!(["8080:80", "9090:90"])
        );
    }

    #[test]
    fn an_extending_service_keeps_its_tags_for_the_file_merge() {
        // `extends` merges a service under the local one; its `!reset` still acts on
        // what the earlier `-f` files gave the service.
        let extended = yaml("image: base\nports: ['1:1']\n");
        let local = yaml("ports: !reset []\n");
        let service = merge_service(extended, local);
        let mut over = yaml("services:\n  web: {}\n");
        if let Value::Map(entries) = &mut over.value {
            entries[0].value = Node::new(
                Value::Map(vec![Entry {
                    key: "web".into(),
                    key_span: service.span,
                    value: service,
                }]),
                entries[0].value.span,
            );
        }
        let web = &merge_manifests(yaml(BASE), over).to_json()["services"]["web"];
        assert!(web.get("ports").is_none(), "{web}");
        assert_eq!(web["image"], "base");
    }
}
