//! Text tables as `docker` prints them: every column but the last padded to its widest
//! cell, `gap` between columns, no trailing spaces.

/// `rows` (the header first, if any) as lines of aligned columns.
pub fn columns(rows: &[Vec<String>], gap: &str) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}{gap}", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A byte count as `docker stats` prints it: powers of 1024 (`MiB`) when `binary`, else
/// of 1000 (`MB`), with up to three significant digits.
pub fn human_bytes(bytes: u64, binary: bool) -> String {
    let (base, units): (f64, [&str; 6]) = if binary {
        (1024.0, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"])
    } else {
        (1000.0, ["B", "kB", "MB", "GB", "TB", "PB"])
    };
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= base && unit < units.len() - 1 {
        value /= base;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes}{}", units[0]);
    }
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$}{}", units[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_as_docker_stats_prints_them() {
        assert_eq!(human_bytes(0, false), "0B");
        assert_eq!(human_bytes(999, false), "999B");
        assert_eq!(human_bytes(1_500, false), "1.50kB");
        assert_eq!(human_bytes(12_345_678, false), "12.3MB");
        assert_eq!(human_bytes(1024 * 1024 * 300, true), "300MiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024 / 2, true), "1.50GiB");
    }

    #[test]
    fn columns_are_padded_but_the_last_and_lines_end_without_spaces() {
        let rows = vec![
            vec!["NAME".to_string(), "STATE".to_string(), "NOTE".to_string()],
            vec!["web-1".to_string(), "running".to_string(), String::new()],
            vec!["a".to_string(), "exited".to_string(), "code 1".to_string()],
        ];
        assert_eq!(
            columns(&rows, "  "),
            "NAME   STATE    NOTE\nweb-1  running\na      exited   code 1\n"
        );
    }
}
