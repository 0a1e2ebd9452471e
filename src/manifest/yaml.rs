//! YAML into a tree that remembers where every node came from.
//!
//! Diagnostics must point at file:line:col, which a plain YAML value cannot do, so the
//! loader reads parser events itself: anchors and aliases are resolved, `<<` merge keys
//! are applied (explicit keys win, earlier merge sources win over later ones), and
//! duplicate keys and tab indentation are reported instead of being silently accepted.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::diagnostic::{Diagnostic, Diagnostics, FileId, Span};

/// The most bytes a manifest may have: a Compose file of a hundred services is tens of
/// kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
/// The most nodes a manifest may expand to, aliases counted at their full size each
/// time they are used (as libyaml and go-yaml v3 bound alias expansion): a hundred
/// services are a few thousand nodes, a nine-level "billion laughs" hundreds of millions.
pub const MAX_NODES: usize = 250_000;
/// The deepest nesting of lists and mappings: Compose files nest under ten levels.
pub const MAX_DEPTH: usize = 128;
/// The longest scalar, in bytes.
pub const MAX_SCALAR_BYTES: usize = 256 * 1024;

/// One YAML node and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    /// A Compose merge tag written on the node (`!reset`, `!override`). It only says how
    /// this file's value meets the files before it: [`super::merge`] acts on it and
    /// removes it, so validation never sees one.
    pub tag: Option<MergeTag>,
}

/// The Compose Specification's YAML tags for override files ("Merge and override").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeTag {
    /// `key: !reset VALUE`: the key reads as if no earlier file had set it (the value
    /// written is ignored).
    Reset,
    /// `key: !override VALUE`: the value replaces what earlier files gave, unmerged.
    Override,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string scalar. `quoted` is false for plain scalars.
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A mapping entry: the key is always a string (Compose keys are strings).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Node {
            value,
            span,
            tag: None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// The YAML type name, for "expected X, found Y" messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// A scalar as text (strings, numbers, booleans), as Compose reads scalars in lists
    /// and maps of strings.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Convert to JSON, for `x-` extension fields and tests.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => s.clone().into(),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|e| (e.key.clone(), e.value.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

/// Parse one manifest. Errors (syntax, tabs, duplicate keys, several documents) are
/// collected into `diags`; `None` when the text is not usable at all.
pub fn parse(text: &str, file: FileId, diags: &mut Diagnostics) -> Option<Node> {
    if text.len() > MAX_DOCUMENT_BYTES {
        diags.push(too_big(text.len(), file));
        return None;
    }
    if check_tabs(text, file, diags) {
        return None;
    }
    let mut builder = Builder {
        file,
        text,
        lines: text.lines().collect(),
        anchors: HashMap::new(),
        nodes: 0,
        depth: 0,
        diags,
    };
    let mut parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((Event::StreamStart | Event::DocumentStart | Event::DocumentEnd, _)) => {}
            Ok((event, marker)) => match builder.node(event, marker, &mut parser) {
                Ok(node) => documents.push(node),
                Err(diag) => {
                    builder.diags.push(diag);
                    return None;
                }
            },
            Err(err) => {
                builder.diags.push(scan_error(&err, file, text));
                return None;
            }
        }
    }
    let mut documents = documents.into_iter();
    let first = documents.next();
    if let Some(extra) = documents.next() {
        builder.diags.push(
            Diagnostic::error(
                "a manifest holds one YAML document, found several",
                Some(extra.span),
            )
            .with_hint("put each document in its own file and pass them with `-f`"),
        );
        return None;
    }
    // An empty file is an empty mapping: the caller reports what it lacks.
    Some(first.unwrap_or_else(|| Node::new(Value::Map(Vec::new()), Span::new(file, 1, 1, 1))))
}

/// A manifest over [`MAX_DOCUMENT_BYTES`], refused before it is read as YAML.
pub fn too_big(bytes: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        format!(
            "the manifest is {} bytes, over the limit of {MAX_DOCUMENT_BYTES}",
            bytes
        ),
        Some(Span::new(file, 1, 1, 1)),
    )
    .with_hint("a Compose file is far smaller: check that this is the file you meant")
}

/// YAML forbids tabs in indentation; say so plainly rather than as a scanner error.
fn check_tabs(text: &str, file: FileId, diags: &mut Diagnostics) -> bool {
    let mut found = false;
    for (index, line) in text.lines().enumerate() {
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if let Some(pos) = indent.find('\t') {
            if line.trim().is_empty() {
                continue;
            }
            found = true;
            diags.push(
                Diagnostic::error(
                    "tab character in indentation",
                    Some(Span::new(file, index as u32 + 1, pos as u32 + 1, 1)),
                )
                .with_hint("YAML indents with spaces only: replace the tab with spaces"),
            );
        }
    }
    found
}

