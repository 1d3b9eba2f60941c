//! Drives the opcode reader and the symbolic stack over one byte stream: a single pickle, or
//! several in sequence (a raw file may hold more than one; legacy torch files hold five), with
//! joblib's raw array bytes skipped where its wrappers say they are.
//!
//! A stream that starts with `PROTO` (0x80 and a protocol up to 5) is a pickle. One that does
//! not (protocols 0 and 1) is accepted only if it reads to `STOP` with a consistent stack, or if
//! a real unpickler would already have called something it imported before the stream broke
//! off; anything else (a text file named `model.pkl`) is not a pickle and leaves no trace.

use std::io::Read;

use crate::limits::{self, Limit, LimitHit};
use crate::machine::{Findings, Machine, Step, Value};
use crate::opcodes;
use crate::reader::{next_instr, ByteSource, ReadError};
use crate::report::Import;
use crate::Ctx;

/// What the pickles of a stream turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PickleKind {
    Raw,
    LegacyTorch,
    Joblib,
}

/// Options for [`scan_pickles`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct StreamOptions {
    /// Read pickles after the first one's STOP (and recognise legacy torch).
    pub sequence: bool,
    /// Stream offset of the first byte (a `.npy` header precedes its pickle).
    pub base_offset: u64,
}

/// How one pickle ended.
enum End {
    Stopped(Value),
    /// The stream ended (cleanly, between opcodes) before STOP.
    Unfinished,
    Truncated(u64),
    Malformed(String),
    Limit(Limit),
    Io(std::io::Error),
}

/// Legacy torch files hold exactly this many pickles before raw storage data.
const LEGACY_TORCH_PICKLES: u32 = 5;

/// Scans the pickle(s) of a stream. Returns what they were, or `None` if the stream holds no
/// pickle.
pub(crate) fn scan_pickles(
    cx: &mut Ctx,
    r: &mut dyn Read,
    member: Option<&str>,
    opts: StreamOptions,
) -> Option<PickleKind> {
    let budget = cx.budget.clone();
    let mut src = ByteSource::new(r, opts.base_offset);
    let mut kind: Option<PickleKind> = None;
    let mut legacy = false;
    for index in 1u32.. {
        let head = match src.peek(2) {
            Ok(h) => h.to_vec(),
            Err(e) => {
                if kind.is_some() {
                    let msg = crate::decompress::describe_io(&e, &budget);
                    cx.out.problem(member, msg);
                }
                break;
            }
        };
        let Some(&first) = head.first() else { break };
        let proto_start = first == opcodes::PROTO;
        if proto_start && head.get(1).is_none_or(|&p| p > opcodes::HIGHEST_PROTOCOL) {
            break;
        }
        let label = label(member, index);
        let mut findings = Findings::default();
        let end = run_one(cx, &mut src, &mut findings);
        // Without PROTO: a consistent stream to STOP, or to a limit (so padding cannot push a
        // call past what is read), or a call a real unpickler would already have made.
        let consistent = findings.inconsistencies == 0;
        let accepted = proto_start
            || findings.clean_call
            || match &end {
                End::Stopped(_) | End::Limit(_) => consistent,
                End::Io(e) => consistent && LimitHit::from_io(e).is_some(),
                _ => false,
            };
        if !accepted {
            break;
        }
        cx.out.found += 1;
        cx.out.report.pickle_streams += 1;
        if findings.joblib && kind != Some(PickleKind::LegacyTorch) {
            kind = Some(PickleKind::Joblib);
        } else if kind.is_none() {
            kind = Some(PickleKind::Raw);
        }
        merge(cx, &findings, label.as_deref());
        let more = match end {
            End::Stopped(value) => {
                if index == 1 && opts.sequence && value.is_torch_magic() {
                    legacy = true;
                    kind = Some(PickleKind::LegacyTorch);
                }
                true
            }
            End::Unfinished => {
                cx.out.problem(
                    label.as_deref(),
                    format!(
                        "truncated pickle: the stream ends at byte {} before STOP",
                        src.pos()
                    ),
                );
                false
            }
            End::Truncated(offset) => {
                cx.out.problem(
                    label.as_deref(),
                    format!("truncated pickle: the stream ends inside the opcode at byte {offset}"),
                );
                false
            }
            End::Malformed(msg) => {
                cx.out
                    .problem(label.as_deref(), format!("malformed pickle: {msg}"));
                false
            }
            End::Limit(limit) => {
                cx.out
                    .problem(label.as_deref(), limits::describe(limit, &budget.limits));
                false
            }
            End::Io(e) => {
                let msg = crate::decompress::describe_io(&e, &budget);
                cx.out.problem(label.as_deref(), msg);
                false
            }
        };
        if !more || !opts.sequence || (legacy && index >= LEGACY_TORCH_PICKLES) {
            break;
        }
    }
    kind
}

