//! Blanking IPython syntax (`%magic`, `!shell`, `%%cell magics`, `x = !cmd`, `obj?`) so that the rest
//! parses as Python, keeping every byte offset: a magic becomes the statement `0` at its indentation
//! followed by spaces (an indented `%pip install` under `if IN_COLAB:` must still be a statement, or
//! the block has no body and the rest of the cell misparses).
//!
//! As in IPython, escapes are recognized only at the start of a logical line: a line inside a
//! triple-quoted string, inside brackets (`("%s"\n % x)`) or after a backslash continuation is Python.
//! A small scanner tracks strings, comments, brackets and continuations line by line for that.

/// Cell magics whose body is still Python.
const PYTHON_CELL_MAGICS: &[&str] = &[
    "time", "timeit", "capture", "prun", "debug", "python", "python3", "pypy",
];

/// Line magics whose argument is a Python statement that IPython runs (`%time m = torch.load(p)`).
const STATEMENT_LINE_MAGICS: &[&str] = &["time", "timeit", "prun"];

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
    let mut scanner = Scanner::default();
    // True while the lines are a magic continued with a trailing backslash.
    let mut in_magic = false;
    for line in source.split_inclusive('\n') {
        if in_magic {
            out.push_str(&blank_all(line));
            in_magic = ends_with_backslash(line);
            continue;
        }
        if scanner.at_statement_start() {
            if let Some(blanked) = blank_escape(line, &scanner) {
                // The Python part of `%time stmt` and `x = !ls` is scanned like any code.
                scanner.scan(&blanked.text);
                in_magic = blanked.continues;
                out.push_str(&blanked.text);
                continue;
            }
        }
        scanner.scan(line);
        out.push_str(line);
    }
    out
}

/// A line whose IPython syntax was blanked; `continues` when the magic goes on on the next line.
struct Blanked {
    text: String,
    continues: bool,
}

/// Blanks a line that starts a logical line with IPython syntax; `None` for a Python line.
fn blank_escape(line: &str, scanner: &Scanner) -> Option<Blanked> {
    let content = line.trim_start();
    let indent = line.len() - content.len();
    if content.starts_with('%') || content.starts_with('!') || content.starts_with('?') {
        if let Some(text) = keep_statement(line, indent) {
            return Some(Blanked {
                text,
                continues: false,
            });
        }
        return Some(Blanked {
            text: statement_placeholder(line, indent),
            continues: ends_with_backslash(line),
        });
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
            let mut replaced = blank_all(value_trimmed);
            replaced.replace_range(0..1, "0");
            return Some(Blanked {
                text: format!("{before}={}{}", &value[..lead], replaced),
                continues: ends_with_backslash(line),
            });
        }
    }
    // `obj?`, `obj.attr??`: a `?` ending the line outside strings and comments is never Python.
    let mut probe = *scanner;
    if probe.scan(line) == Some(b'?') && probe.at_statement_start() {
        return Some(Blanked {
            text: statement_placeholder(line, indent),
            continues: false,
        });
    }
    None
}

/// `%time stmt` (and `%timeit`, `%prun`, options skipped) as `0;    stmt`: IPython runs the
/// statement, so it stays in the analysis at its place.
fn keep_statement(line: &str, indent: usize) -> Option<String> {
    let magic = line[indent..].strip_prefix('%')?;
    let name_len = magic
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(magic.len());
    if !STATEMENT_LINE_MAGICS.contains(&&magic[..name_len]) {
        return None;
    }
    // Skip options (`-n 10 -r3 -o`): the statement starts at the first other word.
    let mut at = indent + 1 + name_len;
    let mut takes_value = false;
    loop {
        let rest = &line[at..];
        let word_start = at + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
        let word_end = line[word_start..]
            .find(char::is_whitespace)
            .map_or(line.len(), |end| word_start + end);
        let word = &line[word_start..word_end];
        if word.is_empty() {
            return None;
        }
        if takes_value {
            takes_value = false;
        } else if let Some(option) = word.strip_prefix('-') {
            takes_value = matches!(option, "n" | "r" | "p");
        } else {
            at = word_start;
            break;
        }
        at = word_end;
    }
    // `%` becomes `0`, the next byte `;`, everything up to the statement spaces.
    let mut text = String::with_capacity(line.len());
    text.push_str(&line[..indent]);
    text.push_str("0;");
    text.extend(std::iter::repeat_n(' ', at - indent - 2));
    text.push_str(&line[at..]);
    Some(text)
}

/// The statement `0` at the line's indentation, the rest blanked.
fn statement_placeholder(line: &str, indent: usize) -> String {
    let mut text = String::with_capacity(line.len());
    text.push_str(&line[..indent]);
    let mut rest = blank_all(&line[indent..]);
    if rest.starts_with(' ') {
        rest.replace_range(0..1, "0");
    }
    text.push_str(&rest);
    text
}

fn ends_with_backslash(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r']).ends_with('\\')
}

/// Where a line starts: inside a string, inside brackets, after a backslash continuation.
#[derive(Debug, Clone, Copy, Default)]
struct Scanner {
    /// Open brackets.
    depth: u32,
    /// The quote byte of an open string and whether it is triple-quoted.
    string: Option<(u8, bool)>,
    /// The previous line ended with a backslash outside a string.
    continued: bool,
}

impl Scanner {
    fn at_statement_start(&self) -> bool {
        self.depth == 0 && self.string.is_none() && !self.continued
    }

