//! `.env` and `env_file` files: `KEY=VALUE` lines, as Compose reads them.

use super::interpolate::{interpolate, InterpolationError, Variables};

/// One problem in an env file, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileError {
    pub line: u32,
    pub message: String,
}

/// Parse an env file. `KEY=VALUE`, `export KEY=VALUE`, `# comments`, blank lines;
/// values may be single-quoted (literal), double-quoted (escapes and `${VAR}`), or bare
/// (trailing ` # comment` removed, `${VAR}` interpolated). A bare `KEY` has no value.
/// `lookup` supplies variables for interpolation; entries defined earlier in the file are
/// visible to later ones.
pub fn parse(
    text: &str,
    lookup: &Variables,
) -> Result<Vec<(String, Option<String>)>, EnvFileError> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut scope = lookup.clone();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index as u32 + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim_start())),
            None => (line, None),
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(EnvFileError {
                line: line_no,
                message: format!("`{key}` is not a variable name"),
            });
        }
        let value = match value {
            None => None,
            Some(v) => Some(parse_value(v, &scope).map_err(|message| EnvFileError {
                line: line_no,
                message,
            })?),
        };
        if let Some(v) = &value {
            if v.len() > super::yaml::MAX_SCALAR_BYTES {
                return Err(EnvFileError {
                    line: line_no,
                    message: format!(
                        "the value of `{key}` is {} bytes, over the limit of {}",
                        v.len(),
                        super::yaml::MAX_SCALAR_BYTES
                    ),
                });
            }
            scope.insert(key.to_string(), v.clone());
        }
        out.retain(|(k, _)| k != key);
        out.push((key.to_string(), value));
    }
    Ok(out)
}

fn parse_value(value: &str, scope: &Variables) -> Result<String, String> {
    if let Some(rest) = value.strip_prefix('\'') {
        let end = rest.find('\'').ok_or("single quote is never closed")?;
        return Ok(rest[..end].to_string());
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        loop {
            match chars.next() {
                None => return Err("double quote is never closed".to_string()),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => return Err("double quote is never closed".to_string()),
                },
                Some(c) => out.push(c),
            }
        }
        return interpolate(&out, scope).map_err(describe);
    }
    let bare = match value.find(" #") {
        Some(i) => &value[..i],
        None => value,
    };
    interpolate(bare.trim_end(), scope).map_err(describe)
}

fn describe(error: InterpolationError) -> String {
    match error {
        InterpolationError::Syntax(why) => why,
        InterpolationError::TooLong => format!(
            "the value grows past {} bytes once its variables are put in",
            super::yaml::MAX_SCALAR_BYTES
        ),
        InterpolationError::Required { name, message } => {
            format!("required variable `{name}` is not set: {message}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let text =
            "# c\nA=1\nexport B = two # note\nC='${A} raw'\nD=\"x\\ny ${A}\"\nE\nF=${A}${A}\n";
        let parsed = parse(text, &Variables::new()).expect("parses");
        let get = |k: &str| parsed.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("A"), Some(Some("1".into())));
        assert_eq!(get("B"), Some(Some("two".into())));
        assert_eq!(get("C"), Some(Some("${A} raw".into())));
        assert_eq!(get("D"), Some(Some("x\ny 1".into())));
        assert_eq!(get("E"), Some(None));
        assert_eq!(get("F"), Some(Some("11".into())));
    }

    #[test]
    fn bad_lines_name_the_line() {
        let err = parse("A=1\n=2\n", &Variables::new()).expect_err("fails");
        assert_eq!(err.line, 2);
    }
}
