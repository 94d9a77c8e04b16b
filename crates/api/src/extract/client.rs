//! The client's address for link rules: the TCP peer, or what a trusted proxy forwarded.

use crate::error::ApiError;
use crate::state::AppState;
use crate::zero_copy::Peer;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use defdrive_core::client_addr::{Forwarded, client_address};
use std::net::IpAddr;

/// The address a request comes from (SPEC section 5).
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .map(|ConnectInfo(peer)| peer.addr.ip())
            .ok_or_else(|| {
                ApiError::internal("Failed to read the client address", "no peer address")
            })?;
        let forwarded = joined(&parts.headers, "forwarded");
        let x_forwarded_for = joined(&parts.headers, "x-forwarded-for");
        let x_real_ip = joined(&parts.headers, "x-real-ip");
        let headers = Forwarded {
            forwarded: forwarded.as_deref(),
            x_forwarded_for: x_forwarded_for.as_deref(),
            x_real_ip: x_real_ip.as_deref(),
        };
        Ok(Self(client_address(
            peer,
            headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// All values of a header joined by `,` (or `None` when absent or not text).
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}
