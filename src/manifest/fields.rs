//! Reading typed values out of located YAML nodes, reporting what is wrong and where.

use std::collections::BTreeMap;
use std::time::Duration;

use super::diagnostic::{Diagnostic, Diagnostics, Span};
use super::units::{parse_bytes, parse_duration};
use super::yaml::{Entry, Node, Value};

/// What to do with a key of a Compose object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// msctl implements it.
    Supported,
    /// Compose has it, msctl does not, and ignoring it changes nothing that matters here.
    Ignored,
    /// Compose has it, msctl does not, and ignoring it would change what runs.
    Unsupported,
}

/// The keys of one kind of Compose object.
pub struct Schema {
    /// For messages: "service `web`", "healthcheck of service `web`".
    pub keys: &'static [(&'static str, KeyKind)],
}

impl Schema {
    /// Check every key of `node` (a mapping) against the schema; `x-` keys pass.
    /// Returns the entries whose keys are supported.
    pub fn check<'n>(&self, node: &'n Node, what: &str, diags: &mut Diagnostics) -> Vec<&'n Entry> {
        let Some(entries) = node.as_map() else {
            return Vec::new();
        };
        let mut supported = Vec::new();
        for entry in entries {
            if entry.key.starts_with("x-") {
                continue;
            }
            match self.keys.iter().find(|(k, _)| *k == entry.key) {
                Some((_, KeyKind::Supported)) => supported.push(entry),
                Some((_, KeyKind::Ignored)) => diags.push(
                    Diagnostic::warning(
                        format!("`{}` in {what} is not supported by msctl and is ignored", entry.key),
                        Some(entry.key_span),
                    ),
                ),
                Some((_, KeyKind::Unsupported)) => diags.push(
                    Diagnostic::error(
                        format!("`{}` in {what} is not supported by msctl", entry.key),
                        Some(entry.key_span),
                    )
                    .with_hint("ignoring it would change what runs; remove it, or see docs/manifest-reference.md for the supported keys"),
                ),
                None => {
                    let names = self
                        .keys
                        .iter()
                        .filter(|(_, kind)| *kind == KeyKind::Supported)
                        .map(|(k, _)| *k);
                    let diag = Diagnostic::error(
                        format!("unknown key `{}` in {what}", entry.key),
                        Some(entry.key_span),
                    );
                    diags.push(match did_you_mean(&entry.key, names) {
                        Some(best) => diag.with_hint(format!("did you mean `{best}`?")),
                        None => diag.with_hint(format!(
                            "the keys of {} are: {}",
                            what.split(" `").next().unwrap_or(what),
                            self.keys
                                .iter()
                                .filter(|(_, kind)| *kind == KeyKind::Supported)
                                .map(|(k, _)| *k)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    });
                }
            }
        }
        supported
    }
}

/// The closest candidate, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, c)| *score > 0.8 || strsim::levenshtein(word, c) <= 2)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Typed reads that report a diagnostic on failure and return `None`.
pub struct Reader<'d> {
    pub diags: &'d mut Diagnostics,
}