fn label(member: Option<&str>, index: u32) -> Option<String> {
    match (member, index) {
        (m, 1) => m.map(str::to_string),
        (Some(m), n) => Some(format!("{m} (pickle #{n})")),
        (None, n) => Some(format!("pickle #{n}")),
    }
}

fn merge(cx: &mut Ctx, f: &Findings, label: Option<&str>) {
    for raw in &f.imports {
        cx.out.import(Import {
            module: raw.module.clone(),
            name: raw.name.clone(),
            opcode: raw.opcode,
            offset: raw.offset,
            member: label.map(str::to_string),
            class: raw.class,
        });
    }
    cx.out.report.reduce_count += f.reduce;
    cx.out.report.build_count += f.build;
    cx.out.report.newobj_count += f.newobj;
    if let Some((offset, what)) = f.first_inconsistency {
        let more = f.inconsistencies.saturating_sub(1);
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        cx.out.problem(
            label,
            format!("malformed pickle: {what} at byte {offset}{tail}; scanning went on"),
        );
    }
    if f.degraded {
        cx.out.problem(
            label,
            "too many values to track: later STACK_GLOBAL operands may show as '?'",
        );
    }
}

/// Runs machines over one pickle (joblib may nest a second one for an object array).
fn run_one(cx: &mut Ctx, src: &mut ByteSource<'_>, f: &mut Findings) -> End {
    let budget = cx.budget.clone();
    let max_nested = budget.max_nesting().max(1) as usize;
    let mut machines = vec![Machine::new(&budget, true)];
    loop {
        if budget.charge_opcode().is_err() {
            return End::Limit(Limit::Opcodes);
        }
        let instr = match next_instr(src) {
            Ok(i) => i,
            Err(ReadError::Eof) => return End::Unfinished,
            Err(ReadError::Truncated { offset }) => return End::Truncated(offset),
            Err(ReadError::UnknownOpcode { offset, byte }) => {
                return End::Malformed(format!("unknown opcode 0x{byte:02x} at byte {offset}"))
            }
            Err(ReadError::NegativeLength { offset }) => {
                return End::Malformed(format!("negative length at byte {offset}"))
            }
            Err(ReadError::Io(e)) => return End::Io(e),
        };
        let Some(machine) = machines.last_mut() else {
            return End::Unfinished;
        };
        match machine.apply(f, instr) {
            Step::Continue => {}
            Step::Stop(value) => {
                machines.pop();
                if machines.is_empty() {
                    return End::Stopped(value);
                }
            }
            Step::ArrayData { nbytes, padded } => {
                if padded {
                    let pad = match src.take(1, 1) {
                        Ok(b) => b.first().copied().unwrap_or(0),
                        Err(e) => return short_end(e, src.pos()),
                    };
                    if let Err(e) = src.take(u64::from(pad), 0) {
                        return short_end(e, src.pos());
                    }
                }
                if let Err(e) = src.take(nbytes, 0) {
                    return short_end(e, src.pos());
                }
            }
            Step::NestedPickle => {
                if machines.len() >= max_nested {
                    return End::Limit(Limit::Nesting);
                }
                // joblib reads an object array with plain pickle.load: no array wrappers there.
                machines.push(Machine::new(&budget, false));
            }
            Step::Fatal(msg) => return End::Malformed(msg),
            Step::Limit(limit) => return End::Limit(limit),
        }
    }
}

fn short_end(e: crate::reader::Short, pos: u64) -> End {
    match e {
        crate::reader::Short::Eof => End::Truncated(pos),
        crate::reader::Short::Io(e) => End::Io(e),
    }
}
