//! `GET /link/{token}` (SPEC section 5): every refusal with its status and text, the order of
//! the checks, that a refusal consumes nothing, exact one-time and TTL limits under
//! concurrency (on one server and across two sharing a database), HEAD, the client address
//! and forwarding headers, the response headers, ranges, conditional requests and awkward
//! file names.

use crate::harness::{Backend, Server, assert_error, random_hex, status_json};
use crate::{all_storages, both};
use reqwest::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED, RANGE,
};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

both!(
    unknown_or_deleted_links_are_not_found,
    deleted_file_links_answer_not_found,
    not_public_file_or_access_is_refused,
    address_allow_lists,
    expired_links_are_refused,
    one_time_link_serves_once,
    ttl_link_serves_exactly_ttl_downloads,
    checks_run_in_the_spec_order,
    refusals_consume_nothing,
    concurrent_one_time_link_serves_exactly_once,
    concurrent_ttl_link_serves_exactly_ttl,
    head_runs_the_checks_and_never_consumes,
    forwarding_headers_from_an_untrusted_peer_are_ignored,
    forwarding_headers_from_a_trusted_proxy_name_the_client,
    conditional_requests,
    awkward_file_name_survives_the_round_trip,
);

all_storages!(
    one_time_link_across_two_servers_serves_once,
    ttl_link_across_two_servers_serves_exactly_ttl,
    download_response_headers,
    range_requests,
    ranges_consume_and_unsatisfiable_ranges_do_not,
);

const NOT_FOUND: &str = "Access link not found";
const FILE_NOT_FOUND: &str = "File not found";
const NOT_PUBLIC: &str = "Access denied: file or access is not public";
const IPS_ONLY: &str = "Access restricted to specific IPs";
const SUBNETS_ONLY: &str = "Access restricted to specific subnets";
const EXPIRED: &str = "Access link has expired";
const USED: &str = "Access link has already been used";
const TTL_REACHED: &str = "Access link has reached its TTL limit";

/// An owner with one uploaded file.
struct Shared {
    server: Server,
    token: String,
    file_id: i64,
    bytes: Vec<u8>,
}

impl Shared {
    /// A server with `alice` and her file `name` holding `bytes`, made public.
    async fn start(backend: Backend, env: &[(&str, &str)], name: &str, bytes: Vec<u8>) -> Self {
        let server = Server::start_with(backend, env).await;
        let token = server.user("alice").await;
        let file = server.upload_ok(&token, name, bytes.clone()).await;
        let file_id = file["ID"].as_i64().unwrap();
        let shared = Self {
            server,
            token,
            file_id,
            bytes,
        };
        shared.set_file_public(true).await;
        shared
    }

