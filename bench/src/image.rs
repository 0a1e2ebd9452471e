//! The bench's service image: `FROM scratch` with the host's static busybox (a shell,
//! httpd, wget, seq and sed in one file), built through the Engine API, so no scenario but
//! pull (whose images are in [`crate::pull`]) needs a registry.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use crate::manifest::IMAGE;

const DOCKERFILE: &str = "FROM scratch\n\
COPY busybox /bin/busybox\n\
COPY index.html /index.html\n\
RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
ENV PATH=/bin\n";

/// Where Debian's busybox-static puts the binary (scripts/bootstrap installs it).
const BUSYBOX_CANDIDATES: [&str; 2] = ["/bin/busybox", "/usr/bin/busybox"];

/// The static busybox to put in the image: `explicit`, or the first one installed.
pub fn find_busybox(explicit: Option<&Path>) -> Result<PathBuf> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => BUSYBOX_CANDIDATES
            .iter()
            .map(PathBuf::from)
            .find(|path| path.is_file())
            .with_context(|| {
                format!(
                    "no busybox at {}\n\nhint: run scripts/bootstrap (it installs busybox-static)",
                    BUSYBOX_CANDIDATES.join(" or ")
                )
            })?,
    };
    let bytes = std::fs::read(&path)
        .with_context(|| format!("cannot read busybox at {}", path.display()))?;
    if has_interpreter(&bytes)? {
        bail!(
            "{} is dynamically linked: a FROM scratch image needs a static busybox\n\n\
             hint: install busybox-static (scripts/bootstrap does)",
            path.display()
        );
    }
    Ok(path)
}

/// Whether a 64-bit little-endian ELF file asks for a dynamic loader (a PT_INTERP header).
fn has_interpreter(elf: &[u8]) -> Result<bool> {
    const PT_INTERP: u32 = 3;
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
        bail!("busybox is not a 64-bit little-endian ELF executable");
    }
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let mut phoff_bytes = [0u8; 8];
    phoff_bytes.copy_from_slice(&elf[0x20..0x28]);
    let phoff = u64::from_le_bytes(phoff_bytes) as usize;
    let (entry_size, count) = (u16_at(0x36), u16_at(0x38));
    for index in 0..count {
        let at = phoff + index * entry_size;
        let Some(header) = elf.get(at..at + 4) else {
            bail!("busybox has a truncated ELF program header table");
        };
        if u32::from_le_bytes([header[0], header[1], header[2], header[3]]) == PT_INTERP {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Builds [`IMAGE`] (the engine's layer cache makes a rebuild take well under a second).
pub async fn build(docker: &Docker, busybox: &Path) -> Result<()> {
    let binary = std::fs::read(busybox)
        .with_context(|| format!("cannot read busybox at {}", busybox.display()))?;
    let context = context_tar(&[
        ("Dockerfile", 0o644, DOCKERFILE.as_bytes()),
        ("index.html", 0o644, b"ok\n".as_slice()),
        ("busybox", 0o755, binary.as_slice()),
    ])?;
    build_from(docker, IMAGE, context).await
}

/// Builds `tag` from a build context (a tar with a `Dockerfile`) and checks that the
/// engine has it.
pub async fn build_from(docker: &Docker, tag: &str, context: Vec<u8>) -> Result<()> {
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .forcerm(true)
        .build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(step) = stream.next().await {
        step.with_context(|| format!("building the image {tag} failed"))?;
    }
    docker
        .inspect_image(tag)
        .await
        .with_context(|| format!("the build finished but the engine has no image {tag}"))?;
    Ok(())
}

/// A build context: a tar of `(name, mode, contents)` files, parent directories implied.
pub fn context_tar(files: &[(&str, u32, &[u8])]) -> Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    for &(name, mode, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        tar.append_data(&mut header, name, data)
            .with_context(|| format!("cannot add {name} to the build context"))?;
    }
    tar.into_inner().context("cannot finish the build context")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_busybox_is_static() {
        // The bench refuses to run without it, so the machine must have it.
        let path = find_busybox(None).expect("busybox-static installed");
        assert!(path.is_file());
    }

    #[test]
    fn a_short_file_is_not_taken_for_an_executable() {
        assert!(has_interpreter(b"#!/bin/sh\n").is_err());
    }
}