fn scan_error(err: &yaml_rust2::ScanError, file: FileId, text: &str) -> Diagnostic {
    let marker = err.marker();
    let (line, col) = position(marker, text);
    let info = err.info();
    if info.contains("recursion limit exceeded") {
        return Diagnostic::error(
            format!("lists and mappings nest deeper than the YAML reader follows ({info})"),
            Some(Span::new(file, line, col, 1)),
        )
        .with_hint("a Compose file nests a few levels; check how this part was generated");
    }
    let hint = if info.contains("mapping values are not allowed") {
        Some("a `key: value` sits where a plain value was expected: check the indentation of this line and the one above, or quote a value that contains `: `")
    } else if info.contains("did not find expected key") || info.contains("block mapping") {
        Some("check that keys at the same level are indented by the same number of spaces")
    } else if info.contains("quoted scalar") {
        Some("close the quote, or escape the quote character inside the string")
    } else if info.contains("unknown anchor") {
        Some("define the anchor with `&name` before using it as `*name`")
    } else if info.contains("cannot start any token") {
        Some("quote the value if it starts with a special character like `@` or a backtick")
    } else {
        None
    };
    let diag = Diagnostic::error(
        format!("invalid YAML: {info}"),
        Some(Span::new(file, line, col, 1)),
    );
    match hint {
        Some(h) => diag.with_hint(h),
        None => diag,
    }
}

/// yaml-rust2 reports a 1-based line and a 0-based column; clamp into the text so the
/// caret lands on a real line even for errors reported at end of input.
fn position(marker: &Marker, text: &str) -> (u32, u32) {
    let line_count = text.lines().count().max(1);
    let line = marker.line().clamp(1, line_count);
    (line as u32, marker.col() as u32 + 1)
}

struct Builder<'a, 'd> {
    file: FileId,
    text: &'a str,
    /// The text's lines, split once: every node's span and a few checks look lines up,
    /// and scanning the text each time made a manifest's load quadratic in its size.
    lines: Vec<&'a str>,
    /// Each anchor's node, and how many nodes it expands to.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes built so far, aliases counted at their expanded size.
    nodes: usize,
    /// Lists and mappings open around the node being built.
    depth: usize,
    diags: &'d mut Diagnostics,
}

impl Builder<'_, '_> {
    fn span(&self, marker: Marker, len: usize) -> Span {
        let line = marker.line().clamp(1, self.lines.len().max(1));
        Span::new(self.file, line as u32, marker.col() as u32 + 1, len as u32)
    }

    fn next(
        &mut self,
        parser: &mut Parser<std::str::Chars<'_>>,
    ) -> Result<(Event, Marker), Diagnostic> {
        parser
            .next_token()
            .map_err(|err| scan_error(&err, self.file, self.text))
    }

    /// The node `event` starts, within the limits on nodes, depth and scalar size.
    fn node(
        &mut self,
        event: Event,
        marker: Marker,
        parser: &mut Parser<std::str::Chars<'_>>,
    ) -> Result<Node, Diagnostic> {
        let start = self.nodes;
        let anchor = match &event {
            Event::Scalar(text, _, anchor, _) => {
                if text.len() > MAX_SCALAR_BYTES {
                    return Err(Diagnostic::error(
                        format!(
                            "a value of {} bytes, over the limit of {MAX_SCALAR_BYTES}",
                            text.len()
                        ),
                        Some(self.span(marker, 1)),
                    )
                    .with_hint("keep large contents in a file: a config's `file:`, a bind mount"));
                }
                *anchor
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.depth >= MAX_DEPTH {
                    return Err(Diagnostic::error(
                        format!("lists and mappings nest more than {MAX_DEPTH} deep"),
                        Some(self.span(marker, 1)),
                    )
                    .with_hint(
                        "a Compose file nests a few levels; check how this part was generated",
                    ));
                }
                *anchor
            }
            Event::Alias(anchor) => {
                let size = self.anchors.get(anchor).map_or(0, |(_, size)| *size);
                self.count(size, marker)?;
                0
            }
            _ => 0,
        };
        if !matches!(event, Event::Alias(_)) {
            self.count(1, marker)?;
        }
        let nested = matches!(event, Event::SequenceStart(..) | Event::MappingStart(..));
        self.depth += usize::from(nested);
        let built = self.node_inner(event, marker, parser);
        self.depth -= usize::from(nested);
        let node = built?;
        if anchor > 0 {
            self.anchors
                .insert(anchor, (node.clone(), self.nodes - start));
        }
        Ok(node)
    }

