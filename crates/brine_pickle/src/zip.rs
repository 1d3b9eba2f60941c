//! A small, bounded zip reader for checkpoints and archives: the end-of-central-directory record
//! (zip64 too), central directory entries, and each member's data streamed through the right
//! decoder (stored, deflate, bzip2, lzma), with the sizes from the directory as hard bounds.
//! Without a central directory (a truncated download) it walks the local headers instead.
//!
//! Which members are read: those named like pickles (`*.pkl`, `*.pickle`, so torch's
//! `archive/data.pkl`), and any member whose first bytes are a zip, gzip, bz2, xz or `.npy`
//! magic (nested archives, `.npz` arrays), or a PROTO pickle when its name looks like an
//! artifact (`.pt`, `.joblib`, ...). torch's raw storage members are only peeked at.

use std::io::{Cursor, Read, SeekFrom};

use crate::containers::{self, read_vec, Expect, Layout, ReadSeek, HEAD};
use crate::decompress::{self, read_head};
use crate::limits::{self, Limit};
use crate::report::Container;
use crate::Ctx;

const LOCAL_SIG: &[u8] = b"PK\x03\x04";
const CENTRAL_SIG: &[u8] = b"PK\x01\x02";
const EOCD_SIG: &[u8] = b"PK\x05\x06";
const EOCD64_LOCATOR_SIG: &[u8] = b"PK\x06\x07";
const EOCD64_SIG: &[u8] = b"PK\x06\x06";
/// The end-of-central-directory record is at most this far from the end (comment included).
const EOCD_SEARCH: u64 = 22 + 65_535;
/// Largest central directory read into memory.
const MAX_CENTRAL_DIRECTORY: u64 = 256 * 1024 * 1024;

/// Names whose content is read as a pickle even without a magic.
const PICKLE_SUFFIXES: &[&str] = &[".pkl", ".pickle"];
/// Names whose content is read when it starts like a pickle or a container.
const ARTIFACT_SUFFIXES: &[&str] = &[
    ".joblib", ".dill", ".pt", ".pth", ".bin", ".ckpt", ".npy", ".npz", ".zip", ".gz", ".bz2",
    ".xz", ".lzma", ".z",
];

