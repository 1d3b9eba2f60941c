//! The symbolic stack: follows one pickle's stack, marks and memo the way the unpickler would,
//! but with stand-in values, never calling anything. It tracks just enough to
//!
//! - resolve `STACK_GLOBAL`'s module and name operands (strings, through the memo),
//! - recognise torch's legacy magic number and joblib's inline array wrappers (whose state says
//!   how many raw bytes follow in the stream),
//! - tell a real protocol 0/1 pickle from text that happens to start with opcode letters
//!   (every stack inconsistency is counted).
//!
//! It is lenient: where the real unpickler would raise on a stack inconsistency the machine
//! counts it and goes on with an opaque value, so a stream cannot hide later imports behind a
//! quirk of this model. Values are bounded in depth ([`MAX_DEPTH`]) and width ([`MAX_ITEMS`]),
//! and their total memory is charged to the budget, so neither a deep nor a wide structure can
//! exhaust memory or the call stack (dropping a value recurses at most [`MAX_DEPTH`] levels).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::classify::{classify, ImportClass};
use crate::limits::{Budget, Limit, Meter};
use crate::opcodes as op;
use crate::reader::{Arg, Data, Instr, Text};

/// Items kept per tuple, list or dict (pairs count twice); the rest are dropped.
pub(crate) const MAX_ITEMS: usize = 32;
/// Nesting depth of tracked containers; deeper values are not added.
pub(crate) const MAX_DEPTH: u8 = 8;
/// Bytes charged to the symbolic budget per container slot.
const SLOT_COST: u64 = std::mem::size_of::<Value>() as u64;

/// torch's legacy magic number 0x1950a86a20f9469cfc6c, little-endian, as LONG1 writes it.
const TORCH_MAGIC_LE: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/// The same number in decimal, as protocol 0's LONG and INT write it.
const TORCH_MAGIC_DEC: &str = "119547037146038801333356";

/// A stand-in for a value on the unpickler's stack.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// Anything not tracked.
    Opaque,
    None,
    Bool,
    Int(i64),
    /// torch's legacy magic number.
    TorchMagic,
    Str(Rc<SymStr>),
    Bytes,
    Global(Rc<Global>),
    Tuple(Rc<Seq>),
    List(Rc<Seq>),
    /// Keys and values alternate in `items`.
    Dict(Rc<Seq>),
    /// The result of calling (or instantiating) something.
    Object(Rc<Object>),
}

/// An imported callable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Global {
    pub module: String,
    pub name: String,
}

/// A string on the symbolic stack; its bytes are charged to the live meter while it exists.
#[derive(Debug)]
pub(crate) struct SymStr {
    text: Box<str>,
    meter: Meter,
}

impl Drop for SymStr {
    fn drop(&mut self) {
        self.meter.refund(self.text.len() as u64);
    }
}

/// The first items of a tuple, list or dict; its slots are charged to the live meter. Never
/// mutated once shared (copy on write), so a container's depth, fixed when it is built, stays
/// true and dropping recurses at most [`MAX_DEPTH`] levels.
#[derive(Debug)]
pub(crate) struct Seq {
    pub items: Vec<Value>,
    pub truncated: bool,
    pub depth: u8,
    meter: Meter,
}

impl Drop for Seq {
    fn drop(&mut self) {
        self.meter.refund(self.items.len() as u64 * SLOT_COST);
    }
}

/// A call's result: what was called (when it was a known global) and its arguments.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub class: Option<Rc<Global>>,
    pub args: Value,
    pub depth: u8,
}

impl Value {
    fn depth(&self) -> u8 {
        match self {
            Value::Tuple(s) | Value::List(s) | Value::Dict(s) => s.depth,
            Value::Object(o) => o.depth,
            _ => 0,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(&s.text),
            _ => None,
        }
    }

    fn as_global(&self) -> Option<&Rc<Global>> {
        match self {
            Value::Global(g) => Some(g),
            _ => None,
        }
    }

    fn seq(&self) -> Option<&Seq> {
        match self {
            Value::Tuple(s) | Value::List(s) => Some(s),
            _ => None,
        }
    }

    /// Looks a string key up in a tracked dict.
    fn dict_get(&self, key: &str) -> Option<&Value> {
        let Value::Dict(d) = self else { return None };
        d.items
            .chunks_exact(2)
            .find(|kv| kv[0].as_str() == Some(key))
            .map(|kv| &kv[1])
    }

