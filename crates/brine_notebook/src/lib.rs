//! Jupyter notebooks as Python source.
//!
//! A notebook's code cells are analysed together, in order, as one module: [`Notebook::parse`] joins
//! them into one *virtual text*, in which every cell keeps its exact bytes (IPython magics and shell
//! escapes are blanked with spaces of the same length), so a byte offset in the virtual text maps back
//! to a cell and an offset inside it by subtraction. [`write_cell_sources`] puts edited cell sources
//! back into the notebook's JSON text, changing only the JSON strings of the lines that changed, so
//! outputs, metadata and formatting stay as they were.
//!
//! Invariants: no I/O; malformed notebooks are a [`NotebookError`], never a panic.

mod json_spans;
mod magics;

use std::fmt;

pub use json_spans::{cell_source_spans, source_locator, SourceLocator};

/// A code cell of a notebook, placed in the virtual text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeCell {
    /// Index of the cell in the notebook's `cells` array (markdown cells count too).
    pub index: usize,
    /// The cell's source as stored in the notebook.
    pub source: String,
    /// Where the cell starts in the virtual text.
    pub start: u32,
}

/// A notebook's code cells and the virtual text made of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notebook {
    pub cells: Vec<CodeCell>,
    /// Every code cell's source, magics blanked, each followed by a newline.
    pub virtual_text: String,
}

/// Why a notebook could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotebookError(pub String);

impl fmt::Display for NotebookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed notebook: {}", self.0)
    }
}

/// A code cell's text given to [`Notebook::from_cells`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellText<'a> {
    /// Index of the cell in the notebook (markdown cells count too); used to name the cell.
    pub index: usize,
    pub source: &'a str,
    /// False for a cell in another language: it is blanked whole.
    pub python: bool,
}

/// Where a virtual-text offset is: the code cell (position in [`Notebook::cells`]) and the offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellOffset {
    pub cell: usize,
    pub offset: u32,
}

impl Notebook {
    /// Reads a notebook's JSON. Code cells of a non-Python notebook, and cells whose cell magic
    /// switches to another language (`%%bash`, `%%html`), are left out.
    pub fn parse(json: &str) -> Result<Notebook, NotebookError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| NotebookError(format!("invalid JSON: {e}")))?;
        let cells = value
            .get("cells")
            .and_then(|cells| cells.as_array())
            .ok_or_else(|| NotebookError("no `cells` array".into()))?;
        let language = value
            .pointer("/metadata/kernelspec/language")
            .or_else(|| value.pointer("/metadata/language_info/name"))
            .and_then(|l| l.as_str())
            .unwrap_or("python");
        let python = language.eq_ignore_ascii_case("python");
        let mut code_cells = Vec::new();
        for (index, cell) in cells.iter().enumerate() {
            if cell.get("cell_type").and_then(|t| t.as_str()) != Some("code") {
                continue;
            }
            let source = cell_source(cell).ok_or_else(|| {
                NotebookError(format!(
                    "cell {} has a `source` that is not a string or a list of strings",
                    index + 1
                ))
            })?;
            let cell_language = cell
                .pointer("/metadata/vscode/languageId")
                .and_then(|l| l.as_str())
                .map(|l| l.eq_ignore_ascii_case("python"));
            code_cells.push((index, source, cell_language.unwrap_or(python)));
        }
        Ok(Notebook::from_cells(code_cells.iter().map(
            |(index, source, python)| CellText {
                index: *index,
                source,
                python: *python,
            },
        )))
    }

    /// Builds a notebook from its code cells' texts, in order (as an editor sends them): the same
    /// virtual text as [`Notebook::parse`] makes of the same cells. A cell that is not Python is
    /// blanked whole (it keeps its place, so positions after it do not move).
    pub fn from_cells<'a>(cells: impl IntoIterator<Item = CellText<'a>>) -> Notebook {
        let mut notebook = Notebook {
            cells: Vec::new(),
            virtual_text: String::new(),
        };
        for cell in cells {
            let blanked = if cell.python {
                magics::blank_magics(cell.source)
            } else {
                magics::blank_all(cell.source)
            };
            notebook.cells.push(CodeCell {
                index: cell.index,
                source: cell.source.to_owned(),
                start: notebook.virtual_text.len() as u32,
            });
            notebook.virtual_text.push_str(&blanked);
            notebook.virtual_text.push('\n');
        }
        notebook
    }

    /// The code cell containing a virtual-text offset and the offset inside it.
    pub fn locate(&self, offset: u32) -> Option<CellOffset> {
        let cell = self
            .cells
            .partition_point(|cell| cell.start <= offset)
            .checked_sub(1)?;
        let start = self.cells[cell].start;
        let length = self.cells[cell].source.len() as u32;
        Some(CellOffset {
            cell,
            offset: (offset - start).min(length),
        })
    }

    /// Applies edits given in virtual-text offsets to the cells; returns the new source of every cell
    /// that changed, by position in [`Notebook::cells`]. Edits must not overlap; an edit that spans
    /// two cells is skipped.
    pub fn edit_cells(&self, edits: &[(std::ops::Range<usize>, String)]) -> Vec<(usize, String)> {
        let mut per_cell: Vec<Vec<(std::ops::Range<usize>, &str)>> =
            vec![Vec::new(); self.cells.len()];
        for (range, text) in edits {
            let (Some(start), Some(end)) = (
                self.locate(range.start as u32),
                self.locate(range.end as u32),
            ) else {
                continue;
            };
            if start.cell == end.cell {
                per_cell[start.cell].push((start.offset as usize..end.offset as usize, text));
            }
        }
        let mut changed = Vec::new();
        for (cell, mut edits) in per_cell.into_iter().enumerate() {
            if edits.is_empty() {
                continue;
            }
            edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
            let mut source = self.cells[cell].source.clone();
            for (range, text) in edits {
                if range.end <= source.len()
                    && source.is_char_boundary(range.start)
                    && source.is_char_boundary(range.end)
                {
                    source.replace_range(range, text);
                }
            }
            changed.push((cell, source));
        }
        changed
    }
}

