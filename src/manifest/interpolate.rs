//! `${VAR}` interpolation, as the Compose Specification defines it.
//!
//! Supported: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
//! `${VAR?message}`, `${VAR:+replacement}`, `${VAR+replacement}`, and `$$` for a literal
//! `$`. Defaults and replacements may themselves hold interpolations.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostic::{Diagnostic, Diagnostics};
use super::yaml::{MergeTag, Node, Value};

/// The variables interpolation reads: msctl's environment over the `.env` file.
pub type Variables = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationError {
    /// `${` without `}`, or a malformed name.
    Syntax(String),
    /// `${VAR:?message}` or `${VAR?message}` with VAR missing.
    Required { name: String, message: String },
    /// The value grew past [`super::yaml::MAX_SCALAR_BYTES`] once its variables were
    /// put in (a variable used many times, or variables made of variables).
    TooLong,
}

/// Interpolate every string scalar of the tree in place, collecting errors, and a
/// warning the first time each variable is read while unset (it reads as empty).
pub fn interpolate_tree(node: &mut Node, vars: &Variables, diags: &mut Diagnostics) {
    interpolate_node(node, vars, diags, &mut BTreeSet::new());
}

fn interpolate_node(
    node: &mut Node,
    vars: &Variables,
    diags: &mut Diagnostics,
    warned: &mut BTreeSet<String>,
) {
    // `!reset` ignores the value written after it, so its variables need not be set.
    if node.tag == Some(MergeTag::Reset) {
        return;
    }
    match &mut node.value {
        Value::Str(text) => {
            if !text.contains('$') {
                return;
            }
            let mut unset = Vec::new();
            match interpolate_noting(text, vars, &mut unset, 0) {
                Ok(value) => {
                    for name in unset {
                        if warned.insert(name.clone()) {
                            diags.push(Diagnostic::warning(
                                format!("variable `{name}` is not set: it reads as an empty string"),
                                Some(node.span),
                            ).with_hint(format!("set `{name}` in the environment or in `.env`, or give a default with `${{{name}:-default}}`")));
                        }
                    }
                    *text = value
                }
                Err(InterpolationError::Syntax(why)) => diags.push(
                    Diagnostic::error(format!("invalid interpolation in `{text}`: {why}"), Some(node.span))
                        .with_hint("write `${NAME}`, `${NAME:-default}` or `${NAME:?message}`; use `$$` for a literal `$`"),
                ),
                Err(InterpolationError::TooLong) => diags.push(
                    Diagnostic::error(
                        format!(
                            "a value grows past {} bytes once its variables are put in",
                            super::yaml::MAX_SCALAR_BYTES
                        ),
                        Some(node.span),
                    )
                    .with_hint("use each large variable once, or keep large contents in a file"),
                ),
                Err(InterpolationError::Required { name, message }) => {
                    let why = if message.is_empty() {
                        String::new()
                    } else {
                        format!(": {message}")
                    };
                    diags.push(
                        Diagnostic::error(format!("required variable `{name}` is not set{why}"), Some(node.span))
                            .with_hint(format!("set `{name}` in the environment or in the `.env` file beside the manifest")),
                    )
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                interpolate_node(item, vars, diags, warned);
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                interpolate_node(&mut entry.value, vars, diags, warned);
            }
        }
        _ => {}
    }
}

/// How deep `${A:-${B:-...}}` defaults may nest.
const MAX_NESTING: usize = 16;

/// Interpolate one string.
pub fn interpolate(text: &str, vars: &Variables) -> Result<String, InterpolationError> {
    interpolate_noting(text, vars, &mut Vec::new(), 0)
}

/// Interpolate one string, adding to `unset` each variable read plainly (`$NAME`,
/// `${NAME}`) while it is not set.
fn interpolate_noting(
    text: &str,
    vars: &Variables,
    unset: &mut Vec<String>,
    depth: usize,
) -> Result<String, InterpolationError> {
    if depth > MAX_NESTING {
        return Err(InterpolationError::Syntax(format!(
            "defaults nest more than {MAX_NESTING} deep (`${{A:-${{B:-...}}}}`)"
        )));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let close = matching_brace(&chars, i + 2).ok_or_else(|| {
                    InterpolationError::Syntax("`${` is never closed by `}`".to_string())
                })?;
                let inner: String = chars[i + 2..close].iter().collect();
                out.push_str(&braced(&inner, vars, unset, depth)?);
                i = close + 1;
            }
            Some(c) if is_name_start(*c) => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && is_name_char(chars[end]) {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                match vars.get(&name) {
                    Some(value) => out.push_str(value),
                    None => unset.push(name),
                }
                i = end;
            }
            _ => {
                return Err(InterpolationError::Syntax(
                    "`$` must start `${NAME}` or `$NAME`, or be doubled as `$$`".to_string(),
                ))
            }
        }
        if out.len() > super::yaml::MAX_SCALAR_BYTES {
            return Err(InterpolationError::TooLong);
        }
    }
    Ok(out)
}