    pub(crate) fn is_torch_magic(&self) -> bool {
        matches!(self, Value::TorchMagic)
    }
}

/// An import as the machine saw it.
#[derive(Clone, Debug)]
pub(crate) struct RawImport {
    pub module: String,
    pub name: String,
    pub opcode: &'static str,
    pub offset: u64,
    pub class: ImportClass,
}

/// What one pickle stream revealed, shared by the machines of a stream (joblib can nest one).
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub imports: Vec<RawImport>,
    pub reduce: u64,
    pub build: u64,
    pub newobj: u64,
    /// Stack inconsistencies (the real unpickler would have raised).
    pub inconsistencies: u64,
    pub first_inconsistency: Option<(u64, &'static str)>,
    /// A call ran after an import with the stream consistent so far: a real unpickler would
    /// have executed it.
    pub clean_call: bool,
    /// The symbolic budget ran out and values stopped being tracked.
    pub degraded: bool,
    /// A joblib array wrapper was seen.
    pub joblib: bool,
    /// Imports already recorded.
    seen: HashSet<(String, String, &'static str)>,
}

/// What the driver must do after an opcode.
#[derive(Debug)]
pub(crate) enum Step {
    Continue,
    /// STOP: the pickle's value.
    Stop(Value),
    /// joblib: `nbytes` raw array bytes follow (after a padding-length byte and that much
    /// padding when `padded`).
    ArrayData {
        nbytes: u64,
        padded: bool,
    },
    /// joblib: an object array: a whole pickle follows.
    NestedPickle,
    /// The unpickler certainly stops here with an error.
    Fatal(String),
    Limit(Limit),
}

/// The symbolic unpickler for one pickle.
pub(crate) struct Machine<'b> {
    budget: &'b Budget,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
    /// Whether BUILD on a joblib array wrapper is followed by array data (joblib's unpickler).
    joblib_arrays: bool,
}

impl<'b> Machine<'b> {
    pub(crate) fn new(budget: &'b Budget, joblib_arrays: bool) -> Self {
        Machine {
            budget,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            joblib_arrays,
        }
    }

    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn inconsistent(f: &mut Findings, offset: u64, what: &'static str) {
        f.inconsistencies += 1;
        if f.first_inconsistency.is_none() {
            f.first_inconsistency = Some((offset, what));
        }
    }

    fn push(&mut self, v: Value) -> Result<(), Limit> {
        if self.stack.len() + self.marks.len() >= self.budget.limits.max_stack {
            return Err(Limit::Stack);
        }
        self.stack.push(v);
        Ok(())
    }

    fn pop(&mut self, f: &mut Findings, offset: u64) -> Value {
        if self.stack.len() > self.fence() {
            self.stack.pop().unwrap_or(Value::Opaque)
        } else {
            Self::inconsistent(f, offset, "stack underflow");
            Value::Opaque
        }
    }

    fn pop_mark(&mut self, f: &mut Findings, offset: u64) -> Vec<Value> {
        match self.marks.pop() {
            Some(m) => self.stack.split_off(m.min(self.stack.len())),
            None => {
                Self::inconsistent(f, offset, "no MARK to pop");
                Vec::new()
            }
        }
    }

    fn top(&mut self, f: &mut Findings, offset: u64) -> Option<&mut Value> {
        if self.stack.len() > self.fence() {
            self.stack.last_mut()
        } else {
            Self::inconsistent(f, offset, "stack underflow");
            None
        }
    }

    fn string(&self, f: &mut Findings, s: String) -> Value {
        let meter = &self.budget.live;
        if meter.try_charge(s.len() as u64) {
            Value::Str(Rc::new(SymStr {
                text: s.into_boxed_str(),
                meter: meter.clone(),
            }))
        } else {
            f.degraded = true;
            Value::Opaque
        }
    }

    fn new_seq(&self) -> Seq {
        Seq {
            items: Vec::new(),
            truncated: false,
            depth: 0,
            meter: self.budget.live.clone(),
        }
    }

    fn seq(&self, f: &mut Findings, items: Vec<Value>) -> Seq {
        let mut seq = self.new_seq();
        for item in items {
            self.seq_push(f, &mut seq, item);
        }
        seq
    }

