//! numpy's `.npy` format: the `\x93NUMPY` magic, a version, and a Python-literal header dict.
//! numpy pickles the array data exactly when the dtype holds Python objects (`'|O'`, also inside
//! a structured dtype), so only then is a pickle read after the header.

use std::io::Read;

use crate::containers::read_vec;
use crate::stream::{self, StreamOptions};
use crate::Ctx;

pub(crate) const MAGIC: &[u8] = b"\x93NUMPY";
/// numpy itself refuses headers over 10,000 bytes by default; allow more, but not without end.
const MAX_HEADER: usize = 1024 * 1024;

/// Scans an `.npy` stream; true if it held a pickle.
pub(crate) fn scan(cx: &mut Ctx, r: &mut dyn Read, member: Option<&str>) -> bool {
    let Ok(pre) = read_vec(r, 8) else {
        return false;
    };
    if !pre.starts_with(MAGIC) {
        return false;
    }
    let (len, prefix) = match pre[6] {
        1 => match read_vec(r, 2) {
            Ok(b) => (usize::from(u16::from_le_bytes([b[0], b[1]])), 10),
            Err(_) => return false,
        },
        2 | 3 => match read_vec(r, 4) {
            Ok(b) => (
                usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(usize::MAX),
                12,
            ),
            Err(_) => return false,
        },
        _ => return false,
    };
    if len > MAX_HEADER {
        return false;
    }
    let Ok(header) = read_vec(r, len) else {
        return false;
    };
    if !has_object_dtype(&header) {
        return false;
    }
    let opts = StreamOptions {
        sequence: false,
        base_offset: (prefix + len) as u64,
    };
    stream::scan_pickles(cx, r, member, opts).is_some()
}

/// Whether a header dict mentions an object type code (`'|O'`, `'O'`, `'O8'`, ...) in any of
/// its quoted strings.
pub(crate) fn has_object_dtype(header: &[u8]) -> bool {
    let mut i = 0;
    while i < header.len() {
        let q = header[i];
        if q == b'\'' || q == b'"' {
            let Some(len) = header[i + 1..].iter().position(|&b| b == q) else {
                return false;
            };
            if is_object_code(&header[i + 1..i + 1 + len]) {
                return true;
            }
            i += len + 2;
        } else {
            i += 1;
        }
    }
    false
}

fn is_object_code(s: &[u8]) -> bool {
    let s = match s.first() {
        Some(b'<' | b'>' | b'|' | b'=') => &s[1..],
        _ => s,
    };
    s.first() == Some(&b'O') && s[1..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_dtypes() {
        assert!(has_object_dtype(
            b"{'descr': '|O', 'fortran_order': False, 'shape': (3,), }"
        ));
        assert!(has_object_dtype(
            b"{'descr': [('a', '<f8'), ('b', '|O')], 'fortran_order': False, 'shape': (3,), }"
        ));
        assert!(!has_object_dtype(
            b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
        ));
        assert!(!has_object_dtype(b"{'descr': '<U3', 'Obj': 1}"));
        assert!(!has_object_dtype(b"{'descr': '"));
    }
}
