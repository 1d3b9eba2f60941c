//! Names (identifiers, attribute names, string constants) as 4-byte ids into one process-wide
//! table. Facts hold millions of names (transformers: 2.4 million expressions, most of them names
//! or attributes), and a shared `Arc<str>` per name took 16 bytes at each use; an id takes 4, which
//! is what lets an expression fit in 12 bytes.
//!
//! The table only grows: a name, once seen, stays for the life of the process. Facts of every file
//! share about 160,000 distinct names on transformers (6 MB); an editor session adds the names typed
//! since (a few bytes each), which is less than what reference counts on every use would cost.

use std::fmt;
use std::sync::{Mutex, OnceLock};

use rustc_hash::FxHashMap;

/// An interned name: equal ids are equal strings. Dereferences to the string.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Name(u32);

/// Names per chunk of the table; chunks are allocated as the table fills.
const CHUNK_SIZE: usize = 4096;
/// Chunks the table can have (2^28 names in all, far beyond any workspace).
const CHUNKS: usize = 1 << 16;

type Chunk = [OnceLock<&'static str>; CHUNK_SIZE];

/// The strings by id, readable without a lock: a slot is written once, before its id is handed out.
static STRINGS: [OnceLock<Box<Chunk>>; CHUNKS] = [const { OnceLock::new() }; CHUNKS];

/// Ids by string, for interning (behind a lock; lowering keeps a per-file map in front of it).
fn ids() -> std::sync::MutexGuard<'static, FxHashMap<&'static str, Name>> {
    static IDS: OnceLock<Mutex<FxHashMap<&'static str, Name>>> = OnceLock::new();
    IDS.get_or_init(Default::default)
        .lock()
        // The map stays valid whatever a panicking thread was doing with it.
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The [`Name`] for `text`, the same for equal texts.
pub fn intern(text: &str) -> Name {
    let mut ids = ids();
    if let Some(&name) = ids.get(text) {
        return name;
    }
    let id = ids.len();
    let (chunk, slot) = (id / CHUNK_SIZE, id % CHUNK_SIZE);
    assert!(chunk < CHUNKS, "more than 2^28 distinct names");
    let text: &'static str = Box::leak(text.into());
    STRINGS[chunk].get_or_init(|| Box::new([const { OnceLock::new() }; CHUNK_SIZE]))[slot]
        .set(text)
        .expect("each slot is written once, under the lock");
    let name = Name(id as u32);
    ids.insert(text, name);
    name
}

/// The [`Name`] of `text` if it was ever interned (no name is bound by a text that never was).
pub fn interned(text: &str) -> Option<Name> {
    ids().get(text).copied()
}

impl Name {
    /// The id: fixed for the life of the process, but not the same from one run to the next (it
    /// depends on which thread interned what first), so an order by id must not reach any output.
    pub(crate) fn id(self) -> u32 {
        self.0
    }

    pub fn as_str(self) -> &'static str {
        let id = self.0 as usize;
        STRINGS[id / CHUNK_SIZE]
            .get()
            .and_then(|chunk| chunk[id % CHUNK_SIZE].get())
            .expect("a name's slot is written before its id exists")
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        intern(text)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Names order as their strings, so sorted names come out the same in every run.
impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_are_one_name() {
        let a = intern("brine_names_test_shared");
        let b = intern(&String::from("brine_names_test_shared"));
        assert_eq!(a, b);
        assert_ne!(a, intern("brine_names_test_other"));
        assert_eq!(&*a, "brine_names_test_shared");
    }

    #[test]
    fn names_from_many_threads_agree() {
        let names: Vec<Vec<Name>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..3 * CHUNK_SIZE)
                            .map(|i| intern(&format!("brine_names_test_{i}")))
                            .collect()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        for other in &names[1..] {
            assert_eq!(&names[0], other);
        }
        for (i, name) in names[0].iter().enumerate() {
            assert_eq!(name.as_str(), format!("brine_names_test_{i}"));
        }
    }

    #[test]
    fn names_sort_as_their_strings() {
        let (b, a) = (intern("brine_names_test_b"), intern("brine_names_test_a"));
        assert!(a < b);
    }
}
