//! The request's connection: whether a download may be sent zero-copy on it.

use crate::zero_copy::{FileSink, Peer};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;

/// The connection's [`FileSink`], when the request's protocol allows zero-copy bodies.
pub struct Connection(pub Option<FileSink>);

impl<S: Send + Sync> FromRequestParts<S> for Connection {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let sink = parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .and_then(|ConnectInfo(peer)| peer.file_sink(parts.version));
        Ok(Self(sink))
    }
}
