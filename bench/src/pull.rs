//! The pull scenario's images and the raw baseline's pull. Each image is `FROM scratch`
//! with one layer of its own: the host's static busybox and a payload of random bytes no
//! other image has, so every pull downloads every layer. They are built and pushed to the
//! loopback registry once, and removed from the engine before every timed pull (the
//! registry keeps its copies).

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    CreateImageOptionsBuilder, ListImagesOptionsBuilder, PushImageOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use bollard::Docker;
use futures_util::future::{join_all, try_join_all};
use futures_util::StreamExt;

use crate::image;
use crate::manifest::{PullService, PULL_TAG};

/// The label every pull image carries, so images an interrupted run left are found.
pub const LABEL: &str = "io.msctl-bench.pull";

/// Random bytes per image on top of busybox: with busybox, a few MB per image, as a
/// small service image is.
pub const PAYLOAD_BYTES: usize = 1536 * 1024;

/// Builds every image from busybox and a payload of its own (derived from `seed`, so no
/// two images, nor two bench runs, share a layer), then pushes them all at once.
pub async fn build_and_push(
    docker: &Docker,
    busybox: &std::path::Path,
    services: &[PullService],
    seed: u64,
) -> Result<()> {
    let binary = std::fs::read(busybox)
        .with_context(|| format!("cannot read busybox at {}", busybox.display()))?;
    for (index, service) in services.iter().enumerate() {
        let dockerfile = format!(
            "FROM scratch\nCOPY rootfs/ /\nLABEL {LABEL}=\"{}\"\n",
            service.name
        );
        let payload = random_bytes(seed ^ (index as u64 + 1), PAYLOAD_BYTES);
        let context = image::context_tar(&[
            ("Dockerfile", 0o644, dockerfile.as_bytes()),
            ("rootfs/bin/busybox", 0o755, binary.as_slice()),
            ("rootfs/payload", 0o644, payload.as_slice()),
        ])?;
        image::build_from(docker, &service.image(), context).await?;
    }
    try_join_all(services.iter().map(|service| push(docker, service))).await?;
    Ok(())
}

async fn push(docker: &Docker, service: &PullService) -> Result<()> {
    let options = PushImageOptionsBuilder::default().tag(PULL_TAG).build();
    // Engine 20.10 refuses a push without an X-Registry-Auth header; the loopback
    // registry wants no credentials, so an empty set is what the Docker CLI sends too.
    let credentials = Some(DockerCredentials::default());
    let mut stream = docker.push_image(&service.repository, Some(options), credentials);
    while let Some(step) = stream.next().await {
        step.with_context(|| format!("pushing {} failed", service.image()))?;
    }
    Ok(())
}

/// Removes the images from the engine (by force; one already gone is fine), so the next
/// pull has to fetch all of them from the registry.
pub async fn remove(docker: &Docker, services: &[PullService]) -> Result<()> {
    let options = RemoveImageOptionsBuilder::default().force(true).build();
    let results = join_all(services.iter().map(|service| {
        let options = options.clone();
        async move {
            let image = service.image();
            match docker.remove_image(&image, Some(options), None).await {
                Ok(_) => Ok(()),
                Err(error) if is_not_found(&error) => Ok(()),
                Err(error) => Err(error).with_context(|| format!("cannot remove {image}")),
            }
        }
    }))
    .await;
    results.into_iter().collect()
}

/// Removes the pull images earlier bench runs left on the engine (found by [`LABEL`]);
/// returns their names.
pub async fn remove_leftovers(docker: &Docker) -> Result<Vec<String>> {
    let filters = HashMap::from([("label".to_string(), vec![LABEL.to_string()])]);
    let options = ListImagesOptionsBuilder::default()
        .filters(&filters)
        .build();
    let leftovers = docker
        .list_images(Some(options))
        .await
        .context("cannot list the images of earlier pull runs")?;
    let remove = RemoveImageOptionsBuilder::default().force(true).build();
    let mut removed = Vec::new();
    for image in leftovers {
        match docker
            .remove_image(&image.id, Some(remove.clone()), None)
            .await
        {
            Ok(_) => {}
            Err(error) if is_not_found(&error) => continue,
            Err(error) => {
                return Err(error).with_context(|| format!("cannot remove the image {}", image.id))
            }
        }
        match image.repo_tags.first() {
            Some(tag) => removed.push(tag.clone()),
            None => removed.push(image.id),
        }
    }
    Ok(removed)
}

/// Fails unless the engine has every image, naming those it lacks.
pub async fn expect_present(docker: &Docker, services: &[PullService]) -> Result<()> {
    let found = join_all(services.iter().map(|service| async move {
        let image = service.image();
        match docker.inspect_image(&image).await {
            Ok(_) => Ok(None),
            Err(error) if is_not_found(&error) => Ok(Some(image)),
            Err(error) => Err(error).with_context(|| format!("cannot inspect {image}")),
        }
    }))
    .await;
    let mut missing = Vec::new();
    for result in found {
        missing.extend(result?);
    }
    if !missing.is_empty() {
        bail!(
            "{} of {} images are not on the engine: {}",
            missing.len(),
            services.len(),
            missing.join(", ")
        );
    }
    Ok(())
}

/// The raw pull: one `POST /images/create` per image, all at once, each progress stream
/// read to its end (the engine reports a failed pull in the stream, not in the status).
pub async fn raw_pull(docker: &Docker, services: &[PullService]) -> Result<()> {
    try_join_all(services.iter().map(|service| async move {
        let options = CreateImageOptionsBuilder::default()
            .from_image(&service.repository)
            .tag(PULL_TAG)
            .build();
        let mut stream = docker.create_image(Some(options), None, None);
        while let Some(step) = stream.next().await {
            step.with_context(|| format!("pulling {} failed", service.image()))?;
        }
        anyhow::Ok(())
    }))
    .await?;
    Ok(())
}

fn is_not_found(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// `len` bytes of splitmix64 output: incompressible, like the binaries and data of a real
/// image layer, and different for every seed.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_differ_by_seed_and_have_the_asked_length() {
        let (a, b) = (random_bytes(1, 1001), random_bytes(2, 1001));
        assert_eq!(a.len(), 1001);
        assert_ne!(a, b);
        assert_eq!(a, random_bytes(1, 1001));
    }
}
