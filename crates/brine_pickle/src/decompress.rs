//! Streaming, bounded decompression and byte accounting.
//!
//! Decoders are pull-based [`Read`] adapters over the compressed bytes; their output goes through
//! [`Metered`], which charges every byte to the artifact's decompressed budget and fails with a
//! [`LimitHit`] once it is spent, so a compression bomb ends with a problem after at most the
//! budget, never in an out-of-memory. [`InputMeter`] does the same for bytes read from the
//! caller's reader.

use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use crate::limits::{Budget, LimitHit};
use crate::report::Compression;

/// Memory liblzma may use for its dictionary (a forged header cannot ask for more).
const LZMA_MEMLIMIT: u64 = 128 * 1024 * 1024;

/// Recognises a compression format from a stream's first bytes. `strong_only` keeps to magics
/// long enough to rule out chance (gzip, bz2, xz), for members whose names say nothing.
pub(crate) fn sniff(head: &[u8], strong_only: bool) -> Option<Compression> {
    if head.len() >= 4 && head[..3] == [0x1f, 0x8b, 0x08] && head[3] & 0xe0 == 0 {
        return Some(Compression::Gzip);
    }
    if head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && head[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
    {
        return Some(Compression::Bzip2);
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        return Some(Compression::Xz);
    }
    if strong_only {
        return None;
    }
    if head.len() >= 2 && head[0] == 0x78 && matches!(head[1], 0x01 | 0x5e | 0x9c | 0xda) {
        return Some(Compression::Zlib);
    }
    if head.len() >= 13 && head.starts_with(&[0x5d, 0x00, 0x00]) {
        return Some(Compression::Lzma);
    }
    None
}

/// A decoder for `kind` over `inner`, metered against the budget.
pub(crate) fn open<'a>(
    kind: Compression,
    inner: impl Read + 'a,
    budget: Rc<Budget>,
) -> io::Result<Metered<Box<dyn Read + 'a>>> {
    let decoder: Box<dyn Read + 'a> = match kind {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(inner)),
        Compression::Zlib => Box::new(flate2::read::ZlibDecoder::new(inner)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(inner)),
        Compression::Xz => {
            let stream = liblzma::stream::Stream::new_stream_decoder(
                LZMA_MEMLIMIT,
                liblzma::stream::CONCATENATED,
            )
            .map_err(io::Error::other)?;
            Box::new(liblzma::read::XzDecoder::new_stream(inner, stream))
        }
        Compression::Lzma => {
            let stream = liblzma::stream::Stream::new_lzma_decoder(LZMA_MEMLIMIT)
                .map_err(io::Error::other)?;
            Box::new(liblzma::read::XzDecoder::new_stream(inner, stream))
        }
    };
    Ok(Metered::new(decoder, budget))
}

/// A raw-deflate decoder (zip method 8), metered.
pub(crate) fn open_deflate<'a>(
    inner: impl Read + 'a,
    budget: Rc<Budget>,
) -> Metered<Box<dyn Read + 'a>> {
    Metered::new(Box::new(flate2::read::DeflateDecoder::new(inner)), budget)
}

/// A bzip2 decoder (zip method 12), metered.
pub(crate) fn open_bzip2<'a>(
    inner: impl Read + 'a,
    budget: Rc<Budget>,
) -> Metered<Box<dyn Read + 'a>> {
    Metered::new(Box::new(bzip2::read::BzDecoder::new(inner)), budget)
}

/// An LZMA decoder for zip method 14: the member starts with a 2-byte version, a 2-byte
/// properties size and the 5 properties bytes; the rest is a raw LZMA stream, which is turned
/// into the "alone" format liblzma reads by writing its 13-byte header in front.
pub(crate) fn open_zip_lzma<'a>(
    mut inner: impl Read + 'a,
    uncompressed_size: Option<u64>,
    budget: Rc<Budget>,
) -> io::Result<Metered<Box<dyn Read + 'a>>> {
    let mut head = [0u8; 4];
    inner.read_exact(&mut head)?;
    let props_len = usize::from(u16::from_le_bytes([head[2], head[3]]));
    if props_len != 5 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "zip LZMA properties are not 5 bytes",
        ));
    }
    let mut alone = [0u8; 13];
    inner.read_exact(&mut alone[..5])?;
    alone[5..].copy_from_slice(&uncompressed_size.unwrap_or(u64::MAX).to_le_bytes());
    let chained = io::Cursor::new(alone).chain(inner);
    open(Compression::Lzma, chained, budget)
}

/// Counts a decoder's output against the decompressed budget.
pub(crate) struct Metered<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R: Read> Metered<R> {
    pub(crate) fn new(inner: R, budget: Rc<Budget>) -> Self {
        Metered { inner, budget }
    }
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.budget.decompressed_remaining();
        if remaining == 0 {
            // Only a clean end of data is allowed past the budget.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(self.budget.decompressed_exhausted().into_io()),
            };
        }
        let cap = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.budget.charge_decompressed(n as u64);
        Ok(n)
    }
}

/// Counts bytes read from the caller's reader against the input budget; seeks pass through.
pub(crate) struct InputMeter<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R> InputMeter<R> {
    pub(crate) fn new(inner: R, budget: Rc<Budget>) -> Self {
        InputMeter { inner, budget }
    }
}

impl<R: Read> Read for InputMeter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.budget.input_remaining();
        if remaining == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(self.budget.input_exhausted().into_io()),
            };
        }
        let cap = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.budget.charge_input(n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for InputMeter<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Reads up to `n` bytes (fewer only at the end of the stream).
pub(crate) fn read_head(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

/// Describes an I/O error met while reading a stream, naming our own limits plainly.
pub(crate) fn describe_io(err: &io::Error, budget: &Budget) -> String {
    if let Some(limit) = LimitHit::from_io(err).or(budget.tripped()) {
        return crate::limits::describe(limit, &budget.limits);
    }
    match err.kind() {
        io::ErrorKind::UnexpectedEof => "data ends early (truncated)".to_string(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
            format!("corrupt compressed data ({err})")
        }
        _ => format!("read error ({err})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::ScanLimits;
    use std::io::Write;

    #[test]
    fn bomb_is_bounded() {
        let limits = ScanLimits {
            max_decompressed_bytes: 1000,
            ..ScanLimits::default()
        };
        let budget = Rc::new(Budget::new(&limits));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&[0u8; 100_000]).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(sniff(&gz, true), Some(Compression::Gzip));
        let mut dec = open(Compression::Gzip, &gz[..], budget.clone()).unwrap();
        let mut out = Vec::new();
        let err = dec.read_to_end(&mut out).unwrap_err();
        assert_eq!(out.len(), 1000);
        assert!(describe_io(&err, &budget).contains("decompression limit"));
    }
}
