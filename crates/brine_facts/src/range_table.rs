//! A list of source ranges in about half the memory of a `Vec<TextRange>`.
//!
//! Every expression of a file has a range, and they are a sixth of the facts' memory on a big
//! workspace. Ranges pushed one after the other are close to each other (lowering walks the tree in
//! order), so the table keeps a full offset once per block of [`BLOCK`] ranges and, per range, its
//! start relative to that offset and its length in 16 bits each. A range that does not fit (a start
//! more than 32 KiB from its block's, a length of 64 KiB or more) is kept whole on the side; real
//! code has a handful per file.

use brine_syntax::TextRange;

/// Ranges per block: one 4-byte offset per block, so 16 costs a quarter byte per range.
const BLOCK: usize = 16;

/// Marks a range kept in [`RangeTable::wide`] (no real length is this large: it would not fit).
const WIDE: u16 = u16::MAX;

/// Source ranges by index, pushed in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeTable {
    /// Per block of `BLOCK` ranges, the start of its first range.
    block_starts: Vec<u32>,
    /// Per range, its start minus its block's start, as a two's complement `i16`, and its length;
    /// a length of [`WIDE`] says the range is in `wide`.
    packed: Vec<(u16, u16)>,
    /// The ranges that do not fit, by index, in increasing order of index.
    wide: Vec<(u32, TextRange)>,
}

impl RangeTable {
    pub fn len(&self) -> usize {
        self.packed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    pub fn push(&mut self, range: TextRange) {
        let index = self.packed.len();
        if index.is_multiple_of(BLOCK) {
            self.block_starts.push(range.start);
        }
        let block_start = self.block_starts[index / BLOCK];
        let delta = i64::from(range.start) - i64::from(block_start);
        let len = range.len();
        match (i16::try_from(delta), u16::try_from(len)) {
            (Ok(delta), Ok(len)) if len != WIDE => self.packed.push((delta as u16, len)),
            _ => {
                self.packed.push((0, WIDE));
                self.wide.push((index as u32, range));
            }
        }
    }

    /// The range at `index`. Panics past the end, like indexing a vector.
    pub fn get(&self, index: usize) -> TextRange {
        let (delta, len) = self.packed[index];
        if len == WIDE {
            return self.wide_range(index);
        }
        let start = self.block_starts[index / BLOCK].wrapping_add_signed(i32::from(delta as i16));
        TextRange::new(start, start + u32::from(len))
    }

    fn wide_range(&self, index: usize) -> TextRange {
        let found = self
            .wide
            .binary_search_by_key(&(index as u32), |&(at, _)| at)
            .expect("a range marked wide is in the wide list");
        self.wide[found].1
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = TextRange> + '_ {
        (0..self.len()).map(|index| self.get(index))
    }

    /// Replaces every range with `map(range)` (moving positions after an edit).
    pub fn map(&mut self, map: impl Fn(TextRange) -> TextRange) {
        let mut mapped = RangeTable::default();
        mapped.packed.reserve_exact(self.len());
        for range in self.iter() {
            mapped.push(map(range));
        }
        mapped.shrink_to_fit();
        *self = mapped;
    }

    /// Makes room for `additional` more ranges.
    pub fn reserve(&mut self, additional: usize) {
        self.block_starts.reserve(additional.div_ceil(BLOCK));
        self.packed.reserve(additional);
    }

    pub fn shrink_to_fit(&mut self) {
        self.block_starts.shrink_to_fit();
        self.packed.shrink_to_fit();
        self.wide.shrink_to_fit();
    }
}

impl FromIterator<TextRange> for RangeTable {
    fn from_iter<I: IntoIterator<Item = TextRange>>(ranges: I) -> Self {
        let mut table = RangeTable::default();
        ranges.into_iter().for_each(|range| table.push(range));
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ranges: &[TextRange]) {
        let table: RangeTable = ranges.iter().copied().collect();
        assert_eq!(table.len(), ranges.len());
        let read: Vec<TextRange> = table.iter().collect();
        assert_eq!(read, ranges);
    }

    #[test]
    fn nearby_ranges_round_trip() {
        // Children before their parents, as lowering pushes them: starts go back and forth.
        let ranges: Vec<TextRange> = (0..100u32)
            .map(|i| TextRange::new(1000 + i * 7 - (i % 3) * 20, 1000 + i * 9))
            .collect();
        round_trip(&ranges);
    }

    #[test]
    fn far_and_long_ranges_are_kept_whole() {
        let ranges = [
            TextRange::new(40_000, 40_010),
            TextRange::new(0, 100_000), // starts 40,000 before its block's start
            TextRange::new(40_020, 40_020 + 65_535), // as long as the marker
            TextRange::new(40_000 + 32_767, 40_000 + 32_768),
            TextRange::new(40_000 + 32_768, 40_000 + 32_769), // one past the positive limit
            TextRange::new(40_000 - 32_768, 40_000),
            TextRange::new(40_000 - 32_769, 40_000),
            TextRange::new(u32::MAX - 1, u32::MAX),
            TextRange::new(5, 5), // 39,995 before
        ];
        round_trip(&ranges);
        let table: RangeTable = ranges.iter().copied().collect();
        assert_eq!(table.wide.len(), 6, "{:?}", table.wide);
    }

    #[test]
    fn map_moves_every_range() {
        let ranges: Vec<TextRange> = (0..40u32)
            .map(|i| TextRange::new(i * 10, i * 10 + 5))
            .chain([TextRange::new(0, 70_000)])
            .collect();
        let mut table: RangeTable = ranges.iter().copied().collect();
        table.map(|range| TextRange::new(range.start + 3, range.end + 3));
        let moved: Vec<TextRange> = ranges
            .iter()
            .map(|range| TextRange::new(range.start + 3, range.end + 3))
            .collect();
        assert_eq!(table.iter().collect::<Vec<_>>(), moved);
    }
}
