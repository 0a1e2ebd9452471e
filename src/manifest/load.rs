//! Loading a project: find the manifests, read the variables, parse, interpolate, merge,
//! validate. Everything the command line and the environment say comes in through
//! [`LoadOptions`], so loading never reads the process environment by itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diagnostic::{Diagnostic, Diagnostics, Sources};
use super::dotenv;
use super::expand::Expander;
use super::interpolate::{interpolate_tree, Variables};
use super::merge::{has_tags, merge_manifests, resolve_tags};
use super::model::Project;
use super::validate::{validate, Inputs};
use super::yaml;

/// File names looked for, in this order, when no `-f` is given.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Override files picked up beside a discovered manifest, as Compose does.
const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// What the command line and the environment say about where the project is.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f` files, in order. Empty: `MSCTL_FILE`, then discovery.
    pub files: Vec<PathBuf>,
    pub project_name: Option<String>,
    pub project_directory: Option<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub profiles: Vec<String>,
    /// The directory msctl runs in.
    pub cwd: PathBuf,
    /// msctl's own environment (the process environment in production).
    pub environment: BTreeMap<String, String>,
}

/// A loaded project and the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    pub project: Project,
    pub files: Vec<PathBuf>,
    pub warnings: Vec<Diagnostic>,
    pub sources: Sources,
    /// The merged tree the project was validated from, for locating a key later.
    pub tree: yaml::Node,
}

impl Loaded {
    pub fn render_warnings(&self) -> String {
        self.warnings
            .iter()
            .map(|d| d.render(&self.sources))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The warnings as errors (`validate --strict`), ready to print; `None` when there
    /// are none.
    pub fn warnings_as_errors(&self) -> Option<LoadError> {
        if self.warnings.is_empty() {
            return None;
        }
        let mut diags = Diagnostics::default();
        for warning in &self.warnings {
            let mut error = warning.clone();
            error.severity = super::diagnostic::Severity::Error;
            diags.push(error);
        }
        Some(LoadError::from_diags(&diags, &self.sources))
    }

    /// Where the key at `path` (e.g. `["services", "web", "container_name"]`) was written,
    /// as a rendered error with its snippet and `hint`; without a location when the key
    /// is not in the manifests.
    pub fn error_at(&self, path: &[&str], message: &str, hint: &str) -> String {
        let mut node = Some(&self.tree);
        let mut span = None;
        for key in path {
            let entry = node.and_then(|n| n.entry(key));
            span = entry.map(|e| e.key_span).or(span);
            node = entry.map(|e| &e.value);
        }
        Diagnostic::error(message, span)
            .with_hint(hint)
            .render(&self.sources)
    }
}

/// Why a project could not be loaded: the rendered diagnostics, ready to print.
#[derive(Debug, thiserror::Error)]
#[error("{rendered}")]
pub struct LoadError {
    pub rendered: String,
    pub error_count: usize,
}

impl LoadError {
    fn single(message: impl Into<String>, hint: impl Into<String>) -> Self {
        let diag = Diagnostic::error(message, None).with_hint(hint);
        LoadError {
            rendered: diag.render(&Sources::default()),
            error_count: 1,
        }
    }

