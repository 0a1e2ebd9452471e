//! `.dockerignore` rules, matched the way Docker matches them.
//!
//! Docker reads `.dockerignore` line by line (`#` comments, blank lines dropped, a leading
//! `!` marks an exception), cleans each pattern like Go's `filepath.Clean` and makes it
//! relative to the context root. A path is excluded when the last rule that matches it,
//! or one of its parent directories, is a plain rule; an exception re-includes it.
//! Patterns are Go `filepath.Match` patterns per path component (`*`, `?`, `[a-z]`,
//! `\` escapes) plus `**`, which matches any number of components, as Docker's
//! `patternmatcher` compiles them.

use std::fmt;

/// A `.dockerignore` that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: pattern `{pattern}` is invalid: {reason}")]
pub struct IgnoreError {
    pub line: usize,
    pub pattern: String,
    pub reason: &'static str,
}

/// The rules of one `.dockerignore`, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone, PartialEq)]
struct Pattern {
    /// An exception (`!pattern`): a match re-includes the path.
    exception: bool,
    /// The cleaned pattern, without its `!`.
    text: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    AnyChar,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**` at the end of the pattern: anything (Go's `.*`, so no newline).
    Rest,
    /// `**` or `**/` elsewhere: any number of leading components (Go's `(.*/)?`).
    Components,
    /// `[...]`: one character in (or, negated, not in) the ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl IgnoreRules {
    /// Parse the text of a `.dockerignore`.
    pub fn parse(text: &str) -> Result<IgnoreRules, IgnoreError> {
        let mut rules = IgnoreRules::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, raw_line) in text.lines().enumerate() {
            // Comments are recognised before trimming, as Docker does: ` # x` is a pattern.
            if raw_line.starts_with('#') {
                continue;
            }
            let mut pattern = raw_line.trim();
            if pattern.is_empty() {
                continue;
            }
            let exception = pattern.starts_with('!');
            if exception {
                pattern = pattern[1..].trim();
            }
            rules.push(pattern, exception, index + 1)?;
        }
        Ok(rules)
    }

    /// Add a rule as if it were the next line of the file.
    pub fn push(&mut self, pattern: &str, exception: bool, line: usize) -> Result<(), IgnoreError> {
        if pattern.is_empty() {
            return Err(IgnoreError {
                line,
                pattern: if exception { "!" } else { "" }.to_string(),
                reason: "a rule needs a pattern (after `!` for an exception)",
            });
        }
        let mut text = clean(pattern);
        if text.len() > 1 && text.starts_with('/') {
            text.remove(0);
        }
        let tokens = compile(&text).map_err(|reason| IgnoreError {
            line,
            pattern: pattern.to_string(),
            reason,
        })?;
        self.patterns.push(Pattern {
            exception,
            text,
            tokens,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any rule is an exception (`!pattern`).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Whether `path` (relative to the context root, `/`-separated) is excluded: the last
    /// rule matching it or one of its parent directories decides.
    pub fn is_excluded(&self, path: &str) -> bool {
        let parents: Vec<&str> = parent_prefixes(path).collect();
        let mut excluded = false;
        for pattern in &self.patterns {
            // A later plain rule cannot exclude what is excluded, nor a later exception
            // re-include what is included: skip the work.
            if pattern.exception != excluded {
                continue;
            }
            let matched =
                pattern.matches(path) || parents.iter().any(|parent| pattern.matches(parent));
            if matched {
                excluded = !pattern.exception;
            }
        }
        excluded
    }

    /// Whether the walk must enter the excluded directory `dir`: Docker does when an
    /// exception's literal text starts with `dir/`, so `!dir/keep` can re-include a file
    /// in an excluded directory (but `!*/keep` cannot).
    pub fn may_reinclude_under(&self, dir: &str) -> bool {
        let dir_slash = format!("{dir}/");
        self.patterns
            .iter()
            .filter(|p| p.exception)
            .any(|p| format!("{}/", p.text).starts_with(&dir_slash))
    }
}

impl fmt::Display for IgnoreRules {
    /// The rules as Docker would list them after reading the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for pattern in &self.patterns {
            let bang = if pattern.exception { "!" } else { "" };
            writeln!(f, "{bang}{}", pattern.text)?;
        }
        Ok(())
    }
}

/// `a/b/c` -> `a`, `a/b` (not the path itself).
fn parent_prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        let text: Vec<char> = path.chars().collect();
        let mut memo = vec![None; (self.tokens.len() + 1) * (text.len() + 1)];
        match_at(&self.tokens, 0, &text, 0, &mut memo)
    }
}

