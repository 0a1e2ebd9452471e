//! YAML as every reader reads it the same way.

/// serde_norway writes YAML 1.2, where `no` is a string; YAML 1.1 readers (PyYAML, so
/// docker-compose 1.x) would read it as `false`. Quote such scalars so the output means
/// the same to every reader.
pub fn yaml11_safe(text: &str) -> String {
    const AMBIGUOUS: &[&str] = &[
        "y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let split = line.rfind(": ").map(|i| i + 2).or_else(|| {
            line.trim_start()
                .starts_with("- ")
                .then(|| line.find("- ").map(|i| i + 2))
                .flatten()
        });
        match split {
            Some(at) if AMBIGUOUS.contains(&&line[at..]) => {
                out.push_str(&line[..at]);
                out.push('\'');
                out.push_str(&line[at..]);
                out.push('\'');
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn yaml11_booleans_are_quoted() {
        let text = "restart: no\nname: noway\nlist:\n- on\n- x\nk: 'no'\n";
        assert_eq!(
            super::yaml11_safe(text),
            "restart: 'no'\nname: noway\nlist:\n- 'on'\n- x\nk: 'no'\n"
        );
    }
}
