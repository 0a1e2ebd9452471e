//! Which files `msctl watch` follows for each service, and what a change to one means.
//!
//! A service's rules are its `develop.watch` entries; a service with a build but no
//! `develop` section gets one implicit `rebuild` rule over its build context (a
//! Dockerfile context less its `.dockerignore`, or a cargo workspace less build output
//! and VCS data). Matching is pure: [`Rules::changes`] turns changed paths into the
//! actions they trigger, per service; nothing here reads the engine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::context::read_ignore_rules;
use super::ignore::IgnoreRules;
use super::{build_spec, BuildSpec};
use crate::manifest::model::{Service, WatchAction};

/// Files no rule ever follows: VCS data and editors' temporary files.
const ALWAYS_IGNORED: &[&str] = &[
    ".git", ".hg", ".svn", ".jj", "*~", "*.swp", "*.swx", ".#*", "4913",
];

/// One rule of one service, ready to match paths.
#[derive(Debug)]
pub struct Rule {
    pub service: String,
    pub action: WatchAction,
    /// Absolute: the file or directory followed.
    pub root: PathBuf,
    /// Where `root` goes in the container, for the sync actions.
    pub target: Option<String>,
    pub initial_sync: bool,
    /// Whether msctl made it (a service with a build and no `develop`).
    pub implicit: bool,
    ignore: IgnoreRules,
    include: Option<IgnoreRules>,
    /// A build context's `.dockerignore`, with the context it is relative to.
    context_ignore: Option<(PathBuf, IgnoreRules)>,
}

/// A rule's `ignore` or `include` pattern, or a `.dockerignore`, cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("service `{service}`: {what}: {message}")]
pub struct RuleError {
    pub service: String,
    pub what: String,
    pub message: String,
}

/// The rules of the services `watch` follows.
#[derive(Debug, Default)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

/// What changed files ask of one service: the files (relative to their rule's root,
/// `/`-separated) per action, and for the sync actions, where they go.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ServiceChanges {
    /// Files that trigger a rebuild.
    pub rebuild: BTreeSet<PathBuf>,
    /// Files to copy: host path -> path in the container.
    pub sync: BTreeMap<PathBuf, String>,
    /// Whether the replicas restart after (a `sync+restart` or `restart` rule matched).
    pub restart: bool,
    /// How many files changed in all.
    pub files: usize,
}

impl Rules {
    /// The rules of `services`; a service without any is left out (the caller says so).
    pub fn of<'a>(services: impl IntoIterator<Item = &'a Service>) -> Result<Rules, RuleError> {
        let mut rules = Vec::new();
        for service in services {
            rules.extend(rules_of(service)?);
        }
        Ok(Rules { rules })
    }

    /// Whether `service` has a rule.
    pub fn watches(&self, service: &str) -> bool {
        self.rules.iter().any(|rule| rule.service == service)
    }

    /// The directories (or files) to follow: every rule's root.
    pub fn roots(&self) -> BTreeSet<PathBuf> {
        self.rules.iter().map(|rule| rule.root.clone()).collect()
    }

    /// What `paths` (absolute, changed, created or removed) ask of each service. A file
    /// matched by rules of several actions of one service counts for each; a rebuild
    /// makes that service's syncs and restarts moot, so they are dropped.
    pub fn changes(&self, paths: &BTreeSet<PathBuf>) -> BTreeMap<String, ServiceChanges> {
        let mut out: BTreeMap<String, ServiceChanges> = BTreeMap::new();
        let mut counted: BTreeMap<String, BTreeSet<&PathBuf>> = BTreeMap::new();
        for path in paths {
            for rule in &self.rules {
                let Some(relative) = rule.matches(path) else {
                    continue;
                };
                let changes = out.entry(rule.service.clone()).or_default();
                counted
                    .entry(rule.service.clone())
                    .or_default()
                    .insert(path);
                match rule.action {
                    WatchAction::Rebuild => {
                        changes.rebuild.insert(path.clone());
                    }
                    WatchAction::Sync | WatchAction::SyncRestart => {
                        if let Some(target) = &rule.target {
                            changes
                                .sync
                                .insert(path.clone(), container_path(target, &relative));
                        }
                        changes.restart |= rule.action == WatchAction::SyncRestart;
                    }
                    WatchAction::Restart => changes.restart = true,
                }
            }
        }
        for (service, changes) in out.iter_mut() {
            changes.files = counted.get(service).map_or(0, BTreeSet::len);
            if !changes.rebuild.is_empty() {
                changes.sync.clear();
                changes.restart = false;
            }
        }
        out
    }
}

