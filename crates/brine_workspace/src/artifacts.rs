//! Pickle artifacts of the workspace (BRN401): scanned by `brine_pickle` (opcodes read, never
//! executed), turned into findings by `brine_analysis::artifact`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use brine_analysis::artifact::{artifact_finding, ArtifactImport};
use brine_analysis::Finding;
use brine_facts::FileFacts;
use brine_pickle::{ImportClass, ScanLimits, ScanOutcome};

use crate::check::{FileError, LoadedFile};
use crate::settings::FileSettings;

/// A flagged artifact: its BRN401 finding and the imports it reports.
#[derive(Debug, Clone)]
pub struct ArtifactScan {
    pub finding: Finding,
    pub imports: Vec<ArtifactImport>,
}

/// Scans one file that may hold pickles; `Ok(None)` when it is not a pickle or nothing is wrong with
/// it. Shared by `brine check` and the server.
pub fn scan_artifact_file(path: &Path) -> Result<Option<ArtifactScan>, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("cannot read file: {error}"))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    // A panic in the scanner must not take the whole check down; it becomes a message.
    let scanned = std::panic::catch_unwind(|| {
        brine_pickle::scan(std::io::BufReader::new(file), &name, &ScanLimits::default())
    });
    let report = match scanned {
        Ok(ScanOutcome::Scanned(report)) => report,
        Ok(_) => return Ok(None),
        Err(_) => {
            return Err(
                "internal error while scanning this pickle file (a bug); please report it".into(),
            )
        }
    };
    let imports: Vec<ArtifactImport> = report
        .imports
        .iter()
        .filter(|import| import.class != ImportClass::Allowed)
        .map(|import| ArtifactImport {
            name: import.qualified_name(),
            offset: import.offset,
            member: import.member.clone(),
            dangerous: import.class == ImportClass::Dangerous,
        })
        .collect();
    Ok(artifact_finding(imports.clone(), &report.problems)
        .map(|finding| ArtifactScan { finding, imports }))
}

/// Scans one artifact for `brine check`; `Ok(None)` when there is nothing to report.
pub(crate) fn scan_artifact(
    path: PathBuf,
    settings: FileSettings,
) -> Result<Option<LoadedFile>, FileError> {
    let scan = scan_artifact_file(&path).map_err(|message| FileError {
        path: path.clone(),
        message,
    })?;
    Ok(scan.map(|scan| LoadedFile {
        path,
        settings,
        facts: Arc::new(FileFacts::default()),
        notebook: None,
        artifact: Some((scan.finding, scan.imports)),
    }))
}