/// Whether `tokens[ti..]` matches all of `text[ci..]`, memoised on `(ti, ci)` so that
/// patterns with many stars stay linear-ish.
fn match_at(
    tokens: &[Token],
    ti: usize,
    text: &[char],
    ci: usize,
    memo: &mut Vec<Option<bool>>,
) -> bool {
    let key = ti * (text.len() + 1) + ci;
    if let Some(known) = memo[key] {
        return known;
    }
    let result = match tokens.get(ti) {
        None => ci == text.len(),
        Some(Token::Literal(c)) => {
            text.get(ci) == Some(c) && match_at(tokens, ti + 1, text, ci + 1, memo)
        }
        Some(Token::AnyChar) => {
            text.get(ci).is_some_and(|c| *c != '/') && match_at(tokens, ti + 1, text, ci + 1, memo)
        }
        Some(Token::Class { negated, ranges }) => {
            text.get(ci).is_some_and(|c| {
                let inside = ranges.iter().any(|(lo, hi)| lo <= c && c <= hi);
                inside != *negated
            }) && match_at(tokens, ti + 1, text, ci + 1, memo)
        }
        Some(Token::Star) => {
            let mut end = ci;
            loop {
                if match_at(tokens, ti + 1, text, end, memo) {
                    break true;
                }
                match text.get(end) {
                    Some(c) if *c != '/' => end += 1,
                    _ => break false,
                }
            }
        }
        Some(Token::Rest) => {
            text[ci..].iter().all(|c| *c != '\n')
                && match_at(tokens, ti + 1, text, text.len(), memo)
        }
        Some(Token::Components) => {
            // Either no component at all, or anything up to and including a `/`.
            if match_at(tokens, ti + 1, text, ci, memo) {
                true
            } else {
                let mut found = false;
                for (offset, c) in text[ci..].iter().enumerate() {
                    if *c == '\n' {
                        break;
                    }
                    if *c == '/' && match_at(tokens, ti + 1, text, ci + offset + 1, memo) {
                        found = true;
                        break;
                    }
                }
                found
            }
        }
    };
    memo[key] = Some(result);
    result
}

/// Compile a cleaned pattern into tokens, as `patternmatcher` compiles it into a regexp.
fn compile(pattern: &str) -> Result<Vec<Token>, &'static str> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i == chars.len() {
                    tokens.push(Token::Rest);
                } else {
                    tokens.push(Token::Components);
                }
            }
            '*' => tokens.push(Token::Star),
            '?' => tokens.push(Token::AnyChar),
            '\\' => match chars.get(i) {
                Some(next) => {
                    tokens.push(Token::Literal(*next));
                    i += 1;
                }
                None => return Err("it ends with an unfinished `\\` escape"),
            },
            '[' => {
                let (token, next) = class(&chars, i)?;
                tokens.push(token);
                i = next;
            }
            other => tokens.push(Token::Literal(other)),
        }
    }
    Ok(tokens)
}

/// A character class starting after its `[` at `start`; returns the token and the index
/// after its `]`.
fn class(chars: &[char], start: usize) -> Result<(Token, usize), &'static str> {
    let mut i = start;
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("a `[` character class is not closed by `]`");
        };
        if c == ']' && !ranges.is_empty() {
            return Ok((Token::Class { negated, ranges }, i + 1));
        }
        if c == ']' {
            return Err("a `[]` character class is empty");
        }
        let (lo, next) = class_char(chars, i)?;
        i = next;
        let mut hi = lo;
        if chars.get(i) == Some(&'-') {
            let (end, next) = class_char(chars, i + 1)?;
            hi = end;
            i = next;
            if hi < lo {
                return Err("a character range in `[...]` runs backwards");
            }
        }
        ranges.push((lo, hi));
    }
}

/// One character of a class, as Go's `getEsc` reads it: `-` and `]` must be escaped.
fn class_char(chars: &[char], i: usize) -> Result<(char, usize), &'static str> {
    match chars.get(i) {
        Some('-') | Some(']') => Err("a `-` or `]` in `[...]` needs a `\\` escape"),
        Some('\\') => match chars.get(i + 1) {
            Some(c) => Ok((*c, i + 2)),
            None => Err("it ends with an unfinished `\\` escape"),
        },
        Some(c) => Ok((*c, i + 1)),
        None => Err("a `[` character class is not closed by `]`"),
    }
}

