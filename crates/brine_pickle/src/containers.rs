//! Recognises an artifact's layout from its first bytes (never its name) and hands each part to
//! the right reader: zip archives (torch checkpoints, `.npz`, nested archives), compressed
//! streams (joblib's gzip/zlib/bz2/xz/lzma), numpy `.npy` files, and pickle streams (raw, legacy
//! torch, joblib). Nesting is bounded by `max_nesting`; recursion here follows container
//! nesting only, never the input's pickle structure.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use crate::decompress::{self, read_head};
use crate::limits::{self, Limit};
use crate::npy;
use crate::opcodes;
use crate::report::{Compression, Container};
use crate::stream::{self, PickleKind, StreamOptions};
use crate::zip;
use crate::Ctx;

/// A reader that can also seek (the caller's file, or a buffered nested archive).
pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// Bytes looked at to recognise a layout.
pub(crate) const HEAD: usize = 16;

/// A stream's layout, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Zip,
    Compressed(Compression),
    Npy,
    /// Starts with PROTO and a protocol up to 5.
    ProtoPickle,
    /// Anything else (possibly a protocol 0/1 pickle).
    Other,
}

/// What a stream may hold, judged from where it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// The artifact itself, a decompressed stream, or a member named like a pickle: any layout,
    /// including protocol 0/1 pickles and weak compression magics.
    Anything,
    /// A member named like an artifact (`.pt`, `.joblib`, ...): strong magics and PROTO pickles.
    Artifact,
    /// Any other member: only strong magics (zip, gzip, bz2, xz, npy).
    StrongOnly,
}

/// Recognises a layout. `strong_only` ignores two- and three-byte magics (zlib, lzma).
pub(crate) fn layout(head: &[u8], strong_only: bool) -> Layout {
    if head.starts_with(b"PK\x03\x04") {
        return Layout::Zip;
    }
    if head.starts_with(npy::MAGIC) {
        return Layout::Npy;
    }
    if head.len() >= 2 && head[0] == opcodes::PROTO && head[1] <= opcodes::HIGHEST_PROTOCOL {
        return Layout::ProtoPickle;
    }
    match decompress::sniff(head, strong_only) {
        Some(c) => Layout::Compressed(c),
        None => Layout::Other,
    }
}

/// Scans the artifact itself.
pub(crate) fn scan_top(cx: &mut Ctx, r: &mut dyn ReadSeek) -> Option<Container> {
    let head = read_head(r, HEAD).ok()?;
    r.seek(SeekFrom::Start(0)).ok()?;
    match layout(&head, false) {
        Layout::Zip => zip::scan_archive(cx, r, 0, None),
        Layout::Compressed(c) => {
            cx.out.report.compression = Some(c);
            scan_stream(cx, r, 0, None, Expect::Anything)
        }
        _ => scan_stream(cx, r, 0, None, Expect::Anything),
    }
}

/// Scans a stream found at nesting `depth` (0 for the artifact itself).
pub(crate) fn scan_stream(
    cx: &mut Ctx,
    r: &mut dyn Read,
    depth: u32,
    member: Option<&str>,
    expect: Expect,
) -> Option<Container> {
    let head = match read_head(r, HEAD) {
        Ok(h) => h,
        Err(e) => {
            if depth > 0 && expect == Expect::Anything {
                let msg = decompress::describe_io(&e, &cx.budget);
                cx.out.problem(member, msg);
            }
            return None;
        }
    };
    let mut chained = Cursor::new(head.clone()).chain(r);
    match layout(&head, expect != Expect::Anything) {
        Layout::Zip => scan_nested_zip(cx, &mut chained, depth, member),
        Layout::Compressed(kind) => {
            if depth >= cx.budget.max_nesting() {
                nesting_problem(cx, member);
                return Some(Container::Compressed(kind));
            }
            let budget = cx.budget.clone();
            let mut decoder = match decompress::open(kind, chained, budget) {
                Ok(d) => d,
                Err(e) => {
                    cx.out
                        .problem(member, format!("cannot open {kind} stream ({e})"));
                    return None;
                }
            };
            match scan_stream(cx, &mut decoder, depth + 1, member, Expect::Anything)? {
                Container::Joblib => Some(Container::Joblib),
                _ => Some(Container::Compressed(kind)),
            }
        }
        Layout::Npy => npy::scan(cx, &mut chained, member).then_some(Container::Npy),
        Layout::ProtoPickle => pickles(cx, &mut chained, member),
        Layout::Other => match expect {
            Expect::Anything => pickles(cx, &mut chained, member),
            Expect::Artifact | Expect::StrongOnly => None,
        },
    }
}

fn pickles(cx: &mut Ctx, r: &mut dyn Read, member: Option<&str>) -> Option<Container> {
    let opts = StreamOptions {
        sequence: true,
        base_offset: 0,
    };
    Some(match stream::scan_pickles(cx, r, member, opts)? {
        PickleKind::Raw => Container::RawPickle,
        PickleKind::LegacyTorch => Container::LegacyTorch,
        PickleKind::Joblib => Container::Joblib,
    })
}

/// A zip inside a stream: read it into memory (charged to the decompressed budget, since a zip
/// needs seeking) and scan it as an archive at the same depth.
fn scan_nested_zip(
    cx: &mut Ctx,
    r: &mut dyn Read,
    depth: u32,
    member: Option<&str>,
) -> Option<Container> {
    let cap = cx.budget.decompressed_remaining();
    let mut buf = Vec::new();
    if let Err(e) = r.take(cap.saturating_add(1)).read_to_end(&mut buf) {
        let msg = decompress::describe_io(&e, &cx.budget);
        cx.out
            .problem(member, format!("nested zip not scanned: {msg}"));
        cx.out.found += 1;
        return Some(Container::Zip);
    }
    if buf.len() as u64 > cap {
        cx.budget.note_limit(Limit::Decompressed);
        let msg = limits::describe(Limit::Decompressed, &cx.budget.limits);
        cx.out
            .problem(member, format!("nested zip not scanned: {msg}"));
        cx.out.found += 1;
        return Some(Container::Zip);
    }
    cx.budget.charge_decompressed(buf.len() as u64);
    zip::scan_archive(cx, &mut Cursor::new(buf), depth, member)
}

/// Records that a container was too deeply nested to be opened.
pub(crate) fn nesting_problem(cx: &mut Ctx, member: Option<&str>) {
    cx.budget.note_limit(Limit::Nesting);
    let msg = limits::describe(Limit::Nesting, &cx.budget.limits);
    cx.out.problem(member, format!("{msg}; not scanned"));
    cx.out.found += 1;
}

/// Reads exactly `n` bytes into a new vector.
pub(crate) fn read_vec(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(n as u64).read_to_end(&mut out)?;
    if out.len() != n {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(out)
}
