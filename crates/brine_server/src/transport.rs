//! Message framing between the client's byte streams and tower-lsp, so that no input can stop,
//! stall or blow up the server.
//!
//! tower-lsp reads frames with its own codec, which is not enough for hostile input: after the first
//! message it cannot decode (invalid JSON, JSON that is not JSON-RPC, a bad `Content-Length`, more
//! than two headers) its reader ends, and the server with it; a huge `Content-Length` makes it wait
//! for that many bytes, buffering everything sent meanwhile. So frames are read here instead, with
//! bounded header and body sizes, and only messages tower-lsp will accept reach it (framed again,
//! through an in-memory pipe). Anything else is answered with a JSON-RPC error (`id: null`: the
//! message's id cannot be known), logged to stderr and skipped up to the next `Content-Length`.
//!
//! The server's output passes through here too, one whole frame at a time, so that these errors never
//! land inside one of its messages.

use std::future::Future;
use std::io;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Error, Id, Request, Response};

/// The largest body accepted from the client. Memory grows with the bytes received, never with the
/// declared length; a larger length is answered at once, since waiting for its body would stall the
/// session.
const MAX_BODY: u64 = 1 << 30;
/// The largest header block (real ones are under 100 bytes).
const MAX_HEADER: usize = 8 << 10;
/// Where a frame starts: what is searched for to skip garbage.
const CONTENT_LENGTH: &[u8] = b"Content-Length";
/// Buffer size of the in-memory pipes to and from tower-lsp.
const PIPE_SIZE: usize = 64 << 10;

/// Runs `server` (tower-lsp's `Server::serve`) on pipes, with `input` and `output` framed here.
/// Returns what `server` returns, once it ended and its output is written. The end of `input` is
/// the end of the server's input; the server ending (`exit`) does not wait for `input`, which may stay
/// open.
pub(crate) async fn serve<I, O, S, F>(input: I, output: O, server: S) -> F::Output
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
    S: FnOnce(DuplexStream, DuplexStream) -> F,
    F: Future,
{
    let (server_input, to_server) = tokio::io::duplex(PIPE_SIZE);
    let (server_output, from_server) = tokio::io::duplex(PIPE_SIZE);
    let (frames, frames_out) = mpsc::channel(16);
    let (errors, errors_out) = mpsc::channel(16);
    let read = async {
        read_input(input, to_server, errors).await;
        std::future::pending::<()>().await;
    };
    let served = async {
        let (result, (), ()) = tokio::join!(
            server(server_input, server_output),
            read_output(from_server, frames),
            write_output(frames_out, errors_out, output),
        );
        result
    };
    tokio::select! {
        result = served => result,
        () = read => unreachable!("reading input never ends the session by itself"),
    }
}

/// Forwards the client's valid messages to the server and answers the rest with errors.
async fn read_input<I: AsyncRead + Unpin>(
    input: I,
    mut to_server: DuplexStream,
    errors: mpsc::Sender<Vec<u8>>,
) {
    let mut frames = Frames::new(input, MAX_BODY);
    // True after an error, until a valid message: garbage that follows a broken frame (the rest of its
    // body) is part of the same error.
    let mut answered = false;
    while let Ok(Some(frame)) = frames.next().await {
        let (response, reason) = match frame {
            Frame::Body(body) => match check(&body) {
                Ok(()) => {
                    answered = false;
                    if to_server.write_all(&framed(&body)).await.is_err() {
                        return;
                    }
                    continue;
                }
                Err(answer) => answer,
            },
            Frame::Garbage(_) if answered => continue,
            Frame::Garbage(reason) => (unreadable(Error::parse_error(), &reason), reason),
        };
        // A request refused with its id was read fine: it does not swallow the garbage after it.
        answered = *response.id() == Id::Null;
        eprintln!("brine server: {reason}; answered with an error");
        let body = serde_json::to_vec(&response).expect("a response serializes");
        if errors.send(framed(&body)).await.is_err() {
            return;
        }
    }
}

/// Reads the server's frames (always well formed) and passes them on whole.
async fn read_output(from_server: DuplexStream, frames: mpsc::Sender<Vec<u8>>) {
    let mut server_frames = Frames::new(from_server, u64::MAX);
    while let Ok(Some(frame)) = server_frames.next().await {
        if let Frame::Body(body) = frame {
            if frames.send(framed(&body)).await.is_err() {
                return;
            }
        }
    }
}