/// One archive member.
#[derive(Clone, Debug)]
struct Entry {
    name: String,
    flags: u16,
    method: u16,
    comp_size: u64,
    size: u64,
    local_offset: u64,
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    b.get(i..i + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .unwrap_or(0)
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    b.get(i..i + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}

/// Scans a zip archive at nesting `depth`; `outer` names the member holding it, if nested.
pub(crate) fn scan_archive(
    cx: &mut Ctx,
    r: &mut dyn ReadSeek,
    depth: u32,
    outer: Option<&str>,
) -> Option<Container> {
    let size = r.seek(SeekFrom::End(0)).ok()?;
    let found_before = cx.out.found;
    let (entries, delta) = match central_directory(cx, r, size, outer) {
        Ok(found) => found,
        Err(why) => {
            let entries = local_headers(cx, r, size, outer);
            if !entries.is_empty() {
                cx.out.problem(
                    outer,
                    format!(
                        "zip central directory unusable ({why}); read the local headers instead"
                    ),
                );
            }
            (entries, 0)
        }
    };
    let torch = entries
        .iter()
        .any(|e| e.name == "data.pkl" || e.name.ends_with("/data.pkl"));
    let mut files = entries.iter().filter(|e| !e.name.ends_with('/')).peekable();
    let npz =
        files.peek().is_some() && files.all(|e| e.name.to_ascii_lowercase().ends_with(".npy"));
    for entry in &entries {
        scan_member(cx, r, entry, delta, depth, outer);
    }
    if cx.out.found == found_before {
        return None;
    }
    Some(if torch {
        Container::TorchZip
    } else if npz {
        Container::Npz
    } else {
        Container::Zip
    })
}

/// Counts an entry against the limit; on the first entry past it, records the problem.
fn charge_entry(cx: &mut Ctx, outer: Option<&str>) -> bool {
    if cx.budget.charge_zip_entry().is_ok() {
        return true;
    }
    let msg = limits::describe(Limit::ZipEntries, &cx.budget.limits);
    cx.out.problem(outer, msg);
    cx.out.found += 1;
    false
}

/// Reads the central directory: the entries and how far the archive is shifted by prepended
/// data.
fn central_directory(
    cx: &mut Ctx,
    r: &mut dyn ReadSeek,
    size: u64,
    outer: Option<&str>,
) -> Result<(Vec<Entry>, u64), String> {
    let tail_len = size.min(EOCD_SEARCH);
    let tail_start = size - tail_len;
    r.seek(SeekFrom::Start(tail_start))
        .map_err(|e| e.to_string())?;
    let tail = read_vec(r, tail_len as usize).map_err(|e| e.to_string())?;
    if tail.len() < 22 {
        return Err("too short".into());
    }
    let pos = (0..=tail.len() - 22)
        .rev()
        .find(|&i| {
            tail[i..i + 4] == *EOCD_SIG && i + 22 + usize::from(u16_at(&tail, i + 20)) <= tail.len()
        })
        .ok_or("no end of central directory record")?;
    let mut count = u64::from(u16_at(&tail, pos + 10));
    let mut cd_size = u64::from(u32_at(&tail, pos + 12));
    let mut cd_offset = u64::from(u32_at(&tail, pos + 16));
    let mut record_at = tail_start + pos as u64;
    if (count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff)
        && pos >= 20
        && tail[pos - 20..pos - 16] == *EOCD64_LOCATOR_SIG
    {
        let at = u64_at(&tail, pos - 20 + 8);
        r.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        let rec = read_vec(r, 56).map_err(|e| e.to_string())?;
        if rec[..4] != *EOCD64_SIG {
            return Err("bad zip64 end of central directory".into());
        }
        count = u64_at(&rec, 32);
        cd_size = u64_at(&rec, 40);
        cd_offset = u64_at(&rec, 48);
        record_at = at;
    }
    let end = cd_offset
        .checked_add(cd_size)
        .ok_or("central directory out of range")?;
    if end > record_at {
        return Err("central directory out of range".into());
    }
    if cd_size > MAX_CENTRAL_DIRECTORY {
        return Err("central directory too large".into());
    }
    let delta = record_at - end;
    r.seek(SeekFrom::Start(delta + cd_offset))
        .map_err(|e| e.to_string())?;
    let cd = read_vec(r, cd_size as usize).map_err(|e| e.to_string())?;
    let mut entries = Vec::new();
    let mut off = 0usize;
    while (entries.len() as u64) < count && off + 46 <= cd.len() {
        if cd[off..off + 4] != *CENTRAL_SIG {
            break;
        }
        let name_len = usize::from(u16_at(&cd, off + 28));
        let extra_len = usize::from(u16_at(&cd, off + 30));
        let comment_len = usize::from(u16_at(&cd, off + 32));
        let name_at = off + 46;
        let Some(name) = cd.get(name_at..name_at + name_len) else {
            break;
        };
        let extra = cd
            .get(name_at + name_len..name_at + name_len + extra_len)
            .unwrap_or(&[]);
        let mut entry = Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            flags: u16_at(&cd, off + 8),
            method: u16_at(&cd, off + 10),
            comp_size: u64::from(u32_at(&cd, off + 20)),
            size: u64::from(u32_at(&cd, off + 24)),
            local_offset: u64::from(u32_at(&cd, off + 42)),
        };
        apply_zip64_extra(&mut entry, extra, true);
        if !charge_entry(cx, outer) {
            break;
        }
        entries.push(entry);
        off = name_at + name_len + extra_len + comment_len;
    }
    Ok((entries, delta))
}

/// Replaces 0xffffffff sizes (and offset) with their zip64 extra-field values.
fn apply_zip64_extra(e: &mut Entry, extra: &[u8], has_offset: bool) {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = u16_at(extra, i);
        let len = usize::from(u16_at(extra, i + 2));
        let Some(body) = extra.get(i + 4..i + 4 + len) else {
            return;
        };
        if id == 0x0001 {
            let mut j = 0;
            if e.size == 0xffff_ffff && j + 8 <= body.len() {
                e.size = u64_at(body, j);
                j += 8;
            }
            if e.comp_size == 0xffff_ffff && j + 8 <= body.len() {
                e.comp_size = u64_at(body, j);
                j += 8;
            }
            if has_offset && e.local_offset == 0xffff_ffff && j + 8 <= body.len() {
                e.local_offset = u64_at(body, j);
            }
            return;
        }
        i += 4 + len;
    }
}

