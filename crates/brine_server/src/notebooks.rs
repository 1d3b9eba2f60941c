//! Open notebooks (LSP 3.17 notebook documents). The server keeps each open notebook's list of cells
//! in step with `notebookDocument/didOpen` and `didChange`; every cell's text is an ordinary
//! [`Document`] among the open documents (edited incrementally, with its own version), so hover and
//! code actions work inside a cell exactly as in a file. On every change the notebook's virtual text
//! is built again from its Python code cells (cells are small) and lowered as one file, keyed by the
//! notebook's path: names and flows cross cells, workspace modules are imported, and the notebook's
//! copy on disk is replaced while it is open.
//!
//! Invariants: a cell belongs to at most one notebook ([`Notebooks::owners`]); cell positions from
//! the client are clamped like any document's; a structural change with impossible indices is
//! clamped, never panics.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use brine_facts::FileFacts;
use brine_notebook::{CellText, Notebook};
use dashmap::DashMap;
use tower_lsp_server::ls_types::{
    NotebookCell, NotebookCellKind, NotebookDocumentCellChange, TextDocumentContentChangeEvent,
    TextDocumentItem, Uri,
};

use crate::analysis::OpenFile;
use crate::convert::PositionEncoding;
use crate::documents::{Document, Documents};
use crate::view::{CellsView, OpenCell, View};

/// The notebook type the server asks to synchronize.
pub const NOTEBOOK_TYPE: &str = "jupyter-notebook";

/// Open notebooks by URI, and the notebook each open cell document belongs to.
#[derive(Default)]
pub struct Notebooks {
    pub open: DashMap<Uri, NotebookDoc>,
    /// Cell document URI -> notebook URI.
    pub owners: DashMap<Uri, Uri>,
}

/// One open notebook: its version and its cells in order.
#[derive(Debug, Clone, Default)]
pub struct NotebookDoc {
    pub version: i32,
    pub cells: Vec<CellSlot>,
    /// The language of each open cell document.
    pub languages: HashMap<Uri, String>,
}

/// A cell of an open notebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellSlot {
    /// The cell's text document.
    pub uri: Uri,
    pub code: bool,
}

impl CellSlot {
    fn of(cell: &NotebookCell) -> Self {
        CellSlot {
            uri: cell.document.clone(),
            code: cell.kind == NotebookCellKind::CODE,
        }
    }
}

impl NotebookDoc {
    pub fn new(version: i32, cells: &[NotebookCell]) -> Self {
        NotebookDoc {
            version,
            cells: cells.iter().map(CellSlot::of).collect(),
            languages: HashMap::new(),
        }
    }

    /// True when the cell document holds Python code to analyse.
    fn is_python(&self, slot: &CellSlot) -> bool {
        slot.code
            && self
                .languages
                .get(&slot.uri)
                .is_some_and(|language| language.eq_ignore_ascii_case("python"))
    }
}

impl Notebooks {
    /// Opens a cell's text document as part of `notebook`. A panic while parsing it is returned as a
    /// message; the cell is then left out until it is opened again.
    pub fn open_cell(
        &self,
        notebook_uri: &Uri,
        notebook: &mut NotebookDoc,
        documents: &Documents,
        item: TextDocumentItem,
    ) -> Result<(), String> {
        notebook
            .languages
            .insert(item.uri.clone(), item.language_id.clone());
        self.owners.insert(item.uri.clone(), notebook_uri.clone());
        let uri = item.uri.clone();
        let parsed = catch_unwind(AssertUnwindSafe(|| Document::new(item.version, item.text)));
        match parsed {
            Ok(doc) => {
                documents.insert(uri, doc);
                Ok(())
            }
            Err(payload) => Err(format!(
                "brine: parsing cell {} panicked: {}",
                uri.as_str(),
                crate::panic_message(payload.as_ref())
            )),
        }
    }

    /// Closes a cell's text document.
    pub fn close_cell(&self, notebook: &mut NotebookDoc, documents: &Documents, uri: &Uri) {
        notebook.languages.remove(uri);
        self.owners.remove(uri);
        documents.remove(uri);
    }