impl Reader<'_> {
    pub fn error(&mut self, message: impl Into<String>, span: Span) {
        self.diags.push(Diagnostic::error(message, Some(span)));
    }

    pub fn error_hint(&mut self, message: impl Into<String>, span: Span, hint: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(message, Some(span)).with_hint(hint));
    }

    pub fn warning(&mut self, message: impl Into<String>, span: Span) {
        self.diags.push(Diagnostic::warning(message, Some(span)));
    }

    pub fn warning_hint(
        &mut self,
        message: impl Into<String>,
        span: Span,
        hint: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::warning(message, Some(span)).with_hint(hint));
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        let message = format!("{what} must be {expected}, found {}", node.type_name());
        let quotable =
            matches!(node.value, Value::Bool(_) | Value::Null) && expected.contains("string");
        if quotable {
            self.error_hint(
                message,
                node.span,
                "YAML reads `true`, `false`, `null` and `~` as non-strings: quote the value, e.g. `\"true\"`",
            );
        } else {
            self.error(message, node.span);
        }
    }

    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Entry]> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            Value::Null => Some(&[]),
            _ => {
                self.wrong_type(node, what, "a mapping");
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    /// A string, or a number written without quotes (Compose accepts both for many keys).
    pub fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(_) | Value::Int(_) | Value::Float(_) => node.scalar_text(),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    /// A boolean; text that reads as one (`"true"`, `"False"`, `"1"`, ...) is accepted,
    /// as Compose casts values that come from `${VAR}` interpolation.
    pub fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            Value::Str(s) => match s.as_str() {
                "true" | "True" | "TRUE" | "t" | "T" | "1" => Some(true),
                "false" | "False" | "FALSE" | "f" | "F" | "0" => Some(false),
                _ => {
                    self.wrong_type(node, what, "`true` or `false`");
                    None
                }
            },
            _ => {
                self.wrong_type(node, what, "`true` or `false`");
                None
            }
        }
    }

    /// A whole number in `min..=max`. Quoted numbers are accepted, as Compose does.
    pub fn int(&mut self, node: &Node, what: &str, min: i64, max: i64) -> Option<i64> {
        let value = match &node.value {
            Value::Int(i) => *i,
            Value::Str(s) => match s.trim().parse::<i64>() {
                Ok(i) => i,
                Err(_) => {
                    self.wrong_type(node, what, "a whole number");
                    return None;
                }
            },
            _ => {
                self.wrong_type(node, what, "a whole number");
                return None;
            }
        };
        if value < min || value > max {
            self.error_hint(
                format!("{what} is {value}, out of range"),
                node.span,
                format!("use a value from {min} to {max}"),
            );
            return None;
        }
        Some(value)
    }

    pub fn float(&mut self, node: &Node, what: &str) -> Option<f64> {
        let value = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Str(s) => match s.trim().parse::<f64>() {
                Ok(f) => f,
                Err(_) => {
                    self.wrong_type(node, what, "a number");
                    return None;
                }
            },
            _ => {
                self.wrong_type(node, what, "a number");
                return None;
            }
        };
        if !value.is_finite() {
            self.wrong_type(node, what, "a finite number");
            return None;
        }
        Some(value)
    }

    pub fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(0) => return Some(Duration::ZERO),
            Value::Int(_) | Value::Float(_) => {
                self.error_hint(
                    format!("{what} must be a duration with a unit"),
                    node.span,
                    "write a duration like `10s`, `1m30s` or `500ms`",
                );
                return None;
            }
            _ => {
                self.wrong_type(node, what, "a duration");
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(d) => Some(d),
            Err(why) => {
                self.error_hint(
                    format!("{what} is not a valid duration: {why}"),
                    node.span,
                    "write a duration like `10s`, `1m30s` or `500ms` (units: h, m, s, ms, us, ns)",
                );
                None
            }
        }
    }

    pub fn bytes(&mut self, node: &Node, what: &str) -> Option<u64> {
        match &node.value {
            Value::Int(i) if *i >= 0 => Some(*i as u64),
            Value::Str(s) => match parse_bytes(s) {
                Ok(b) => Some(b),
                Err(why) => {
                    self.error_hint(
                        format!("{what} is not a valid byte size: {why}"),
                        node.span,
                        "write a size like `64m`, `512k` or `1g` (units: b, k, m, g)",
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(node, what, "a byte size");
                None
            }
        }
    }

    /// A list of strings; a single string is accepted where `single` is true.
    pub fn strings(&mut self, node: &Node, what: &str, single: bool) -> Option<Vec<String>> {
        match &node.value {
            Value::Str(s) if single => Some(vec![s.clone()]),
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.push(self.text(item, &format!("an item of {what}"))?);
                }
                Some(out)
            }
            Value::Null => Some(Vec::new()),
            _ => {
                self.wrong_type(
                    node,
                    what,
                    if single {
                        "a string or a list of strings"
                    } else {
                        "a list of strings"
                    },
                );
                None
            }
        }
    }

    /// A command: a string (split like a shell would) or a list of strings.
    pub fn command(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        match &node.value {
            Value::Str(s) => match shell_words::split(s) {
                Ok(words) => Some(words),
                Err(_) => {
                    self.error_hint(
                        format!("{what} has an unclosed quote"),
                        node.span,
                        "close the quote, or write the command as a list",
                    );
                    None
                }
            },
            Value::Null => Some(Vec::new()),
            _ => self.strings(node, what, false),
        }
    }

    /// A map of strings written as a mapping or as a `KEY=VALUE` list. A key without a
    /// value maps to `None`.
    pub fn string_map(
        &mut self,
        node: &Node,
        what: &str,
    ) -> Option<BTreeMap<String, Option<String>>> {
        let mut out = BTreeMap::new();
        match &node.value {
            Value::Map(entries) => {
                for entry in entries {
                    let value = match &entry.value.value {
                        Value::Null => None,
                        Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                            entry.value.scalar_text()
                        }
                        _ => {
                            self.wrong_type(
                                &entry.value,
                                &format!("`{}` in {what}", entry.key),
                                "a string, a number or a boolean",
                            );
                            continue;
                        }
                    };
                    out.insert(entry.key.clone(), value);
                }
            }
            Value::Seq(items) => {
                for item in items {
                    let Some(text) = self.text(item, &format!("an item of {what}")) else {
                        continue;
                    };
                    let (key, value) = match text.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (text.clone(), None),
                    };
                    if key.trim().is_empty() {
                        self.error_hint(
                            format!("`{text}` in {what} has no name before `=`"),
                            item.span,
                            "write `NAME=value`, or `NAME` alone to pass msctl's own value",
                        );
                        continue;
                    }
                    out.insert(key, value);
                }
            }
            Value::Null => {}
            _ => {
                self.wrong_type(node, what, "a mapping or a list of `KEY=VALUE` strings");
                return None;
            }
        }
        Some(out)
    }

    /// One of a fixed set of words.
    pub fn one_of(&mut self, node: &Node, what: &str, allowed: &[&str]) -> Option<String> {
        let text = self.text(node, what)?;
        if allowed.contains(&text.as_str()) {
            return Some(text);
        }
        let hint = match did_you_mean(&text, allowed.iter().copied()) {
            Some(best) => format!("did you mean `{best}`? (one of: {})", allowed.join(", ")),
            None => format!("use one of: {}", allowed.join(", ")),
        };
        self.error_hint(format!("{what} cannot be `{text}`"), node.span, hint);
        None
    }
}