/// Walks local file headers from the start, for archives without a usable central directory.
fn local_headers(cx: &mut Ctx, r: &mut dyn ReadSeek, size: u64, outer: Option<&str>) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut off = 0u64;
    while off.saturating_add(30) <= size {
        if r.seek(SeekFrom::Start(off)).is_err() {
            break;
        }
        let Ok(h) = read_vec(r, 30) else { break };
        if h[..4] != *LOCAL_SIG {
            break;
        }
        let name_len = usize::from(u16_at(&h, 26));
        let extra_len = usize::from(u16_at(&h, 28));
        let Ok(name) = read_vec(r, name_len) else {
            break;
        };
        let Ok(extra) = read_vec(r, extra_len) else {
            break;
        };
        let data_at = off + 30 + name_len as u64 + extra_len as u64;
        let mut entry = Entry {
            name: String::from_utf8_lossy(&name).into_owned(),
            flags: u16_at(&h, 6),
            method: u16_at(&h, 8),
            comp_size: u64::from(u32_at(&h, 18)),
            size: u64::from(u32_at(&h, 22)),
            local_offset: off,
        };
        apply_zip64_extra(&mut entry, &extra, false);
        if !charge_entry(cx, outer) {
            break;
        }
        let sizes_unknown = entry.flags & 0x08 != 0 && entry.comp_size == 0;
        if sizes_unknown {
            // Sizes follow the data: read to the end of the archive (decoders stop by
            // themselves) and stop walking.
            entry.comp_size = size.saturating_sub(data_at);
            entries.push(entry);
            break;
        }
        off = data_at.saturating_add(entry.comp_size);
        entries.push(entry);
    }
    entries
}

/// How a member's name says it should be treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    Pickle,
    Artifact,
    Other,
}

fn named(name: &str) -> Named {
    let lower = name.to_ascii_lowercase();
    if PICKLE_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        Named::Pickle
    } else if ARTIFACT_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        Named::Artifact
    } else {
        Named::Other
    }
}

fn scan_member(
    cx: &mut Ctx,
    r: &mut dyn ReadSeek,
    e: &Entry,
    delta: u64,
    depth: u32,
    outer: Option<&str>,
) {
    if e.name.ends_with('/') {
        return;
    }
    let label = match outer {
        Some(o) => format!("{o}!{}", e.name),
        None => e.name.clone(),
    };
    let named = named(&e.name);
    // Problems with members that may hold pickles are worth reporting; others stay silent.
    let fail = |cx: &mut Ctx, msg: String| {
        if named != Named::Other {
            cx.out.problem(Some(&label), msg);
            cx.out.found += 1;
        }
    };
    if e.flags & 0x01 != 0 {
        fail(cx, "encrypted zip member; not scanned".into());
        return;
    }
    let start = delta.saturating_add(e.local_offset);
    if r.seek(SeekFrom::Start(start)).is_err() {
        fail(cx, "zip member data out of range".into());
        return;
    }
    let Ok(h) = read_vec(r, 30) else {
        fail(
            cx,
            "zip member local header missing (truncated archive)".into(),
        );
        return;
    };
    if h[..4] != *LOCAL_SIG {
        fail(cx, "zip member local header is corrupt".into());
        return;
    }
    let data_at = start
        .saturating_add(30)
        .saturating_add(u64::from(u16_at(&h, 26)))
        .saturating_add(u64::from(u16_at(&h, 28)));
    if r.seek(SeekFrom::Start(data_at)).is_err() {
        fail(cx, "zip member data out of range".into());
        return;
    }
    let budget = cx.budget.clone();
    let raw = (&mut *r).take(e.comp_size);
    let mut reader: Box<dyn Read + '_> = match e.method {
        0 => Box::new(raw),
        8 => Box::new(decompress::open_deflate(raw, budget)),
        12 => Box::new(decompress::open_bzip2(raw, budget)),
        14 => {
            let size = (e.flags & 0x02 == 0).then_some(e.size);
            match decompress::open_zip_lzma(raw, size, budget) {
                Ok(d) => Box::new(d),
                Err(err) => {
                    fail(cx, format!("cannot open LZMA member ({err})"));
                    return;
                }
            }
        }
        m => {
            fail(
                cx,
                format!("zip compression method {m} not supported; not scanned"),
            );
            return;
        }
    };
    let head = match read_head(&mut reader, HEAD) {
        Ok(h) => h,
        Err(err) => {
            let msg = decompress::describe_io(&err, &cx.budget);
            fail(cx, msg);
            return;
        }
    };
    let strong = containers::layout(&head, true);
    let wanted = matches!(
        (named, strong),
        (Named::Pickle, _)
            | (_, Layout::Zip | Layout::Compressed(_) | Layout::Npy)
            | (Named::Artifact, Layout::ProtoPickle)
    );
    if !wanted {
        return;
    }
    if depth >= cx.budget.max_nesting() {
        containers::nesting_problem(cx, Some(&label));
        return;
    }
    let expect = match named {
        Named::Pickle => Expect::Anything,
        Named::Artifact => Expect::Artifact,
        Named::Other => Expect::StrongOnly,
    };
    let mut chained = Cursor::new(head).chain(reader);
    containers::scan_stream(cx, &mut chained, depth + 1, Some(&label), expect);
}
