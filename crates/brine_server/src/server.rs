//! The `LanguageServer` implementation: each handler updates shared state synchronously (before its
//! first `.await`, so notifications take effect in the order the client sent them), queues a change
//! for the analysis, and returns; long work runs in spawned tasks so that no handler waits on it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use brine_facts::FileFacts;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    CodeActionResponse, ConfigurationItem, DidChangeConfigurationParams,
    DidChangeNotebookDocumentParams, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidChangeWorkspaceFoldersParams,
    DidCloseNotebookDocumentParams, DidCloseTextDocumentParams, DidOpenNotebookDocumentParams,
    DidOpenTextDocumentParams, DidSaveNotebookDocumentParams, FileChangeType, FileSystemWatcher,
    GlobPattern, Hover, HoverParams, HoverProviderCapability, InitializeParams, InitializeResult,
    InitializedParams, MessageType, Notebook as NotebookFilterKind, NotebookCellSelector,
    NotebookDocumentSyncOptions, NotebookSelector, OneOf, Registration, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions, Uri,
    WorkspaceFoldersServerCapabilities, WorkspaceServerCapabilities,
};
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::{Change, FileKey, OpenFile};
use crate::code_actions::{self, FIX_ALL_KIND};
use crate::convert::PositionEncoding;
use crate::documents::Document;
use crate::index;
use crate::notebooks::{self, NotebookDoc, NOTEBOOK_TYPE};
use crate::session::{Negotiated, Session};
use crate::settings::ClientSettings;
use crate::view::View;

/// Globs of the files whose changes on disk matter.
const WATCHED: [&str; 5] = [
    "**/*.py",
    "**/*.ipynb",
    "**/pyproject.toml",
    "**/brine.toml",
    "**/*.{pkl,pickle,joblib,dill,pt,pth,bin,ckpt,npy,npz}",
];

/// The language server.
pub struct Backend {
    pub session: Arc<Session>,
}

impl Backend {
    pub fn new(client: Client) -> Self {
        Backend {
            session: Arc::new(Session::new(client)),
        }
    }

    /// Facts of a document, logging (and replacing by empty facts) a panic in lowering.
    fn facts_of(&self, doc: &mut Document, uri: &Uri, logs: &mut Vec<String>) -> Arc<FileFacts> {
        doc.facts().unwrap_or_else(|message| {
            logs.push(format!(
                "brine: reading {} panicked: {message}",
                uri.as_str()
            ));
            Arc::new(FileFacts::default())
        })
    }

    async fn log_all(&self, logs: Vec<String>) {
        for message in logs {
            self.session.log(MessageType::WARNING, message).await;
        }
    }

    /// Queues the current state of an open notebook for the analysis.
    fn submit_notebook(&self, uri: &Uri, logs: &mut Vec<String>) {
        let notebooks = &self.session.notebooks;
        if let Some(file) = notebooks.open_file(uri, &self.session.documents, logs) {
            self.session.submit(Change::Open {
                key: FileKey::of(uri),
                file,
            });
        }
    }
}

/// Python documents only: a client may open other files with the same server.
fn is_python(language_id: &str, uri: &Uri) -> bool {
    language_id.eq_ignore_ascii_case("python")
        || uri.as_str().ends_with(".py")
        || uri.as_str().ends_with(".pyi")
}

#[allow(deprecated)] // `root_uri` and `root_path` are still what some clients send.
fn workspace_folders(params: &InitializeParams) -> Vec<PathBuf> {
    if let Some(folders) = &params.workspace_folders {
        return folders
            .iter()
            .filter_map(|folder| index::uri_to_path(&folder.uri))
            .collect();
    }
    if let Some(root) = params.root_uri.as_ref().and_then(index::uri_to_path) {
        return vec![root];
    }
    params
        .root_path
        .as_ref()
        .map(|path| vec![PathBuf::from(path)])
        .unwrap_or_default()
}

fn negotiate(params: &InitializeParams) -> Negotiated {
    let capabilities = &params.capabilities;
    let workspace = capabilities.workspace.as_ref();
    Negotiated {
        encoding: PositionEncoding::negotiate(capabilities),
        progress: capabilities
            .window
            .as_ref()
            .and_then(|window| window.work_done_progress)
            .unwrap_or(false),
        watch_registration: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|watch| watch.dynamic_registration)
            .unwrap_or(false),
        configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
    }
}