fn cell_source(cell: &serde_json::Value) -> Option<String> {
    match cell.get("source")? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Array(lines) => lines.iter().map(|line| line.as_str()).collect(),
        _ => None,
    }
}

/// Writes new sources for some cells (by index in the notebook's `cells` array) into the notebook's
/// JSON text. Only the JSON strings of lines that changed are rewritten; everything else is kept
/// byte for byte.
pub fn write_cell_sources(
    json: &str,
    new_sources: &[(usize, String)],
) -> Result<String, NotebookError> {
    let spans = cell_source_spans(json)
        .ok_or_else(|| NotebookError("cannot locate the cells' sources".into()))?;
    let mut replacements: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for (index, source) in new_sources {
        let span = spans
            .get(*index)
            .and_then(|span| span.as_ref())
            .ok_or_else(|| NotebookError(format!("cell {} has no source", index + 1)))?;
        replacements.push(json_spans::source_replacement(json, span, source)?);
    }
    replacements.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = json.to_owned();
    for (range, text) in replacements {
        out.replace_range(range, &text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTEBOOK: &str = r##"{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {},
   "outputs": [],
   "source": [
    "import requests\n",
    "%matplotlib inline\n",
    "data = requests.get(URL).content"
   ]
  },
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": ["# Load it\n"]
  },
  {
   "cell_type": "code",
   "execution_count": 2,
   "metadata": {},
   "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}],
   "source": "import pickle\n!pip install torch\nobj = pickle.loads(data)\n"
  }
 ],
 "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
