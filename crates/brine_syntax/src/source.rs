//! Turning a file's bytes into text the parser can read.
//!
//! Python source is UTF-8 unless a PEP 263 coding cookie on one of the first two lines names another
//! encoding (`# -*- coding: latin-1 -*-`). Invalid bytes never stop the analysis: they are replaced,
//! and the caller is told so.

/// Source text plus what had to be done to obtain it.
#[derive(Debug, Clone)]
pub struct DecodedSource {
    pub text: String,
    /// Set when the bytes could not be decoded cleanly and were replaced; the message says so.
    pub lossy: Option<String>,
}

/// Decodes a Python file, honouring a PEP 263 coding cookie.
pub fn decode_source(bytes: &[u8]) -> DecodedSource {
    if let Some(label) = coding_cookie(bytes) {
        let encoding = encoding_for_python_name(&label);
        match encoding {
            Some(encoding) if encoding != encoding_rs::UTF_8 => {
                let (text, _, had_errors) = encoding.decode(bytes);
                return DecodedSource {
                    text: text.into_owned(),
                    lossy: had_errors.then(|| {
                        format!(
                            "file is not valid {}; invalid bytes were replaced",
                            encoding.name()
                        )
                    }),
                };
            }
            Some(_) => {}
            None => {
                let mut decoded = decode_utf8(bytes);
                let note = format!("unknown source encoding `{label}`; read as UTF-8");
                decoded.lossy = Some(match decoded.lossy {
                    Some(more) => format!("{note}; {more}"),
                    None => note,
                });
                return decoded;
            }
        }
    }
    decode_utf8(bytes)
}

fn decode_utf8(bytes: &[u8]) -> DecodedSource {
    match std::str::from_utf8(bytes) {
        Ok(text) => DecodedSource {
            text: text.to_owned(),
            lossy: None,
        },
        Err(error) => DecodedSource {
            text: String::from_utf8_lossy(bytes).into_owned(),
            lossy: Some(format!(
                "file is not valid UTF-8 (first invalid byte at offset {}); invalid bytes were replaced",
                error.valid_up_to()
            )),
        },
    }
}

/// Python's codec names (`latin-1`, `utf_8`, `cp1252`) mapped onto encoding_rs' WHATWG labels.
fn encoding_for_python_name(name: &str) -> Option<&'static encoding_rs::Encoding> {
    let normalized = name.to_ascii_lowercase().replace('_', "-");
    let label = match normalized.as_str() {
        "latin-1" | "iso-latin-1" | "latin1" | "l1" => "latin1",
        "utf8" | "utf-8-sig" => "utf-8",
        other => other,
    };
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// The encoding named by a coding cookie on the first or second line (PEP 263), if any.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&b| b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let trimmed = line.trim_start_matches([' ', '\t', '\x0c']);
        if !trimmed.starts_with('#') {
            continue;
        }
        let Some(at) = trimmed.find("coding") else {
            continue;
        };
        let rest = &trimmed[at + "coding".len()..];
        let Some(rest) = rest.strip_prefix([':', '=']) else {
            continue;
        };
        let name: String = rest
            .trim_start_matches([' ', '\t'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if !name.is_empty() {
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coding_cookies_are_honoured() {
        let latin1 = b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n";
        let decoded = decode_source(latin1);
        assert!(decoded.text.contains("'\u{e9}t\u{e9}'"), "{}", decoded.text);
        assert!(decoded.lossy.is_none());
        let second_line = b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n";
        assert!(decode_source(second_line).text.contains('\u{20ac}'));
    }

    #[test]
    fn invalid_utf8_is_replaced_and_reported() {
        let decoded = decode_source(b"x = '\xff'\n");
        assert!(decoded.text.contains('\u{fffd}'));
        assert!(decoded.lossy.unwrap().contains("offset 5"));
        let unknown = decode_source(b"# coding: klingon\nx = 1\n");
        assert!(unknown.lossy.unwrap().contains("klingon"));
    }
}
