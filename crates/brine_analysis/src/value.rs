//! The abstract values that resolution computes for an expression.

use std::sync::Arc;

use brine_facts::{ClassId, ExprId, FunctionId};

use crate::FileId;

/// What an expression can evaluate to, as far as brine needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A library module or object by qualified name (`torch.load`, `yaml.SafeLoader`), or a workspace
    /// name that could not be followed further.
    Qualified(Arc<str>),
    /// An instance of a library class (`HfApi()`, `ruamel.yaml.YAML()`), by the class's qualified name.
    Instance(Arc<str>),
    Str(Arc<str>),
    /// A string whose beginning is known (`f"./models/{name}"`).
    StrPrefix(Arc<str>),
    Bool(bool),
    Int(i64),
    None,
    /// A filesystem path built by `os.path.join`, `pathlib.Path`, ...
    LocalPath,
    /// A module of the workspace.
    Module(FileId),
    Function(FileId, FunctionId),
    Class(FileId, ClassId),
    /// An instance of a workspace class.
    InstanceOf(FileId, ClassId),
    /// `super()` inside a method of the class: attributes come from its bases.
    Super(FileId, ClassId),
    /// A dictionary display, kept so `**{"weights_only": True}` can be read.
    Dict(FileId, ExprId),
    /// A tuple or list display, kept so `a, b = ("x", "y")` can be read.
    Sequence(FileId, ExprId),
    /// Anything brine cannot resolve: a parameter without callers, a configuration value, ...
    Unknown,
}

impl Value {
    /// Python truthiness where it is known.
    pub fn truthiness(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            Value::None => Some(false),
            Value::Str(s) => Some(!s.is_empty()),
            Value::StrPrefix(_) | Value::LocalPath => Some(true),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Every value an expression can take. Bounded: past [`ValueSet::MAX`] values it becomes unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueSet(Vec<Value>);

impl ValueSet {
    pub const MAX: usize = 24;

    pub fn one(value: Value) -> Self {
        ValueSet(vec![value])
    }

    pub fn unknown() -> Self {
        ValueSet::one(Value::Unknown)
    }

    pub fn push(&mut self, value: Value) {
        if self.0.contains(&value) {
            return;
        }
        if self.0.len() >= Self::MAX {
            if !self.0.contains(&Value::Unknown) {
                self.0.push(Value::Unknown);
            }
            return;
        }
        self.0.push(value);
    }

    pub fn extend(&mut self, other: ValueSet) {
        for value in other.0 {
            self.push(value);
        }
    }

    /// True when no push can change the set any more: it holds [`ValueSet::MAX`] values, one of
    /// them unknown.
    pub fn is_full(&self) -> bool {
        self.0.len() >= Self::MAX && self.has_unknown()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Value> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has_unknown(&self) -> bool {
        self.0.contains(&Value::Unknown)
    }

    /// An empty set means "nothing reaches here" (for example a cut cycle); callers that need a value
    /// treat it as unknown.
    pub fn or_unknown(self) -> Self {
        if self.0.is_empty() {
            ValueSet::unknown()
        } else {
            self
        }
    }
}

/// A [`ValueSet`] as the workspace cache keeps it: nine results in ten are one value, which is
/// then stored inline instead of in an allocation of its own (24 bytes either way).
#[derive(Debug, PartialEq)]
pub(crate) enum StoredValues {
    One(Value),
    Many(Box<[Value]>),
}

// Storing one value inline costs no room: the enum's tag hides in `Value`'s.
const _: () = assert!(std::mem::size_of::<StoredValues>() == std::mem::size_of::<Value>());

impl From<ValueSet> for StoredValues {
    fn from(set: ValueSet) -> Self {
        let mut values = set.0;
        if values.len() == 1 {
            StoredValues::One(values.pop().expect("one value"))
        } else {
            StoredValues::Many(values.into_boxed_slice())
        }
    }
}

impl StoredValues {
    pub(crate) fn to_set(&self) -> ValueSet {
        match self {
            StoredValues::One(value) => ValueSet::one(value.clone()),
            StoredValues::Many(values) => ValueSet(values.to_vec()),
        }
    }
}

impl IntoIterator for ValueSet {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<Value> for ValueSet {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        let mut set = ValueSet::default();
        for value in iter {
            set.push(value);
        }
        set
    }
}