fn matching_brace(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 1;
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '$' if chars.get(i + 1) == Some(&'{') => {
                depth += 1;
                i += 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(
    inner: &str,
    vars: &Variables,
    unset: &mut Vec<String>,
    depth: usize,
) -> Result<String, InterpolationError> {
    let name_len = inner
        .char_indices()
        .find(|(_, c)| !is_name_char(*c))
        .map_or(inner.len(), |(i, _)| i);
    let name = &inner[..name_len];
    if name.is_empty() || !name.starts_with(is_name_start) {
        return Err(InterpolationError::Syntax(format!(
            "`{inner}` is not a variable name"
        )));
    }
    let rest = &inner[name_len..];
    let value = vars.get(name);
    let set_non_empty = value.is_some_and(|v| !v.is_empty());
    // The modifier is `:` plus one character, or one character; split on a character
    // boundary so that any text after the name is handled, however odd.
    let op_chars = if rest.starts_with(':') { 2 } else { 1 };
    let op_len: usize = rest.chars().take(op_chars).map(char::len_utf8).sum();
    let (op, arg) = rest.split_at(op_len);
    match op {
        "" => {
            if value.is_none() {
                unset.push(name.to_string());
            }
            Ok(value.cloned().unwrap_or_default())
        }
        ":-" if !set_non_empty => interpolate_noting(arg, vars, unset, depth + 1),
        "-" if value.is_none() => interpolate_noting(arg, vars, unset, depth + 1),
        ":-" | "-" => Ok(value.cloned().unwrap_or_default()),
        ":?" if !set_non_empty => Err(required(name, arg, vars)?),
        "?" if value.is_none() => Err(required(name, arg, vars)?),
        ":?" | "?" => Ok(value.cloned().unwrap_or_default()),
        ":+" if set_non_empty => interpolate_noting(arg, vars, unset, depth + 1),
        "+" if value.is_some() => interpolate_noting(arg, vars, unset, depth + 1),
        ":+" | "+" => Ok(String::new()),
        _ => Err(InterpolationError::Syntax(format!(
            "`{rest}` after `{name}` is not a modifier (use `:-`, `-`, `:?`, `?`, `:+` or `+`)"
        ))),
    }
}

fn required(
    name: &str,
    message: &str,
    vars: &Variables,
) -> Result<InterpolationError, InterpolationError> {
    Ok(InterpolationError::Required {
        name: name.to_string(),
        message: interpolate(message, vars)?,
    })
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        [("SET", "v"), ("EMPTY", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_form() {
        let v = vars();
        let i = |s: &str| interpolate(s, &v);
        assert_eq!(i("a${SET}b").as_deref(), Ok("avb"));
        assert_eq!(i("$SET/x").as_deref(), Ok("v/x"));
        assert_eq!(i("${UNSET}").as_deref(), Ok(""));
        assert_eq!(i("${EMPTY:-d}").as_deref(), Ok("d"));
        assert_eq!(i("${EMPTY-d}").as_deref(), Ok(""));
        assert_eq!(i("${UNSET-d}").as_deref(), Ok("d"));
        assert_eq!(i("${UNSET:-${SET}x}").as_deref(), Ok("vx"));
        assert_eq!(i("${SET:+r}").as_deref(), Ok("r"));
        assert_eq!(i("${EMPTY:+r}").as_deref(), Ok(""));
        assert_eq!(i("$$SET").as_deref(), Ok("$SET"));
        assert_eq!(i("${EMPTY?m}").as_deref(), Ok(""));
        assert!(matches!(
            i("${EMPTY:?m}"),
            Err(InterpolationError::Required { .. })
        ));
        assert!(matches!(
            i("${UNSET?m}"),
            Err(InterpolationError::Required { .. })
        ));
        assert!(matches!(i("${SET"), Err(InterpolationError::Syntax(_))));
        assert!(matches!(i("${1A}"), Err(InterpolationError::Syntax(_))));
        assert!(matches!(i("a $ b"), Err(InterpolationError::Syntax(_))));
    }

    /// Found by the fuzzer: a multi-byte character right after `${NAME:` split a
    /// character in two and panicked.
    #[test]
    fn modifier_followed_by_multibyte_text_is_an_error_not_a_panic() {
        let v = vars();
        assert!(matches!(
            interpolate("${SET:é}", &v),
            Err(InterpolationError::Syntax(_))
        ));
        assert!(matches!(
            interpolate("${SETé}", &v),
            Err(InterpolationError::Syntax(_))
        ));
        assert_eq!(interpolate("${UNSET:-é}", &v).as_deref(), Ok("é"));
    }

    #[test]
    fn a_reset_value_is_not_interpolated_but_an_override_value_is() {
        let mut diags = Diagnostics::default();
        let mut node = super::super::yaml::parse(
            "a: !reset ${NEEDED:?must be set}\nb: !override ${SET}\nc: [!reset '$$x', '${SET}']\n",
            0,
            &mut diags,
        )
        .expect("yaml");
        interpolate_tree(&mut node, &vars(), &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
        assert_eq!(
            node.to_json(),
            serde_json::json!({"a": "${NEEDED:?must be set}", "b": "v", "c": ["$$x", "v"]})
        );
    }
}