    /// Moves past one line; returns its last non-blank byte outside strings and comments.
    fn scan(&mut self, line: &str) -> Option<u8> {
        let bytes = line.as_bytes();
        let mut last = None;
        let mut i = 0;
        self.continued = false;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some((quote, triple)) = self.string {
                if b == b'\\' {
                    // An escape, or a backslash-newline that continues the string.
                    i += if bytes[i + 1..].starts_with(b"\r\n") {
                        3
                    } else {
                        2
                    };
                    continue;
                }
                if b == quote && (!triple || bytes[i..].starts_with(&[quote; 3])) {
                    self.string = None;
                    i += if triple { 3 } else { 1 };
                    last = Some(quote);
                    continue;
                }
                if b == b'\n' && !triple {
                    // An unterminated string ends with its line.
                    self.string = None;
                }
                i += 1;
                continue;
            }
            match b {
                b'#' => break,
                b'"' | b'\'' => {
                    let triple = bytes[i..].starts_with(&[b; 3]);
                    self.string = Some((b, triple));
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                b'(' | b'[' | b'{' => self.depth += 1,
                b')' | b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
            if !b.is_ascii_whitespace() {
                last = Some(b);
            }
            i += 1;
        }
        if self.string.is_none() && last == Some(b'\\') {
            self.continued = true;
        }
        last
    }
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
            "0                   \n  0             \nfiles = 0      \ny = 1\n"
        );
        assert_eq!(blank_magics("%%bash\necho hi\n"), "      \n       \n");
        assert_eq!(blank_magics("%%time\nx = 1\n"), "0     \nx = 1\n");
        // Non-ASCII characters become one space per byte: offsets after them do not move.
        let source = "!echo é😀\nx = 1\n";
        assert_eq!(blank_magics(source).len(), source.len());
        assert_eq!(blank_magics(source).find('x'), source.find('x'));
        let source = "%%bash\necho 'ü'\n";
        assert_eq!(blank_magics(source).len(), source.len());
    }

    #[test]
    fn an_indented_magic_is_still_a_statement() {
        // IPython runs `%pip` as a call: the `if` keeps a body and the code after it parses.
        let source = "if IN_COLAB:\n    %pip install torch\n\nimport torch\n";
        assert_eq!(
            blank_magics(source),
            "if IN_COLAB:\n    0                 \n\nimport torch\n"
        );
    }

    #[test]
    fn escapes_count_only_at_the_start_of_a_logical_line() {
        // Inside brackets, `%` is the modulo operator.
        let source = "msg = ('%s'\n       % x)\n!ls\n";
        assert_eq!(blank_magics(source), "msg = ('%s'\n       % x)\n0  \n");
        // Inside a triple-quoted string, lines are text, whatever they start or end with.
        let source = "p = '''What is it?\n!important\n%d items'''\nobj?\n";
        assert_eq!(
            blank_magics(source),
            "p = '''What is it?\n!important\n%d items'''\n0   \n"
        );
        // After a backslash continuation.
        let source = "x = 1 + \\\n    !2\n";
        assert_eq!(blank_magics(source), source);
        // A shell command continued with a backslash is blanked on every line.
        let source = "!pip install \\\n    torch\nx = 1\n";
        assert_eq!(blank_magics(source), "0             \n         \nx = 1\n");
    }

    #[test]
    fn a_question_mark_in_a_comment_or_string_is_not_help() {
        for source in [
            "m = torch.load(p)  # is this safe?\n",
            "print('why?')\n",
            "s = \"what?\"\n",
        ] {
            assert_eq!(blank_magics(source), source);
        }
        assert_eq!(
            blank_magics("torch.load?\n  obj.attr??\n?x\n"),
            "0          \n  0         \n0 \n"
        );
    }

    #[test]
    fn timing_magics_keep_their_statement() {
        let source = "%time m = torch.load(p)\n";
        let blanked = blank_magics(source);
        assert_eq!(blanked, "0;    m = torch.load(p)\n");
        assert_eq!(
            blank_magics("  %timeit -n 10 -r3 f(x)\n"),
            "  0;                f(x)\n"
        );
        // Without a statement, or another magic: blanked.
        assert_eq!(blank_magics("%time\n"), "0    \n");
        assert_eq!(blank_magics("%timeit -o\n"), "0         \n");
        assert_eq!(blank_magics("%matplotlib inline\n"), "0                 \n");
    }

    #[test]
    fn the_scanner_follows_strings_brackets_and_continuations() {
        let mut scanner = Scanner::default();
        assert_eq!(scanner.scan("f(a, '(', \"[\"\n"), Some(b'"'));
        assert!(!scanner.at_statement_start());
        assert_eq!(scanner.scan("  b)  # )\n"), Some(b')'));
        assert!(scanner.at_statement_start());
        scanner.scan("s = 'a\\'b' + \"\"\"x\\\"\"\"\"\n");
        assert!(scanner.at_statement_start());
        scanner.scan("s = r'''\n");
        assert!(!scanner.at_statement_start());
        scanner.scan("''' + f'{x}' \\\n");
        assert!(scanner.continued && !scanner.at_statement_start());
        scanner.scan("  + 1\n");
        assert!(scanner.at_statement_start());
        // An unterminated one-quote string ends with its line; too many closers do not underflow.
        scanner.scan("s = 'abc\n");
        scanner.scan(")))\n");
        assert!(scanner.at_statement_start());
    }
}
