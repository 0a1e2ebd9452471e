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

#[cfg(test)]
mod tests {
    use super::*;

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