/// Go's `filepath.Clean` on a `/`-separated path: no `.` components, `..` resolved
/// lexically, no repeated or trailing `/`; an empty result is `.`.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> IgnoreRules {
        IgnoreRules::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// (rules, path, excluded?) as Docker decides.
    const CASES: &[(&str, &str, bool)] = &[
        // Plain names are relative to the root, not matched at any depth.
        ("foo", "foo", true),
        ("foo", "a/foo", false),
        ("foo", "foo/bar", true),
        ("foo", "foobar", false),
        ("/foo", "foo", true),
        ("./foo", "foo", true),
        ("foo/", "foo/x", true),
        ("a/../foo", "foo", true),
        // `*` and `?` stay within a component.
        ("*.log", "x.log", true),
        ("*.log", "dir/x.log", false),
        ("*/*.log", "dir/x.log", true),
        ("*/*.log", "a/b/x.log", false),
        ("?.txt", "a.txt", true),
        ("?.txt", "ab.txt", false),
        ("a?b", "a/b", false),
        ("*", "anything/below", true),
        // `**` spans components, including none.
        ("**/*.log", "x.log", true),
        ("**/*.log", "a/b/c/x.log", true),
        ("**/*.log", "a/b/c/x.txt", false),
        ("a/**/z", "a/z", true),
        ("a/**/z", "a/b/c/z", true),
        ("a/**/z", "b/z", false),
        ("a/**", "a/b/c", true),
        ("a/**", "b", false),
        ("**", "deep/down/file", true),
        ("**/node_modules", "web/node_modules/x/y.js", true),
        // Classes and escapes.
        ("[a-c].txt", "b.txt", true),
        ("[a-c].txt", "d.txt", false),
        ("[^a-c].txt", "d.txt", true),
        ("[^a-c].txt", "a.txt", false),
        ("\\*.txt", "*.txt", true),
        ("\\*.txt", "a.txt", false),
        // Characters that are special in regular expressions are plain here.
        ("a.b", "axb", false),
        ("a+b", "a+b", true),
        ("a+b", "aab", false),
        ("(x)", "(x)", true),
        // Later rules win; exceptions re-include.
        ("*.md\n!README.md", "README.md", false),
        ("*.md\n!README.md", "CHANGES.md", true),
        ("!README.md\n*.md", "README.md", true),
        ("docs\n!docs/keep.md", "docs/keep.md", false),
        ("docs\n!docs/keep.md", "docs/other.md", true),
        ("docs\n!docs/keep.md\ndocs/keep.md", "docs/keep.md", true),
        // A parent directory's exclusion covers what is below it.
        ("build\n!build/out/bin", "build/out/bin", false),
        ("build\n!build/out/bin", "build/out/lib", true),
        ("build\n!build/out", "build/out/lib", false),
        // Comments only at the start of a line; surrounding spaces trimmed.
        ("# foo\n", "# foo", false),
        ("  foo  ", "foo", true),
        (" # foo", "# foo", true),
        ("! foo\n*", "foo", true),
        ("*\n! foo", "foo", false),
    ];

    #[test]
    fn patterns_match_as_docker_matches_them() {
        let mut failures = Vec::new();
        for (text, path, excluded) in CASES {
            let got = rules(text).is_excluded(path);
            if got != *excluded {
                failures.push(format!(
                    "rules {text:?} path {path:?}: expected excluded={excluded}, got {got}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn parse_cleans_patterns_like_docker() {
        let parsed = rules("\u{feff}# comment\n\n./a/b/\n/c\n!  d/../e\n**/f\n");
        assert_eq!(parsed.to_string(), "a/b\nc\n!e\n**/f\n");
    }

    #[test]
    fn bad_patterns_name_their_line() {
        let err = IgnoreRules::parse("ok\n[abc\n").err();
        assert_eq!(
            err.map(|e| (e.line, e.pattern)),
            Some((2, "[abc".to_string()))
        );
        assert!(IgnoreRules::parse("x\\").is_err());
        assert!(IgnoreRules::parse("[z-a]").is_err());
        assert!(IgnoreRules::parse("!").is_err());
        assert!(IgnoreRules::parse("[]a]").is_err());
        assert!(IgnoreRules::parse("[a-]").is_err());
        assert!(IgnoreRules::parse("[\\]a]").is_ok());
    }

    #[test]
    fn walk_enters_excluded_directories_only_for_literal_exceptions() {
        let parsed = rules("docs\n!docs/keep.md\n!*/other");
        assert!(parsed.may_reinclude_under("docs"));
        assert!(!parsed.may_reinclude_under("src"));
        assert!(!rules("docs\n!docs").may_reinclude_under("docs/sub"));
        assert!(rules("docs\n!docs/a/b").may_reinclude_under("docs/a"));
    }

    #[test]
    fn clean_follows_go() {
        for (input, cleaned) in [
            ("", "."),
            (".", "."),
            ("./", "."),
            ("a//b/./c/", "a/b/c"),
            ("a/../..", ".."),
            ("../a", "../a"),
            ("/../a", "/a"),
            ("/", "/"),
        ] {
            assert_eq!(clean(input), cleaned, "clean({input:?})");
        }
    }
}