    fn seq_push(&self, f: &mut Findings, seq: &mut Seq, item: Value) {
        let depth = item.depth().saturating_add(1);
        if seq.items.len() >= MAX_ITEMS || depth > MAX_DEPTH {
            seq.truncated = true;
        } else if !seq.meter.try_charge(SLOT_COST) {
            seq.truncated = true;
            f.degraded = true;
        } else {
            seq.depth = seq.depth.max(depth);
            seq.items.push(item);
        }
    }

    fn object(&self, class: Option<Rc<Global>>, args: Value) -> Value {
        let depth = args.depth().saturating_add(1);
        let args = if depth > MAX_DEPTH {
            Value::Opaque
        } else {
            args
        };
        Value::Object(Rc::new(Object {
            depth: args.depth().saturating_add(1),
            class,
            args,
        }))
    }

    /// Adds items to the container on top of the stack (APPEND(S), SETITEM(S), ADDITEMS).
    fn extend_top(&mut self, f: &mut Findings, offset: u64, items: Vec<Value>, dict: bool) {
        if self.stack.len() <= self.fence() {
            Self::inconsistent(f, offset, "stack underflow");
            return;
        }
        // Take the container out so that slot accounting can borrow self.
        let Some(mut top) = self.stack.pop() else {
            return;
        };
        match (&mut top, dict) {
            (Value::List(rc), false) | (Value::Dict(rc), true) => {
                if Rc::get_mut(rc).is_none() {
                    // Shared (memoised): copy, so the memo's value keeps its depth.
                    let mut copy = self.seq(f, rc.items.clone());
                    copy.truncated |= rc.truncated;
                    *rc = Rc::new(copy);
                }
                if let Some(seq) = Rc::get_mut(rc) {
                    for item in items {
                        self.seq_push(f, seq, item);
                    }
                }
            }
            _ => {}
        }
        self.stack.push(top);
    }

    /// Records an import once per stream (repeats are dropped before any work is done on them).
    fn record(
        &self,
        f: &mut Findings,
        module: String,
        name: String,
        opcode: &'static str,
        offset: u64,
        forced: Option<ImportClass>,
    ) -> Result<(), Limit> {
        let (module, cut_m) = cap_name(module);
        let (name, cut_n) = cap_name(name);
        let forced = if cut_m || cut_n {
            Some(ImportClass::Dangerous)
        } else {
            forced
        };
        let key = (module, name, opcode);
        if f.seen.contains(&key) {
            return Ok(());
        }
        if self.budget.charge_import().is_err() {
            return Err(Limit::Imports);
        }
        let class = forced.unwrap_or_else(|| classify(&key.0, &key.1));
        if key.0.contains("joblib") && key.1 == "NumpyArrayWrapper" {
            f.joblib = true;
        }
        f.imports.push(RawImport {
            module: key.0.clone(),
            name: key.1.clone(),
            opcode,
            offset,
            class,
        });
        f.seen.insert(key);
        Ok(())
    }

    fn note_call(f: &mut Findings) {
        if f.inconsistencies == 0 && !f.imports.is_empty() {
            f.clean_call = true;
        }
    }

    fn memo_put(&mut self, f: &mut Findings, offset: u64, key: u64) -> Result<(), Limit> {
        let Some(v) = self.top(f, offset).cloned() else {
            return Ok(());
        };
        if !self.memo.contains_key(&key) && self.memo.len() >= self.budget.limits.max_memo {
            return Err(Limit::Memo);
        }
        self.memo.insert(key, v);
        Ok(())
    }

    fn memo_get(&mut self, f: &mut Findings, offset: u64, key: u64) -> Result<(), Limit> {
        let v = match self.memo.get(&key) {
            Some(v) => v.clone(),
            None => {
                Self::inconsistent(f, offset, "memo key not found");
                Value::Opaque
            }
        };
        self.push(v)
    }

    /// Applies one opcode.
    pub(crate) fn apply(&mut self, f: &mut Findings, instr: Instr) -> Step {
        match self.apply_inner(f, instr) {
            Ok(step) => step,
            Err(limit) => Step::Limit(limit),
        }
    }

