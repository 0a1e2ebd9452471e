//! Merging several manifests (`-f a.yaml -f b.yaml`) with Compose's override rules.
//!
//! Mappings merge key by key, later files winning. Per service: `environment`, `labels`,
//! `build.args`, `depends_on` and `networks` merge as maps (their list forms are turned
//! into maps first); `ports`, `expose`, `cap_add`, `cap_drop`, `security_opt`, `tmpfs`,
//! `env_file`, `profiles`, `dns` are appended without duplicates; `volumes` merge by
//! container path and `secrets` by source; everything else (`command`, `entrypoint`,
//! `image`, ...) is replaced. Nodes keep their own file and position.

use super::yaml::{Entry, Node, Value};

/// Merge `over` into `base` (both whole manifests).
pub fn merge_manifests(base: Node, over: Node) -> Node {
    merge_with(base, over, &|key, base, over| match key {
        "services" => merge_map_by(base, over, &|_, b, o| merge_service(b, o)),
        _ => deep_merge(base, over),
    })
}

/// Merge service `over` into service `base` (for `-f` overrides and `extends`).
pub fn merge_service(base: Node, over: Node) -> Node {
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

/// Merge two mappings, calling `rule` for a key present in both.
fn merge_with(base: Node, over: Node, rule: &dyn Fn(&str, Node, Node) -> Node) -> Node {
    match (base.value, over.value) {
        (Value::Map(mut entries), Value::Map(over_entries)) => {
            for entry in over_entries {
                match entries.iter_mut().find(|e| e.key == entry.key) {
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
        (_, over_value) => Node::new(over_value, over.span),
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
        (_, value) => Node::new(value, over.span),
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
        (_, value) => Node::new(value, over.span),
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
}