    /// Adds `size` nodes to the count; an error past [`MAX_NODES`].
    fn count(&mut self, size: usize, marker: Marker) -> Result<(), Diagnostic> {
        self.nodes = self.nodes.saturating_add(size);
        if self.nodes > MAX_NODES {
            return Err(Diagnostic::error(
                format!("the manifest expands to more than {MAX_NODES} values"),
                Some(self.span(marker, 1)),
            )
            .with_hint(
                "aliases (`*name`) used inside anchors multiply: this is how a YAML bomb is built; expand fewer",
            ));
        }
        Ok(())
    }

    fn node_inner(
        &mut self,
        event: Event,
        marker: Marker,
        parser: &mut Parser<std::str::Chars<'_>>,
    ) -> Result<Node, Diagnostic> {
        match event {
            Event::Scalar(text, style, _, tag) => {
                let len = match style {
                    TScalarStyle::Plain => text.chars().count(),
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                        text.chars().count() + 2
                    }
                    _ => 1,
                };
                let len = len.min(text.lines().next().map_or(1, |l| l.chars().count() + 2));
                let span = self.span(marker, len);
                let merge_tag = self.merge_tag(tag.as_ref(), span);
                let value = match (&tag, style) {
                    (Some(tag), _) if tag.suffix == "str" && tag.handle == CORE_TAGS => {
                        Value::Str(text)
                    }
                    // The non-specific tag `! text` makes a plain scalar a string.
                    (Some(tag), _) if tag.handle.is_empty() && tag.suffix == "!" => {
                        Value::Str(text)
                    }
                    (_, TScalarStyle::Plain) => resolve_plain(text),
                    _ => Value::Str(text),
                };
                let mut node = Node::new(value, span);
                node.tag = merge_tag;
                Ok(node)
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor) {
                Some((node, _)) => Ok(node.clone()),
                None => Err(Diagnostic::error(
                    "alias to an unknown anchor",
                    Some(self.span(marker, 1)),
                )
                .with_hint("define the anchor with `&name` before using it as `*name`")),
            },
            Event::SequenceStart(_, tag) => {
                let span = self.span(marker, 1);
                let merge_tag = self.merge_tag(tag.as_ref(), span);
                let mut items = Vec::new();
                loop {
                    let (event, marker) = self.next(parser)?;
                    if event == Event::SequenceEnd {
                        break;
                    }
                    items.push(self.node(event, marker, parser)?);
                }
                // A block sequence starts at its first `-`, not where the parser says.
                let span = match items.first() {
                    Some(first) if self.char_at(span) != Some('[') => first.span,
                    _ => span,
                };
                let mut node = Node::new(Value::Seq(items), span);
                node.tag = merge_tag;
                Ok(node)
            }
            Event::MappingStart(_, tag) => {
                let span = self.span(marker, 1);
                let merge_tag = self.merge_tag(tag.as_ref(), span);
                let mut node = self.mapping(span, parser)?;
                node.tag = merge_tag;
                Ok(node)
            }
            other => Err(Diagnostic::error(
                format!("invalid YAML: unexpected {other:?}"),
                Some(self.span(marker, 1)),
            )),
        }
    }

    fn mapping(
        &mut self,
        span: Span,
        parser: &mut Parser<std::str::Chars<'_>>,
    ) -> Result<Node, Diagnostic> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut merged: Vec<Entry> = Vec::new();
        loop {
            let (event, marker) = self.next(parser)?;
            if event == Event::MappingEnd {
                break;
            }
            let is_merge =
                matches!(&event, Event::Scalar(k, TScalarStyle::Plain, _, _) if k == "<<");
            let key_node = self.node(event, marker, parser)?;
            if let Some(tag) = key_node.tag {
                let span = self.tag_span(key_node.span, tag.name());
                self.diags.push(
                    Diagnostic::error(
                        format!("`{}` tags a value, not a key", tag.name()),
                        Some(span),
                    )
                    .with_hint(format!(
                        "write it after the colon: `key: {} VALUE`",
                        tag.name()
                    )),
                );
            }
            let (value_event, value_marker) = self.next(parser)?;
            let value = self.node(value_event, value_marker, parser)?;
            if is_merge {
                self.merge_sources(&value, key_node.span, &mut merged)?;
                continue;
            }
            let key = match key_node.scalar_text() {
                Some(key) => key,
                None if key_node.value == Value::Null => String::new(),
                None => {
                    return Err(Diagnostic::error(
                        format!(
                            "a mapping key must be a string, found {}",
                            key_node.type_name()
                        ),
                        Some(key_node.span),
                    ));
                }
            };
            if let Some(first) = entries.iter().find(|e| e.key == key) {
                self.diags.push(
                    Diagnostic::error(format!("duplicate key `{key}`"), Some(key_node.span))
                        .with_hint(format!(
                            "`{key}` is already set at line {}; remove one of them",
                            first.key_span.line
                        )),
                );
                continue;
            }
            entries.push(Entry {
                key,
                key_span: key_node.span,
                value,
            });
        }
        for entry in merged {
            if !entries.iter().any(|e| e.key == entry.key) {
                entries.push(entry);
            }
        }
        // A block mapping starts at its first key, not where the parser says.
        let span = match entries.first() {
            Some(first) if self.char_at(span) != Some('{') => first.key_span,
            _ => span,
        };
        Ok(Node::new(Value::Map(entries), span))
    }

    /// The Compose merge tag on a node, if any. YAML's own `!!` tags are left to the
    /// scalar rules; any other tag is an error rather than being dropped without a word.
    /// A tag on a block mapping or list written above its first line is reported at
    /// that first line.
    fn merge_tag(&mut self, tag: Option<&yaml_rust2::parser::Tag>, span: Span) -> Option<MergeTag> {
        let tag = tag?;
        if tag.handle == CORE_TAGS || (tag.handle.is_empty() && tag.suffix == "!") {
            return None;
        }
        match (tag.handle.as_str(), tag.suffix.as_str()) {
            ("!", "reset") => Some(MergeTag::Reset),
            ("!", "override") => Some(MergeTag::Override),
            (handle, suffix) => {
                let written = match handle {
                    "!" => format!("!{suffix}"),
                    "" => format!("!<{suffix}>"),
                    _ => format!("{handle}{suffix}"),
                };
                let span = self.tag_span(span, &written);
                self.diags.push(
                    Diagnostic::error(format!("unknown YAML tag `{written}`"), Some(span))
                        .with_hint(
                            "the tags a manifest may use are `!reset` (drop the value earlier \
                             files gave this key) and `!override` (replace it instead of \
                             merging); quote the value if the `!` is part of the text",
                        ),
                );
                None
            }
        }
    }

    /// Where the tag `written` before the node at `span` is, on the same line; the node
    /// itself when the tag is not found there (a tag on the line above its value).
    fn tag_span(&self, span: Span, written: &str) -> Span {
        let line = self
            .text
            .lines()
            .nth((span.line as usize).saturating_sub(1))
            .unwrap_or("");
        let before: String = line
            .chars()
            .take((span.col as usize).saturating_sub(1))
            .collect();
        match before.rfind(written) {
            Some(byte) => Span::new(
                span.file,
                span.line,
                before[..byte].chars().count() as u32 + 1,
                written.chars().count() as u32,
            ),
            None => span,
        }
    }

    fn char_at(&self, span: Span) -> Option<char> {
        self.lines
            .get((span.line as usize).checked_sub(1)?)?
            .chars()
            .nth((span.col as usize).checked_sub(1)?)
    }

    /// `<<: *a` or `<<: [*a, *b]`: earlier sources win over later ones.
    fn merge_sources(
        &mut self,
        value: &Node,
        key_span: Span,
        merged: &mut Vec<Entry>,
    ) -> Result<(), Diagnostic> {
        let sources: Vec<&Node> = match &value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) => items.iter().collect(),
            _ => {
                return Err(Diagnostic::error(
                    format!(
                        "a `<<` merge key needs a mapping or a list of mappings, found {}",
                        value.type_name()
                    ),
                    Some(key_span),
                ));
            }
        };
        for source in sources {
            let Some(entries) = source.as_map() else {
                return Err(Diagnostic::error(
                    format!(
                        "a `<<` merge key needs mappings, found {}",
                        source.type_name()
                    ),
                    Some(key_span),
                ));
            };
            for entry in entries {
                if !merged.iter().any(|e| e.key == entry.key) {
                    merged.push(entry.clone());
                }
            }
        }
        Ok(())
    }
}

