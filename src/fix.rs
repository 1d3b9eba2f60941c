//! `brine check --fix`: apply the fixes findings carry to the files on disk.

use brine_analysis::fix::{Applicability, Edit};
use brine_workspace::CheckOutcome;

/// Applies, per file, the first applicable fix of every finding (safe ones, and unsafe ones when
/// `unsafe_fixes`), skipping fixes that overlap an earlier one. Returns how many findings were fixed.
pub fn apply_fixes(outcome: &CheckOutcome, unsafe_fixes: bool) -> usize {
    let mut fixed = 0;
    for report in &outcome.reports {
        let mut chosen: Vec<&[Edit]> = Vec::new();
        for finding in &report.findings {
            let fix = finding.fixes.iter().find(|fix| {
                !fix.edits.is_empty()
                    && match fix.applicability {
                        Applicability::Safe => true,
                        Applicability::Unsafe => unsafe_fixes,
                        Applicability::DisplayOnly => false,
                    }
            });
            if let Some(fix) = fix {
                let overlaps = chosen
                    .iter()
                    .flat_map(|edits| edits.iter())
                    .any(|taken| fix.edits.iter().any(|edit| ranges_touch(taken, edit)));
                if !overlaps {
                    chosen.push(&fix.edits);
                }
            }
        }
        if chosen.is_empty() {
            continue;
        }
        let Ok(bytes) = std::fs::read(&report.path) else {
            continue;
        };
        let Ok(mut text) = String::from_utf8(bytes) else {
            eprintln!(
                "warning: {}: not valid UTF-8, not fixed",
                report.path.display()
            );
            continue;
        };
        let edits: Vec<&Edit> = chosen.iter().flat_map(|edits| edits.iter()).collect();
        match &report.notebook {
            // A notebook: edit the cells, then write only their changed lines into the JSON.
            Some(notebook) => {
                let edits: Vec<(std::ops::Range<usize>, String)> = edits
                    .iter()
                    .map(|edit| (edit.range.as_usize(), edit.new_text.clone()))
                    .collect();
                let sources: Vec<(usize, String)> = notebook
                    .edit_cells(&edits)
                    .into_iter()
                    .map(|(cell, source)| (notebook.cells[cell].index, source))
                    .collect();
                match brine_notebook::write_cell_sources(&text, &sources) {
                    Ok(written) => text = written,
                    Err(error) => {
                        eprintln!("warning: {}: {error}, not fixed", report.path.display());
                        continue;
                    }
                }
            }
            None => apply_edits(&mut text, edits),
        }
        match std::fs::write(&report.path, text) {
            Ok(()) => fixed += chosen.len(),
            Err(error) => eprintln!(
                "warning: {}: cannot write the fix: {error}",
                report.path.display()
            ),
        }
    }
    fixed
}

fn apply_edits(text: &mut String, mut edits: Vec<&Edit>) {
    edits.sort_by_key(|edit| std::cmp::Reverse((edit.range.start, edit.range.end)));
    for edit in edits {
        let range = edit.range.as_usize();
        if range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end)
        {
            text.replace_range(range, &edit.new_text);
        }
    }
}

/// Two edits conflict when their ranges overlap or both insert at the same point.
fn ranges_touch(a: &Edit, b: &Edit) -> bool {
    a.range.start < b.range.end && b.range.start < a.range.end || a.range == b.range
}
