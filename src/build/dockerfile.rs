//! Dockerfile builds on the engine (the classic builder, which API 1.41 engines run).
//!
//! No registry is reachable, and the classic builder pulls a missing base image even
//! when not asked to, which would hang on the network and then fail obscurely. So the
//! base images the build needs are read from the Dockerfile first and must already be on
//! the engine: a missing one is a clear error before anything is sent.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use super::context::{self, BuildContext, ContextSource};
use super::progress::{BuildEvent, BuildReporter};
use super::{digest, engine_call, image_id_of, BuildError, BuildOptions, ImageRef};
use crate::manifest::model::Build;
use crate::plan::labels;

/// The context of `build`, where [`context::write_context`] reads it.
pub fn context_source(build: &Build) -> ContextSource {
    ContextSource {
        directory: build.context.clone(),
        dockerfile: build.dockerfile.clone(),
        inline_dockerfile: build.dockerfile_inline.clone(),
    }
}

/// The input digest of `build` (walks and hashes its context).
pub async fn input_digest(service: &str, build: &Build) -> Result<String, BuildError> {
    let source = context_source(build);
    let build = build.clone();
    let service_name = service.to_string();
    blocking(service, move || {
        let context = context::context_digest(&source).map_err(|source| BuildError::Context {
            service: service_name,
            source,
        })?;
        Ok(digest::dockerfile_digest(
            &context.digest,
            &context.dockerfile,
            &build,
        ))
    })
    .await
}

pub(crate) async fn blocking<T: Send + 'static>(
    service: &str,
    work: impl FnOnce() -> Result<T, BuildError> + Send + 'static,
) -> Result<T, BuildError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| BuildError::Internal {
            service: service.to_string(),
            message: format!("the context task stopped: {err}"),
        })?
}

/// Builds `build` as `image` on the engine, streaming its output to `progress`.
pub async fn build(
    docker: &Docker,
    project_name: &str,
    service: &str,
    build: &Build,
    image: &str,
    options: &BuildOptions,
    progress: &dyn BuildReporter,
) -> Result<ImageRef, BuildError> {
    let started = Instant::now();
    let source = context_source(build);
    let service_name = service.to_string();
    let BuildContext {
        tar,
        digest: context_digest,
        dockerfile,
    } = blocking(service, move || {
        context::context_tar(&source).map_err(|source| BuildError::Context {
            service: service_name,
            source,
        })
    })
    .await?;
    let build_digest = digest::dockerfile_digest(&context_digest, &dockerfile, build);

    let dockerfile_text = dockerfile_text(&tar, &dockerfile);
    for base in base_images(&dockerfile_text, &build.args, build.target.as_deref()) {
        let found = engine_call(service, "inspect base image", docker.inspect_image(&base)).await;
        match found {
            Ok(_) => {}
            Err(BuildError::Engine {
                not_found: true, ..
            }) => {
                // A base image the engine lacks is pulled first, so that a failed pull
                // is said plainly instead of in the middle of the build's output.
                let pulled = if options.pull_base {
                    pull_base(docker, &base).await
                } else {
                    Err("`--pull never` forbids pulling it".to_string())
                };
                if let Err(why) = pulled {
                    return Err(BuildError::BaseImageMissing {
                        service: service.to_string(),
                        image: base,
                        why,
                    });
                }
            }
            Err(err) => return Err(err),
        }
    }

    progress.event(BuildEvent::Started {
        service: service.to_string(),
        image: image.to_string(),
        builder: "dockerfile",
    });
    // Labels as one instruction at the end of the built stage: the engine's `labels`
    // option would add one build step, and one intermediate container, per label.
    let image_labels = labels::image_labels(project_name, service, &build.labels, &build_digest);
    let sent_dockerfile =
        labelled_dockerfile(&dockerfile_text, build.target.as_deref(), &image_labels);
    let service_name = service.to_string();
    let tar = blocking(service, move || {
        context::engine_tar(&tar, &sent_dockerfile).map_err(|source| BuildError::Context {
            service: service_name,
            source,
        })
    })
    .await?;
    let args: HashMap<String, String> = build
        .args
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect();
    let mut builder = BuildImageOptionsBuilder::default()
        .dockerfile(context::SENT_DOCKERFILE_NAME)
        .t(image)
        .nocache(options.no_cache)
        .rm(true)
        .forcerm(true);
    if !args.is_empty() {
        builder = builder.buildargs(&args);
    }
    if let Some(target) = &build.target {
        builder = builder.target(target);
    }
    let mut stream =
        docker.build_image(builder.build(), None, Some(bollard::body_full(tar.into())));

    let mut lines = LineSplitter::default();
    let mut last_step: Option<String> = None;
    let emit = |line: String, last_step: &mut Option<String>| {
        if line.starts_with("Step ") {
            *last_step = Some(line.clone());
        }
        progress.event(BuildEvent::Output {
            service: service.to_string(),
            line,
        });
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = info.stream {
                    for line in lines.push(&text) {
                        emit(line, &mut last_step);
                    }
                }
                if let Some(status) = info.status {
                    emit(status, &mut last_step);
                }
            }
            Err(err) => {
                for line in lines.finish() {
                    emit(line, &mut last_step);
                }
                return Err(build_failure(service, last_step, err));
            }
        }
    }
    for line in lines.finish() {
        emit(line, &mut last_step);
    }

    let image_id = image_id_of(docker, service, image).await?;
    let elapsed = started.elapsed();
    progress.event(BuildEvent::Built {
        service: service.to_string(),
        image: image.to_string(),
        image_id: image_id.clone(),
        elapsed,
    });
    Ok(ImageRef {
        name: image.to_string(),
        id: image_id,
        build_digest: Some(build_digest),
        built: true,
    })
}