    /// Applies the cell part of a `notebookDocument/didChange`: the structure first (cells moved,
    /// inserted or deleted, their documents opened and closed), then cell kinds, then text edits.
    pub fn apply_cell_change(
        &self,
        notebook_uri: &Uri,
        notebook: &mut NotebookDoc,
        documents: &Documents,
        change: NotebookDocumentCellChange,
        encoding: PositionEncoding,
        logs: &mut Vec<String>,
    ) {
        if let Some(structure) = change.structure {
            let array = structure.array;
            let start = (array.start as usize).min(notebook.cells.len());
            let end = start
                .saturating_add(array.delete_count as usize)
                .min(notebook.cells.len());
            let inserted: Vec<CellSlot> = array
                .cells
                .unwrap_or_default()
                .iter()
                .map(CellSlot::of)
                .collect();
            notebook.cells.splice(start..end, inserted);
            for closed in structure.did_close.unwrap_or_default() {
                self.close_cell(notebook, documents, &closed.uri);
            }
            for opened in structure.did_open.unwrap_or_default() {
                if let Err(message) = self.open_cell(notebook_uri, notebook, documents, opened) {
                    logs.push(message);
                }
            }
        }
        for cell in change.data.unwrap_or_default() {
            if let Some(slot) = notebook
                .cells
                .iter_mut()
                .find(|slot| slot.uri == cell.document)
            {
                *slot = CellSlot::of(&cell);
            }
        }
        for text in change.text_content.unwrap_or_default() {
            apply_text_changes(
                documents,
                &text.document.uri,
                text.document.version,
                text.changes,
                encoding,
                logs,
            );
        }
    }

    /// The notebook's current state as one file for the analysis: the virtual text of its Python
    /// code cells, lowered, and the view that maps it back to the cells. A panic in lowering is
    /// logged and the notebook counts as empty until its next change.
    pub fn open_file(
        &self,
        uri: &Uri,
        documents: &Documents,
        logs: &mut Vec<String>,
    ) -> Option<OpenFile> {
        struct Cell {
            index: usize,
            uri: Uri,
            version: i32,
            text: String,
            lines: Arc<crate::convert::LineMap>,
        }
        let (version, cells) = {
            let notebook = self.open.get(uri)?;
            let mut cells = Vec::new();
            for (index, slot) in notebook.cells.iter().enumerate() {
                if !notebook.is_python(slot) {
                    continue;
                }
                let Some(doc) = documents.get(&slot.uri) else {
                    continue;
                };
                cells.push(Cell {
                    index,
                    uri: slot.uri.clone(),
                    version: doc.version,
                    text: doc.text().to_owned(),
                    lines: doc.lines.clone(),
                });
            }
            (notebook.version, cells)
        };
        let built = Notebook::from_cells(cells.iter().map(|cell| CellText {
            index: cell.index,
            source: &cell.text,
            python: true,
        }));
        let facts = catch_unwind(AssertUnwindSafe(|| {
            brine_facts::lower_text(&built.virtual_text)
        }))
        .unwrap_or_else(|payload| {
            logs.push(format!(
                "brine: reading notebook {} panicked: {}",
                uri.as_str(),
                crate::panic_message(payload.as_ref())
            ));
            FileFacts::default()
        });
        let cells = built
            .cells
            .iter()
            .zip(cells)
            .map(|(placed, cell)| OpenCell {
                uri: cell.uri,
                version: cell.version,
                index: cell.index,
                start: placed.start,
                len: cell.text.len() as u32,
                lines: cell.lines,
            })
            .collect();
        Some(OpenFile {
            version,
            facts: Arc::new(facts),
            view: View::Cells(Arc::new(CellsView { cells })),
        })
    }
}