fn capabilities(encoding: PositionEncoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new(FIX_ALL_KIND),
            ]),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        // Python cells are analysed; markdown cells are synchronized too (only their count is used),
        // so that "cell N" in messages is the cell the editor shows as N.
        notebook_document_sync: Some(OneOf::Left(NotebookDocumentSyncOptions {
            notebook_selector: vec![NotebookSelector::ByNotebook {
                // A string matches the notebook type (`NotebookDocumentFilter` would serialize its
                // fields in snake case).
                notebook: NotebookFilterKind::String(NOTEBOOK_TYPE.to_owned()),
                cells: Some(
                    ["python", "markdown"]
                        .into_iter()
                        .map(|language| NotebookCellSelector {
                            language: language.to_owned(),
                        })
                        .collect(),
                ),
            }],
            save: Some(true),
        })),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let negotiated = negotiate(&params);
        let _ = self.session.negotiated.set(negotiated);
        let folders = workspace_folders(&params);
        *self
            .session
            .folders
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = folders.clone();
        let (settings, warnings) = params
            .initialization_options
            .as_ref()
            .map(ClientSettings::from_json)
            .unwrap_or_default();
        self.session.analyzer.submit(Change::Initialize {
            encoding: negotiated.encoding,
            folders,
            settings: settings.unwrap_or_default(),
        });
        self.log_all(warnings).await;
        Ok(InitializeResult {
            capabilities: capabilities(negotiated.encoding),
            server_info: Some(ServerInfo {
                name: "brine".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.session.mark_initialized();
        self.session.submit(Change::Index);
        if self.session.negotiated().watch_registration {
            let session = self.session.clone();
            tokio::spawn(async move {
                let watchers = WATCHED
                    .iter()
                    .map(|glob| FileSystemWatcher {
                        glob_pattern: GlobPattern::String((*glob).to_owned()),
                        kind: None,
                    })
                    .collect();
                let registration = Registration {
                    id: "brine-watched-files".to_owned(),
                    method: "workspace/didChangeWatchedFiles".to_owned(),
                    register_options: serde_json::to_value(
                        DidChangeWatchedFilesRegistrationOptions { watchers },
                    )
                    .ok(),
                };
                if let Err(error) = session.client.register_capability(vec![registration]).await {
                    session
                        .log(
                            MessageType::WARNING,
                            format!("brine: cannot watch files: {error}"),
                        )
                        .await;
                }
            });
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.session.shut_down();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        if !is_python(&item.language_id, &item.uri)
            || self.session.notebooks.owners.contains_key(&item.uri)
        {
            return;
        }
        let mut logs = Vec::new();
        let parsed = catch_unwind(AssertUnwindSafe(|| Document::new(item.version, item.text)));
        let mut doc = match parsed {
            Ok(doc) => doc,
            Err(payload) => {
                let message = crate::panic_message(payload.as_ref());
                self.log_all(vec![format!(
                    "brine: parsing {} panicked: {message}",
                    item.uri.as_str()
                )])
                .await;
                return;
            }
        };
        let file = OpenFile {
            version: item.version,
            facts: self.facts_of(&mut doc, &item.uri, &mut logs),
            view: View::File {
                uri: Some(item.uri.clone()),
                lines: doc.lines.clone(),
            },
        };
        self.session.documents.insert(item.uri.clone(), doc);
        self.session.submit(Change::Open {
            key: FileKey::of(&item.uri),
            file,
        });
        self.log_all(logs).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let encoding = self.session.encoding();
        let mut logs = Vec::new();
        // A cell of an open notebook edited as a text document: the notebook changes.
        let owner = self
            .session
            .notebooks
            .owners
            .get(&uri)
            .map(|owner| owner.clone());
        if let Some(notebook) = owner {
            let applied = notebooks::apply_text_changes(
                &self.session.documents,
                &uri,
                version,
                params.content_changes,
                encoding,
                &mut logs,
            );
            if applied == Some(true) {
                self.submit_notebook(&notebook, &mut logs);
            }
            self.log_all(logs).await;
            return;
        }
        if !self.session.documents.contains_key(&uri) {
            // The client believes it open: say that its edits are lost rather than drop them quietly.
            let message = format!(
                "brine: ignored a change of {}, which is not open",
                uri.as_str()
            );
            self.session.log(MessageType::WARNING, message).await;
            return;
        }
        // The analysis in flight is for a version the user has typed past: stop it now, so that
        // it does not compete with reparsing and lowering this one for the cores.
        self.session.analyzer.cancel();
        let mut broken = false;
        let file = {
            let Some(mut doc) = self.session.documents.get_mut(&uri) else {
                return;
            };
            let applied = catch_unwind(AssertUnwindSafe(|| {
                doc.apply_changes(version, params.content_changes, encoding)
            }));
            match applied {
                Ok(Ok(())) => Some(OpenFile {
                    version,
                    facts: self.facts_of(&mut doc, &uri, &mut logs),
                    view: View::File {
                        uri: Some(uri.clone()),
                        lines: doc.lines.clone(),
                    },
                }),
                Ok(Err(rejected)) => {
                    logs.push(format!(
                        "brine: ignored a change of {}: {rejected:?}",
                        uri.as_str()
                    ));
                    None
                }
                Err(payload) => {
                    // The text may be half-edited: forget the document until it is opened again.
                    logs.push(format!(
                        "brine: applying a change to {} panicked: {}; reopen the file to analyse it again",
                        uri.as_str(),
                        crate::panic_message(payload.as_ref())
                    ));
                    broken = true;
                    None
                }
            }
        };
        if broken {
            self.session.documents.remove(&uri);
            self.session.submit(Change::Close {
                key: FileKey::of(&uri),
            });
        }
        match file {
            Some(file) => self.session.submit(Change::Open {
                key: FileKey::of(&uri),
                file,
            }),
            // Nothing new to analyse, but the cancelled run's work is still to be done.
            None if !broken => self.session.schedule(),
            None => {}
        }
        self.log_all(logs).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        // A notebook's cells close with the notebook.
        if self.session.notebooks.owners.contains_key(&uri) {
            return;
        }
        if self.session.documents.remove(&uri).is_none() {
            let message = format!("brine: ignored closing {}, which is not open", uri.as_str());
            self.session.log(MessageType::WARNING, message).await;
            return;
        }
        self.session.submit(Change::Close {
            key: FileKey::of(&uri),
        });
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut any = false;
        for event in params.changes {
            let Some(path) = index::uri_to_path(&event.uri) else {
                continue;
            };
            self.session.analyzer.submit(Change::Disk {
                path,
                deleted: event.typ == FileChangeType::DELETED,
            });
            any = true;
        }
        if any {
            self.session.schedule();
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let folders = {
            let mut folders = self
                .session
                .folders
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let removed: Vec<PathBuf> = params
                .event
                .removed
                .iter()
                .filter_map(|folder| index::uri_to_path(&folder.uri))
                .collect();
            folders.retain(|folder| !removed.contains(folder));
            for added in &params.event.added {
                if let Some(path) = index::uri_to_path(&added.uri) {
                    if !folders.contains(&path) {
                        folders.push(path);
                    }
                }
            }
            folders.clone()
        };
        self.session.submit(Change::Folders(folders));
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let (settings, warnings) = ClientSettings::from_json(&params.settings);
        match settings {
            Some(settings) => self.session.submit(Change::Settings(settings)),
            None if self.session.negotiated().configuration => {
                // The client sends no values: ask for the `brine` section.
                let session = self.session.clone();
                tokio::spawn(async move {
                    let item = ConfigurationItem {
                        scope_uri: None,
                        section: Some("brine".to_owned()),
                    };
                    let Ok(values) = session.client.configuration(vec![item]).await else {
                        return;
                    };
                    let value = values.into_iter().next().unwrap_or_default();
                    let (settings, warnings) = ClientSettings::from_json(&value);
                    session.submit(Change::Settings(settings.unwrap_or_default()));
                    for warning in warnings {
                        session.log(MessageType::WARNING, warning).await;
                    }
                });
            }
            None => {}
        }
        self.log_all(warnings).await;
    }

    async fn notebook_did_open(&self, params: DidOpenNotebookDocumentParams) {
        let notebook = params.notebook_document;
        let uri = notebook.uri;
        let notebooks = &self.session.notebooks;
        let mut logs = Vec::new();
        let mut doc = NotebookDoc::new(notebook.version, &notebook.cells);
        for item in params.cell_text_documents {
            if let Err(message) = notebooks.open_cell(&uri, &mut doc, &self.session.documents, item)
            {
                logs.push(message);
            }
        }
        notebooks.open.insert(uri.clone(), doc);
        self.submit_notebook(&uri, &mut logs);
        self.log_all(logs).await;
    }

    async fn notebook_did_change(&self, params: DidChangeNotebookDocumentParams) {
        let uri = params.notebook_document.uri;
        let notebooks = &self.session.notebooks;
        let mut logs = Vec::new();
        {
            // Unknown notebooks are ignored.
            let Some(mut doc) = notebooks.open.get_mut(&uri) else {
                return;
            };
            doc.version = params.notebook_document.version;
            if let Some(cells) = params.change.cells {
                notebooks.apply_cell_change(
                    &uri,
                    &mut doc,
                    &self.session.documents,
                    cells,
                    self.session.encoding(),
                    &mut logs,
                );
            }
        }
        self.submit_notebook(&uri, &mut logs);
        self.log_all(logs).await;
    }

    async fn notebook_did_save(&self, params: DidSaveNotebookDocumentParams) {
        // Without file watching, saving is how the copy on disk (used once the notebook is closed)
        // is known to have changed.
        if self.session.negotiated().watch_registration {
            return;
        }
        if let Some(path) = index::uri_to_path(&params.notebook_document.uri) {
            self.session.submit(Change::Disk {
                path,
                deleted: false,
            });
        }
    }

    async fn notebook_did_close(&self, params: DidCloseNotebookDocumentParams) {
        let uri = params.notebook_document.uri;
        let notebooks = &self.session.notebooks;
        let Some((_, mut doc)) = notebooks.open.remove(&uri) else {
            return;
        };
        let cells: Vec<Uri> = doc
            .cells
            .iter()
            .map(|cell| cell.uri.clone())
            .chain(doc.languages.keys().cloned())
            .chain(params.cell_text_documents.into_iter().map(|cell| cell.uri))
            .collect();
        for cell in cells {
            if notebooks
                .owners
                .get(&cell)
                .is_some_and(|owner| *owner == uri)
            {
                notebooks.close_cell(&mut doc, &self.session.documents, &cell);
            }
        }
        self.session.submit(Change::Close {
            key: FileKey::of(&uri),
        });
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        let Some(published) = self
            .session
            .current_diagnostics(&position.text_document.uri)
        else {
            let uri = &position.text_document.uri;
            if !self.session.documents.contains_key(uri)
                && !self.session.published.contains_key(uri)
            {
                let message = format!("brine: no hover for {}, which is not open", uri.as_str());
                self.session.log(MessageType::WARNING, message).await;
            }
            return Ok(None);
        };
        Ok(crate::hover::hover(&published, position.position))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = &params.text_document.uri;
        if !self.session.documents.contains_key(uri) {
            let message = format!(
                "brine: no code actions for {}, which is not open",
                uri.as_str()
            );
            self.session.log(MessageType::WARNING, message).await;
            return Ok(None);
        }
        let Some(published) = self.session.current_diagnostics(uri) else {
            return Ok(None);
        };
        let Some(doc) = self.session.documents.get(uri) else {
            return Ok(None);
        };
        let actions = catch_unwind(AssertUnwindSafe(|| {
            code_actions::code_actions(uri, &doc, &published, &params, self.session.encoding())
        }));
        drop(doc);
        match actions {
            Ok(actions) => Ok(Some(actions)),
            Err(payload) => {
                self.session
                    .log(
                        MessageType::ERROR,
                        format!(
                            "brine: code actions panicked: {}",
                            crate::panic_message(payload.as_ref())
                        ),
                    )
                    .await;
                Ok(None)
            }
        }
    }
}