fn build_failure(service: &str, step: Option<String>, err: bollard::errors::Error) -> BuildError {
    use bollard::errors::Error as E;
    let message = match err {
        E::DockerStreamError { error } => error,
        E::DockerResponseServerError { message, .. } => message,
        other => other.to_string(),
    };
    BuildError::Failed {
        service: service.to_string(),
        step,
        message: message.trim().to_string(),
    }
}

/// The Dockerfile's text from the context tar (empty when it cannot be read: the engine
/// then reports the problem itself).
fn dockerfile_text(tar_bytes: &[u8], name: &str) -> String {
    let mut archive = tar::Archive::new(tar_bytes);
    let Ok(entries) = archive.entries() else {
        return String::new();
    };
    for entry in entries.flatten() {
        let mut entry = entry;
        let matches = entry
            .path()
            .map(|p| p.to_string_lossy() == name)
            .unwrap_or(false);
        if matches {
            let mut text = String::new();
            if std::io::Read::read_to_string(&mut entry, &mut text).is_ok() {
                return text;
            }
            return String::new();
        }
    }
    String::new()
}

/// Splits the engine's `stream` chunks, which may hold several lines or half of one,
/// into whole lines without their line breaks; blank lines are dropped.
#[derive(Debug, Default)]
struct LineSplitter {
    partial: String,
}

impl LineSplitter {
    fn push(&mut self, chunk: &str) -> Vec<String> {
        self.partial.push_str(chunk);
        let mut lines = Vec::new();
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            let line = line.trim_end().to_string();
            if !line.is_empty() {
                lines.push(line);
            }
        }
        lines
    }

    fn finish(&mut self) -> Vec<String> {
        let rest = std::mem::take(&mut self.partial);
        let rest = rest.trim_end();
        if rest.is_empty() {
            Vec::new()
        } else {
            vec![rest.to_string()]
        }
    }
}

