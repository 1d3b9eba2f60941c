//! Reads a pickle stream one opcode at a time from any [`Read`]: a small buffered byte source
//! that knows its position, and the argument decoding for every opcode of protocols 0-5.
//!
//! Arguments are never materialised beyond a few kilobytes: counted data (strings, bytes, longs)
//! keeps its first [`KEEP`] bytes and skips the rest, text-protocol lines keep their first
//! [`KEEP_LINE`] bytes and are read to their newline. Nothing here allocates in proportion to
//! the input.

use std::io::{self, Read};

use crate::opcodes::{self, ArgKind, OpInfo};

/// Bytes of counted data (strings, bytes, longs) kept for the symbolic stack.
pub(crate) const KEEP: usize = 1024;
/// Bytes of a text-protocol line kept.
pub(crate) const KEEP_LINE: usize = 4096;
const BUF_SIZE: usize = 64 * 1024;

/// A buffered byte source with a position counter and bounded look-ahead.
pub(crate) struct ByteSource<'r> {
    inner: &'r mut dyn Read,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    pos: u64,
    eof: bool,
}

/// Why bytes could not be read.
#[derive(Debug)]
pub(crate) enum Short {
    /// The stream ended first.
    Eof,
    /// The underlying reader failed (including our own limit errors).
    Io(io::Error),
}

impl From<io::Error> for Short {
    fn from(e: io::Error) -> Self {
        Short::Io(e)
    }
}

impl<'r> ByteSource<'r> {
    /// A source whose first byte is at stream offset `base`.
    pub(crate) fn new(inner: &'r mut dyn Read, base: u64) -> Self {
        ByteSource {
            inner,
            buf: vec![0; BUF_SIZE],
            start: 0,
            end: 0,
            pos: base,
            eof: false,
        }
    }

    /// Offset of the next byte in the stream.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// Reads more bytes into the buffer (compacting it first); false at end of stream.
    fn refill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Ok(true);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n.min(self.buf.len() - self.end);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Up to `n` (at most the buffer size) next bytes without consuming them; fewer only at the
    /// end of the stream.
    pub(crate) fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        let n = n.min(BUF_SIZE);
        while self.end - self.start < n {
            if !self.refill()? {
                break;
            }
        }
        let avail = (self.end - self.start).min(n);
        Ok(&self.buf[self.start..self.start + avail])
    }

    /// The next byte, or `None` at the end of the stream.
    pub(crate) fn read_u8(&mut self) -> Result<Option<u8>, io::Error> {
        if self.start == self.end && !self.refill()? {
            return Ok(None);
        }
        if self.start == self.end {
            return Ok(None);
        }
        let b = self.buf[self.start];
        self.start += 1;
        self.pos += 1;
        Ok(Some(b))
    }

    fn byte(&mut self) -> Result<u8, Short> {
        self.read_u8()?.ok_or(Short::Eof)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        let mut out = [0u8; N];
        for slot in out.iter_mut() {
            *slot = self.byte()?;
        }
        Ok(out)
    }

    /// Consumes `n` bytes, keeping the first `keep` of them.
    pub(crate) fn take(&mut self, n: u64, keep: usize) -> Result<Vec<u8>, Short> {
        let keep_n = (keep as u64).min(n) as usize;
        let mut kept = Vec::with_capacity(keep_n);
        let mut remaining = n;
        while remaining > 0 {
            if self.start == self.end && !self.refill()? {
                return Err(Short::Eof);
            }
            let avail = (self.end - self.start) as u64;
            let step = avail.min(remaining) as usize;
            if kept.len() < keep_n {
                let want = (keep_n - kept.len()).min(step);
                kept.extend_from_slice(&self.buf[self.start..self.start + want]);
            }
            self.start += step;
            self.pos += step as u64;
            remaining -= step as u64;
        }
        Ok(kept)
    }

    /// Consumes one line through its `\n`, keeping the first `keep` bytes (newline excluded).
    /// Returns the kept bytes and whether the line was longer.
    fn line(&mut self, keep: usize) -> Result<(Vec<u8>, bool), Short> {
        let mut kept = Vec::new();
        let mut truncated = false;
        loop {
            if self.start == self.end && !self.refill()? {
                return Err(Short::Eof);
            }
            let chunk = &self.buf[self.start..self.end];
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            let room = keep.saturating_sub(kept.len());
            if take > room {
                truncated = true;
            }
            kept.extend_from_slice(&chunk[..take.min(room)]);
            let consumed = if done { take + 1 } else { take };
            self.start += consumed;
            self.pos += consumed as u64;
            if done {
                return Ok((kept, truncated));
            }
        }
    }
}

