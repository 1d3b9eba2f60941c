//! Facts whose code moved: comparing two versions up to positions, and moving positions.
//!
//! Most keystrokes in an editor (typing in a comment, a string's neighbourhood, blank lines, or
//! adding and removing a character that the lowering does not see) produce facts with exactly the
//! same scopes, bindings, expressions and calls, whose positions have moved. Resolution reads
//! positions only to compare them with each other within one file (does this binding come before
//! that use?), so when every position moved in an order-preserving way, every resolved value of
//! the old facts is still a value of the new ones and the workspace can keep its caches (the
//! "early cutoff" of incremental computation frameworks). Comparing is linear in the facts plus
//! one sort of their positions: far cheaper than resolving a big file again.

use brine_syntax::TextRange;

use crate::facts::*;

impl FileFacts {
    /// True when `new` is `self` with every position mapped by one strictly increasing function:
    /// same ids, names and shapes everywhere, and positions in the same order. Suppressions and the
    /// line index are not compared (resolution never reads them; findings are recomputed anyway).
    pub fn same_up_to_positions(&self, new: &FileFacts) -> bool {
        let mut positions = PositionPairs::default();
        let same = self.has_syntax_errors == new.has_syntax_errors
            && self.depth_limited == new.depth_limited
            && self.star_imports == new.star_imports
            && self.imports == new.imports
            && self.exprs == new.exprs
            && self.expr_lists == new.expr_lists
            && self.dict_entries == new.dict_entries
            && self.fstring_parts == new.fstring_parts
            && self.string_data == new.string_data
            && self.scope_name_keys == new.scope_name_keys
            && self.scope_name_bindings == new.scope_name_bindings
            && self.declared_names == new.declared_names
            && self.params == new.params
            && same_scopes(&self.scopes, &new.scopes)
            && self.expr_ranges.len() == new.expr_ranges.len()
            && (self.expr_ranges.iter())
                .zip(new.expr_ranges.iter())
                .all(|(old, new)| {
                    positions.range(old, new);
                    true
                })
            && all_pairs(&self.bindings, &new.bindings, |old, new| {
                // Parameters are bound at offset 0, before every use, wherever the function is.
                if !matches!(old.kind, BindingKind::Param { .. }) {
                    positions.pos(old.offset, new.offset);
                }
                positions.range(old.range, new.range);
                old.name == new.name
                    && old.kind == new.kind
                    && old.origin == new.origin
                    && old.unconditional == new.unconditional
            })
            && all_pairs(&self.calls, &new.calls, |old, new| {
                positions.range(old.range, new.range);
                positions.range(old.args_range, new.args_range);
                positions.pos(old.statement_start, new.statement_start);
                old.callee == new.callee
                    && old.scope == new.scope
                    && old.trailing_comma == new.trailing_comma
                    && old.args == new.args
            })
            && all_pairs(&self.call_args, &new.call_args, |old, new| {
                positions.range(old.range, new.range);
                old.kind == new.kind && old.value == new.value
            })
            && all_pairs(&self.functions, &new.functions, |old, new| {
                positions.range(old.name_range, new.name_range);
                old.name == new.name
                    && old.scope == new.scope
                    && old.parent_scope == new.parent_scope
                    && old.class == new.class
                    && old.decorators == new.decorators
                    && old.returns == new.returns
                    && old.is_async == new.is_async
                    && old.params == new.params
            })
            && all_pairs(&self.classes, &new.classes, |old, new| {
                positions.range(old.name_range, new.name_range);
                old.name == new.name
                    && old.scope == new.scope
                    && old.parent_scope == new.parent_scope
                    && old.bases == new.bases
            })
            && all_pairs(&self.attribute_writes, &new.attribute_writes, |old, new| {
                positions.pos(old.offset, new.offset);
                old.object == new.object
                    && old.attr == new.attr
                    && old.value == new.value
                    && old.scope == new.scope
            })
            && all_pairs(&self.verifications, &new.verifications, |old, new| {
                positions.range(old.verified, new.verified);
                old.scope == new.scope && old.names == new.names
            });
        same && positions.order_preserved()
    }