    fn apply_inner(&mut self, f: &mut Findings, instr: Instr) -> Result<Step, Limit> {
        let Instr { offset, op, arg } = instr;
        let int_arg = match &arg {
            Arg::Int(i) => *i,
            _ => 0,
        };
        match op.code {
            op::MARK => {
                if self.stack.len() + self.marks.len() >= self.budget.limits.max_stack {
                    return Err(Limit::Stack);
                }
                self.marks.push(self.stack.len());
            }
            op::STOP => {
                let v = self.pop(f, offset);
                return Ok(Step::Stop(v));
            }
            op::POP => {
                let len = self.stack.len();
                if self.marks.last() == Some(&len) {
                    self.marks.pop();
                } else {
                    self.pop(f, offset);
                }
            }
            op::POP_MARK => {
                self.pop_mark(f, offset);
            }
            op::DUP => {
                let v = self.top(f, offset).cloned().unwrap_or(Value::Opaque);
                self.push(v)?;
            }
            op::FLOAT => {
                if !line_text(&arg).is_some_and(valid_float) {
                    Self::inconsistent(f, offset, "bad FLOAT argument");
                }
                self.push(Value::Opaque)?;
            }
            op::INT => {
                let v = match line_text(&arg) {
                    Some(b"00" | b"01") => Value::Bool,
                    Some(t) => int_value(t).unwrap_or_else(|| {
                        Self::inconsistent(f, offset, "bad INT argument");
                        Value::Opaque
                    }),
                    None => Value::Opaque,
                };
                self.push(v)?;
            }
            op::LONG => {
                let t = line_text(&arg).unwrap_or_default();
                let t = t.strip_suffix(b"L").unwrap_or(t);
                let v = int_value(t).unwrap_or_else(|| {
                    Self::inconsistent(f, offset, "bad LONG argument");
                    Value::Opaque
                });
                self.push(v)?;
            }
            op::BININT | op::BININT1 | op::BININT2 => self.push(Value::Int(int_arg))?,
            op::LONG1 | op::LONG4 => {
                let v = match &arg {
                    Arg::Data(d) => long_value(d),
                    _ => Value::Opaque,
                };
                self.push(v)?;
            }
            op::BINFLOAT => self.push(Value::Opaque)?,
            op::NONE => self.push(Value::None)?,
            op::NEWTRUE | op::NEWFALSE => self.push(Value::Bool)?,
            op::PERSID => self.push(Value::Opaque)?,
            op::BINPERSID => {
                self.pop(f, offset);
                self.push(Value::Opaque)?;
            }
            op::STRING => {
                let v = match &arg {
                    Arg::Line(t) if !t.truncated => match string_literal(&t.bytes) {
                        Some(bytes) => self.string(f, latin1(&bytes)),
                        None => {
                            Self::inconsistent(f, offset, "STRING argument is not quoted");
                            Value::Opaque
                        }
                    },
                    _ => Value::Opaque,
                };
                self.push(v)?;
            }
            op::BINSTRING | op::SHORT_BINSTRING => {
                let v = match &arg {
                    Arg::Data(d) if d.complete() => self.string(f, latin1(&d.head)),
                    _ => Value::Opaque,
                };
                self.push(v)?;
            }
            op::UNICODE => {
                let v = match &arg {
                    Arg::Line(t) if !t.truncated => self.string(f, raw_unicode_escape(&t.bytes)),
                    _ => Value::Opaque,
                };
                self.push(v)?;
            }
            op::BINUNICODE | op::SHORT_BINUNICODE | op::BINUNICODE8 => {
                let v = match &arg {
                    // Python decodes with 'surrogatepass', which accepts more than UTF-8.
                    Arg::Data(d) if d.complete() => {
                        self.string(f, String::from_utf8_lossy(&d.head).into_owned())
                    }
                    _ => Value::Opaque,
                };
                self.push(v)?;
            }
            op::BINBYTES | op::SHORT_BINBYTES | op::BINBYTES8 | op::BYTEARRAY8 => {
                self.push(Value::Bytes)?
            }
            op::NEXT_BUFFER => self.push(Value::Opaque)?,
            op::READONLY_BUFFER => {
                self.top(f, offset);
            }
            op::APPEND => {
                let v = self.pop(f, offset);
                self.extend_top(f, offset, vec![v], false);
            }
            op::APPENDS => {
                let items = self.pop_mark(f, offset);
                self.extend_top(f, offset, items, false);
            }
            op::SETITEM => {
                let v = self.pop(f, offset);
                let k = self.pop(f, offset);
                self.extend_top(f, offset, vec![k, v], true);
            }
            op::SETITEMS => {
                let items = self.pop_mark(f, offset);
                if !items.len().is_multiple_of(2) {
                    Self::inconsistent(f, offset, "odd number of SETITEMS items");
                }
                self.extend_top(f, offset, items, true);
            }
            op::ADDITEMS => {
                let items = self.pop_mark(f, offset);
                self.extend_top(f, offset, items, false);
            }
            op::DICT => {
                let items = self.pop_mark(f, offset);
                if !items.len().is_multiple_of(2) {
                    Self::inconsistent(f, offset, "odd number of DICT items");
                }
                let seq = self.seq(f, items);
                self.push(Value::Dict(Rc::new(seq)))?;
            }
            op::EMPTY_DICT => self.push(Value::Dict(Rc::new(self.new_seq())))?,
            op::EMPTY_LIST | op::EMPTY_SET => self.push(Value::List(Rc::new(self.new_seq())))?,
            op::EMPTY_TUPLE => self.push(Value::Tuple(Rc::new(self.new_seq())))?,
            op::LIST => {
                let items = self.pop_mark(f, offset);
                let seq = self.seq(f, items);
                self.push(Value::List(Rc::new(seq)))?;
            }
            op::TUPLE => {
                let items = self.pop_mark(f, offset);
                let seq = self.seq(f, items);
                self.push(Value::Tuple(Rc::new(seq)))?;
            }
            op::FROZENSET => {
                self.pop_mark(f, offset);
                self.push(Value::Opaque)?;
            }
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                let n = usize::from(op.code - op::TUPLE1 + 1);
                let mut items: Vec<Value> = (0..n).map(|_| self.pop(f, offset)).collect();
                items.reverse();
                let seq = self.seq(f, items);
                self.push(Value::Tuple(Rc::new(seq)))?;
            }
            op::GET => match line_text(&arg).map(parse_decimal) {
                Some(Some(Some(k))) if k >= 0 => self.memo_get(f, offset, k as u64)?,
                Some(None) => {
                    Self::inconsistent(f, offset, "bad GET argument");
                    self.push(Value::Opaque)?;
                }
                _ => {
                    // A negative, huge or over-long index: Python's lookup would miss.
                    Self::inconsistent(f, offset, "memo key not found");
                    self.push(Value::Opaque)?;
                }
            },
            op::BINGET | op::LONG_BINGET => self.memo_get(f, offset, int_arg as u64)?,
            op::PUT => match line_text(&arg).map(parse_decimal) {
                Some(Some(Some(k))) if k >= 0 => self.memo_put(f, offset, k as u64)?,
                Some(Some(Some(_))) | Some(None) => {
                    Self::inconsistent(f, offset, "bad PUT argument")
                }
                // Too large or too long to track: Python stores it; this side cannot.
                _ => {
                    self.top(f, offset);
                }
            },
            op::BINPUT | op::LONG_BINPUT => self.memo_put(f, offset, int_arg as u64)?,
            op::MEMOIZE => {
                let key = self.memo.len() as u64;
                self.memo_put(f, offset, key)?;
            }
            op::GLOBAL | op::INST => {
                let (module, name, forced) = match &arg {
                    Arg::Lines(m, n) => {
                        let forced = (m.truncated || n.truncated).then_some(ImportClass::Dangerous);
                        (text_lossy(m), text_lossy(n), forced)
                    }
                    _ => (String::from("?"), String::from("?"), None),
                };
                if module.is_empty() || name.is_empty() {
                    Self::inconsistent(f, offset, "empty module or name");
                }
                let global = Rc::new(Global {
                    module: module.clone(),
                    name: name.clone(),
                });
                self.record(f, module, name, op.name, offset, forced)?;
                if op.code == op::GLOBAL {
                    self.push(Value::Global(global))?;
                } else {
                    let items = self.pop_mark(f, offset);
                    let args = Value::Tuple(Rc::new(self.seq(f, items)));
                    f.reduce += 1;
                    Self::note_call(f);
                    let obj = self.object(Some(global), args);
                    self.push(obj)?;
                }
            }
            op::STACK_GLOBAL => {
                let name = self.pop(f, offset);
                let module = self.pop(f, offset);
                let (module, name, forced) = match (module.as_str(), name.as_str()) {
                    (Some(m), Some(n)) => (m.to_string(), n.to_string(), None),
                    _ => (
                        "?".to_string(),
                        "?".to_string(),
                        Some(ImportClass::Dangerous),
                    ),
                };
                let global = Rc::new(Global {
                    module: module.clone(),
                    name: name.clone(),
                });
                self.record(f, module, name, op.name, offset, forced)?;
                self.push(Value::Global(global))?;
            }
            op::EXT1 | op::EXT2 | op::EXT4 => {
                if int_arg <= 0 {
                    Self::inconsistent(f, offset, "extension code <= 0");
                }
                self.record(
                    f,
                    "?".to_string(),
                    format!("copyreg extension code {int_arg}"),
                    op.name,
                    offset,
                    Some(ImportClass::Unknown),
                )?;
                self.push(Value::Opaque)?;
            }
            op::REDUCE => {
                let args = self.pop(f, offset);
                let callable = self.pop(f, offset);
                f.reduce += 1;
                Self::note_call(f);
                let class = reduce_class(&callable, &args);
                let obj = self.object(class, args);
                self.push(obj)?;
            }
            op::NEWOBJ | op::NEWOBJ_EX => {
                if op.code == op::NEWOBJ_EX {
                    self.pop(f, offset);
                }
                let args = self.pop(f, offset);
                let cls = self.pop(f, offset);
                f.newobj += 1;
                Self::note_call(f);
                let obj = self.object(cls.as_global().cloned(), args);
                self.push(obj)?;
            }
            op::OBJ => {
                let mut items = self.pop_mark(f, offset);
                if items.is_empty() {
                    Self::inconsistent(f, offset, "OBJ without a class");
                    items.push(Value::Opaque);
                }
                let cls = items.remove(0);
                let args = Value::Tuple(Rc::new(self.seq(f, items)));
                f.reduce += 1;
                Self::note_call(f);
                let obj = self.object(cls.as_global().cloned(), args);
                self.push(obj)?;
            }
            op::BUILD => {
                let state = self.pop(f, offset);
                f.build += 1;
                Self::note_call(f);
                let joblib_arrays = self.joblib_arrays;
                let Some(top) = self.top(f, offset) else {
                    return Ok(Step::Continue);
                };
                if joblib_arrays && is_joblib_wrapper(top) {
                    // joblib's unpickler replaces the wrapper with the array it reads.
                    *top = Value::Opaque;
                    return Ok(joblib_array(&state).unwrap_or_else(|why| {
                        Step::Fatal(format!("joblib array at byte {offset}: {why}"))
                    }));
                }
            }
            op::PROTO if int_arg > i64::from(op::HIGHEST_PROTOCOL) => {
                return Ok(Step::Fatal(format!(
                    "unsupported pickle protocol {int_arg} at byte {offset}"
                )));
            }
            op::FRAME => {}
            _ => {}
        }
        Ok(Step::Continue)
    }
}