    async fn set_file_public(&self, public: bool) {
        let (status, body) = status_json(
            self.server
                .send_json(
                    Method::PUT,
                    &format!("/api/files/{}/access", self.file_id),
                    Some(&self.token),
                    json!({ "public": public }),
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["file"]["Public"], public);
    }

    /// Creates a link on the file from `rules` over `{"name":"link","public":true}`,
    /// returning its Access object.
    async fn link(&self, rules: Value) -> Value {
        let (status, body) = status_json(
            self.server
                .send_json(
                    Method::POST,
                    &format!("/api/files/{}/access", self.file_id),
                    Some(&self.token),
                    with_defaults(rules),
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "create link: {body}");
        let access = body["access"].clone();
        let token = access["Link"].as_str().expect("Link");
        assert_eq!(token.len(), 32, "{access}");
        assert!(
            body["link"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/link/{token}")),
            "{body}"
        );
        access
    }

    /// Replaces the link's rules (update replaces all eight fields).
    async fn update(&self, access: &Value, rules: Value) -> Value {
        let (status, body) = status_json(
            self.server
                .send_json(
                    Method::PUT,
                    &format!("/api/access/{}", access["ID"]),
                    Some(&self.token),
                    with_defaults(rules),
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "update link: {body}");
        body["access"].clone()
    }

    /// The link's current record.
    async fn state(&self, access: &Value) -> Value {
        let (status, body) = status_json(
            self.server
                .get(&format!("/api/access/{}", access["ID"]), Some(&self.token))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "get link: {body}");
        body["access"].clone()
    }

    /// `(Used, TTL)` of the link now.
    async fn uses(&self, access: &Value) -> (Value, Value) {
        let state = self.state(access).await;
        (state["Used"].clone(), state["TTL"].clone())
    }

    /// A request on the link with `method` (headers to be added by the caller).
    fn on(&self, access: &Value, method: Method) -> reqwest::RequestBuilder {
        self.server.request(method, &path(access), None)
    }

    async fn get(&self, access: &Value) -> Response {
        self.on(access, Method::GET).send().await.expect("GET link")
    }

    async fn head(&self, access: &Value) -> Response {
        self.on(access, Method::HEAD)
            .send()
            .await
            .expect("HEAD link")
    }

    /// A GET that must send the whole file.
    async fn download_ok(&self, access: &Value) {
        let response = self.get(access).await;
        assert_full(response, &self.bytes).await;
    }

    /// A GET that must be refused with `status` and `message`.
    async fn refused(&self, access: &Value, status: StatusCode, message: &str) {
        assert_error(self.get(access).await, status, message).await;
    }
}

fn with_defaults(rules: Value) -> Value {
    let mut body = json!({"name": "link", "public": true});
    for (key, value) in rules.as_object().expect("rules object") {
        body[key] = value.clone();
    }
    body
}

fn path(access: &Value) -> String {
    format!("/link/{}", access["Link"].as_str().expect("Link"))
}

fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

/// RFC 3339 for now + `seconds` (negative: in the past).
fn rfc3339_in(seconds: i64) -> String {
    let now = SystemTime::now();
    let at = if seconds >= 0 {
        now + Duration::from_secs(seconds.unsigned_abs())
    } else {
        now - Duration::from_secs(seconds.unsigned_abs())
    };
    humantime::format_rfc3339_millis(at).to_string()
}

fn header(response: &Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(&name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", response.headers()))
        .to_str()
        .unwrap_or_else(|_| panic!("{name} is not visible ASCII"))
        .to_owned()
}

async fn assert_full(response: Response, expected: &[u8]) {
    let status = response.status();
    let body = response.bytes().await.expect("body");
    assert_eq!(
        status,
        StatusCode::OK,
        "body: {:?}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(body.as_ref(), expected, "downloaded bytes");
}

/// Sends a GET to every url at once (after a barrier) and returns status and body of each.
async fn get_at_once(client: &Client, urls: Vec<String>) -> Vec<(StatusCode, Vec<u8>)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(urls.len()));
    let tasks: Vec<_> = urls
        .into_iter()
        .map(|url| {
            let (client, barrier) = (client.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let response = client.get(url).send().await.expect("GET link");
                let status = response.status();
                (status, response.bytes().await.expect("body").to_vec())
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// Counts the 200s (each must carry the whole file); every other answer must be the 403
/// `refusal`.
fn count_served(results: &[(StatusCode, Vec<u8>)], expected: &[u8], refusal: &str) -> usize {
    let mut served = 0;
    for (status, body) in results {
        if *status == StatusCode::OK {
            assert_eq!(body.as_slice(), expected, "a served download");
            served += 1;
        } else {
            let error: Value = serde_json::from_slice(body)
                .unwrap_or_else(|_| panic!("{status}: {:?}", String::from_utf8_lossy(body)));
            assert_eq!(
                (*status, error["error"].as_str()),
                (StatusCode::FORBIDDEN, Some(refusal)),
                "every refused request: {error}"
            );
        }
    }
    served
}

// ---- refusals

async fn unknown_or_deleted_links_are_not_found(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.txt", b"hello".to_vec()).await;
    let server = &shared.server;
    for token in [
        random_hex() + &random_hex(),
        "nothex".into(),
        "0".repeat(32),
    ] {
        let response = server.get(&format!("/link/{token}"), None).await;
        assert_error(response, StatusCode::NOT_FOUND, NOT_FOUND).await;
    }
    // An upper-cased real token is another token.
    let access = shared.link(json!({})).await;
    shared.download_ok(&access).await;
    let upper = access["Link"].as_str().unwrap().to_uppercase();
    let response = server.get(&format!("/link/{upper}"), None).await;
    assert_error(response, StatusCode::NOT_FOUND, NOT_FOUND).await;
    // A deleted access is gone too, HEAD included.
    let deleted = server
        .request(
            Method::DELETE,
            &format!("/api/access/{}", access["ID"]),
            Some(&shared.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    shared
        .refused(&access, StatusCode::NOT_FOUND, NOT_FOUND)
        .await;
    assert_eq!(shared.head(&access).await.status(), StatusCode::NOT_FOUND);
}

async fn deleted_file_links_answer_not_found(backend: Backend) {
    let shared = Shared::start(backend, &[], "gone.txt", b"old bytes".to_vec()).await;
    let server = &shared.server;
    let open = shared.link(json!({})).await;
    let once = shared.link(json!({"oneTimeUse": true})).await;
    shared.download_ok(&open).await;
    let deleted = server
        .request(
            Method::DELETE,
            &format!("/api/files/{}", shared.file_id),
            Some(&shared.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    // SPEC 4.7: the accesses are soft-deleted with the file, so check 1 (no live access)
    // may answer before check 2; either way a 404 with one of the two texts.
    let check = |status: StatusCode, body: &Value| {
        let error = body["error"].as_str().unwrap_or_default();
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert!(
            error == NOT_FOUND || error == FILE_NOT_FOUND,
            "unexpected error: {body}"
        );
    };
    for access in [&open, &once] {
        let (status, body) = status_json(shared.get(access).await).await;
        check(status, &body);
        assert_eq!(shared.head(access).await.status(), StatusCode::NOT_FOUND);
    }
    // A new file of the same name does not bring the old links back.
    let again = server
        .upload_ok(&shared.token, "gone.txt", b"new bytes".to_vec())
        .await;
    let again_id = again["ID"].as_i64().unwrap();
    assert_ne!(again_id, shared.file_id);
    let made_public = server
        .send_json(
            Method::PUT,
            &format!("/api/files/{again_id}/access"),
            Some(&shared.token),
            json!({"public": true}),
        )
        .await;
    assert_eq!(made_public.status(), StatusCode::OK);
    for access in [&open, &once] {
        let (status, body) = status_json(shared.get(access).await).await;
        check(status, &body);
    }
    // The new file's own link works and serves the new bytes.
    let (status, body) = status_json(
        server
            .send_json(
                Method::POST,
                &format!("/api/files/{again_id}/access"),
                Some(&shared.token),
                json!({"name": "new", "public": true}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(body["access"]["Link"], open["Link"]);
    let response = server.get(&path(&body["access"]), None).await;
    assert_full(response, b"new bytes").await;
}

async fn not_public_file_or_access_is_refused(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.txt", b"hello".to_vec()).await;
    let public = shared.link(json!({})).await;
    let private = shared.link(json!({"public": false})).await;
    // File public, access not public.
    shared
        .refused(&private, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    shared.download_ok(&public).await;
    // File private: even the public access is refused.
    shared.set_file_public(false).await;
    shared
        .refused(&public, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    shared
        .refused(&private, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    assert_eq!(shared.head(&public).await.status(), StatusCode::FORBIDDEN);
    // Public again: the public access serves, the private one still does not.
    shared.set_file_public(true).await;
    shared.download_ok(&public).await;
    shared
        .refused(&private, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    // Making the access public opens it.
    let opened = shared.update(&private, json!({"public": true})).await;
    assert_eq!(opened["Public"], true);
    shared.download_ok(&private).await;
}

async fn address_allow_lists(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.txt", b"hello".to_vec()).await;
    // The test client is 127.0.0.1.
    for (rules, refusal) in [
        (json!({"ips": ["203.0.113.45"]}), IPS_ONLY),
        (json!({"ips": ["127.0.0.2", "::1"]}), IPS_ONLY),
        (json!({"subnets": ["10.0.0.0/8"]}), SUBNETS_ONLY),
        (
            json!({"subnets": ["127.0.0.2", "128.0.0.0/1"]}),
            SUBNETS_ONLY,
        ),
        // Both lists set and neither matches: the IPs message.
        (
            json!({"ips": ["203.0.113.45"], "subnets": ["10.0.0.0/8"]}),
            IPS_ONLY,
        ),
    ] {
        let access = shared.link(rules.clone()).await;
        let (status, body) = status_json(shared.get(&access).await).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::FORBIDDEN, Some(refusal)),
            "rules {rules}: {body}"
        );
    }
    for rules in [
        json!({"ips": ["127.0.0.1"]}),
        json!({"ips": ["203.0.113.45", "127.0.0.1"]}),
        json!({"ips": ["::ffff:127.0.0.1"]}),
        json!({"subnets": ["127.0.0.0/8"]}),
        json!({"subnets": ["127.0.0.1"]}),
        json!({"subnets": ["10.0.0.0/8", "127.0.0.0/30"]}),
        // Either list may match.
        json!({"ips": ["203.0.113.45"], "subnets": ["127.0.0.0/8"]}),
        json!({"ips": ["127.0.0.1"], "subnets": ["10.0.0.0/8"]}),
        // Blank entries are dropped, so this is an unrestricted link.
        json!({"ips": [""], "subnets": [""]}),
    ] {
        let access = shared.link(rules.clone()).await;
        let response = shared.get(&access).await;
        assert_eq!(response.status(), StatusCode::OK, "rules {rules}");
        assert_eq!(response.bytes().await.unwrap().as_ref(), b"hello");
    }
}

async fn expired_links_are_refused(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.txt", b"hello".to_vec()).await;
    // Far enough ahead for the downloads below on a loaded machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(6);
    let expires = rfc3339_in(6);
    let soon = shared.link(json!({"expires": expires})).await;
    let soon_once = shared
        .link(json!({"expires": expires, "oneTimeUse": true}))
        .await;
    let soon_ttl = shared
        .link(json!({"expires": expires, "enableTTL": true, "ttl": 1}))
        .await;
    let later = shared.link(json!({"expires": rfc3339_in(3600)})).await;
    let never = shared.link(json!({"expires": ""})).await;
    // Before the time: served; the limited ones use up their downloads.
    shared.download_ok(&soon).await;
    shared.download_ok(&soon).await;
    shared.download_ok(&soon_once).await;
    shared
        .refused(&soon_once, StatusCode::FORBIDDEN, USED)
        .await;
    shared.download_ok(&soon_ttl).await;
    shared
        .refused(&soon_ttl, StatusCode::FORBIDDEN, TTL_REACHED)
        .await;
    assert!(
        std::time::Instant::now() < deadline,
        "the downloads before expiry took too long"
    );
    tokio::time::sleep_until((deadline + Duration::from_millis(1500)).into()).await;
    shared.refused(&soon, StatusCode::FORBIDDEN, EXPIRED).await;
    assert_eq!(shared.head(&soon).await.status(), StatusCode::FORBIDDEN);
    // Expiry is checked before one-time use and TTL.
    shared
        .refused(&soon_once, StatusCode::FORBIDDEN, EXPIRED)
        .await;
    shared
        .refused(&soon_ttl, StatusCode::FORBIDDEN, EXPIRED)
        .await;
    shared.download_ok(&later).await;
    shared.download_ok(&never).await;
    // Updating a live link to a past time expires it; to the future revives it.
    shared
        .update(&later, json!({"expires": rfc3339_in(-60)}))
        .await;
    shared.refused(&later, StatusCode::FORBIDDEN, EXPIRED).await;
    shared
        .update(&never, json!({"expires": "2001-02-03T04:05:06.789Z"}))
        .await;
    shared.refused(&never, StatusCode::FORBIDDEN, EXPIRED).await;
    shared
        .update(&later, json!({"expires": rfc3339_in(3600)}))
        .await;
    shared.download_ok(&later).await;
}

async fn one_time_link_serves_once(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.bin", bytes(10_000)).await;
    let access = shared.link(json!({"oneTimeUse": true})).await;
    assert_eq!(access["Used"], false);
    shared.download_ok(&access).await;
    assert_eq!(shared.uses(&access).await.0, true);
    for _ in 0..3 {
        shared.refused(&access, StatusCode::FORBIDDEN, USED).await;
    }
    // An update keeps `Used`.
    shared
        .update(&access, json!({"oneTimeUse": true, "name": "renamed"}))
        .await;
    shared.refused(&access, StatusCode::FORBIDDEN, USED).await;
    // Another one-time link on the same file is its own.
    let other = shared.link(json!({"oneTimeUse": true})).await;
    shared.download_ok(&other).await;
}

async fn ttl_link_serves_exactly_ttl_downloads(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.bin", bytes(10_000)).await;
    let access = shared.link(json!({"enableTTL": true, "ttl": 3})).await;
    assert_eq!(access["TTL"], 3);
    for left in [2, 1, 0] {
        shared.download_ok(&access).await;
        assert_eq!(shared.uses(&access).await.1, left);
    }
    for _ in 0..3 {
        shared
            .refused(&access, StatusCode::FORBIDDEN, TTL_REACHED)
            .await;
    }
    assert_eq!(shared.uses(&access).await, (json!(false), json!(0)));
    // ttl = 1 serves one.
    let one = shared.link(json!({"enableTTL": true, "ttl": 1})).await;
    shared.download_ok(&one).await;
    shared
        .refused(&one, StatusCode::FORBIDDEN, TTL_REACHED)
        .await;
    // A TTL that is not enabled limits nothing and is not counted down.
    let off = shared.link(json!({"enableTTL": false, "ttl": 1})).await;
    for _ in 0..3 {
        shared.download_ok(&off).await;
    }
    assert_eq!(shared.uses(&off).await.1, 1);
}

async fn checks_run_in_the_spec_order(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.txt", b"hello".to_vec()).await;
    let past = "2001-01-01T00:00:00Z";
    let everything_wrong = json!({
        "public": false, "ips": ["203.0.113.45"], "subnets": ["10.0.0.0/8"],
        "expires": past, "oneTimeUse": true,
    });
    // 3 before 4 and 5: access not public.
    let private = shared.link(everything_wrong.clone()).await;
    shared
        .refused(&private, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    // 4 before 5: wrong address, expired.
    let restricted = shared
        .link(json!({"ips": ["203.0.113.45"], "expires": past, "oneTimeUse": true}))
        .await;
    shared
        .refused(&restricted, StatusCode::FORBIDDEN, IPS_ONLY)
        .await;
    let subnets = shared
        .link(json!({"subnets": ["10.0.0.0/8"], "expires": past, "enableTTL": true, "ttl": 1}))
        .await;
    shared
        .refused(&subnets, StatusCode::FORBIDDEN, SUBNETS_ONLY)
        .await;
    // 3 before everything when the file is private, even with a public access.
    let public_expired = shared.link(json!({"expires": past})).await;
    shared
        .refused(&public_expired, StatusCode::FORBIDDEN, EXPIRED)
        .await;
    shared.set_file_public(false).await;
    for access in [&private, &restricted, &subnets, &public_expired] {
        shared
            .refused(access, StatusCode::FORBIDDEN, NOT_PUBLIC)
            .await;
    }
    shared.set_file_public(true).await;
    // 4 before 6: a used one-time link moved to another address list says the address.
    let once = shared.link(json!({"oneTimeUse": true})).await;
    shared.download_ok(&once).await;
    shared
        .update(&once, json!({"oneTimeUse": true, "ips": ["203.0.113.45"]}))
        .await;
    shared.refused(&once, StatusCode::FORBIDDEN, IPS_ONLY).await;
    // 5 before 6: used and then expired.
    shared
        .update(&once, json!({"oneTimeUse": true, "expires": past}))
        .await;
    shared.refused(&once, StatusCode::FORBIDDEN, EXPIRED).await;
    // 3 before 6: used and not public.
    shared
        .update(&once, json!({"oneTimeUse": true, "public": false}))
        .await;
    shared
        .refused(&once, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    // 6 before 7: one-time with ttl 1, both spent by one download.
    let both = shared
        .link(json!({"oneTimeUse": true, "enableTTL": true, "ttl": 1}))
        .await;
    shared.download_ok(&both).await;
    assert_eq!(shared.uses(&both).await, (json!(true), json!(0)));
    shared.refused(&both, StatusCode::FORBIDDEN, USED).await;
}

async fn refusals_consume_nothing(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.txt", b"hello".to_vec()).await;
    let past = "2001-01-01T00:00:00Z";
    let once = shared
        .link(json!({"oneTimeUse": true, "ips": ["203.0.113.45"]}))
        .await;
    let ttl = shared
        .link(json!({"enableTTL": true, "ttl": 2, "ips": ["203.0.113.45"]}))
        .await;
    let once_rules = |extra: Value| {
        let mut rules = json!({"oneTimeUse": true});
        for (k, v) in extra.as_object().unwrap() {
            rules[k] = v.clone();
        }
        rules
    };
    let ttl_rules = |extra: Value| {
        let mut rules = json!({"enableTTL": true, "ttl": 2});
        for (k, v) in extra.as_object().unwrap() {
            rules[k] = v.clone();
        }
        rules
    };
    // Wrong address.
    for _ in 0..3 {
        shared.refused(&once, StatusCode::FORBIDDEN, IPS_ONLY).await;
        shared.refused(&ttl, StatusCode::FORBIDDEN, IPS_ONLY).await;
    }
    assert_eq!(shared.uses(&once).await, (json!(false), json!(0)));
    assert_eq!(shared.uses(&ttl).await, (json!(false), json!(2)));
    // Wrong subnet.
    shared
        .update(&once, once_rules(json!({"subnets": ["10.0.0.0/8"]})))
        .await;
    shared
        .update(&ttl, ttl_rules(json!({"subnets": ["10.0.0.0/8"]})))
        .await;
    shared
        .refused(&once, StatusCode::FORBIDDEN, SUBNETS_ONLY)
        .await;
    shared
        .refused(&ttl, StatusCode::FORBIDDEN, SUBNETS_ONLY)
        .await;
    // Expired.
    shared
        .update(&once, once_rules(json!({"expires": past})))
        .await;
    shared
        .update(&ttl, ttl_rules(json!({"expires": past})))
        .await;
    for _ in 0..3 {
        shared.refused(&once, StatusCode::FORBIDDEN, EXPIRED).await;
        shared.refused(&ttl, StatusCode::FORBIDDEN, EXPIRED).await;
    }
    // Access not public.
    shared
        .update(&once, once_rules(json!({"public": false})))
        .await;
    shared
        .update(&ttl, ttl_rules(json!({"public": false})))
        .await;
    shared
        .refused(&once, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    shared
        .refused(&ttl, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    // File not public.
    shared.update(&once, once_rules(json!({}))).await;
    shared.update(&ttl, ttl_rules(json!({}))).await;
    shared.set_file_public(false).await;
    shared
        .refused(&once, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    shared
        .refused(&ttl, StatusCode::FORBIDDEN, NOT_PUBLIC)
        .await;
    assert_eq!(shared.uses(&once).await, (json!(false), json!(0)));
    assert_eq!(shared.uses(&ttl).await, (json!(false), json!(2)));
    // Everything right: the uses are all still there.
    shared.set_file_public(true).await;
    shared.download_ok(&once).await;
    shared.refused(&once, StatusCode::FORBIDDEN, USED).await;
    shared.download_ok(&ttl).await;
    shared.download_ok(&ttl).await;
    shared
        .refused(&ttl, StatusCode::FORBIDDEN, TTL_REACHED)
        .await;
    assert_eq!(shared.uses(&once).await.0, true);
    assert_eq!(shared.uses(&ttl).await.1, 0);
}

// ---- exact limits under concurrency

async fn concurrent_one_time_link_serves_exactly_once(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.bin", bytes(64_000)).await;
    let access = shared.link(json!({"oneTimeUse": true})).await;
    let url = format!("{}{}", shared.server.url, path(&access));
    let results = get_at_once(&shared.server.client, vec![url; 40]).await;
    let served = count_served(&results, &shared.bytes, USED);
    assert_eq!((served, results.len() - served), (1, 39));
    assert_eq!(shared.uses(&access).await.0, true);
    shared.refused(&access, StatusCode::FORBIDDEN, USED).await;
}

async fn concurrent_ttl_link_serves_exactly_ttl(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.bin", bytes(64_000)).await;
    let access = shared.link(json!({"enableTTL": true, "ttl": 5})).await;
    let url = format!("{}{}", shared.server.url, path(&access));
    let results = get_at_once(&shared.server.client, vec![url; 30]).await;
    let served = count_served(&results, &shared.bytes, TTL_REACHED);
    assert_eq!((served, results.len() - served), (5, 25));
    assert_eq!(shared.uses(&access).await, (json!(false), json!(0)));
    shared
        .refused(&access, StatusCode::FORBIDDEN, TTL_REACHED)
        .await;
}

async fn one_time_link_across_two_servers_serves_once(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.bin", bytes(64_000)).await;
    let companion = shared.server.companion();
    assert_ne!(companion.url, shared.server.url);
    // The companion serves the same links.
    let open = shared.link(json!({})).await;
    let response = shared
        .server
        .client
        .get(format!("{}{}", companion.url, path(&open)))
        .send()
        .await
        .unwrap();
    assert_full(response, &shared.bytes).await;
    for round in 0..3 {
        let access = shared
            .link(json!({"oneTimeUse": true, "name": format!("round {round}")}))
            .await;
        let urls = (0..40)
            .map(|i| {
                let base = if i % 2 == 0 {
                    &shared.server.url
                } else {
                    &companion.url
                };
                format!("{base}{}", path(&access))
            })
            .collect();
        let results = get_at_once(&shared.server.client, urls).await;
        let served = count_served(&results, &shared.bytes, USED);
        assert_eq!((round, served), (round, 1), "downloads served in total");
        assert_eq!(shared.uses(&access).await.0, true);
        // Both servers now refuse it.
        shared.refused(&access, StatusCode::FORBIDDEN, USED).await;
        let response = shared
            .server
            .client
            .get(format!("{}{}", companion.url, path(&access)))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::FORBIDDEN, USED).await;
    }
}

async fn ttl_link_across_two_servers_serves_exactly_ttl(backend: Backend) {
    let shared = Shared::start(backend, &[], "a.bin", bytes(64_000)).await;
    let companion = shared.server.companion();
    let access = shared.link(json!({"enableTTL": true, "ttl": 5})).await;
    let urls = (0..30)
        .map(|i| {
            let base = if i % 2 == 0 {
                &shared.server.url
            } else {
                &companion.url
            };
            format!("{base}{}", path(&access))
        })
        .collect();
    let results = get_at_once(&shared.server.client, urls).await;
    let served = count_served(&results, &shared.bytes, TTL_REACHED);
    assert_eq!((served, results.len() - served), (5, 25));
    assert_eq!(shared.uses(&access).await.1, 0);
    let response = shared
        .server
        .client
        .get(format!("{}{}", companion.url, path(&access)))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, TTL_REACHED).await;
}

// ---- HEAD

async fn head_runs_the_checks_and_never_consumes(backend: Backend) {
    let shared = Shared::start(backend, &[], "report.pdf", bytes(12_345)).await;
    let hash = hex::encode(Sha256::digest(&shared.bytes));
    let once = shared.link(json!({"oneTimeUse": true})).await;
    for _ in 0..4 {
        let response = shared.head(&once).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, CONTENT_LENGTH), "12345");
        assert_eq!(header(&response, CONTENT_TYPE), "application/pdf");
        assert_eq!(header(&response, ACCEPT_RANGES), "bytes");
        assert!(header(&response, ETAG).contains(&hash));
        assert!(header(&response, CONTENT_DISPOSITION).starts_with("attachment;"));
        assert!(response.bytes().await.unwrap().is_empty());
    }
    assert_eq!(shared.uses(&once).await.0, false);
    // A ranged HEAD does not consume either.
    let ranged = shared
        .on(&once, Method::HEAD)
        .header(RANGE, "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert!(ranged.status().is_success(), "{}", ranged.status());
    assert_eq!(shared.uses(&once).await.0, false);
    // The one GET still gets the file, and afterwards HEAD is refused too.
    shared.download_ok(&once).await;
    assert_eq!(shared.head(&once).await.status(), StatusCode::FORBIDDEN);
    // TTL links are not counted down by HEAD.
    let ttl = shared.link(json!({"enableTTL": true, "ttl": 2})).await;
    for _ in 0..5 {
        assert_eq!(shared.head(&ttl).await.status(), StatusCode::OK);
    }
    assert_eq!(shared.uses(&ttl).await.1, 2);
    shared.download_ok(&ttl).await;
    shared.download_ok(&ttl).await;
    assert_eq!(shared.head(&ttl).await.status(), StatusCode::FORBIDDEN);
    // HEAD runs the other checks too.
    let restricted = shared.link(json!({"ips": ["203.0.113.45"]})).await;
    assert_eq!(
        shared.head(&restricted).await.status(),
        StatusCode::FORBIDDEN
    );
    let unknown = shared
        .server
        .request(Method::HEAD, &format!("/link/{}", "a".repeat(32)), None)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

// ---- the client address

async fn forwarding_headers_from_an_untrusted_peer_are_ignored(backend: Backend) {
    for env in [
        vec![],
        vec![("TRUSTED_PROXIES", "10.0.0.0/8,192.168.0.0/16")],
    ] {
        let shared = Shared::start(backend, &env, "a.txt", b"hello".to_vec()).await;
        let by_ip = shared.link(json!({"ips": ["198.51.100.7"]})).await;
        let by_subnet = shared.link(json!({"subnets": ["198.51.100.0/24"]})).await;
        let spoofs: [(&str, &str); 5] = [
            ("X-Forwarded-For", "198.51.100.7"),
            ("X-Forwarded-For", "198.51.100.7, 198.51.100.7"),
            ("X-Real-IP", "198.51.100.7"),
            ("Forwarded", "for=198.51.100.7"),
            ("Forwarded", "for=\"198.51.100.7:443\";proto=https"),
        ];
        for (name, value) in spoofs {
            for (access, refusal) in [(&by_ip, IPS_ONLY), (&by_subnet, SUBNETS_ONLY)] {
                let response = shared
                    .on(access, Method::GET)
                    .header(name, value)
                    .send()
                    .await
                    .unwrap();
                let (status, body) = status_json(response).await;
                assert_eq!(
                    (status, body["error"].as_str()),
                    (StatusCode::FORBIDDEN, Some(refusal)),
                    "{name}: {value} with {env:?}"
                );
            }
        }
        // All three at once do not pass either.
        let response = shared
            .on(&by_ip, Method::GET)
            .header("X-Forwarded-For", "198.51.100.7")
            .header("X-Real-IP", "198.51.100.7")
            .header("Forwarded", "for=198.51.100.7")
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::FORBIDDEN, IPS_ONLY).await;
        // And a header naming another address does not lock the real peer out.
        let local = shared.link(json!({"ips": ["127.0.0.1"]})).await;
        let response = shared
            .on(&local, Method::GET)
            .header("X-Forwarded-For", "203.0.113.9")
            .header("X-Real-IP", "203.0.113.9")
            .header("Forwarded", "for=203.0.113.9")
            .send()
            .await
            .unwrap();
        assert_full(response, b"hello").await;
    }
}

async fn forwarding_headers_from_a_trusted_proxy_name_the_client(backend: Backend) {
    let shared = Shared::start(
        backend,
        &[("TRUSTED_PROXIES", "127.0.0.0/8")],
        "a.txt",
        b"hello".to_vec(),
    )
    .await;
    let allowed = shared.link(json!({"ips": ["198.51.100.7"]})).await;
    let subnet = shared.link(json!({"subnets": ["198.51.100.0/24"]})).await;
    let other = shared.link(json!({"ips": ["203.0.113.45"]})).await;
    let local = shared.link(json!({"ips": ["127.0.0.1"]})).await;
    let send = |access: &Value, headers: &[(&str, &str)]| {
        let mut request = shared.on(access, Method::GET);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    for headers in [
        &[("X-Forwarded-For", "198.51.100.7")][..],
        &[("X-Real-IP", "198.51.100.7")],
        &[("Forwarded", "for=198.51.100.7")],
        // Right-most address that is not a trusted proxy.
        &[("X-Forwarded-For", "198.51.100.7, 127.0.0.5")],
        &[("X-Forwarded-For", "203.0.113.9, 198.51.100.7")],
        &[(
            "X-Forwarded-For",
            "203.0.113.9, 198.51.100.7, 127.0.0.5, 127.0.0.9",
        )],
    ] {
        let response = send(&allowed, headers).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{headers:?}");
        assert_eq!(response.bytes().await.unwrap().as_ref(), b"hello");
        let response = send(&subnet, headers).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "subnet, {headers:?}");
        let response = send(&other, headers).await.unwrap();
        assert_error(response, StatusCode::FORBIDDEN, IPS_ONLY).await;
        // The client is no longer the proxy's own address.
        let response = send(&local, headers).await.unwrap();
        assert_error(response, StatusCode::FORBIDDEN, IPS_ONLY).await;
    }
    for headers in [
        // A left-most (client-written) entry is not the client when a nearer hop is untrusted.
        &[("X-Forwarded-For", "198.51.100.7, 203.0.113.9")][..],
        &[("X-Forwarded-For", "198.51.100.8")],
        &[("X-Real-IP", "198.51.100.8")],
        &[("Forwarded", "for=198.51.100.8")],
        // No header: the client is the peer, 127.0.0.1.
        &[],
    ] {
        let response = send(&allowed, headers).await.unwrap();
        assert_error(response, StatusCode::FORBIDDEN, IPS_ONLY).await;
    }
    let response = send(&local, &[]).await.unwrap();
    assert_full(response, b"hello").await;
}

// ---- the response

async fn download_response_headers(backend: Backend) {
    let shared = Shared::start(backend, &[], "report.pdf", bytes(2_048)).await;
    let hash = hex::encode(Sha256::digest(&shared.bytes));
    let access = shared.link(json!({})).await;
    let response = shared.get(&access).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_TYPE), "application/pdf");
    assert_eq!(
        header(&response, "x-content-type-options".parse().unwrap()),
        "nosniff"
    );
    assert_eq!(header(&response, CONTENT_LENGTH), "2048");
    assert_eq!(header(&response, ACCEPT_RANGES), "bytes");
    let etag = header(&response, ETAG);
    assert!(etag.contains(&hash), "ETag {etag} names the hash {hash}");
    assert!(etag.ends_with('"'), "ETag {etag} is a quoted entity tag");
    let last_modified = header(&response, LAST_MODIFIED);
    assert_http_date(&last_modified);
    assert_eq!(
        header(&response, CONTENT_DISPOSITION),
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), shared.bytes);
    // The same validators on the next download.
    let again = shared.get(&access).await;
    assert_eq!(header(&again, ETAG), etag);
    assert_eq!(header(&again, LAST_MODIFIED), last_modified);
    // Unknown or missing extensions are octet streams; others follow the extension.
    for (name, expected) in [
        ("blob.zzqx", "application/octet-stream"),
        ("no_extension", "application/octet-stream"),
        ("picture.PNG", "image/png"),
    ] {
        let file = shared
            .server
            .upload_ok(&shared.token, name, b"content".to_vec())
            .await;
        let id = file["ID"].as_i64().unwrap();
        let public = shared
            .server
            .send_json(
                Method::PUT,
                &format!("/api/files/{id}/access"),
                Some(&shared.token),
                json!({"public": true}),
            )
            .await;
        assert_eq!(public.status(), StatusCode::OK);
        let (_, body) = status_json(
            shared
                .server
                .send_json(
                    Method::POST,
                    &format!("/api/files/{id}/access"),
                    Some(&shared.token),
                    json!({"name": "x", "public": true}),
                )
                .await,
        )
        .await;
        let response = shared.server.get(&path(&body["access"]), None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, CONTENT_TYPE), expected, "{name}");
        assert_eq!(
            header(&response, "x-content-type-options".parse().unwrap()),
            "nosniff"
        );
        assert_eq!(header(&response, CONTENT_LENGTH), "7");
        assert_eq!(response.bytes().await.unwrap().as_ref(), b"content");
    }
}

/// `Thu, 03 Dec 2026 15:31:36 GMT` (RFC 9110 IMF-fixdate).
fn assert_http_date(text: &str) {
    let parts: Vec<&str> = text.split(' ').collect();
    let days = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let ok = parts.len() == 6
        && days.contains(&parts[0])
        && parts[1].len() == 2
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && months.contains(&parts[2])
        && parts[3].len() == 4
        && parts[4].len() == 8
        && parts[5] == "GMT";
    assert!(ok, "not an HTTP date: {text:?}");
}

async fn range_requests(backend: Backend) {
    let n = 1_000usize;
    let shared = Shared::start(backend, &[], "data.bin", bytes(n)).await;
    let data = shared.bytes.clone();
    let access = shared.link(json!({})).await;
    let ranged = |range: String| shared.on(&access, Method::GET).header(RANGE, range).send();
    let cases: Vec<(String, usize, usize)> = vec![
        ("bytes=0-0".into(), 0, 0),
        ("bytes=-1".into(), n - 1, n - 1),
        (format!("bytes={}-", n - 1), n - 1, n - 1),
        (format!("bytes=0-{}", 2 * n), 0, n - 1),
        ("bytes=10-19".into(), 10, 19),
        ("bytes=-10".into(), n - 10, n - 1),
        (format!("bytes=-{}", 5 * n), 0, n - 1),
        ("bytes=500-".into(), 500, n - 1),
    ];
    for (range, start, end) in cases {
        let response = ranged(range.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&response, CONTENT_RANGE),
            format!("bytes {start}-{end}/{n}"),
            "{range}"
        );
        assert_eq!(
            header(&response, CONTENT_LENGTH),
            (end - start + 1).to_string(),
            "{range}"
        );
        assert_eq!(header(&response, ACCEPT_RANGES), "bytes");
        assert_eq!(
            response.bytes().await.unwrap().as_ref(),
            &data[start..=end],
            "{range}"
        );
    }
    for range in [format!("bytes={n}-"), format!("bytes={n}-{}", n + 10)] {
        let response = ranged(range.clone()).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{range}"
        );
        assert_eq!(header(&response, CONTENT_RANGE), format!("bytes */{n}"));
    }
    // The whole file is still there without a Range.
    shared.download_ok(&access).await;
}

async fn ranges_consume_and_unsatisfiable_ranges_do_not(backend: Backend) {
    let n = 1_000usize;
    let shared = Shared::start(backend, &[], "data.bin", bytes(n)).await;
    let once = shared.link(json!({"oneTimeUse": true})).await;
    // Unsatisfiable ranges send nothing and consume nothing.
    for _ in 0..3 {
        let response = shared
            .on(&once, Method::GET)
            .header(RANGE, format!("bytes={n}-"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    }
    assert_eq!(shared.uses(&once).await.0, false);
    // One ranged GET consumes it.
    let response = shared
        .on(&once, Method::GET)
        .header(RANGE, "bytes=0-0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.bytes().await.unwrap().as_ref(), &shared.bytes[..1]);
    assert_eq!(shared.uses(&once).await.0, true);
    let response = shared
        .on(&once, Method::GET)
        .header(RANGE, "bytes=1-")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, USED).await;
    shared.refused(&once, StatusCode::FORBIDDEN, USED).await;
    // TTL: each ranged GET counts, a 416 does not.
    let ttl = shared.link(json!({"enableTTL": true, "ttl": 2})).await;
    let response = shared
        .on(&ttl, Method::GET)
        .header(RANGE, format!("bytes={}-", 2 * n))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(shared.uses(&ttl).await.1, 2);
    for left in [1, 0] {
        let response = shared
            .on(&ttl, Method::GET)
            .header(RANGE, "bytes=-1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(shared.uses(&ttl).await.1, left);
    }
    shared
        .refused(&ttl, StatusCode::FORBIDDEN, TTL_REACHED)
        .await;
}

async fn conditional_requests(backend: Backend) {
    let shared = Shared::start(backend, &[], "data.bin", bytes(1_000)).await;
    let hash = hex::encode(Sha256::digest(&shared.bytes));
    let once = shared.link(json!({"oneTimeUse": true})).await;
    let etag = header(&shared.head(&once).await, ETAG);
    assert!(etag.contains(&hash));
    // The client's copy is current: 304, nothing sent, nothing consumed.
    for _ in 0..3 {
        let response = shared
            .on(&once, Method::GET)
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert!(response.bytes().await.unwrap().is_empty());
    }
    assert_eq!(shared.uses(&once).await.0, false);
    // A stale If-None-Match gets the file (and consumes).
    let response = shared
        .on(&once, Method::GET)
        .header(IF_NONE_MATCH, "\"0000stale\"")
        .send()
        .await
        .unwrap();
    assert_full(response, &shared.bytes).await;
    assert_eq!(shared.uses(&once).await.0, true);
    // Once used, the refusal comes first, even for a matching If-None-Match.
    let response = shared
        .on(&once, Method::GET)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, USED).await;
    // If-Range: a stale ETag turns the Range into a full 200; the current one keeps it.
    let open = shared.link(json!({})).await;
    let response = shared
        .on(&open, Method::GET)
        .header(RANGE, "bytes=0-9")
        .header(IF_RANGE, "\"0000stale\"")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get(CONTENT_RANGE).is_none());
    assert_full(response, &shared.bytes).await;
    let response = shared
        .on(&open, Method::GET)
        .header(RANGE, "bytes=0-9")
        .header(IF_RANGE, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&response, CONTENT_RANGE), "bytes 0-9/1000");
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        &shared.bytes[..10]
    );
    // A stale If-Range on a one-time link: the full file, consuming it.
    let once = shared.link(json!({"oneTimeUse": true})).await;
    let response = shared
        .on(&once, Method::GET)
        .header(RANGE, "bytes=0-9")
        .header(IF_RANGE, "\"0000stale\"")
        .send()
        .await
        .unwrap();
    assert_full(response, &shared.bytes).await;
    shared.refused(&once, StatusCode::FORBIDDEN, USED).await;
}

// ---- names

async fn awkward_file_name_survives_the_round_trip(backend: Backend) {
    let name = "ünï \"q\";x.txt";
    let shared = Shared::start(backend, &[], name, b"awkward".to_vec()).await;
    let (_, files) = status_json(shared.server.get("/api/files", Some(&shared.token)).await).await;
    assert_eq!(files["files"][0]["Name"], name, "stored name");
    let access = shared.link(json!({})).await;
    let response = shared.get(&access).await;
    assert_eq!(response.status(), StatusCode::OK);
    let raw = response
        .headers()
        .get(CONTENT_DISPOSITION)
        .expect("Content-Disposition")
        .as_bytes()
        .to_vec();
    assert!(
        !raw.contains(&b'\r') && !raw.contains(&b'\n'),
        "CR/LF in {raw:?}"
    );
    let disposition = String::from_utf8(raw).unwrap();
    assert!(
        disposition.is_ascii(),
        "header must be ASCII: {disposition:?}"
    );
    let rest = disposition
        .strip_prefix("attachment; filename=\"")
        .unwrap_or_else(|| panic!("{disposition:?}"));
    // The ASCII fallback: a quoted-string where every `"` is escaped.
    let mut fallback = String::new();
    let mut chars = rest.char_indices();
    let mut end = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => fallback.push(chars.next().expect("escaped char").1),
            '"' => {
                end = Some(i);
                break;
            }
            c => {
                assert!(
                    (' '..='~').contains(&c),
                    "fallback char {c:?} in {disposition:?}"
                );
                fallback.push(c);
            }
        }
    }
    let end = end.unwrap_or_else(|| panic!("unterminated filename in {disposition:?}"));
    assert!(
        rest[..end].contains("\\\"q\\\""),
        "`\"` escaped as `\\\"`: {disposition:?}"
    );
    assert!(
        fallback.ends_with(" \"q\";x.txt"),
        "fallback keeps the ASCII part: {fallback:?}"
    );
    assert_eq!(
        fallback.chars().count(),
        name.chars().count(),
        "{fallback:?}"
    );
    // The UTF-8 form decodes back to the stored name exactly.
    let encoded = rest[end + 1..]
        .strip_prefix("; filename*=UTF-8''")
        .unwrap_or_else(|| panic!("no filename* in {disposition:?}"));
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"%!#$&+-.^_`|~".contains(&b)),
        "only attr-chars and %XX in {encoded:?}"
    );
    assert_eq!(
        String::from_utf8(percent_decode(encoded)).unwrap(),
        name,
        "{encoded}"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"awkward");
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex digits");
            out.push(u8::from_str_radix(hex, 16).expect("hex byte"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