/// Applies one document's content changes (a cell's): `None` for an unknown document, else whether
/// the document changed. A change that does not advance the version is dropped; a panic half-way
/// forgets the document (its text may be half-edited, so the cell leaves the analysis until it is
/// opened again), which counts as a change. Both are logged.
pub fn apply_text_changes(
    documents: &Documents,
    uri: &Uri,
    version: i32,
    changes: Vec<TextDocumentContentChangeEvent>,
    encoding: PositionEncoding,
    logs: &mut Vec<String>,
) -> Option<bool> {
    let applied = {
        let mut doc = documents.get_mut(uri)?;
        catch_unwind(AssertUnwindSafe(|| {
            doc.apply_changes(version, changes, encoding)
        }))
    };
    match applied {
        Ok(Ok(())) => Some(true),
        Ok(Err(rejected)) => {
            logs.push(format!(
                "brine: ignored a change of {}: {rejected:?}",
                uri.as_str()
            ));
            Some(false)
        }
        Err(payload) => {
            logs.push(format!(
                "brine: applying a change to {} panicked: {}; reopen the file to analyse it again",
                uri.as_str(),
                crate::panic_message(payload.as_ref())
            ));
            documents.remove(uri);
            Some(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{
        NotebookCellArrayChange, NotebookDocumentCellChangeStructure,
        NotebookDocumentChangeTextContent, Position, Range, TextDocumentIdentifier,
        VersionedTextDocumentIdentifier,
    };

    fn uri(text: &str) -> Uri {
        text.parse().unwrap()
    }

    fn cell(kind: NotebookCellKind, document: &str) -> NotebookCell {
        NotebookCell {
            kind,
            document: uri(document),
            metadata: None,
            execution_summary: None,
        }
    }

    fn item(document: &str, language: &str, text: &str) -> TextDocumentItem {
        TextDocumentItem {
            uri: uri(document),
            language_id: language.into(),
            version: 1,
            text: text.into(),
        }
    }

    fn virtual_text(notebooks: &Notebooks, nb: &Uri, documents: &Documents) -> Vec<usize> {
        let file = notebooks.open_file(nb, documents, &mut Vec::new()).unwrap();
        let View::Cells(view) = file.view else {
            panic!("cells expected");
        };
        view.cells.iter().map(|cell| cell.index).collect()
    }

    #[test]
    fn structure_kind_and_text_changes_keep_the_cells_in_step() {
        let notebooks = Notebooks::default();
        let documents = Documents::default();
        let nb = uri("file:///w/a.ipynb");
        let mut doc = NotebookDoc::new(
            1,
            &[
                cell(NotebookCellKind::CODE, "cell:/a#1"),
                cell(NotebookCellKind::MARKUP, "cell:/a#2"),
                cell(NotebookCellKind::CODE, "cell:/a#3"),
            ],
        );
        for item in [
            item("cell:/a#1", "python", "x = 1\n"),
            item("cell:/a#2", "markdown", "# title"),
            item("cell:/a#3", "python", "y = x\n"),
        ] {
            notebooks
                .open_cell(&nb, &mut doc, &documents, item)
                .unwrap();
        }
        notebooks.open.insert(nb.clone(), doc);
        assert_eq!(virtual_text(&notebooks, &nb, &documents), [0, 2]);
        assert_eq!(notebooks.owners.get(&uri("cell:/a#3")).unwrap().clone(), nb);

        // Insert a code cell before the first, delete the markdown cell, edit the last cell.
        let change = NotebookDocumentCellChange {
            structure: Some(NotebookDocumentCellChangeStructure {
                array: NotebookCellArrayChange {
                    start: 0,
                    delete_count: 0,
                    cells: Some(vec![cell(NotebookCellKind::CODE, "cell:/a#0")]),
                },
                did_open: Some(vec![item("cell:/a#0", "python", "import os\n")]),
                did_close: None,
            }),
            data: None,
            text_content: None,
        };
        let mut doc = notebooks.open.get_mut(&nb).unwrap();
        notebooks.apply_cell_change(
            &nb,
            &mut doc,
            &documents,
            change,
            PositionEncoding::Utf16,
            &mut Vec::new(),
        );
        let change = NotebookDocumentCellChange {
            structure: Some(NotebookDocumentCellChangeStructure {
                // Impossible counts are clamped.
                array: NotebookCellArrayChange {
                    start: 2,
                    delete_count: 1,
                    cells: None,
                },
                did_open: None,
                did_close: Some(vec![TextDocumentIdentifier::new(uri("cell:/a#2"))]),
            }),
            data: None,
            text_content: Some(vec![NotebookDocumentChangeTextContent {
                document: VersionedTextDocumentIdentifier::new(uri("cell:/a#3"), 2),
                changes: vec![TextDocumentContentChangeEvent {
                    range: Some(Range::new(Position::new(0, 4), Position::new(0, 5))),
                    range_length: None,
                    text: "os".into(),
                }],
            }]),
        };
        let mut logs = Vec::new();
        notebooks.apply_cell_change(
            &nb,
            &mut doc,
            &documents,
            change,
            PositionEncoding::Utf16,
            &mut logs,
        );
        assert!(logs.is_empty(), "{logs:?}");
        drop(doc);
        assert_eq!(virtual_text(&notebooks, &nb, &documents), [0, 1, 2]);
        assert!(documents.get(&uri("cell:/a#2")).is_none());
        assert!(notebooks.owners.get(&uri("cell:/a#2")).is_none());
        let file = notebooks.open_file(&nb, &documents, &mut logs).unwrap();
        let View::Cells(view) = &file.view else {
            panic!("cells expected");
        };
        assert_eq!(view.cells[2].version, 2);
        assert_eq!(documents.get(&uri("cell:/a#3")).unwrap().text(), "y = os\n");
        // The cells' texts, in order, each followed by a newline, are what was lowered.
        assert_eq!(file.facts.line_index.line_count(), 7);
        let mut doc = notebooks.open.get_mut(&nb).unwrap();
        // A cell turned into markdown leaves the analysis.
        notebooks.apply_cell_change(
            &nb,
            &mut doc,
            &documents,
            NotebookDocumentCellChange {
                structure: None,
                data: Some(vec![cell(NotebookCellKind::MARKUP, "cell:/a#1")]),
                text_content: None,
            },
            PositionEncoding::Utf16,
            &mut logs,
        );
        drop(doc);
        assert_eq!(virtual_text(&notebooks, &nb, &documents), [0, 2]);
    }
}