/// Writes the server's frames and the error answers, each whole. Ends when the server's output does.
async fn write_output<O: AsyncWrite>(
    mut frames: mpsc::Receiver<Vec<u8>>,
    mut errors: mpsc::Receiver<Vec<u8>>,
    output: O,
) {
    let mut output = std::pin::pin!(output);
    let mut open = true;
    loop {
        // An error goes out before any frame received after it: it answers an earlier message.
        let frame = tokio::select! {
            biased;
            Some(error) = errors.recv() => error,
            frame = frames.recv() => match frame {
                Some(frame) => frame,
                None => break,
            },
        };
        // A client that stopped reading must not block the server: keep draining.
        if open {
            open = output.write_all(&frame).await.is_ok() && output.flush().await.is_ok();
        }
    }
}

/// `Content-Length` framing of a body.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body);
    frame
}

/// tower-lsp's own message type (private to it): a body it can decode is one of these.
#[derive(Deserialize)]
#[serde(untagged)]
enum Message {
    #[allow(dead_code)] // Only parsed, to validate.
    Response(Response),
    Request(Request),
}

/// Whether tower-lsp can take `body`; if not, the answer and why.
fn check(body: &[u8]) -> Result<(), (Response, String)> {
    let reject = |error: Error, reason: String| Err((unreadable(error, &reason), reason));
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(error) => return reject(Error::parse_error(), format!("invalid UTF-8: {error}")),
    };
    match serde_json::from_str::<Message>(text) {
        // tower-lsp drops its MethodNotFound answer to every `$/` method, requests included; a request
        // must be answered, and no `$/` request exists for a server.
        Ok(Message::Request(request)) if request.method().starts_with("$/") => match request.id() {
            Some(id) => Err((
                Response::from_error(id.clone(), Error::method_not_found()),
                format!("unknown request {}", request.method()),
            )),
            None => Ok(()),
        },
        Ok(_) => Ok(()),
        Err(error) if error.is_data() => reject(
            Error::invalid_request(),
            format!("not a JSON-RPC message: {error}"),
        ),
        Err(error) => reject(Error::parse_error(), format!("invalid JSON: {error}")),
    }
}

/// The answer to a message that could not be read (so its id is unknown).
fn unreadable(mut error: Error, reason: &str) -> Response {
    error.data = Some(reason.into());
    Response::from_error(Id::Null, error)
}

enum Frame {
    Body(Vec<u8>),
    /// Bytes that are not a frame, and why.
    Garbage(String),
}

/// Splits a byte stream into frame bodies without trusting it.
struct Frames<R> {
    input: R,
    max_body: u64,
    buffer: Vec<u8>,
    /// Set after garbage: the next frame starts at the next `Content-Length`.
    skipping: bool,
}

impl<R: AsyncRead + Unpin> Frames<R> {
    fn new(input: R, max_body: u64) -> Self {
        Frames {
            input,
            max_body,
            buffer: Vec::new(),
            skipping: false,
        }
    }