fn line_text(arg: &Arg) -> Option<&[u8]> {
    match arg {
        Arg::Line(Text {
            bytes,
            truncated: false,
        }) => Some(bytes),
        _ => None,
    }
}

/// Longest module or name kept in an import; longer ones are cut and classified dangerous.
const MAX_NAME: usize = 256;

fn cap_name(mut s: String) -> (String, bool) {
    if s.len() <= MAX_NAME {
        return (s, false);
    }
    let mut end = MAX_NAME;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push_str("...");
    (s, true)
}

fn text_lossy(t: &Text) -> String {
    let s = String::from_utf8_lossy(&t.bytes);
    if t.truncated {
        format!("{s}...")
    } else {
        s.into_owned()
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Which class a REDUCE instantiates: the callable itself, or the class argument of copyreg's
/// reconstruction helpers.
fn reduce_class(callable: &Value, args: &Value) -> Option<Rc<Global>> {
    let g = callable.as_global()?;
    let helper = (g.module == "copyreg" || g.module == "copy_reg")
        && (g.name == "_reconstructor" || g.name == "__newobj__" || g.name == "__newobj_ex__");
    if helper {
        if let Some(first) = args.seq().and_then(|s| s.items.first()) {
            return first.as_global().cloned();
        }
    }
    Some(g.clone())
}

fn is_joblib_wrapper(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.class.as_ref().is_some_and(|g| {
            g.name == "NumpyArrayWrapper"
                && (g.module == "joblib.numpy_pickle" || g.module.ends_with(".joblib.numpy_pickle"))
        }),
        _ => false,
    }
}

/// How many raw bytes follow a joblib array wrapper, from its state dict.
fn joblib_array(state: &Value) -> Result<Step, &'static str> {
    let shape = state
        .dict_get("shape")
        .and_then(Value::seq)
        .ok_or("no shape in its state")?;
    if shape.truncated {
        return Err("shape has too many dimensions");
    }
    let mut count: u64 = 1;
    for dim in &shape.items {
        let Value::Int(d) = dim else {
            return Err("shape is not a tuple of integers");
        };
        let d = u64::try_from(*d).map_err(|_| "negative dimension")?;
        count = count.checked_mul(d).ok_or("array size overflows")?;
    }
    let dtype = state.dict_get("dtype").ok_or("no dtype in its state")?;
    let code = match dtype {
        Value::Object(o) => o
            .args
            .seq()
            .and_then(|s| s.items.first())
            .and_then(Value::as_str),
        _ => None,
    }
    .ok_or("dtype is not numpy.dtype(code, ...)")?;
    match itemsize(code) {
        Some(ItemSize::Object) => Ok(Step::NestedPickle),
        Some(ItemSize::Bytes(size)) => {
            let nbytes = count.checked_mul(size).ok_or("array size overflows")?;
            let padded = state
                .dict_get("numpy_array_alignment_bytes")
                .is_some_and(|v| !matches!(v, Value::None));
            Ok(Step::ArrayData { nbytes, padded })
        }
        None => Err("unrecognised dtype code"),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ItemSize {
    Bytes(u64),
    Object,
}

/// The item size of a numpy dtype code as `numpy.dtype.__reduce__` writes it (`f8`, `<i4`,
/// `U10`, `V16`, `O8`, `b1`, `M8`).
fn itemsize(code: &str) -> Option<ItemSize> {
    let code = code.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = code.chars();
    let kind = chars.next()?;
    let digits = chars.as_str();
    if kind == 'O' {
        return Some(ItemSize::Object);
    }
    if kind == '?' && digits.is_empty() {
        return Some(ItemSize::Bytes(1));
    }
    let n: u64 = digits.parse().ok()?;
    match kind {
        'U' => n.checked_mul(4).map(ItemSize::Bytes),
        'b' | 'i' | 'u' | 'f' | 'c' | 'S' | 'a' | 'V' | 'M' | 'm' => Some(ItemSize::Bytes(n)),
        _ => None,
    }
}

/// An integer value from LONG1/LONG4 data (little-endian two's complement).
fn long_value(d: &Data) -> Value {
    if !d.complete() {
        return Value::Opaque;
    }
    if d.head == TORCH_MAGIC_LE {
        return Value::TorchMagic;
    }
    if d.head.is_empty() {
        return Value::Int(0);
    }
    if d.head.len() > 8 {
        return Value::Opaque;
    }
    let negative = d.head.last().is_some_and(|b| b & 0x80 != 0);
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    buf[..d.head.len()].copy_from_slice(&d.head);
    Value::Int(i64::from_le_bytes(buf))
}

/// An integer value from a text-protocol INT or LONG line, `None` when Python's `int(x, 0)`
/// would reject it.
fn int_value(t: &[u8]) -> Option<Value> {
    let s = std::str::from_utf8(t).ok()?.trim();
    if s == TORCH_MAGIC_DEC {
        return Some(Value::TorchMagic);
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r)
    } else {
        (10, lower.as_str())
    };
    let digits = digits
        .strip_prefix('_')
        .filter(|_| radix != 10)
        .unwrap_or(digits);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c == '_' || c.is_digit(radix))
    {
        return None;
    }
    // Python rejects leading zeros in decimal literals other than zero itself.
    if radix == 10
        && digits.len() > 1
        && digits.starts_with('0')
        && digits.chars().any(|c| c != '0' && c != '_')
    {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    Some(match i64::from_str_radix(&clean, radix) {
        Ok(v) => Value::Int(if neg { v.saturating_neg() } else { v }),
        Err(_) => Value::Opaque,
    })
}

/// A GET or PUT argument the way Python's `int(x)` reads it (sign, surrounding whitespace and
/// single underscores between digits allowed). `Some(None)` is a valid number too large for a
/// memo index this side (Python would look it up and miss).
fn parse_decimal(t: &[u8]) -> Option<Option<i64>> {
    let s = std::str::from_utf8(t).ok()?.trim();
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty()
        || body.starts_with('_')
        || body.ends_with('_')
        || body.contains("__")
        || !body.chars().all(|c| c == '_' || c.is_ascii_digit())
    {
        return None;
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    Some(clean.parse::<i64>().ok().map(|v| if neg { -v } else { v }))
}

fn valid_float(t: &[u8]) -> bool {
    std::str::from_utf8(t)
        .ok()
        .is_some_and(|s| s.trim().replace('_', "").parse::<f64>().is_ok())
}

/// Decodes protocol 0's STRING argument: a quoted Python bytes literal body with escapes.
fn string_literal(t: &[u8]) -> Option<Vec<u8>> {
    let (&first, rest) = t.split_first()?;
    let (&last, body) = rest.split_last()?;
    if first != last || (first != b'\'' && first != b'"') {
        return None;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let Some(&e) = body.get(i) else {
            return None; // trailing backslash: "\ at end of string"
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match body.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let hex = body.get(i..i + 2)?;
                let s = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(s, 16).ok()?);
                i += 2;
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

/// Decodes protocol 0's UNICODE argument (`raw-unicode-escape`: latin-1 with `\uXXXX` and
/// `\UXXXXXXXX`).
fn raw_unicode_escape(t: &[u8]) -> String {
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        let b = t[i];
        if b == b'\\' {
            let width = match t.get(i + 1) {
                Some(b'u') => 4,
                Some(b'U') => 8,
                _ => 0,
            };
            if width > 0 {
                if let Some(c) = t
                    .get(i + 2..i + 2 + width)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                {
                    out.push(c);
                    i += 2 + width;
                    continue;
                }
            }
        }
        out.push(char::from(b));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_helpers() {
        assert_eq!(string_literal(b"'os'"), Some(b"os".to_vec()));
        assert_eq!(string_literal(b"'\\x6fs'"), Some(b"os".to_vec()));
        assert_eq!(string_literal(b"\"\\157s\""), Some(b"os".to_vec()));
        assert_eq!(string_literal(b"os"), None);
        assert_eq!(string_literal(b"'"), None);
        assert_eq!(raw_unicode_escape(b"\\u006fs"), "os");
        assert_eq!(raw_unicode_escape(b"\\U0000006fs\\"), "os\\");
        assert!(matches!(int_value(b"12"), Some(Value::Int(12))));
        assert!(matches!(int_value(b" -0x10 "), Some(Value::Int(-16))));
        assert!(matches!(int_value(b"1_000"), Some(Value::Int(1000))));
        assert!(int_value(b"ello").is_none());
        assert!(int_value(b"012").is_none());
        assert!(matches!(
            int_value(b"119547037146038801333356"),
            Some(Value::TorchMagic)
        ));
        assert_eq!(parse_decimal(b" 1_0 "), Some(Some(10)));
        assert_eq!(parse_decimal(b"-3"), Some(Some(-3)));
        assert_eq!(parse_decimal(b"99999999999999999999"), Some(None));
        assert_eq!(parse_decimal(b"1__0"), None);
        assert_eq!(parse_decimal(b"x"), None);
        assert_eq!(itemsize("<f8"), Some(ItemSize::Bytes(8)));
        assert_eq!(itemsize("U10"), Some(ItemSize::Bytes(40)));
        assert_eq!(itemsize("|O"), Some(ItemSize::Object));
        assert_eq!(itemsize("zz"), None);
    }

    #[test]
    fn symbolic_memory_is_refunded() {
        let budget = Budget::new(&crate::limits::ScanLimits::default());
        {
            let mut m = Machine::new(&budget, false);
            let mut f = Findings::default();
            let s = m.string(&mut f, "hello".to_string());
            let seq = m.seq(&mut f, vec![s.clone(), s]);
            m.push(Value::List(Rc::new(seq))).unwrap();
            assert_eq!(budget.live.used(), 5 + 2 * SLOT_COST);
        }
        assert_eq!(budget.live.used(), 0);
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn longs() {
        let d = |b: &[u8]| Data {
            head: b.to_vec(),
            len: b.len() as u64,
        };
        assert!(matches!(long_value(&d(&[0xff])), Value::Int(-1)));
        assert!(matches!(long_value(&d(&[0x80, 0x00])), Value::Int(128)));
        assert!(matches!(long_value(&d(&TORCH_MAGIC_LE)), Value::TorchMagic));
    }
}