"##;

    #[test]
    fn code_cells_become_one_module_with_magics_blanked() {
        let notebook = Notebook::parse(NOTEBOOK).unwrap();
        assert_eq!(notebook.cells.len(), 2);
        assert_eq!(notebook.cells[1].index, 2);
        assert!(notebook
            .virtual_text
            .contains("\n0                 \ndata = requests.get"));
        assert!(!notebook.virtual_text.contains("pip"));
        let at = notebook.virtual_text.find("pickle.loads").unwrap() as u32;
        let located = notebook.locate(at).unwrap();
        assert_eq!(located.cell, 1);
        assert_eq!(
            &notebook.cells[1].source[located.offset as usize..][..12],
            "pickle.loads"
        );
    }

    #[test]
    fn writing_back_changes_only_the_edited_lines() {
        let notebook = Notebook::parse(NOTEBOOK).unwrap();
        let at = notebook.virtual_text.find("URL)").unwrap() + 3;
        let changed = notebook.edit_cells(&[(at..at, ", timeout=5".to_owned())]);
        assert_eq!(changed.len(), 1);
        let (cell, source) = &changed[0];
        let index = notebook.cells[*cell].index;
        let written = write_cell_sources(NOTEBOOK, &[(index, source.clone())]).unwrap();
        assert_eq!(
            written,
            NOTEBOOK.replace("get(URL).content", "get(URL, timeout=5).content")
        );

        let at = notebook.virtual_text.find("(data)").unwrap() + 5;
        let changed = notebook.edit_cells(&[(at..at, ", extra".to_owned())]);
        let (cell, source) = &changed[0];
        let written =
            write_cell_sources(NOTEBOOK, &[(notebook.cells[*cell].index, source.clone())]).unwrap();
        assert_eq!(
            written,
            NOTEBOOK.replace("loads(data)", "loads(data, extra)")
        );
        assert!(serde_json::from_str::<serde_json::Value>(&written).is_ok());
    }

    #[test]
    fn cells_from_an_editor_make_the_same_virtual_text() {
        let parsed = Notebook::parse(NOTEBOOK).unwrap();
        let built = Notebook::from_cells(parsed.cells.iter().map(|cell| CellText {
            index: cell.index,
            source: &cell.source,
            python: true,
        }));
        assert_eq!(built, parsed);
        let other = Notebook::from_cells([
            CellText {
                index: 0,
                source: "echo é",
                python: false,
            },
            CellText {
                index: 1,
                source: "x = 1",
                python: true,
            },
        ]);
        assert_eq!(other.virtual_text, "       \nx = 1\n");
        assert_eq!(other.cells[1].start, 8);
    }

    #[test]
    fn source_offsets_map_into_the_json_text() {
        let spans = cell_source_spans(NOTEBOOK).unwrap();
        let notebook = Notebook::parse(NOTEBOOK).unwrap();
        for cell in &notebook.cells {
            let span = spans[cell.index].clone().unwrap();
            let locator = source_locator(NOTEBOOK, &span).unwrap();
            assert_eq!(locator.len() as usize, cell.source.len());
            for needle in ["data", "pickle", "import", "requests.get"] {
                for (at, _) in cell.source.match_indices(needle) {
                    let json_at = locator.json_offset(at as u32) as usize;
                    assert_eq!(&NOTEBOOK[json_at..json_at + needle.len()], needle);
                }
            }
        }
        // Escapes: every offset inside one maps to its backslash; text after it still lines up.
        let json = r#"{"cells": [{"cell_type": "code", "source": ["s = \"\u00e9\ud83d\ude00\"\n", "pickle.loads(s)"]}]}"#;
        let span = cell_source_spans(json).unwrap()[0].clone().unwrap();
        let locator = source_locator(json, &span).unwrap();
        let source = &Notebook::parse(json).unwrap().cells[0].source;
        assert_eq!(source, "s = \"é😀\"\npickle.loads(s)");
        assert_eq!(locator.len() as usize, source.len());
        let at = |needle: &str| locator.json_offset(source.find(needle).unwrap() as u32) as usize;
        assert_eq!(&json[at("pickle")..][..6], "pickle");
        assert_eq!(&json[at("é")..][..6], "\\u00e9");
        assert_eq!(&json[at("😀")..][..6], "\\ud83d");
        assert_eq!(&json[at("\n")..][..2], "\\n");
        assert_eq!(
            locator.json_offset(source.len() as u32) as usize,
            json.len() - 5
        );
        let single = r#"{"cells": [{"source": "a\tb"}]}"#;
        let span = cell_source_spans(single).unwrap()[0].clone().unwrap();
        let locator = source_locator(single, &span).unwrap();
        assert_eq!(locator.json_offset(2) as usize, single.find('b').unwrap());
    }

    #[test]
    fn malformed_notebooks_are_errors() {
        assert!(Notebook::parse("{")
            .unwrap_err()
            .to_string()
            .contains("invalid JSON"));
        assert!(Notebook::parse("{}")
            .unwrap_err()
            .to_string()
            .contains("cells"));
        let bad = r#"{"cells": [{"cell_type": "code", "source": 3}]}"#;
        assert!(Notebook::parse(bad)
            .unwrap_err()
            .to_string()
            .contains("cell 1"));
        let r = r#"{"cells": [{"cell_type": "code", "source": "x <- 1"}], "metadata": {"kernelspec": {"language": "R"}}}"#;
        assert_eq!(Notebook::parse(r).unwrap().virtual_text.trim(), "");
    }
}