    /// The next frame, or `None` at the end of the input (an unfinished frame is dropped).
    async fn next(&mut self) -> io::Result<Option<Frame>> {
        if std::mem::take(&mut self.skipping) && !self.skip_to_header().await? {
            return Ok(None);
        }
        loop {
            match parse_header(&self.buffer, self.max_body) {
                Header::Complete { len, body_len } => {
                    self.buffer.drain(..len);
                    while self.buffer.len() < body_len {
                        if !self.fill().await? {
                            return Ok(None);
                        }
                    }
                    // The body keeps the allocation (a large one goes with it); the rest is small.
                    let rest = self.buffer.split_off(body_len);
                    return Ok(Some(Frame::Body(std::mem::replace(&mut self.buffer, rest))));
                }
                Header::Invalid(reason) => {
                    self.skipping = true;
                    return Ok(Some(Frame::Garbage(reason)));
                }
                Header::Incomplete => {
                    if !self.fill().await? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Drops bytes up to the next `Content-Length` after the first byte (the start of the header just
    /// rejected). Keeps only a possible partial match at the end while searching, so garbage never
    /// accumulates. False at the end of the input.
    async fn skip_to_header(&mut self) -> io::Result<bool> {
        let mut from = 1;
        loop {
            let found = self
                .buffer
                .get(from..)
                .and_then(|rest| find(rest, CONTENT_LENGTH));
            if let Some(at) = found {
                self.buffer.drain(..from + at);
                return Ok(true);
            }
            let keep = self.buffer.len().min(CONTENT_LENGTH.len() - 1);
            self.buffer.drain(..self.buffer.len() - keep);
            from = 0;
            if !self.fill().await? {
                return Ok(false);
            }
        }
    }

    /// Reads more input into the buffer; false at the end of the input.
    async fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0; 8 << 10];
        let read = self.input.read(&mut chunk).await?;
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(read > 0)
    }
}

#[derive(Debug, PartialEq)]
enum Header {
    /// The header block and the body's length.
    Complete { len: usize, body_len: usize },
    /// Not a header block, and why.
    Invalid(String),
    /// So far a valid start of a header block.
    Incomplete,
}

/// Parses the header block at the start of `buffer`: `Name: value` lines up to an empty line (CRLF,
/// or a bare LF), with a `Content-Length` (any case) of at most `max_body`. Other headers
/// (`Content-Type`) are ignored, as the body is always UTF-8 JSON.
fn parse_header(buffer: &[u8], max_body: u64) -> Header {
    let mut body_len = None;
    let mut start = 0;
    while let Some(newline) = buffer[start..].iter().position(|&b| b == b'\n') {
        let line = trim_cr(&buffer[start..start + newline]);
        start += newline + 1;
        if start > MAX_HEADER {
            break;
        }
        if line.is_empty() {
            return match body_len {
                Some(body_len) => Header::Complete {
                    len: start,
                    body_len,
                },
                None => Header::Invalid("no Content-Length header".to_owned()),
            };
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return not_a_header(line);
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().copied().all(is_token) {
            return not_a_header(line);
        }
        if name.eq_ignore_ascii_case(CONTENT_LENGTH) {
            let value = String::from_utf8_lossy(value);
            match value.trim().parse::<u64>() {
                Ok(len) if len <= max_body => body_len = Some(len as usize),
                Ok(len) => return Header::Invalid(format!("Content-Length {len} is too large")),
                Err(_) => return Header::Invalid(format!("Content-Length {:?}", value.trim())),
            }
        }
    }
    if start > MAX_HEADER || buffer.len() > MAX_HEADER {
        return Header::Invalid(format!("a header block over {MAX_HEADER} bytes"));
    }
    // An unfinished line can still become a header while its name is a token.
    let partial = trim_cr(&buffer[start..]);
    let name = partial.split(|&b| b == b':').next().unwrap_or_default();
    if name.iter().copied().all(is_token) {
        Header::Incomplete
    } else {
        not_a_header(partial)
    }
}

fn not_a_header(line: &[u8]) -> Header {
    let start = String::from_utf8_lossy(&line[..line.len().min(40)]);
    Header::Invalid(format!("not a header: {start}"))
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A character of an HTTP header name (RFC 9110 `tchar`).
fn is_token(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let complete = |len, body_len| Header::Complete { len, body_len };
        assert_eq!(
            parse_header(b"Content-Length: 12\r\n\r\n{}", MAX_BODY),
            complete(22, 12)
        );
        assert_eq!(
            parse_header(b"content-length:3\n\n", MAX_BODY),
            complete(18, 3)
        );
        assert_eq!(parse_header(b"", MAX_BODY), Header::Incomplete);
        assert_eq!(
            parse_header(b"Content-Length: 12\r", MAX_BODY),
            Header::Incomplete
        );
        assert_eq!(
            parse_header(b"Content-Length: 12\r\n\r", MAX_BODY),
            Header::Incomplete
        );
        for invalid in [
            &b"{\"jsonrpc\""[..],
            b"\r\n",
            b"Content-Type: x\r\n\r\n",
            b"Content-Length: -1\r\n\r\n",
            b"Content-Length: 1000000000000\r\n\r\n",
            b"}Content-Length: 2\r\n\r\n",
        ] {
            assert!(
                matches!(parse_header(invalid, MAX_BODY), Header::Invalid(_)),
                "{}",
                String::from_utf8_lossy(invalid)
            );
        }
        let long = [b'a'; MAX_HEADER + 1];
        assert!(matches!(parse_header(&long, MAX_BODY), Header::Invalid(_)));
    }

    #[tokio::test]
    async fn garbage_is_skipped_up_to_the_next_header_even_across_reads() {
        let input: &[u8] = b"Content-Length: x\r\n\r\n{garbage}Content-Length: 2\r\n\r\n{}";
        // One byte per read, so that `Content-Length` is split across reads.
        let (mut client, server) = tokio::io::duplex(1);
        tokio::spawn(async move { client.write_all(input).await });
        let mut frames = Frames::new(server, MAX_BODY);
        assert!(matches!(frames.next().await, Ok(Some(Frame::Garbage(_)))));
        assert!(matches!(frames.next().await, Ok(Some(Frame::Body(body))) if body == b"{}"));
        assert!(matches!(frames.next().await, Ok(None)));
    }
}
