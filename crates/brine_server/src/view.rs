//! Where a workspace file's byte offsets are shown to the client. A Python file is one document; an
//! open notebook is analysed as one file (its code cells' virtual text, see `brine_notebook`) but
//! shown as one document per code cell; a notebook read from disk is shown in its `.ipynb` JSON text,
//! at the cell's source line, so that it appears in the problems panel before it is opened.
//!
//! Invariants: a range never crosses documents (a range running past its cell is clamped to the
//! cell's end); offsets past the end are clamped, never panic.

use std::ops::Range as ByteRange;
use std::sync::Arc;

use brine_facts::FileFacts;
use brine_notebook::SourceLocator;
use brine_syntax::TextRange;
use tower_lsp_server::ls_types::{Position, Range, Uri};

use crate::convert::{LineMap, PositionEncoding};

/// How the positions of one workspace file map to the documents the client knows.
#[derive(Debug, Clone)]
pub enum View {
    /// A Python file: one document (`uri` is `None` only for a path that has no `file:` URI).
    File {
        uri: Option<Uri>,
        lines: Arc<LineMap>,
    },
    /// An open notebook: every code cell is its own document.
    Cells(Arc<CellsView>),
    /// A notebook read from disk: positions in its JSON text, on the notebook's URI.
    Json {
        uri: Option<Uri>,
        json: Arc<JsonView>,
    },
}

/// A document diagnostics are published to, and the version they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub uri: Uri,
    pub version: Option<i32>,
}

/// The code cells of an open notebook, in order, as placed in its virtual text.
#[derive(Debug, Clone, Default)]
pub struct CellsView {
    pub cells: Vec<OpenCell>,
}

/// One code cell of an open notebook.
#[derive(Debug, Clone)]
pub struct OpenCell {
    /// The cell's text document.
    pub uri: Uri,
    pub version: i32,
    /// Index of the cell in the notebook (markdown cells count too).
    pub index: usize,
    /// Where the cell's text starts in the virtual text, and its length.
    pub start: u32,
    pub len: u32,
    /// Lines of the cell's text.
    pub lines: Arc<LineMap>,
}

/// A notebook on disk: where each code cell's source lies in the JSON text.
#[derive(Debug, Clone, Default)]
pub struct JsonView {
    pub cells: Vec<JsonCell>,
    /// Lines of the JSON text.
    pub lines: LineMap,
}

#[derive(Debug, Clone)]
pub struct JsonCell {
    pub index: usize,
    pub start: u32,
    pub len: u32,
    /// `None` when the cell's source could not be located in the JSON text.
    pub locator: Option<SourceLocator>,
}

/// A range in one cell: the cell holding its start and both ends as offsets inside that cell
/// (clamped to it). `place` gives a cell's start in the virtual text and its length.
fn in_cell<T>(
    cells: &[T],
    place: impl Fn(&T) -> (u32, u32),
    range: TextRange,
) -> Option<(usize, ByteRange<u32>)> {
    let cell = cells
        .partition_point(|cell| place(cell).0 <= range.start)
        .checked_sub(1)?;
    let (start, len) = place(&cells[cell]);
    let from = (range.start - start).min(len);
    let to = range.end.saturating_sub(start).clamp(from, len);
    Some((cell, from..to))
}

impl CellsView {
    fn locate(&self, range: TextRange) -> Option<(usize, ByteRange<u32>)> {
        in_cell(&self.cells, |cell| (cell.start, cell.len), range)
    }
}

impl JsonView {
    fn locate(&self, range: TextRange) -> Option<(usize, ByteRange<u32>)> {
        in_cell(&self.cells, |cell| (cell.start, cell.len), range)
    }
}