/// A text-protocol line (without its newline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Text {
    pub bytes: Vec<u8>,
    /// The line was longer than [`KEEP_LINE`]; `bytes` is its beginning.
    pub truncated: bool,
}

/// Counted data: its first bytes and its full length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Data {
    pub head: Vec<u8>,
    pub len: u64,
}

impl Data {
    /// Whether `head` holds all of the data.
    pub(crate) fn complete(&self) -> bool {
        self.head.len() as u64 == self.len
    }
}

/// A decoded opcode argument.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Arg {
    None,
    Int(i64),
    Float(f64),
    Frame(u64),
    Line(Text),
    Lines(Text, Text),
    Data(Data),
}

/// One opcode with its argument and the stream offset of its opcode byte.
#[derive(Clone, Debug)]
pub(crate) struct Instr {
    pub offset: u64,
    pub op: &'static OpInfo,
    pub arg: Arg,
}

/// Why the next opcode could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The stream ended cleanly before an opcode byte.
    Eof,
    /// The stream ended inside the opcode at `offset`.
    Truncated { offset: u64 },
    /// The byte at `offset` is no pickle opcode.
    UnknownOpcode { offset: u64, byte: u8 },
    /// A signed length argument was negative.
    NegativeLength { offset: u64 },
    /// The underlying reader failed.
    Io(io::Error),
}

/// Reads the next opcode and its argument.
pub(crate) fn next_instr(src: &mut ByteSource<'_>) -> Result<Instr, ReadError> {
    let offset = src.pos();
    let byte = match src.read_u8() {
        Ok(Some(b)) => b,
        Ok(None) => return Err(ReadError::Eof),
        Err(e) => return Err(ReadError::Io(e)),
    };
    let op = opcodes::info(byte).ok_or(ReadError::UnknownOpcode { offset, byte })?;
    let short = |s: Short| match s {
        Short::Eof => ReadError::Truncated { offset },
        Short::Io(e) => ReadError::Io(e),
    };
    let arg = match op.arg {
        ArgKind::None => Arg::None,
        ArgKind::U1 => Arg::Int(i64::from(src.byte().map_err(short)?)),
        ArgKind::U2 => Arg::Int(i64::from(u16::from_le_bytes(src.array().map_err(short)?))),
        ArgKind::I4 => Arg::Int(i64::from(i32::from_le_bytes(src.array().map_err(short)?))),
        ArgKind::U4 => Arg::Int(i64::from(u32::from_le_bytes(src.array().map_err(short)?))),
        ArgKind::F8 => Arg::Float(f64::from_be_bytes(src.array().map_err(short)?)),
        ArgKind::U8 => Arg::Frame(u64::from_le_bytes(src.array().map_err(short)?)),
        ArgKind::Line => {
            let (bytes, truncated) = src.line(KEEP_LINE).map_err(short)?;
            Arg::Line(Text { bytes, truncated })
        }
        ArgKind::TwoLines => {
            let (a, at) = src.line(KEEP_LINE).map_err(short)?;
            let (b, bt) = src.line(KEEP_LINE).map_err(short)?;
            Arg::Lines(
                Text {
                    bytes: a,
                    truncated: at,
                },
                Text {
                    bytes: b,
                    truncated: bt,
                },
            )
        }
        ArgKind::Len1 => {
            let len = u64::from(src.byte().map_err(short)?);
            data(src, len).map_err(short)?
        }
        ArgKind::Len4 => {
            let len = u64::from(u32::from_le_bytes(src.array().map_err(short)?));
            data(src, len).map_err(short)?
        }
        ArgKind::Len4Signed => {
            let len = i32::from_le_bytes(src.array().map_err(short)?);
            let len = u64::try_from(len).map_err(|_| ReadError::NegativeLength { offset })?;
            data(src, len).map_err(short)?
        }
        ArgKind::Len8 => {
            let len = u64::from_le_bytes(src.array().map_err(short)?);
            data(src, len).map_err(short)?
        }
    };
    Ok(Instr { offset, op, arg })
}