impl Rule {
    /// `path` relative to the root (`/`-separated; the file's name when the root is the
    /// file itself) when this rule follows it.
    pub fn matches(&self, path: &Path) -> Option<String> {
        let relative = if path == self.root {
            self.root.file_name()?.to_string_lossy().into_owned()
        } else {
            slash_path(path.strip_prefix(&self.root).ok()?)
        };
        if relative.is_empty() || self.ignore.is_excluded(&relative) {
            return None;
        }
        if let Some(include) = &self.include {
            if !include.is_excluded(&relative) {
                return None;
            }
        }
        if let Some((context, rules)) = &self.context_ignore {
            let in_context = slash_path(path.strip_prefix(context).ok()?);
            if !in_context.is_empty() && rules.is_excluded(&in_context) {
                return None;
            }
        }
        Some(relative)
    }

    /// Whether nothing under the directory `dir` can match: it is outside the root, or
    /// ignored with no exception that could bring a file back. `watch` follows no such
    /// directory (a cargo workspace's `target/` has thousands).
    pub fn skips_dir(&self, dir: &Path) -> bool {
        if dir == self.root {
            return false;
        }
        let Ok(rest) = dir.strip_prefix(&self.root) else {
            // The root inside `dir` (a parent watched for a file root) is followed.
            return !self.root.starts_with(dir);
        };
        let relative = slash_path(rest);
        let ignored = |rules: &IgnoreRules, relative: &str| {
            rules.is_excluded(relative) && !rules.may_reinclude_under(relative)
        };
        if ignored(&self.ignore, &relative) {
            return true;
        }
        match &self.context_ignore {
            Some((context, rules)) => dir
                .strip_prefix(context)
                .is_ok_and(|inside| ignored(rules, &slash_path(inside))),
            None => false,
        }
    }

    /// Every file this rule follows now (for `initial_sync`), sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.root, &mut |path| {
            if self.matches(path).is_some() {
                out.push(path.to_path_buf());
            }
        });
        out.sort();
        out
    }
}

fn walk(path: &Path, visit: &mut dyn FnMut(&Path)) {
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return;
    };
    if metadata.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            walk(&entry.path(), visit);
        }
    } else {
        visit(path);
    }
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `relative` under `target` in the container.
fn container_path(target: &str, relative: &str) -> String {
    format!("{}/{relative}", target.trim_end_matches('/'))
}

fn patterns(service: &str, what: &str, patterns: &[&str]) -> Result<IgnoreRules, RuleError> {
    let mut rules = IgnoreRules::default();
    for (index, pattern) in patterns.iter().enumerate() {
        rules
            .push(pattern, false, index + 1)
            .map_err(|err| RuleError {
                service: service.to_string(),
                what: format!("{what} `{pattern}`"),
                message: err.to_string(),
            })?;
    }
    Ok(rules)
}

