//! The local Hugging Face cache, read (never written, never fetched) to find the commit a branch or tag
//! points to, for the "pin `revision`" fix.
//!
//! Layout: `<cache>/models--org--name/refs/<reference>` holds the commit sha (`datasets--...` for
//! datasets). The cache is `HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`.

use std::path::{Path, PathBuf};

use brine_analysis::fix::PinRequest;

/// The cache folders to look in, in order.
pub fn cache_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(cache) = std::env::var_os("HF_HUB_CACHE") {
        dirs.push(PathBuf::from(cache));
    }
    if let Some(home) = std::env::var_os("HF_HOME") {
        dirs.push(PathBuf::from(home).join("hub"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cache/huggingface/hub"));
    }
    dirs
}

/// The commit `request.reference` points to, if some cache folder knows it.
pub fn resolve_pin(request: &PinRequest, dirs: &[PathBuf]) -> Option<String> {
    let folder = format!(
        "{}s--{}",
        request.repo_type,
        request.repo_id.replace('/', "--")
    );
    // A reference like `refs/pr/1` is stored under `refs/refs/pr/1`; reject anything that could leave the folder.
    if request
        .reference
        .split('/')
        .any(|part| part.is_empty() || part == "..")
    {
        return None;
    }
    dirs.iter()
        .find_map(|dir| read_sha(&dir.join(&folder).join("refs").join(&request.reference)))
}

fn read_sha(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let sha = text.trim();
    brine_analysis::rules::is_commit_sha(sha).then(|| sha.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use brine_analysis::fix::Edit;
    use brine_syntax::TextRange;

    #[test]
    fn reads_refs_from_the_cache() {
        let cache = tempfile::tempdir().unwrap();
        let refs = cache
            .path()
            .join("models--google-bert--bert-base-uncased/refs");
        std::fs::create_dir_all(&refs).unwrap();
        let sha = "86b5e0934494bd15c9632b12f734a8a67f723594";
        std::fs::write(refs.join("main"), format!("{sha}\n")).unwrap();
        let request = PinRequest {
            repo_type: "model",
            repo_id: "google-bert/bert-base-uncased".into(),
            reference: "main".into(),
            edit: Edit {
                range: TextRange::empty(3),
                new_text: ", revision=\"{sha}\"".into(),
            },
        };
        let dirs = vec![cache.path().to_path_buf()];
        assert_eq!(resolve_pin(&request, &dirs).as_deref(), Some(sha));
        let fix = request.fix(sha);
        assert_eq!(fix.edits[0].new_text, format!(", revision=\"{sha}\""));
        let unknown = PinRequest {
            reference: "v2".into(),
            ..request.clone()
        };
        assert_eq!(resolve_pin(&unknown, &dirs), None);
        let escape = PinRequest {
            reference: "../../etc".into(),
            ..request
        };
        assert_eq!(resolve_pin(&escape, &dirs), None);
    }
}