fn data(src: &mut ByteSource<'_>, len: u64) -> Result<Arg, Short> {
    let head = src.take(len, KEEP)?;
    Ok(Arg::Data(Data { head, len }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> (Vec<Instr>, ReadError) {
        let mut r: &[u8] = bytes;
        let mut src = ByteSource::new(&mut r, 0);
        let mut out = Vec::new();
        loop {
            match next_instr(&mut src) {
                Ok(i) => out.push(i),
                Err(e) => return (out, e),
            }
        }
    }

    #[test]
    fn argument_lengths() {
        let mut p = vec![0x80, 5, 0x95];
        p.extend_from_slice(&9u64.to_le_bytes());
        p.extend_from_slice(&[0x8c, 2, b'o', b's']); // SHORT_BINUNICODE
        p.extend_from_slice(&[0x8e]); // BINBYTES8
        p.extend_from_slice(&3u64.to_le_bytes());
        p.extend_from_slice(b"xyz");
        p.extend_from_slice(&[0x96]); // BYTEARRAY8
        p.extend_from_slice(&1u64.to_le_bytes());
        p.push(7);
        p.extend_from_slice(&[0x97, 0x98]); // NEXT_BUFFER, READONLY_BUFFER
        p.extend_from_slice(&[0x8b]); // LONG4
        p.extend_from_slice(&2i32.to_le_bytes());
        p.extend_from_slice(&[1, 0]);
        p.extend_from_slice(&[0x8d]); // BINUNICODE8
        p.extend_from_slice(&1u64.to_le_bytes());
        p.push(b'x');
        p.extend_from_slice(&[b'C', 1, 0xff]); // SHORT_BINBYTES
        p.extend_from_slice(b"cos\nsystem\n");
        p.extend_from_slice(&[b'G', 0, 0, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(b"I01\n.");
        let (ops, end) = all(&p);
        let names: Vec<&str> = ops.iter().map(|i| i.op.name).collect();
        assert_eq!(
            names,
            [
                "PROTO",
                "FRAME",
                "SHORT_BINUNICODE",
                "BINBYTES8",
                "BYTEARRAY8",
                "NEXT_BUFFER",
                "READONLY_BUFFER",
                "LONG4",
                "BINUNICODE8",
                "SHORT_BINBYTES",
                "GLOBAL",
                "BINFLOAT",
                "INT",
                "STOP"
            ]
        );
        assert!(matches!(end, ReadError::Eof));
        assert_eq!(ops[1].arg, Arg::Frame(9));
        assert_eq!(ops[10].offset, 59);
        match &ops[10].arg {
            Arg::Lines(m, n) => {
                assert_eq!(m.bytes, b"os");
                assert_eq!(n.bytes, b"system");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncation_and_errors() {
        let (_, e) = all(&[0x8e, 1, 0, 0]);
        assert!(matches!(e, ReadError::Truncated { offset: 0 }));
        let mut p = vec![b'X'];
        p.extend_from_slice(&u32::MAX.to_le_bytes());
        let (_, e) = all(&p);
        assert!(matches!(e, ReadError::Truncated { offset: 0 }));
        let (_, e) = all(&[b'N', b'T', 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(e, ReadError::NegativeLength { offset: 1 }));
        let (_, e) = all(b"N\x00");
        assert!(matches!(e, ReadError::UnknownOpcode { offset: 1, byte: 0 }));
        let (_, e) = all(b"cos\nsys");
        assert!(matches!(e, ReadError::Truncated { offset: 0 }));
    }

    #[test]
    fn long_lines_are_kept_short() {
        let mut p = b"S'".to_vec();
        p.extend(std::iter::repeat_n(b'a', 100_000));
        p.extend_from_slice(b"'\n.");
        let (ops, _) = all(&p);
        match &ops[0].arg {
            Arg::Line(t) => {
                assert!(t.truncated);
                assert_eq!(t.bytes.len(), KEEP_LINE);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ops[1].offset, 100_004);
    }
}
