//! Diagnostics: what is wrong with a manifest, where (file:line:col), and a hint.
//!
//! Rendering follows rustc and just: a header, an arrow with the location, the source
//! line with a caret under the culprit, and a `hint:` line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Index of a file in [`Sources`].
pub type FileId = usize;

/// Every manifest text read during one load, so diagnostics can quote source lines.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
}

#[derive(Debug, Clone)]
struct SourceFile {
    /// The path as the user gave it (or as discovered), for messages.
    display: PathBuf,
    text: String,
}

impl Sources {
    pub fn add(&mut self, display: &Path, text: String) -> FileId {
        self.files.push(SourceFile {
            display: display.to_path_buf(),
            text,
        });
        self.files.len() - 1
    }

    pub fn text(&self, file: FileId) -> &str {
        self.files.get(file).map(|f| f.text.as_str()).unwrap_or("")
    }

    pub fn display(&self, file: FileId) -> String {
        self.files
            .get(file)
            .map(|f| f.display.display().to_string())
            .unwrap_or_else(|| "<unknown>".to_string())
    }

    fn line(&self, file: FileId, line: u32) -> Option<&str> {
        self.text(file).lines().nth((line as usize).checked_sub(1)?)
    }
}

/// A place in a manifest: 1-based line and column, and how many characters to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

impl Span {
    pub fn new(file: FileId, line: u32, col: u32, len: u32) -> Self {
        Span {
            file,
            line,
            col,
            len: len.max(1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            hint: None,
        }
    }

    pub fn warning(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The diagnostic as text, quoting the source line when the span is known.
    pub fn render(&self, sources: &Sources) -> String {
        let mut out = String::new();
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{label}: {}", self.message);
        let gutter = self
            .span
            .map(|s| s.line.to_string().len())
            .unwrap_or(1)
            .max(1);
        let pad = " ".repeat(gutter);
        if let Some(span) = self.span {
            let _ = writeln!(
                out,
                "{pad}--> {}:{}:{}",
                sources.display(span.file),
                span.line,
                span.col
            );
            if let Some(source_line) = sources.line(span.file, span.line) {
                // Tabs would misalign the caret, so show them as single spaces.
                let shown = source_line.replace('\t', " ");
                let (shown, col) = excerpt(&shown, span.col);
                let width = shown.chars().count() as u32;
                let start = col.saturating_sub(1).min(width);
                let len = span.len.min(width.saturating_sub(start)).max(1);
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{} | {}", span.line, shown.trim_end());
                let _ = writeln!(
                    out,
                    "{pad} | {}{}",
                    " ".repeat(start as usize),
                    "^".repeat(len as usize)
                );
            }
        }
        if let Some(hint) = &self.hint {
            if self.span.is_some() {
                let _ = writeln!(out, "{pad} |");
            }
            let _ = writeln!(out, "{pad} = hint: {hint}");
        }
        out
    }
}

/// The most characters of a source line a diagnostic shows.
const SHOWN_CHARS: usize = 120;

/// `line`, or the part of it around column `col` (1-based) when it is longer than
/// [`SHOWN_CHARS`], with `...` where it is cut; and the column within what is shown.
fn excerpt(line: &str, col: u32) -> (String, u32) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= SHOWN_CHARS {
        return (line.to_string(), col);
    }
    let at = (col.saturating_sub(1) as usize).min(chars.len());
    let from = at.saturating_sub(SHOWN_CHARS / 2);
    let to = (from + SHOWN_CHARS).min(chars.len());
    let mut shown = String::new();
    if from > 0 {
        shown.push_str("...");
    }
    shown.extend(&chars[from..to]);
    if to < chars.len() {
        shown.push_str("...");
    }
    let prefix = if from > 0 { 3 } else { 0 };
    (shown, (at - from + prefix + 1) as u32)
}

/// Diagnostics collected in one pass over every manifest.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if !self.items.contains(&diagnostic) {
            self.items.push(diagnostic);
        }
    }

    pub fn error(&mut self, message: impl Into<String>, span: Option<Span>) {
        self.push(Diagnostic::error(message, span));
    }

    pub fn error_hint(
        &mut self,
        message: impl Into<String>,
        span: Option<Span>,
        hint: impl Into<String>,
    ) {
        self.push(Diagnostic::error(message, span).with_hint(hint));
    }

    pub fn warning(&mut self, message: impl Into<String>, span: Option<Span>) {
        self.push(Diagnostic::warning(message, span));
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for item in other.items {
            self.push(item);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// In source order: by file, line, column; problems without a place last.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by_key(|d| (d.span.is_none(), d.span, d.severity));
        items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| !d.is_error())
    }

    /// Every diagnostic rendered, separated by blank lines.
    pub fn render(&self, sources: &Sources) -> String {
        self.sorted()
            .iter()
            .map(|d| d.render(sources))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_around_its_column() {
        assert_eq!(excerpt("short: line", 3), ("short: line".to_string(), 3));
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let (shown, col) = excerpt(&line, 501);
        assert!(
            shown.starts_with("...") && shown.ends_with("..."),
            "{shown}"
        );
        assert_eq!(shown.chars().count(), SHOWN_CHARS + 6);
        assert_eq!(shown.chars().nth(col as usize - 1), Some('X'));
        let (shown, col) = excerpt(&line, 1);
        assert!(!shown.starts_with("...") && shown.ends_with("..."));
        assert_eq!(col, 1);
    }
}