    /// Moves every position with `map` (a strictly increasing function of token boundaries).
    /// Parameters keep their binding offset 0, which means "before every use" wherever they are.
    /// The line index and suppressions are the caller's to recompute from the new text.
    pub fn map_positions(&mut self, map: impl Fn(u32) -> u32) {
        self.expr_ranges.map(|old| map_range(old, &map));
        self.bindings
            .iter_mut()
            .for_each(|b| b.move_positions(&map));
        self.calls.iter_mut().for_each(|c| c.move_positions(&map));
        self.call_args
            .iter_mut()
            .for_each(|a| a.move_positions(&map));
        self.functions
            .iter_mut()
            .for_each(|f| f.move_positions(&map));
        self.classes.iter_mut().for_each(|c| c.move_positions(&map));
        (self.attribute_writes.iter_mut()).for_each(|w| w.move_positions(&map));
        (self.verifications.iter_mut()).for_each(|v| v.move_positions(&map));
    }
}

/// `range` with both ends moved by `map`.
pub(crate) fn map_range(range: TextRange, map: &impl Fn(u32) -> u32) -> TextRange {
    TextRange::new(map(range.start), map(range.end))
}

// Each kind of fact that holds positions moves them in one place, for `map_positions` and for the
// statements a lowering copies from the previous one (`lower/reuse.rs`).

impl Binding {
    pub(crate) fn move_positions(&mut self, map: &impl Fn(u32) -> u32) {
        // Parameters are bound at offset 0, before every use, wherever the function is.
        if !matches!(self.kind, BindingKind::Param { .. }) {
            self.offset = map(self.offset);
        }
        self.range = map_range(self.range, map);
    }
}

impl Call {
    pub(crate) fn move_positions(&mut self, map: &impl Fn(u32) -> u32) {
        self.range = map_range(self.range, map);
        self.args_range = map_range(self.args_range, map);
        self.statement_start = map(self.statement_start);
    }
}

impl Arg {
    pub(crate) fn move_positions(&mut self, map: &impl Fn(u32) -> u32) {
        self.range = map_range(self.range, map);
    }
}

impl Function {
    pub(crate) fn move_positions(&mut self, map: &impl Fn(u32) -> u32) {
        self.name_range = map_range(self.name_range, map);
    }
}

impl Class {
    pub(crate) fn move_positions(&mut self, map: &impl Fn(u32) -> u32) {
        self.name_range = map_range(self.name_range, map);
    }
}

impl AttributeWrite {
    pub(crate) fn move_positions(&mut self, map: &impl Fn(u32) -> u32) {
        self.offset = map(self.offset);
    }
}

impl Verification {
    /// The end of a check verified "to the end of the scope" is `u32::MAX`, which `map` keeps.
    pub(crate) fn move_positions(&mut self, map: &impl Fn(u32) -> u32) {
        self.verified = map_range(self.verified, map);
    }
}

/// True when both slices have the same length and `same` holds for each pair of elements.
fn all_pairs<T>(old: &[T], new: &[T], mut same: impl FnMut(&T, &T) -> bool) -> bool {
    old.len() == new.len() && old.iter().zip(new).all(|(old, new)| same(old, new))
}

fn same_scopes(old: &[Scope], new: &[Scope]) -> bool {
    all_pairs(old, new, |old, new| {
        old.kind == new.kind
            && old.parent == new.parent
            && old.names == new.names
            && old.globals == new.globals
            && old.nonlocals == new.nonlocals
    })
}

/// Each old position with the new position at the same place in the facts.
#[derive(Default)]
struct PositionPairs(Vec<u64>);

impl PositionPairs {
    fn pos(&mut self, old: u32, new: u32) {
        self.0.push(((old as u64) << 32) | new as u64);
    }

    fn range(&mut self, old: TextRange, new: TextRange) {
        self.pos(old.start, new.start);
        self.pos(old.end, new.end);
    }

    /// True when the pairs describe a strictly increasing function from old to new positions:
    /// equal old positions have equal new ones, and a larger old position a larger new one. Then
    /// every comparison between two positions gives the same answer before and after.
    fn order_preserved(mut self) -> bool {
        if self.is_one_shift() {
            return true;
        }
        self.0.sort_unstable();
        self.0.dedup();
        self.0.windows(2).all(|pair| {
            let (old_a, new_a) = (pair[0] >> 32, pair[0] as u32);
            let (old_b, new_b) = (pair[1] >> 32, pair[1] as u32);
            // Sorted and deduplicated, so `old_a <= old_b`, and equal old positions differ in new.
            old_a < old_b && new_a < new_b
        })
    }
}