/// The images a build of `dockerfile` needs from the engine: the `FROM` images of the
/// stages up to `target` (all of them without one) and external `COPY --from` images,
/// leaving out `scratch`, earlier stages, and references whose variables cannot be
/// resolved (the engine reports those itself).
/// Pulls a base image anonymously through the engine; the registry's words on failure.
async fn pull_base(docker: &Docker, image: &str) -> Result<(), String> {
    let (name, tag) = crate::engine::split_image_tag(image);
    let options = bollard::query_parameters::CreateImageOptions {
        from_image: Some(name),
        tag: Some(tag),
        ..Default::default()
    };
    let mut stream = docker.create_image(Some(options), None, None);
    loop {
        let next = tokio::time::timeout(crate::engine::TRANSFER_IDLE, stream.next()).await;
        match next {
            Err(_) => return Err("the pull made no progress".to_string()),
            Ok(None) => return Ok(()),
            Ok(Some(Ok(info))) => {
                if let Some(message) = info.error_detail.and_then(|d| d.message) {
                    return Err(message);
                }
            }
            Ok(Some(Err(err))) => return Err(err.to_string()),
        }
    }
}

pub fn base_images(
    dockerfile: &str,
    build_args: &BTreeMap<String, Option<String>>,
    target: Option<&str>,
) -> Vec<String> {
    let instructions = instructions(dockerfile);
    let mut global_args: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: BTreeSet<String> = BTreeSet::new();
    let mut stage_count = 0usize;
    let mut images = Vec::new();
    let mut seen_from = false;
    let mut in_target = false;
    for Instruction { keyword, rest, .. } in instructions {
        match keyword.as_str() {
            "ARG" if !seen_from => {
                for declaration in rest.split_whitespace() {
                    let (name, default) = match declaration.split_once('=') {
                        Some((name, value)) => (name, Some(unquote(value))),
                        None => (declaration, None),
                    };
                    let value = match build_args.get(name) {
                        Some(Some(value)) => Some(value.clone()),
                        _ => default,
                    };
                    if let Some(value) = value {
                        global_args.insert(name.to_string(), value);
                    }
                }
            }
            "FROM" => {
                if in_target {
                    break;
                }
                seen_from = true;
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let Some(reference) = words.first() else {
                    continue;
                };
                let stage_name = stage_name(&rest);
                if let Some(image) = substitute(reference, &global_args) {
                    let lower = image.to_ascii_lowercase();
                    if lower != "scratch" && !stages.contains(&lower) && !images.contains(&image) {
                        images.push(image);
                    }
                }
                if let Some(name) = &stage_name {
                    stages.insert(name.clone());
                    in_target = target.is_some_and(|t| t.eq_ignore_ascii_case(name));
                }
                stages.insert(stage_count.to_string());
                stage_count += 1;
            }
            "COPY" => {
                let from = rest
                    .split_whitespace()
                    .take_while(|w| w.starts_with("--"))
                    .find_map(|w| w.strip_prefix("--from="));
                if let Some(from) = from.and_then(|f| substitute(f, &global_args)) {
                    let lower = from.to_ascii_lowercase();
                    if !stages.contains(&lower) && !images.contains(&from) {
                        images.push(from);
                    }
                }
            }
            _ => {}
        }
    }
    images
}

/// One logical instruction of a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Instruction {
    /// Upper-cased: `FROM`, `COPY`, ...
    keyword: String,
    /// The arguments, continuation lines joined.
    rest: String,
    /// Byte offset of the instruction's first line in the Dockerfile.
    offset: usize,
}

/// The escape character of a Dockerfile: `\`, or what its `# escape=` directive says.
fn escape_char(dockerfile: &str) -> char {
    for line in dockerfile.lines() {
        let Some(directive) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = directive.split_once('=') else {
            break;
        };
        if key.trim().eq_ignore_ascii_case("escape") {
            return value.trim().chars().next().unwrap_or('\\');
        }
    }
    '\\'
}