impl View {
    /// The documents this file's diagnostics go to; `version` is the open document's version for a
    /// Python file (cells carry their own).
    pub fn targets(&self, version: Option<i32>) -> Vec<Target> {
        match self {
            View::File { uri, .. } => uri
                .iter()
                .map(|uri| Target {
                    uri: uri.clone(),
                    version,
                })
                .collect(),
            View::Cells(cells) => cells
                .cells
                .iter()
                .map(|cell| Target {
                    uri: cell.uri.clone(),
                    version: Some(cell.version),
                })
                .collect(),
            View::Json { uri, .. } => uri
                .iter()
                .map(|uri| Target {
                    uri: uri.clone(),
                    version: None,
                })
                .collect(),
        }
    }

    /// The URI of one target.
    pub fn uri(&self, target: usize) -> Option<&Uri> {
        match self {
            View::File { uri, .. } | View::Json { uri, .. } => uri.as_ref().filter(|_| target == 0),
            View::Cells(view) => view.cells.get(target).map(|cell| &cell.uri),
        }
    }

    pub fn uris(&self) -> Vec<Uri> {
        self.targets(None)
            .into_iter()
            .map(|target| target.uri)
            .collect()
    }

    /// True when diagnostics can carry edits (fixes, suppression comments): the client edits the
    /// document as text.
    pub fn editable(&self) -> bool {
        !matches!(self, View::Json { .. })
    }

    /// The target (index into [`View::targets`]) and LSP range of a byte range of the file.
    pub fn range(&self, range: TextRange, encoding: PositionEncoding) -> Option<(usize, Range)> {
        match self {
            View::File { uri, lines } => {
                uri.as_ref()?;
                Some((0, lines.range(range, encoding)))
            }
            View::Cells(view) => {
                let (cell, local) = view.locate(range)?;
                let lines = &view.cells[cell].lines;
                Some((
                    cell,
                    lines.range(TextRange::new(local.start, local.end), encoding),
                ))
            }
            View::Json { uri, json } => {
                uri.as_ref()?;
                let position = |offset: u32| json.lines.position(offset, encoding);
                let Some((cell, local)) = json.locate(range) else {
                    return Some((0, Range::new(Position::new(0, 0), Position::new(0, 0))));
                };
                let Some(locator) = &json.cells[cell].locator else {
                    return Some((0, Range::new(Position::new(0, 0), Position::new(0, 0))));
                };
                Some((
                    0,
                    Range::new(
                        position(locator.json_offset(local.start)),
                        position(locator.json_offset(local.end)),
                    ),
                ))
            }
        }
    }

    /// The target and zero-based line (in that target's text) of an offset, where a suppression
    /// comment would go; `None` when the target cannot be edited.
    pub fn line(&self, offset: u32) -> Option<(usize, u32)> {
        match self {
            View::File { lines, .. } => Some((0, lines.index().line_of(offset))),
            View::Cells(view) => {
                let (cell, local) = view.locate(TextRange::new(offset, offset))?;
                Some((cell, view.cells[cell].lines.index().line_of(local.start)))
            }
            View::Json { .. } => None,
        }
    }

    /// For a notebook: each code cell's first line in the facts' text and its index in the
    /// notebook, as `Workspace::set_cells` takes them (so messages name cells).
    pub fn workspace_cells(&self, facts: &FileFacts) -> Option<Vec<(u32, usize)>> {
        let line = |start: u32| facts.line_index.line_of(start);
        match self {
            View::File { .. } => None,
            View::Cells(view) => Some(
                view.cells
                    .iter()
                    .map(|cell| (line(cell.start), cell.index))
                    .collect(),
            ),
            View::Json { json, .. } => Some(
                json.cells
                    .iter()
                    .map(|cell| (line(cell.start), cell.index))
                    .collect(),
            ),
        }
    }
}

