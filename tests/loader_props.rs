//! Property tests: whatever text the loader is given, it answers with a project or with
//! diagnostics that point inside the text, and never panics. The cargo-fuzz target in
//! fuzz/ explores the same function with coverage guidance.

use msctl::manifest::{load_str, LoadOptions};
use proptest::prelude::*;

const SEED: &str = "name: demo
x-base: &base
  restart: always
services:
  web:
    <<: *base
    image: nginx:${TAG:-1}
    ports: [\"8080:80\", {target: 443, published: 8443}]
    environment: [A=1, B]
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: [CMD, \"true\"], interval: 1m30s}
    deploy: {replicas: 2, resources: {limits: {memory: 64m, cpus: 0.5}}}
  db:
    image: postgres
    volumes: [data:/var/lib/data]
volumes:
  data: {}
";

fn options() -> LoadOptions {
    LoadOptions {
        cwd: std::env::temp_dir(),
        ..LoadOptions::default()
    }
}

fn check(text: &str) {
    match load_str(text, &options()) {
        Ok(loaded) => {
            serde_json::to_string(&loaded.project).expect("a loaded project serialises");
        }
        Err(err) => {
            assert!(
                err.error_count > 0,
                "an error without a diagnostic for {text:?}"
            );
            // Every located diagnostic names the file and a line that exists.
            let lines = text.lines().count().max(1);
            for line in err
                .rendered
                .lines()
                .filter(|l| l.contains("--> compose.yaml:"))
            {
                let place = line.split("compose.yaml:").nth(1).expect("place");
                let line_no: usize = place
                    .split(':')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("line number");
                assert!(
                    line_no >= 1 && line_no <= lines,
                    "line {line_no} outside 1..={lines} in {text:?}"
                );
            }
        }
    }
}

#[test]
fn the_seed_manifest_is_valid() {
    assert!(load_str(SEED, &options()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn yaml_like_text_never_panics(text in "([a-z_<&*{}\\[\\]:, \\-$\"'\t\n#|>]|  |services|image|ports|\\$\\{){0,120}") {
        check(&text);
    }

    #[test]
    fn edited_manifests_never_panic(edits in prop::collection::vec((0usize..SEED.len(), 0usize..4, "[ -~\t\n]{0,3}"), 1..6)) {
        let mut text = SEED.to_string();
        for (pos, delete, insert) in edits {
            let mut at = pos.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(at..end, &insert);
        }
        check(&text);
    }
}