/// The handle yaml-rust2 gives YAML's own tags (`!!str` is this handle and `str`).
const CORE_TAGS: &str = "tag:yaml.org,2002:";

impl MergeTag {
    /// The tag as written in a manifest.
    pub fn name(self) -> &'static str {
        match self {
            MergeTag::Reset => "!reset",
            MergeTag::Override => "!override",
        }
    }
}

/// Plain scalars follow the YAML 1.2 core schema, as Compose does.
fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Int(i);
        }
    } else if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Int(i);
        }
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
    }
    let looks_float = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit())
        && (digits.starts_with(|c: char| c.is_ascii_digit()) || digits.starts_with('.'));
    if looks_float {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        let mut diags = Diagnostics::default();
        let node = parse(text, 0, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
        node.expect("parsed")
    }

    #[test]
    fn merge_keys_explicit_wins_and_first_source_wins() {
        let node = parse_ok("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 9\n");
        let c = node.get("c").expect("c");
        assert_eq!(c.get("x").map(|n| &n.value), Some(&Value::Int(9)));
        assert_eq!(c.get("y").map(|n| &n.value), Some(&Value::Int(1)));
        assert_eq!(c.get("z").map(|n| &n.value), Some(&Value::Int(2)));
    }

    #[test]
    fn positions_are_one_based() {
        let node = parse_ok("services:\n  web:\n    image: nginx\n");
        let image = node
            .get("services")
            .and_then(|s| s.get("web"))
            .and_then(|w| w.entry("image"))
            .expect("image");
        assert_eq!((image.key_span.line, image.key_span.col), (3, 5));
        assert_eq!((image.value.span.line, image.value.span.col), (3, 12));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let mut diags = Diagnostics::default();
        parse("a: 1\nb: 2\na: 3\n", 0, &mut diags);
        assert_eq!(diags.error_count(), 1);
    }

    #[test]
    fn scalars_resolve_like_yaml_core_schema() {
        let node = parse_ok("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: 0x10\ng: 1m30s\n");
        let v = |k: &str| node.get(k).map(|n| n.value.clone());
        assert_eq!(v("a"), Some(Value::Int(1)));
        assert_eq!(v("b"), Some(Value::Str("1".into())));
        assert_eq!(v("c"), Some(Value::Bool(true)));
        assert_eq!(v("d"), Some(Value::Null));
        assert_eq!(v("e"), Some(Value::Float(1.5)));
        assert_eq!(v("f"), Some(Value::Int(16)));
        assert_eq!(v("g"), Some(Value::Str("1m30s".into())));
    }

    #[test]
    fn reset_and_override_tags_stay_on_their_nodes() {
        let node = parse_ok(
            "a: !reset []\nb: !override {x: 1}\nc: !reset null\nd: !override\n  - 1\ne: !!str 1\nf: plain\n",
        );
        let tag = |k: &str| node.get(k).and_then(|n| n.tag);
        assert_eq!(tag("a"), Some(MergeTag::Reset));
        assert_eq!(tag("b"), Some(MergeTag::Override));
        assert_eq!(tag("c"), Some(MergeTag::Reset));
        assert_eq!(tag("d"), Some(MergeTag::Override));
        assert_eq!(tag("e"), None);
        assert_eq!(tag("f"), None);
        assert_eq!(
            node.get("e").map(|n| &n.value),
            Some(&Value::Str("1".into()))
        );
        assert_eq!(
            node.get("d").map(|n| n.to_json()),
            Some(serde_json::json!([1]))
        );
    }

    #[test]
    fn an_alias_keeps_the_tag_of_its_anchor() {
        let node = parse_ok("x: &none !reset []\ny: *none\n");
        assert_eq!(node.get("y").and_then(|n| n.tag), Some(MergeTag::Reset));
    }

    #[test]
    fn unknown_tags_are_errors_at_the_tag() {
        let mut diags = Diagnostics::default();
        parse("a: 1\nports: !foo [\"80\"]\n", 0, &mut diags);
        assert_eq!(diags.error_count(), 1, "{diags:?}");
        let diag = diags.sorted().into_iter().next().expect("a diagnostic");
        assert_eq!(diag.message, "unknown YAML tag `!foo`");
        let span = diag.span.expect("a position");
        assert_eq!((span.line, span.col, span.len), (2, 8, 4));
        assert!(diag.hint.as_deref().unwrap_or("").contains("!reset"));
    }

    #[test]
    fn a_merge_tag_on_a_key_is_an_error() {
        let mut diags = Diagnostics::default();
        parse("!reset ports: []\n", 0, &mut diags);
        assert_eq!(diags.error_count(), 1, "{diags:?}");
    }
}