/// The instructions of a Dockerfile, with comments dropped and continuation lines (ending
/// in the escape character) joined.
fn instructions(dockerfile: &str) -> Vec<Instruction> {
    let escape = escape_char(dockerfile);
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut offset = 0;
    for raw in dockerfile.split_inclusive('\n') {
        let line_offset = offset;
        offset += raw.len();
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        if current.is_empty() {
            start = line_offset;
        }
        if let Some(body) = trimmed.strip_suffix(escape) {
            current.push_str(body);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let line = std::mem::take(&mut current);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        out.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            rest: rest.trim().to_string(),
            offset: start,
        });
    }
    out
}

/// The stage name of a `FROM` instruction's arguments (`image AS name`), lower-cased.
fn stage_name(from_arguments: &str) -> Option<String> {
    let words: Vec<&str> = from_arguments
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .collect();
    match words.as_slice() {
        [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("as") => {
            Some(name.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// `dockerfile` with one `LABEL` instruction setting `labels` at the end of the stage
/// that is built: `target`'s, or the last one.
pub fn labelled_dockerfile(
    dockerfile: &str,
    target: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> String {
    if labels.is_empty() {
        return dockerfile.to_string();
    }
    let escape = escape_char(dockerfile);
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{}={}", quote(k, escape), quote(v, escape)))
        .collect();
    let label = format!("LABEL {}\n", pairs.join(" "));
    // The target stage ends where the next `FROM` begins.
    let mut in_target = false;
    let mut end_of_target = None;
    for instruction in instructions(dockerfile) {
        if instruction.keyword != "FROM" {
            continue;
        }
        if in_target {
            end_of_target = Some(instruction.offset);
            break;
        }
        in_target = target.is_some_and(|t| {
            stage_name(&instruction.rest).as_deref() == Some(&t.to_ascii_lowercase())
        });
    }
    match end_of_target {
        Some(offset) => format!("{}{label}{}", &dockerfile[..offset], &dockerfile[offset..]),
        None if dockerfile.is_empty() || dockerfile.ends_with('\n') => {
            format!("{dockerfile}{label}")
        }
        None => format!("{dockerfile}\n{label}"),
    }
}

/// A double-quoted Dockerfile word whose `"`, `$` and escape characters stay literal.
pub(crate) fn quote(text: &str, escape: char) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        if c == '"' || c == '$' || c == escape {
            quoted.push(escape);
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner.to_string();
        }
    }
    value.to_string()
}

/// `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}` from the global
/// args; `None` when a name is unknown (the engine's own error is clearer then).
fn substitute(text: &str, args: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'{') {
            chars.next();
            let mut inner = String::new();
            for c in chars.by_ref() {
                if c == '}' {
                    break;
                }
                inner.push(c);
            }
            if let Some((name, default)) = inner.split_once(":-") {
                match args.get(name).filter(|v| !v.is_empty()) {
                    Some(value) => out.push_str(value),
                    None => out.push_str(default),
                }
            } else if let Some((name, alternative)) = inner.split_once(":+") {
                if args.get(name).is_some_and(|v| !v.is_empty()) {
                    out.push_str(alternative);
                }
            } else {
                out.push_str(args.get(&inner)?);
            }
        } else {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            if name.is_empty() {
                out.push('$');
            } else {
                out.push_str(args.get(&name)?);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn base_images_leave_out_scratch_and_stages() {
        let dockerfile = "\
# syntax comment
FROM busybox:1.36 AS tools
FROM scratch AS final
COPY --from=tools /bin/busybox /busybox
COPY --from=helper:1 /x /x
FROM final
";
        assert_eq!(
            base_images(dockerfile, &BTreeMap::new(), None),
            vec!["busybox:1.36".to_string(), "helper:1".to_string()]
        );
    }

    #[test]
    fn base_images_stop_at_the_target_stage() {
        let dockerfile = "FROM a AS one\nFROM b AS two\nFROM c AS three\n";
        assert_eq!(
            base_images(dockerfile, &BTreeMap::new(), Some("TWO")),
            vec!["a".to_string(), "b".to_string()]
        );
    }

    #[test]
    fn base_images_resolve_global_args() {
        let dockerfile =
            "ARG BASE=alpine\nARG TAG\nFROM ${BASE}:${TAG:-3} AS x\nFROM $BASE\nFROM $UNKNOWN\n";
        assert_eq!(
            base_images(dockerfile, &BTreeMap::new(), None),
            vec!["alpine:3".to_string(), "alpine".to_string()]
        );
        assert_eq!(
            base_images(
                dockerfile,
                &args(&[("BASE", Some("debian")), ("TAG", Some("12"))]),
                None
            ),
            vec!["debian:12".to_string(), "debian".to_string()]
        );
    }

    #[test]
    fn continuations_and_flags_are_understood() {
        let dockerfile = "from --platform=linux/amd64 \\\n    base:1 \\\n  as b\nFROM b\n";
        assert_eq!(
            base_images(dockerfile, &BTreeMap::new(), None),
            vec!["base:1".to_string()]
        );
        let backtick = "# escape=`\nFROM x `\n  AS y\nFROM y\n";
        assert_eq!(
            base_images(backtick, &BTreeMap::new(), None),
            vec!["x".to_string()]
        );
    }

    #[test]
    fn labels_end_the_built_stage_in_one_instruction() {
        let labels = BTreeMap::from([
            ("io.msctl.build-digest".to_string(), "sha256:ab".to_string()),
            ("note".to_string(), "costs $5 \"cash\"".to_string()),
        ]);
        let line =
            "LABEL \"io.msctl.build-digest\"=\"sha256:ab\" \"note\"=\"costs \\$5 \\\"cash\\\"\"\n";
        let dockerfile = "FROM scratch AS base\nCOPY a /a\nFROM base AS final\nCOPY b /b";
        assert_eq!(
            labelled_dockerfile(dockerfile, None, &labels),
            format!("{dockerfile}\n{line}")
        );
        assert_eq!(
            labelled_dockerfile(dockerfile, Some("base"), &labels),
            format!("FROM scratch AS base\nCOPY a /a\n{line}FROM base AS final\nCOPY b /b")
        );
        assert_eq!(
            labelled_dockerfile(dockerfile, Some("final"), &labels),
            format!("{dockerfile}\n{line}")
        );
        let backtick = "# escape=`\nFROM scratch\n";
        assert_eq!(
            labelled_dockerfile(
                backtick,
                None,
                &BTreeMap::from([("k".to_string(), "a$b`".to_string())])
            ),
            "# escape=`\nFROM scratch\nLABEL \"k\"=\"a`$b``\"\n"
        );
    }

    #[test]
    fn an_inline_dockerfile_is_built_and_its_text_decides_the_digest() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("app"), "a").expect("a context file");
        let build = |text: &str| Build {
            context: dir.path().to_path_buf(),
            dockerfile_inline: Some(text.to_string()),
            ..Build::default()
        };
        // No Dockerfile in the context: the inline text is the Dockerfile.
        let digest = |build: &Build| {
            let context = context::context_digest(&context_source(build)).expect("a context");
            assert_eq!(context.dockerfile, context::SENT_DOCKERFILE_NAME);
            digest::dockerfile_digest(&context.digest, &context.dockerfile, build)
        };
        let first = digest(&build("FROM scratch\nCOPY app /app\n"));
        assert_eq!(first, digest(&build("FROM scratch\nCOPY app /app\n")));
        assert_ne!(first, digest(&build("FROM scratch\nCOPY app /srv/app\n")));
    }

    #[test]
    fn output_chunks_become_whole_lines() {
        let mut splitter = LineSplitter::default();
        assert_eq!(splitter.push("Step 1/2 : FROM scr"), Vec::<String>::new());
        assert_eq!(
            splitter.push("atch\n ---> \n\nStep 2/2"),
            vec!["Step 1/2 : FROM scratch".to_string(), " --->".to_string()]
        );
        assert_eq!(splitter.finish(), vec!["Step 2/2".to_string()]);
    }
}
