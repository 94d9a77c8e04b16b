//! The web UI's tests: its HTTP surface (headers, caching, JSON 404s) with reqwest, and the
//! browser suite in `e2e/` (Node with playwright-core driving headless Chromium) against a
//! real server. The browser suite needs Node.js 20+, npm and Chromium; when one is missing
//! the test fails and says how to install it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod server;
mod ui_routes;