impl PositionPairs {
    /// The common case of one edit, checked without sorting: positions either stay or move by one
    /// same amount, and every position that stays comes before every position that moves, in the
    /// old text and in the new. Such a map is strictly increasing.
    fn is_one_shift(&self) -> bool {
        let mut last_staying: Option<i64> = None;
        let mut first_moving: Option<i64> = None;
        let mut shift: Option<i64> = None;
        for &pair in &self.0 {
            let (old, new) = ((pair >> 32) as i64, (pair as u32) as i64);
            if old == new {
                last_staying = last_staying.max(Some(old));
            } else {
                if shift.is_some_and(|shift| shift != new - old) {
                    return false;
                }
                shift = Some(new - old);
                first_moving = Some(first_moving.map_or(old, |first| first.min(old)));
            }
        }
        match (last_staying, first_moving, shift) {
            (Some(last), Some(first), Some(shift)) => last < first && last < first + shift,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PositionPairs;
    use crate::lower_text;

    fn same(old: &str, new: &str) -> bool {
        lower_text(old).same_up_to_positions(&lower_text(new))
    }

    #[test]
    fn moved_code_is_the_same() {
        let code = "import pickle\ndef f(x):\n    y = x\n    return pickle.loads(y)\n";
        assert!(same(code, code));
        assert!(same(code, &code.replace("y = x", "y = x  # note")));
        assert!(same(code, &code.replace("y = x", "y   =   x")));
        assert!(same(code, &format!("\n\n# header\n{code}")));
        assert!(same(code, &code.replace("\n    return", "\n\n    return")));
    }

    #[test]
    fn changed_code_is_not() {
        let code = "import pickle\ndef f(x):\n    y = x\n    return pickle.loads(y)\n";
        assert!(!same(code, &code.replace("y = x", "z = x")));
        assert!(!same(code, &code.replace("y = x", "y = x + 1")));
        assert!(!same(code, &code.replace("loads", "load")));
        assert!(!same(code, &code.replace("def f(x)", "def f(x, z)")));
        assert!(!same(
            code,
            &code.replace("import pickle", "import pickle as p")
        ));
    }

    /// Literals, f-strings, lists and dictionaries keep their contents in tables of the file; a
    /// change there leaves every expression as it was and must still count.
    #[test]
    fn changed_contents_of_literals_and_displays_are_not() {
        let code = "x = 'a'\ny = f'{x}/b'\nz = (x, y)\nw = {'k': x}\nv = 1\n";
        assert!(same(code, code));
        assert!(!same(code, &code.replace("'a'", "'b'")));
        assert!(!same(code, &code.replace("/b'", "/c'")));
        assert!(!same(code, &code.replace("(x, y)", "(y, x)")));
        assert!(!same(code, &code.replace("{'k': x}", "{'k': y}")));
        assert!(!same(code, &code.replace("v = 1", "v = 2")));
    }

    #[test]
    fn positions_must_keep_their_order() {
        let pairs = |pairs: &[(u32, u32)]| {
            let mut positions = PositionPairs::default();
            for &(old, new) in pairs {
                positions.pos(old, new);
            }
            positions.order_preserved()
        };
        // An insertion of 3 bytes at 10 and a deletion of 2 at 40.
        assert!(pairs(&[(0, 0), (10, 13), (10, 13), (20, 23), (50, 51)]));
        assert!(pairs(&[(0, 0), (10, 12), (20, 22), (30, 31)]));
        assert!(pairs(&[(0, 0), (10, 8), (20, 18)]));
        // Two positions that swap places, or collapse into one, or split apart.
        assert!(!pairs(&[(5, 20), (10, 8)]));
        assert!(!pairs(&[(5, 8), (10, 8)]));
        assert!(!pairs(&[(5, 8), (5, 9)]));
        assert!(!pairs(&[(5, 5), (10, 5), (20, 15)]));
        assert!(!pairs(&[(10, 10), (5, 12)]));
    }
}