    fn from_diags(diags: &Diagnostics, sources: &Sources) -> Self {
        LoadError {
            rendered: diags.render(sources),
            error_count: diags.error_count(),
        }
    }
}

pub fn load(options: &LoadOptions) -> Result<Loaded, LoadError> {
    let cwd = &options.cwd;
    let base_dir = options
        .project_directory
        .as_ref()
        .map(|d| absolute(cwd, d))
        .unwrap_or_else(|| cwd.clone());

    // `.env` in the working (or project) directory may say which files and which name.
    let early_dotenv =
        read_dotenv(&base_dir.join(".env"), &options.environment).unwrap_or_default();
    let setting = |key: &str| {
        options
            .environment
            .get(key)
            .or_else(|| early_dotenv.get(key))
            .filter(|v| !v.is_empty())
            .cloned()
    };

    let files: Vec<(PathBuf, PathBuf)> = if !options.files.is_empty() {
        options
            .files
            .iter()
            .map(|f| (f.clone(), absolute(cwd, f)))
            .collect()
    } else if let Some(list) = setting("MSCTL_FILE").or_else(|| setting("COMPOSE_FILE")) {
        list.split(':')
            .filter(|s| !s.is_empty())
            .map(|f| (PathBuf::from(f), absolute(&base_dir, Path::new(f))))
            .collect()
    } else {
        discover(&base_dir, cwd)?
    };

    let project_dir = options
        .project_directory
        .as_ref()
        .map(|d| absolute(cwd, d))
        .or_else(|| {
            files
                .first()
                .and_then(|(_, abs)| abs.parent().map(Path::to_path_buf))
        })
        .unwrap_or_else(|| cwd.clone());

    // Variables: the env file, overridden by msctl's own environment.
    let env_path = match &options.env_file {
        Some(path) => {
            let full = absolute(cwd, path);
            if !full.is_file() {
                return Err(LoadError::single(
                    format!("env file `{}` does not exist", path.display()),
                    "check the path given to `--env-file`",
                ));
            }
            Some(full)
        }
        None => Some(project_dir.join(".env")).filter(|p| p.is_file()),
    };
    let mut vars: Variables = match &env_path {
        Some(path) => read_dotenv(path, &options.environment)?,
        None => Variables::new(),
    };
    vars.extend(
        options
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );

    let mut diags = Diagnostics::default();
    let mut documents = Vec::new();
    for (display, path) in &files {
        match super::read::read_text(path, super::yaml::MAX_DOCUMENT_BYTES) {
            Ok(text) => documents.push((display.clone(), parent_dir(path), text)),
            Err(err) => diags.push(
                Diagnostic::error(
                    format!("cannot read manifest `{}`: {err}", display.display()),
                    None,
                )
                .with_hint("check the path given with `-f` or `MSCTL_FILE`"),
            ),
        }
    }
    let files: Vec<PathBuf> = files.into_iter().map(|(_, abs)| abs).collect();
    tracing::info!(
        files = ?files,
        project_dir = %project_dir.display(),
        env_file = ?env_path,
        "loading manifests"
    );
    load_documents(
        options,
        &setting,
        project_dir,
        files,
        documents,
        vars,
        diags,
    )
}

/// The target `--target` or `MSCTL_TARGET` (environment or `.env`) chose, if any.
fn target_override(
    setting: &dyn Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<crate::manifest::model::Target> {
    let text = setting("MSCTL_TARGET").filter(|t| !t.trim().is_empty())?;
    let target = crate::manifest::model::Target::parse(text.trim());
    if target.is_none() {
        diags.push(
            Diagnostic::error(format!("MSCTL_TARGET is `{text}`, not a target"), None).with_hint(
                "use `local` (this engine's containers) or `swarm` (a Swarm's services)",
            ),
        );
    }
    target
}

/// Parse, interpolate, merge and validate manifest texts already read.
fn load_documents(
    options: &LoadOptions,
    setting: &dyn Fn(&str) -> Option<String>,
    project_dir: PathBuf,
    files: Vec<PathBuf>,
    documents: Vec<(PathBuf, PathBuf, String)>,
    vars: Variables,
    mut diags: Diagnostics,
) -> Result<Loaded, LoadError> {
    let mut sources = Sources::default();
    let mut merged: Option<yaml::Node> = None;
    for (display, dir, text) in documents {
        let file = sources.add(&display, text.clone());
        let Some(mut node) = yaml::parse(&text, file, &mut diags) else {
            continue;
        };
        interpolate_tree(&mut node, &vars, &mut diags);
        let path = display.file_name().map(|name| dir.join(name));
        Expander::new(&mut sources, &mut diags, &options.environment)
            .within(path)
            .expand(&mut node, &dir, &vars, false);
        merged = Some(match merged {
            None => {
                // `!reset` and `!override` in the first file have nothing to act on.
                resolve_tags(&mut node);
                node
            }
            Some(base) => merge_manifests(base, node),
        });
    }
    let Some(root) = merged else {
        return Err(LoadError::from_diags(&diags, &sources));
    };
    debug_assert!(!has_tags(&root), "merge tags reach validation");
    if diags.has_errors() {
        // Syntax errors in one file would make validation of the merge misleading.
        return Err(LoadError::from_diags(&diags, &sources));
    }

    let project_name = project_name(options, setting, &root, &project_dir, &mut diags);
    let profiles: Vec<String> = if options.profiles.is_empty() {
        setting("MSCTL_PROFILES")
            .or_else(|| setting("COMPOSE_PROFILES"))
            .map(|p| {
                p.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        options.profiles.clone()
    };
    let inputs = Inputs {
        working_dir: &project_dir,
        project_name: project_name.unwrap_or_default(),
        vars: &vars,
        profiles: &profiles,
        target: target_override(setting, &mut diags),
    };
    tracing::debug!(project = %inputs.project_name, profiles = ?profiles, "validating");
    let project = validate(&root, &inputs, &mut diags);
    match project {
        Some(project) if !diags.has_errors() => Ok(Loaded {
            project,
            files,
            warnings: diags.sorted().into_iter().cloned().collect(),
            sources,
            tree: root,
        }),
        _ => Err(LoadError::from_diags(&diags, &sources)),
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn absolute(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

fn read_dotenv(path: &Path, env: &BTreeMap<String, String>) -> Result<Variables, LoadError> {
    // No `.env` is no variables; one that cannot be read is an error, not ignored.
    let text = match super::read::read_text(path, super::yaml::MAX_DOCUMENT_BYTES) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Variables::new()),
        Err(err) if path.is_dir() => {
            tracing::debug!("{} is a directory: {err}", path.display());
            return Ok(Variables::new());
        }
        Err(err) => {
            return Err(LoadError::single(
                format!("cannot read env file `{}`: {err}", path.display()),
                "env files hold `KEY=VALUE` lines; a larger one is not an env file",
            ))
        }
    };
    let lookup: Variables = env.clone();
    match dotenv::parse(&text, &lookup) {
        Ok(entries) => Ok(entries
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()),
        Err(err) => Err(LoadError::single(
            format!("{}:{}: {}", path.display(), err.line, err.message),
            "env files hold `KEY=VALUE` lines; quote values with spaces or special characters",
        )),
    }
}

/// A valid manifest text loaded as project `demo`, for unit tests; panics on an invalid
/// one.
#[cfg(test)]
pub fn demo_project(text: &str) -> crate::manifest::model::Project {
    let options = LoadOptions {
        project_name: Some("demo".to_string()),
        cwd: std::env::temp_dir(),
        ..LoadOptions::default()
    };
    match load_str(text, &options) {
        Ok(loaded) => loaded.project,
        Err(err) => panic!("invalid test manifest: {err}"),
    }
}

/// Load one manifest text, with no file system lookups for manifests or `.env`: for
/// fuzzing and tests. Relative paths resolve against `options.cwd`.
pub fn load_str(text: &str, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let vars: Variables = options.environment.clone();
    let env = options.environment.clone();
    let setting = move |key: &str| env.get(key).filter(|v| !v.is_empty()).cloned();
    load_documents(
        options,
        &setting,
        options.cwd.clone(),
        Vec::new(),
        vec![(
            PathBuf::from("compose.yaml"),
            options.cwd.clone(),
            text.to_string(),
        )],
        vars,
        Diagnostics::default(),
    )
}

/// Look for a manifest in `dir` and its parents, with its override file if present.
fn discover(dir: &Path, cwd: &Path) -> Result<Vec<(PathBuf, PathBuf)>, LoadError> {
    let mut current = Some(dir);
    while let Some(d) = current {
        if let Some(name) = DEFAULT_FILES.iter().find(|n| d.join(n).is_file()) {
            let mut found = vec![d.join(name)];
            if let Some(over) = OVERRIDE_FILES.iter().find(|n| d.join(n).is_file()) {
                found.push(d.join(over));
            }
            return Ok(found
                .into_iter()
                .map(|abs| {
                    (
                        abs.strip_prefix(cwd)
                            .map(Path::to_path_buf)
                            .unwrap_or_else(|_| abs.clone()),
                        abs,
                    )
                })
                .collect());
        }
        current = d.parent();
    }
    Err(LoadError::single(
        format!("no manifest found in `{}` or its parents", dir.display()),
        format!(
            "create one of {}, pass one with `-f FILE`, or set MSCTL_FILE",
            DEFAULT_FILES.join(", ")
        ),
    ))
}

/// `-p`, then `MSCTL_PROJECT_NAME`, then the top-level `name:`, then the directory name.
fn project_name(
    options: &LoadOptions,
    setting: &dyn Fn(&str) -> Option<String>,
    root: &yaml::Node,
    project_dir: &Path,
    diags: &mut Diagnostics,
) -> Option<String> {
    let explicit = options
        .project_name
        .clone()
        .map(|n| (n, "`-p`"))
        .or_else(|| setting("MSCTL_PROJECT_NAME").map(|n| (n, "MSCTL_PROJECT_NAME")))
        .or_else(|| setting("COMPOSE_PROJECT_NAME").map(|n| (n, "COMPOSE_PROJECT_NAME")));
    if let Some((name, from)) = explicit {
        if valid_project_name(&name) {
            return Some(name);
        }
        diags.push(
            Diagnostic::error(format!("project name `{name}` from {from} is not valid"), None)
                .with_hint("project names use lowercase letters, digits, `-` and `_`, and start with a letter or digit"),
        );
        return None;
    }
    if let Some(node) = root.get("name") {
        return match node.scalar_text() {
            Some(name) if valid_project_name(&name) => Some(name),
            _ => {
                diags.push(
                    Diagnostic::error("`name` is not a valid project name", Some(node.span)).with_hint(
                        "project names use lowercase letters, digits, `-` and `_`, and start with a letter or digit",
                    ),
                );
                None
            }
        };
    }
    let dir_name = project_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let normalised = normalize_project_name(&dir_name);
    if normalised.is_empty() {
        diags.push(
            Diagnostic::error(
                format!("cannot derive a project name from directory `{dir_name}`"),
                None,
            )
            .with_hint("set one with `-p NAME`, MSCTL_PROJECT_NAME, or a top-level `name:`"),
        );
        return None;
    }
    Some(normalised)
}

pub fn valid_project_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Compose's normalisation of a directory name: lowercase, only `[a-z0-9_-]`, starting
/// with a letter or digit.
pub fn normalize_project_name(name: &str) -> String {
    let lower: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect();
    lower.trim_start_matches(['-', '_']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_name_normalisation() {
        assert_eq!(normalize_project_name("My App.v2"), "myappv2");
        assert_eq!(normalize_project_name("_x-Y"), "x-y");
        assert!(valid_project_name("shop"));
        assert!(!valid_project_name("Shop"));
        assert!(!valid_project_name("-x"));
    }
}