/// Reads a notebook's JSON text: the virtual text of its code cells and the view that places them in
/// the JSON text.
pub fn json_notebook(json: &str) -> Result<(String, JsonView), brine_notebook::NotebookError> {
    let notebook = brine_notebook::Notebook::parse(json)?;
    let spans = brine_notebook::cell_source_spans(json).unwrap_or_default();
    let cells = notebook
        .cells
        .iter()
        .map(|cell| JsonCell {
            index: cell.index,
            start: cell.start,
            len: cell.source.len() as u32,
            locator: spans
                .get(cell.index)
                .and_then(Option::as_ref)
                .and_then(|span| brine_notebook::source_locator(json, span))
                .filter(|locator| locator.len() as usize == cell.source.len()),
        })
        .collect();
    Ok((
        notebook.virtual_text,
        JsonView {
            cells,
            lines: LineMap::new(json),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTEBOOK: &str = r##"{
 "cells": [
  {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["import pickle\n", "x = 1"]},
  {"cell_type": "markdown", "metadata": {}, "source": ["# é\n"]},
  {"cell_type": "code", "metadata": {}, "outputs": [], "source": "s = \"é\"; pickle.loads(s)\n"}
 ],
 "metadata": {},
 "nbformat": 4,
 "nbformat_minor": 5
}
"##;

    #[test]
    fn disk_notebooks_point_into_their_json() {
        let (text, json) = json_notebook(NOTEBOOK).unwrap();
        let facts = brine_facts::lower_text(&text);
        let view = View::Json {
            uri: Some("file:///w/a.ipynb".parse().unwrap()),
            json: Arc::new(json),
        };
        assert_eq!(view.workspace_cells(&facts), Some(vec![(0, 0), (2, 2)]));
        let at = text.find("pickle.loads").unwrap() as u32;
        let (target, range) = view
            .range(TextRange::new(at, at + 12), PositionEncoding::Utf16)
            .unwrap();
        assert_eq!(target, 0);
        // Line 4 of the JSON text, after `  {"cell_type": ... "source": "s = \"é\"; `.
        let line = NOTEBOOK.lines().nth(4).unwrap();
        let column = line[..line.find("pickle.loads").unwrap()]
            .encode_utf16()
            .count() as u32;
        assert_eq!(range.start, Position::new(4, column));
        assert_eq!(range.end, Position::new(4, column + 12));
        let at = text.find("x = 1").unwrap() as u32;
        let (_, range) = view
            .range(TextRange::new(at, at + 1), PositionEncoding::Utf8)
            .unwrap();
        let line = NOTEBOOK.lines().nth(2).unwrap();
        assert_eq!(
            range.start,
            Position::new(2, line.find("x = 1").unwrap() as u32)
        );
        assert!(!view.editable());
        assert_eq!(view.line(at), None);
    }

    #[test]
    fn open_cells_are_documents_of_their_own() {
        let cell = |uri: &str, index, start, text: &str| OpenCell {
            uri: uri.parse().unwrap(),
            version: 3,
            index,
            start,
            len: text.len() as u32,
            lines: Arc::new(LineMap::new(text)),
        };
        let view = View::Cells(Arc::new(CellsView {
            cells: vec![
                cell("cell:/a#1", 0, 0, "x = 1\ny = 2"),
                cell("cell:/a#3", 2, 12, "é = 1\nz = f(x)\n"),
            ],
        }));
        let (target, range) = view
            .range(TextRange::new(12 + 10, 12 + 14), PositionEncoding::Utf16)
            .unwrap();
        assert_eq!(target, 1);
        assert_eq!(range, Range::new(Position::new(1, 3), Position::new(1, 7)));
        // A range running into the next cell stops at its cell's end.
        let (target, range) = view
            .range(TextRange::new(6, 20), PositionEncoding::Utf16)
            .unwrap();
        assert_eq!(target, 0);
        assert_eq!(range, Range::new(Position::new(1, 0), Position::new(1, 5)));
        assert_eq!(view.line(12 + 8), Some((1, 1)));
        assert_eq!(
            view.targets(None)
                .iter()
                .map(|t| (t.uri.as_str(), t.version))
                .collect::<Vec<_>>(),
            [("cell:/a#1", Some(3)), ("cell:/a#3", Some(3))]
        );
    }
}
