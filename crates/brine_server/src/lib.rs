//! `brine server`: the language server. It runs the same analysis as `brine check` over the
//! workspace folders (Python files and notebooks), keeps a syntax tree only for open documents
//! (edited incrementally) and open notebooks' cells (LSP 3.17 notebook documents), and publishes
//! diagnostics, code actions (fixes, suppression comments, fix-all) and hovers.
//!
//! This is the only crate that knows the protocol, tokio or LSP types; the library crates below it
//! stay synchronous and I/O-free (except `brine_workspace`, which reads the disk).
//!
//! Invariants:
//! - Handlers mutate state synchronously before their first `.await`, so notifications apply in the
//!   order they were sent; analysis runs on blocking threads and a newer change cancels it.
//! - Diagnostics computed for an outdated document version are never published.
//! - A panic in lowering, analysis or code actions is caught and logged; the server keeps running.

mod analysis;
mod code_actions;
mod convert;
mod diagnostics;
mod documents;
mod hover;
mod index;
mod notebooks;
mod server;
mod session;
mod settings;
mod state;
mod transport;
mod view;

#[cfg(test)]
mod tests;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{LspService, Server};

pub use server::Backend;

/// Serves LSP on `input`/`output` until `exit` or the end of `input`. Returns true when `shutdown`
/// was received first (the exit code is then 0).
pub async fn serve<I, O>(input: I, output: O) -> bool
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    serve_session(input, output).await.is_shut_down()
}

async fn serve_session<I, O>(input: I, output: O) -> Arc<session::Session>
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    let (service, socket) = LspService::new(Backend::new);
    let session = service.inner().session.clone();
    // Frames are read (and errors answered) by `transport`, not by tower-lsp's codec.
    transport::serve(input, output, |input, output| {
        Server::new(input, output, socket).serve(service)
    })
    .await;
    session
}

/// `brine server`: LSP over standard input and output.
pub fn run_stdio() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("brine-server")
        .thread_stack_size(crate::STACK_SIZE)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the server runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let session = runtime.block_on(serve_session(tokio::io::stdin(), tokio::io::stdout()));
    let clean = session.is_shut_down();
    // Neither analyses still running, nor the blocked stdin reader, nor freeing the index of a large
    // workspace may delay the exit.
    std::mem::forget(session);
    runtime.shutdown_background();
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Stack size of analysis threads (as `brine check` uses): resolution recurses with a depth bound
/// and must not overflow the 2 MiB default on pathological code.
pub(crate) const STACK_SIZE: usize = 32 << 20;

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "unknown panic".to_owned()
    }
}
