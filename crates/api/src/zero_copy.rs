//! Zero-copy file downloads over HTTP/1: the bytes of a stored file go from the page cache
//! to the socket with `sendfile(2)`, never through user space.
//!
//! How: every connection is a [`ZeroCopyIo`] with a queue of file segments. A download body
//! ([`file_body`]) does not read the file; each frame it yields is a slice of one static
//! placeholder buffer, and it queues the file segment those bytes stand for. hyper keeps
//! its bookkeeping (Content-Length, keep-alive, backpressure) as for any body and passes the
//! frames to the connection unchanged (vectored writes queue `Bytes` as they are). When
//! [`ZeroCopyIo`] is asked to write a slice of the placeholder, it sends that many bytes of
//! the front segment with `sendfile` instead; everything else it writes as usual.
//!
//! This holds only where frames reach the connection byte for byte in order: HTTP/1 (one
//! response at a time), no layer that re-encodes bodies (no compression, no TLS in this
//! process). [`Peer::file_sink`] hands out the queue for HTTP/1 requests only; everywhere
//! else downloads stream through user space.

use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::http::Version;
use axum::serve::IncomingStream;
use bytes::Bytes;
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How many bytes one placeholder frame stands for at most.
const FRAME: usize = 2 << 20;

/// The placeholder every frame of a file body points into; its bytes are never sent.
static PLACEHOLDER: [u8; FRAME] = [0; FRAME];

fn is_placeholder(buf: &[u8]) -> bool {
    let start = PLACEHOLDER.as_ptr() as usize;
    let at = buf.as_ptr() as usize;
    !buf.is_empty() && at >= start && at < start + FRAME
}

/// A run of file bytes that placeholder frames already handed to hyper stand for.
struct Segment {
    file: Arc<File>,
    offset: u64,
    len: usize,
}

/// The file segments a connection still has to send, in the order hyper writes them.
#[derive(Clone, Default)]
pub struct FileSink(Arc<Mutex<VecDeque<Segment>>>);

impl FileSink {
    fn push(&self, segment: Segment) -> io::Result<()> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("file segment queue poisoned"))?
            .push_back(segment);
        Ok(())
    }
}

/// The connection facts handlers see: the TCP peer, and the connection's [`FileSink`].
#[derive(Clone)]
pub struct Peer {
    pub addr: SocketAddr,
    sink: FileSink,
}

impl Peer {
    /// The sink for zero-copy bodies, when a request of `version` can use one.
    pub fn file_sink(&self, version: Version) -> Option<FileSink> {
        let http1 = matches!(version, Version::HTTP_10 | Version::HTTP_11);
        (http1 && cfg!(target_os = "linux")).then(|| self.sink.clone())
    }
}

impl Connected<IncomingStream<'_, ZeroCopyListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, ZeroCopyListener>) -> Self {
        Self {
            addr: *stream.remote_addr(),
            sink: stream.io().sink.clone(),
        }
    }
}

/// A response body of `len` bytes of `file` from `offset`, sent by the connection itself.
pub fn file_body(sink: FileSink, file: File, offset: u64, len: u64) -> Body {
    Body::new(FileBody {
        sink,
        file: Arc::new(file),
        offset,
        remaining: len,
    })
}

struct FileBody {
    sink: FileSink,
    file: Arc<File>,
    offset: u64,
    remaining: u64,
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let len = usize::try_from(this.remaining).map_or(FRAME, |r| r.min(FRAME));
        let segment = Segment {
            file: this.file.clone(),
            offset: this.offset,
            len,
        };
        if let Err(e) = this.sink.push(segment) {
            return Poll::Ready(Some(Err(e)));
        }
        read_ahead(&this.file, this.offset, len);
        this.offset += len as u64;
        this.remaining -= len as u64;
        let frame = Bytes::from_static(&PLACEHOLDER[..len]);
        Poll::Ready(Some(Ok(http_body::Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

/// Asks the kernel to start reading a segment from disk, so `sendfile` rarely waits on it.
fn read_ahead(file: &File, offset: u64, len: usize) {
    #[cfg(target_os = "linux")]
    {
        let len = std::num::NonZeroU64::new(len as u64);
        // Only a hint: a refusal changes nothing but the timing.
        let _ = rustix::fs::fadvise(file, offset, len, rustix::fs::Advice::WillNeed);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// Accepts TCP connections as [`ZeroCopyIo`]s.
pub struct ZeroCopyListener(pub TcpListener);

impl axum::serve::Listener for ZeroCopyListener {
    type Io = ZeroCopyIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (ZeroCopyIo, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((tcp, addr)) => {
                    let io = ZeroCopyIo {
                        tcp,
                        sink: FileSink::default(),
                    };
                    return (io, addr);
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    tracing::error!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A TCP connection that sends placeholder slices as file bytes (see the module docs).
pub struct ZeroCopyIo {
    tcp: TcpStream,
    sink: FileSink,
}

impl ZeroCopyIo {
    /// Sends up to `max` bytes of the front segment straight from the file.
    fn poll_send_file(&mut self, cx: &mut Context<'_>, max: usize) -> Poll<io::Result<usize>> {
        let mut queue = self
            .sink
            .0
            .lock()
            .map_err(|_| io::Error::other("file segment queue poisoned"))?;
        let Some(segment) = queue.front_mut() else {
            return Poll::Ready(Err(io::Error::other(
                "placeholder bytes without a file segment",
            )));
        };
        let count = max.min(segment.len);
        loop {
            ready!(self.tcp.poll_write_ready(cx))?;
            let sent = self.tcp.try_io(Interest::WRITABLE, || {
                send_file(&self.tcp, &segment.file, segment.offset, count)
            });
            match sent {
                Ok(0) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "stored file is shorter than its record",
                    )));
                }
                Ok(n) => {
                    segment.offset += n as u64;
                    segment.len -= n;
                    if segment.len == 0 {
                        queue.pop_front();
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn send_file(socket: &TcpStream, file: &File, offset: u64, count: usize) -> io::Result<usize> {
    let mut offset = offset;
    rustix::fs::sendfile(socket, file, Some(&mut offset), count).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn send_file(_: &TcpStream, _: &File, _: u64, _: usize) -> io::Result<usize> {
    Err(io::Error::other("zero-copy sending needs Linux"))
}

impl AsyncRead for ZeroCopyIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for ZeroCopyIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if is_placeholder(buf) {
            this.poll_send_file(cx, buf.len())
        } else {
            Pin::new(&mut this.tcp).poll_write(cx, buf)
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Ordinary bytes up to the first placeholder slice go out together; a placeholder
        // slice at the front goes out as file bytes.
        let bufs = match bufs.iter().position(|b| !b.is_empty()) {
            Some(first) => &bufs[first..],
            None => return Poll::Ready(Ok(0)),
        };
        match bufs.iter().position(|b| is_placeholder(b)) {
            Some(0) => this.poll_send_file(cx, bufs[0].len()),
            Some(end) => Pin::new(&mut this.tcp).poll_write_vectored(cx, &bufs[..end]),
            None => Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        // hyper queues body frames as they are only for vectored writers; a flattening
        // writer would copy the placeholder bytes, so this must stay true.
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slices_of_the_placeholder_count_as_placeholders() {
        assert!(is_placeholder(&PLACEHOLDER[..1]));
        assert!(is_placeholder(&PLACEHOLDER[FRAME - 1..]));
        assert!(!is_placeholder(&PLACEHOLDER[..0]));
        let copy = vec![0u8; 16];
        assert!(!is_placeholder(&copy));
    }
}
