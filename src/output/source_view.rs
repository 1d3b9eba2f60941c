//! The text positions are computed in: a plain file (read again from disk), or a notebook's cells.

use std::path::Path;
use std::sync::Arc;

use brine_facts::FileFacts;
use brine_notebook::Notebook;
use brine_syntax::{LineIndex, TextRange};

use super::{Position, Span};

pub enum SourceView {
    /// A binary pickle artifact: everything is at its start, and there is no line to show.
    Artifact,
    Plain {
        text: String,
        facts: Arc<FileFacts>,
    },
    Notebook {
        notebook: Arc<Notebook>,
        cell_lines: Vec<LineIndex>,
    },
}

impl SourceView {
    pub fn load(path: &Path, facts: Arc<FileFacts>, notebook: Option<Arc<Notebook>>) -> Self {
        if brine_workspace::is_artifact(path) {
            return SourceView::Artifact;
        }
        match notebook {
            Some(notebook) => {
                let cell_lines = notebook
                    .cells
                    .iter()
                    .map(|cell| LineIndex::new(&cell.source))
                    .collect();
                SourceView::Notebook {
                    notebook,
                    cell_lines,
                }
            }
            None => {
                let text = std::fs::read(path)
                    .map(|bytes| brine_syntax::decode_source(&bytes).text)
                    .unwrap_or_default();
                SourceView::Plain { text, facts }
            }
        }
    }

    /// 1-based line and code-point column of a byte offset (in the virtual text for notebooks),
    /// with the notebook cell it falls in.
    fn position(&self, offset: u32) -> (Position, Option<usize>) {
        let (at, cell) = match self {
            SourceView::Artifact => (brine_syntax::LineCol { line: 0, col: 0 }, None),
            SourceView::Plain { text, facts } => {
                (facts.line_index.line_col_chars(offset, text), None)
            }
            SourceView::Notebook {
                notebook,
                cell_lines,
            } => match notebook.locate(offset) {
                Some(located) => {
                    let cell = &notebook.cells[located.cell];
                    let at = cell_lines[located.cell].line_col_chars(located.offset, &cell.source);
                    (at, Some(cell.index))
                }
                None => (brine_syntax::LineCol { line: 0, col: 0 }, None),
            },
        };
        (
            Position {
                line: at.line + 1,
                column: at.col + 1,
            },
            cell,
        )
    }

    pub fn span(&self, range: TextRange) -> Span {
        let (start, cell) = self.position(range.start);
        let (end, _) = self.position(range.end);
        Span { start, end, cell }
    }

    /// The text of the line holding `offset`, without its line break.
    pub fn line_text(&self, offset: u32) -> String {
        match self {
            SourceView::Artifact => String::new(),
            SourceView::Plain { text, facts } => {
                let line = facts.line_index.line_of(offset);
                text.get(facts.line_index.line_range(line, text))
                    .unwrap_or_default()
                    .to_owned()
            }
            SourceView::Notebook {
                notebook,
                cell_lines,
            } => {
                let Some(located) = notebook.locate(offset) else {
                    return String::new();
                };
                let source = &notebook.cells[located.cell].source;
                let lines = &cell_lines[located.cell];
                let line = lines.line_of(located.offset);
                source
                    .get(lines.line_range(line, source))
                    .unwrap_or_default()
                    .to_owned()
            }
        }
    }
}
