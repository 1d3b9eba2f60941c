//! Turning a file's bytes into text the parser can read.

/// Source text plus what had to be done to obtain it.
#[derive(Debug, Clone)]
pub struct DecodedSource {
    pub text: String,
    /// Set when the bytes were not valid UTF-8 and invalid sequences were replaced; the message says so.
    pub lossy: Option<String>,
}

/// Decodes a Python file. Valid UTF-8 is taken as is (a UTF-8 byte order mark is kept, tree-sitter
/// skips it); anything else has its invalid sequences replaced, so the rest of the file is still analysed.
pub fn decode_source(bytes: &[u8]) -> DecodedSource {
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