/// The rules of one service: its `develop.watch`, or the implicit rebuild of its build.
fn rules_of(service: &Service) -> Result<Vec<Rule>, RuleError> {
    let name = service.name.as_str();
    let context_ignore = |directory: &Path| {
        read_ignore_rules(directory)
            .map(|rules| (directory.to_path_buf(), rules))
            .map_err(|err| RuleError {
                service: name.to_string(),
                what: format!("`{}`", directory.join(".dockerignore").display()),
                message: err.to_string(),
            })
    };
    if let Some(develop) = &service.develop {
        let mut out = Vec::new();
        for rule in &develop.watch {
            let mut ignore: Vec<&str> = ALWAYS_IGNORED.to_vec();
            ignore.extend(rule.ignore.iter().map(String::as_str));
            let include = if rule.include.is_empty() {
                None
            } else {
                let include: Vec<&str> = rule.include.iter().map(String::as_str).collect();
                Some(patterns(name, "an `include` pattern", &include)?)
            };
            // A rebuild rule inside a Dockerfile context leaves out what the build does
            // not read either.
            let context_ignore = match (rule.action, build_spec(service)) {
                (WatchAction::Rebuild, Some(BuildSpec::Dockerfile(build)))
                    if rule.path.starts_with(&build.context) =>
                {
                    Some(context_ignore(&build.context)?)
                }
                _ => None,
            };
            out.push(Rule {
                service: name.to_string(),
                action: rule.action,
                root: rule.path.clone(),
                target: rule.target.clone(),
                initial_sync: rule.initial_sync,
                implicit: false,
                ignore: patterns(name, "an `ignore` pattern", &ignore)?,
                include,
                context_ignore,
            });
        }
        return Ok(out);
    }
    let (root, ignore, context_ignore) = match build_spec(service) {
        None => return Ok(Vec::new()),
        Some(BuildSpec::Dockerfile(build)) => (
            build.context.clone(),
            ALWAYS_IGNORED.to_vec(),
            Some(context_ignore(&build.context)?),
        ),
        Some(BuildSpec::Cargo(cargo)) => {
            let mut ignore = ALWAYS_IGNORED.to_vec();
            ignore.push("target");
            (cargo.workspace.clone(), ignore, None)
        }
    };
    Ok(vec![Rule {
        service: name.to_string(),
        action: WatchAction::Rebuild,
        root,
        target: None,
        initial_sync: false,
        implicit: true,
        ignore: patterns(name, "an `ignore` pattern", &ignore)?,
        include: None,
        context_ignore,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::model::{Build, Develop, WatchRule};

    fn service_with(name: &str, rules: Vec<WatchRule>) -> Service {
        Service {
            name: name.to_string(),
            develop: Some(Develop { watch: rules }),
            ..Service::default()
        }
    }

    fn rule(action: WatchAction, path: &str, target: Option<&str>) -> WatchRule {
        WatchRule {
            action,
            path: PathBuf::from(path),
            target: target.map(str::to_string),
            ignore: Vec::new(),
            include: Vec::new(),
            initial_sync: false,
        }
    }

    fn paths(list: &[&str]) -> BTreeSet<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn a_sync_maps_changed_files_under_the_target_and_ignores_what_it_is_told() {
        let mut sync = rule(WatchAction::Sync, "/p/web/static", Some("/srv/www/"));
        sync.ignore = vec!["*.tmp".to_string()];
        let rules = Rules::of([&service_with("web", vec![sync])]).expect("rules");
        let changes = rules.changes(&paths(&[
            "/p/web/static/index.html",
            "/p/web/static/css/a.css",
            "/p/web/static/draft.tmp",
            "/p/web/static/.git/HEAD",
            "/p/other/file",
        ]));
        let web = changes.get("web").expect("web changed");
        assert_eq!(web.files, 2);
        assert!(!web.restart);
        assert_eq!(
            web.sync.values().cloned().collect::<Vec<_>>(),
            vec!["/srv/www/css/a.css", "/srv/www/index.html"]
        );
        assert_eq!(changes.len(), 1);
    }

    #[test]
    fn include_keeps_only_matching_files_and_restart_rules_restart() {
        let mut sync = rule(WatchAction::SyncRestart, "/p/app", Some("/app"));
        sync.include = vec!["*.conf".to_string()];
        let rules = Rules::of([&service_with("app", vec![sync])]).expect("rules");
        let changes = rules.changes(&paths(&["/p/app/a.conf", "/p/app/main.c"]));
        let app = changes.get("app").expect("app changed");
        assert_eq!(app.files, 1);
        assert!(app.restart);
        assert_eq!(app.sync.len(), 1);
    }

    #[test]
    fn ignored_directories_are_not_followed_and_the_root_is() {
        let mut sync = rule(WatchAction::Sync, "/p/app", Some("/app"));
        sync.ignore = vec!["node_modules".to_string()];
        let rules = Rules::of([&service_with("app", vec![sync])]).expect("rules");
        let rule = rules.rules.first().expect("one rule");
        assert!(rule.skips_dir(Path::new("/p/app/node_modules")));
        assert!(rule.skips_dir(Path::new("/p/app/.git")));
        assert!(!rule.skips_dir(Path::new("/p/app/src")));
        assert!(!rule.skips_dir(Path::new("/p/app")));
        assert!(!rule.skips_dir(Path::new("/p")));
        assert!(rule.skips_dir(Path::new("/q")));
    }

    #[test]
    fn a_rebuild_drops_the_syncs_of_the_same_service() {
        let rules = Rules::of([&service_with(
            "api",
            vec![
                rule(WatchAction::Sync, "/p/api/static", Some("/static")),
                rule(WatchAction::Rebuild, "/p/api/package.json", None),
            ],
        )])
        .expect("rules");
        let changes = rules.changes(&paths(&["/p/api/static/x.js", "/p/api/package.json"]));
        let api = changes.get("api").expect("api changed");
        assert_eq!(api.files, 2);
        assert_eq!(api.rebuild.len(), 1);
        assert!(api.sync.is_empty());
    }

    #[test]
    fn a_build_without_develop_is_watched_over_its_context_less_its_dockerignore() {
        let dir = std::env::temp_dir().join(format!("msctl-watch-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join(".dockerignore"), "*.log\n").expect("dockerignore");
        let service = Service {
            name: "web".to_string(),
            build: Some(Build {
                context: dir.clone(),
                ..Build::default()
            }),
            ..Service::default()
        };
        let bare = Service {
            name: "db".to_string(),
            image: Some("db".to_string()),
            ..Service::default()
        };
        let rules = Rules::of([&service, &bare]).expect("rules");
        assert!(rules.watches("web"));
        assert!(!rules.watches("db"));
        let changes = rules.changes(&[dir.join("index.html"), dir.join("debug.log")].into());
        let web = changes.get("web").expect("web changed");
        assert_eq!(web.rebuild, [dir.join("index.html")].into());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
