//! `msctl export kubernetes [-o DIR]`: the project as Kubernetes objects, on stdout as one
//! YAML stream or one file per object, and on stderr what did not translate.

use std::path::Path;

use crate::cli::{ExportArgs, ExportTarget};
use crate::export::{kubernetes, read_sources, ExportError};

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: ExportArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let project = &loaded.project;
    let export = match args.target {
        ExportTarget::Kubernetes => {
            let sources = read_sources(project, &ctx.environment).map_err(hinted)?;
            kubernetes::export(project, &sources).map_err(hinted)?
        }
    };
    // Every document is rendered before anything is written, so a failure writes nothing.
    let mut documents = Vec::with_capacity(export.objects.len());
    for object in &export.objects {
        // Kubernetes tools read YAML 1.1: quote the scalars it would take for booleans.
        let yaml = crate::output::yaml::yaml11_safe(&object.to_yaml().map_err(hinted)?);
        documents.push((object.file_name(), yaml));
    }
    match &args.output {
        None => {
            let stream: String = documents
                .iter()
                .map(|(_, yaml)| format!("---\n{yaml}"))
                .collect();
            ctx.printer.data(&stream).map_err(anyhow::Error::from)?;
        }
        Some(dir) => {
            write_files(dir, &documents)?;
            ctx.printer.status(&format!(
                "wrote {} Kubernetes objects to {}",
                documents.len(),
                dir.display()
            ));
        }
    }
    // Printed even with --quiet: what the objects leave out must never pass unseen.
    if !export.untranslated.is_empty() {
        let mut text = format!(
            "not translated to Kubernetes ({}):\n",
            export.untranslated.len()
        );
        for item in &export.untranslated {
            text.push_str(&format!("{item}\n"));
        }
        ctx.printer.error(&text);
    }
    Ok(())
}

fn hinted(err: ExportError) -> CommandError {
    CommandError::with_hint(err.hint(), err)
}

/// Write `documents` into `dir`, which must be new or empty: files left by an earlier
/// export of objects that no longer exist would be applied with the new ones.
fn write_files(dir: &Path, documents: &[(String, String)]) -> Result<(), CommandError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| {
            CommandError::hinted(
                anyhow::anyhow!("cannot write into `{}`: {e}", dir.display()),
                "give `-o` a new or empty directory",
            )
        })?;
        if entries.next().is_some() {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "`{}` is not empty: the export writes only into a new or empty directory",
                    dir.display()
                ),
                "give `-o` a new directory, or empty this one first (files of an earlier \
                 export would otherwise be applied with the new ones)",
            ));
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create the directory `{}`: {e}", dir.display()))?;
    for (file_name, yaml) in documents {
        let path = dir.join(file_name);
        std::fs::write(&path, yaml)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(())
}
