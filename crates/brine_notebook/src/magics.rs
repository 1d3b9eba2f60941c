//! Blanking IPython syntax (`%magic`, `!shell`, `%%cell magics`, `x = !cmd`) with spaces of the same
//! length, so the rest parses as Python and offsets stay those of the cell.

/// Cell magics whose body is still Python.
const PYTHON_CELL_MAGICS: &[&str] = &[
    "time", "timeit", "capture", "prun", "debug", "python", "python3", "pypy",
];

/// Replaces every character except line breaks by spaces, one per byte, so that every offset after
/// it stays where it was.
pub fn blank_all(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for c in source.chars() {
        if c == '\n' || c == '\r' {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out
}

pub fn blank_magics(source: &str) -> String {
    let first = source.trim_start();
    if let Some(cell_magic) = first.strip_prefix("%%") {
        let name: String = cell_magic
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !PYTHON_CELL_MAGICS.contains(&name.as_str()) {
            return blank_all(source);
        }
    }
    let mut out = String::with_capacity(source.len());
    for line in source.split_inclusive('\n') {
        out.push_str(&blank_line(line));
    }
    out
}

fn blank_line(line: &str) -> String {
    let content = line.trim();
    // `%magic`, `!shell`, and `obj?` / `obj??` help requests.
    let is_magic = content.starts_with('%') || content.starts_with('!');
    let is_help = content.ends_with('?') && !content.starts_with('#');
    if is_magic || is_help {
        return blank_all(line);
    }
    // `files = !ls` and `t = %timeit -o f()`: keep the target, make the value a valid expression.
    if let Some(equals) = line.find('=') {
        let value = &line[equals + 1..];
        let value_trimmed = value.trim_start();
        let before = &line[..equals];
        let is_target = !before.trim().is_empty()
            && before
                .trim()
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == ' ' || c == ',');
        if is_target && (value_trimmed.starts_with('!') || value_trimmed.starts_with('%')) {
            let lead = value.len() - value_trimmed.len();
            let blanked = blank_all(value_trimmed);
            let mut replaced = blanked.clone();
            replaced.replace_range(0..1, "0");
            return format!("{before}={}{}", &value[..lead], replaced);
        }
    }
    line.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magics_keep_their_length() {
        let source = "%load_ext autoreload\n  !pip install x\nfiles = !ls -la\ny = 1\n";
        let blanked = blank_magics(source);
        assert_eq!(blanked.len(), source.len());
        assert_eq!(
            blanked,
            "                    \n                \nfiles = 0      \ny = 1\n"
        );
        assert_eq!(blank_magics("%%bash\necho hi\n"), "      \n       \n");
        assert_eq!(blank_magics("%%time\nx = 1\n"), "      \nx = 1\n");
        // Non-ASCII characters become one space per byte: offsets after them do not move.
        let source = "!echo é😀\nx = 1\n";
        assert_eq!(blank_magics(source).len(), source.len());
        assert_eq!(blank_magics(source).find('x'), source.find('x'));
        let source = "%%bash\necho 'ü'\n";
        assert_eq!(blank_magics(source).len(), source.len());
    }
}
