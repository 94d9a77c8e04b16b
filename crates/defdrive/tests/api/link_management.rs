//! Share-link management (SPEC 4.9): create, list, get, update and delete accesses under
//! both route forms, the Access object (SPEC 3), validation and normalisation when written,
//! the PascalCase round trip, errors in their order, and what survives a restart.

use crate::both;
use crate::harness::{Backend, Server, assert_error, status_json};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;

both!(
    create_reply_under_both_routes,
    create_defaults_when_fields_are_omitted_or_null,
    links_are_random_hex_and_unique,
    host_url_sets_the_link_base,
    created_link_works_once_public,
    list_under_both_routes,
    get_under_both_routes,
    update_under_both_routes_replaces_all_fields,
    update_keeps_link_file_and_used,
    pascal_case_round_trip_keeps_every_field,
    odd_key_casing_fills_the_fields,
    delete_under_both_routes,
    validation_on_create,
    validation_on_update_leaves_the_access_unchanged,
    normalisation_on_create_and_update,
    normalised_restrictions_admit_the_client,
    create_and_list_errors_in_order,
    get_update_delete_errors_in_order,
    malformed_bodies_are_refused,
    deleted_file_takes_its_accesses,
    transport_rules_on_access_paths,
    accesses_survive_a_restart,
    openapi_lists_the_access_paths,
);

/// The keys of an Access object (SPEC 3), no more, no less.
const ACCESS_KEYS: [&str; 15] = [
    "CreatedAt",
    "DeletedAt",
    "EnableTTL",
    "Expires",
    "FileID",
    "ID",
    "IPs",
    "Link",
    "Name",
    "OneTimeUse",
    "Public",
    "Subnets",
    "TTL",
    "UpdatedAt",
    "Used",
];

/// The fields update replaces (as Access keys), and those it keeps.
const RULE_KEYS: [&str; 8] = [
    "Name",
    "Subnets",
    "IPs",
    "Expires",
    "Public",
    "OneTimeUse",
    "TTL",
    "EnableTTL",
];

// ---- helpers

fn sorted_keys(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = object
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {object}"))
        .keys()
        .cloned()
        .collect();
    keys.sort_unstable();
    keys
}

fn access_keys_sorted() -> Vec<String> {
    let mut keys: Vec<String> = ACCESS_KEYS.iter().map(|k| (*k).to_owned()).collect();
    keys.sort_unstable();
    keys
}

/// RFC 3339 in UTC with fractional seconds: `2026-12-03T15:31:36.123456Z`.
fn assert_timestamp(text: &str) {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    let ok = b.len() >= 22
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..b.len() - 1)
        && b[b.len() - 1] == b'Z';
    assert!(ok, "not an RFC 3339 UTC timestamp with fractions: {text:?}");
}

/// A UTC RFC 3339 instant as (`YYYY-MM-DDTHH:MM:SS`, nanoseconds), so that `…:00Z`,
/// `…:00.0Z` and `…:00.000000Z` compare equal. Panics unless it is UTC (`Z`).
fn utc(text: &str) -> (String, u32) {
    let body = text
        .strip_suffix('Z')
        .unwrap_or_else(|| panic!("not in UTC (no Z): {text:?}"));
    let (seconds, fraction) = body.split_once('.').unwrap_or((body, ""));
    let b = seconds.as_bytes();
    assert!(
        b.len() == 19
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':',
        "not RFC 3339: {text:?}"
    );
    assert!(
        fraction.len() <= 9 && fraction.bytes().all(|c| c.is_ascii_digit()),
        "bad fraction: {text:?}"
    );
    let nanos = format!("{fraction:0<9}").parse().unwrap();
    (seconds.to_owned(), nanos)
}

/// Asserts `access` has exactly the Access keys and well-formed values.
fn assert_access_shape(access: &Value) {
    assert_eq!(sorted_keys(access), access_keys_sorted(), "{access}");
    assert!(access["ID"].as_i64().unwrap() > 0, "{access}");
    assert!(access["FileID"].as_i64().unwrap() > 0, "{access}");
    assert_eq!(access["DeletedAt"], Value::Null, "{access}");
    assert!(access["Name"].is_string(), "{access}");
    assert_link_token(access["Link"].as_str().expect("Link string"));
    for key in ["Subnets", "IPs"] {
        let list = access[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} not an array: {access}"));
        assert!(list.iter().all(Value::is_string), "{access}");
    }
    let expires = access["Expires"].as_str().expect("Expires string");
    if !expires.is_empty() {
        utc(expires);
    }
    for key in ["Public", "OneTimeUse", "Used", "EnableTTL"] {
        assert!(access[key].is_boolean(), "{key}: {access}");
    }
    assert!(access["TTL"].is_i64(), "{access}");
    assert_timestamp(access["CreatedAt"].as_str().unwrap());
    assert_timestamp(access["UpdatedAt"].as_str().unwrap());
}

fn assert_link_token(link: &str) {
    assert!(
        link.len() == 32
            && link
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "not 32 lowercase hex: {link:?}"
    );
}

fn id_of(object: &Value) -> i64 {
    object["ID"].as_i64().expect("ID")
}

fn link_of(access: &Value) -> String {
    access["Link"].as_str().expect("Link").to_owned()
}

fn create_paths(file: impl std::fmt::Display) -> [String; 2] {
    [
        format!("/api/files/{file}/accesses"),
        format!("/api/files/{file}/access"),
    ]
}

fn list_paths(file: impl std::fmt::Display) -> [String; 2] {
    create_paths(file)
}

fn get_paths(access: impl std::fmt::Display) -> [String; 2] {
    [
        format!("/api/accesses/{access}"),
        format!("/api/access/{access}"),
    ]
}

fn update_paths(access: impl std::fmt::Display) -> [String; 2] {
    [
        format!("/api/accesses/{access}/access"),
        format!("/api/access/{access}"),
    ]
}

fn delete_paths(access: impl std::fmt::Display) -> [String; 2] {
    get_paths(access)
}

/// A request with a raw (possibly malformed) JSON body.
async fn raw(
    server: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Response {
    server
        .request(method, path, token)
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request")
}

async fn send(
    server: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Response {
    match body {
        Some(body) => server.send_json(method, path, token, body).await,
        None => server
            .request(method, path, token)
            .send()
            .await
            .expect("request"),
    }
}

/// Creates an access through `path`, expecting success; returns the whole reply.
async fn create_at(server: &Server, token: &str, path: &str, body: Value) -> Value {
    let (status, reply) = status_json(
        server
            .send_json(Method::POST, path, Some(token), body.clone())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "POST {path} {body}: {reply}");
    reply
}

/// Creates an access on `file`, expecting success; returns the Access object.
async fn create(server: &Server, token: &str, file: i64, body: Value) -> Value {
    let reply = create_at(server, token, &create_paths(file)[1], body).await;
    assert_access_shape(&reply["access"]);
    reply["access"].clone()
}

/// Lists through `path`, expecting success; returns the accesses.
async fn list_at(server: &Server, token: &str, path: &str) -> Vec<Value> {
    let (status, body) = status_json(server.get(path, Some(token)).await).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    assert_eq!(sorted_keys(&body), ["accesses"], "{body}");
    let accesses = body["accesses"].as_array().expect("accesses array").clone();
    for access in &accesses {
        assert_access_shape(access);
    }
    accesses
}

/// Asserts an update or get reply carries the Access twice (wrapped and unwrapped) and
/// returns it.
fn unwrap_twice(reply: &Value, extra: &[&str]) -> Value {
    let mut expected = access_keys_sorted();
    expected.push("access".to_owned());
    expected.extend(extra.iter().map(|k| (*k).to_owned()));
    expected.sort_unstable();
    assert_eq!(sorted_keys(reply), expected, "{reply}");
    let access = reply["access"].clone();
    assert_access_shape(&access);
    for key in ACCESS_KEYS {
        assert_eq!(reply[key], access[key], "top-level {key} differs: {reply}");
    }
    access
}

/// Gets through `path`, expecting success; returns the Access (after checking both copies).
async fn get_at(server: &Server, token: &str, path: &str) -> Value {
    let (status, reply) = status_json(server.get(path, Some(token)).await).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {reply}");
    unwrap_twice(&reply, &[])
}

async fn get_access(server: &Server, token: &str, id: i64) -> Value {
    get_at(server, token, &get_paths(id)[1]).await
}

/// Updates through `path`, expecting success; returns the Access (after checking the reply).
async fn update_at(server: &Server, token: &str, path: &str, body: Value) -> Value {
    let (status, reply) = status_json(
        server
            .send_json(Method::PUT, path, Some(token), body.clone())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "PUT {path} {body}: {reply}");
    assert_eq!(reply["message"], "Access updated successfully", "{reply}");
    unwrap_twice(&reply, &["message"])
}

async fn update(server: &Server, token: &str, id: i64, body: Value) -> Value {
    update_at(server, token, &update_paths(id)[1], body).await
}

async fn set_file_public(server: &Server, token: &str, file: i64, public: bool) {
    let response = server
        .send_json(
            Method::PUT,
            &format!("/api/files/{file}/access"),
            Some(token),
            json!({ "public": public }),
        )
        .await;
    let (status, body) = status_json(response).await;
    assert_eq!(status, StatusCode::OK, "set public: {body}");
}

async fn delete_file(server: &Server, token: &str, file: i64) {
    let response = send(
        server,
        Method::DELETE,
        &format!("/api/files/{file}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn fetch_link(server: &Server, link: &str) -> Response {
    server.get(&format!("/link/{link}"), None).await
}

/// A full set of rules (create/update body) and the Access values it should read back as.
fn full_rules() -> Value {
    json!({
        "name": "for the client",
        "subnets": ["10.0.0.0/8", "192.168.1.0/24"],
        "ips": ["203.0.113.45", "2001:db8::1"],
        "expires": "2099-01-01T00:00:00Z",
        "public": true,
        "oneTimeUse": true,
        "ttl": 5,
        "enableTTL": true,
    })
}

fn assert_full_rules(access: &Value) {
    assert_eq!(access["Name"], "for the client", "{access}");
    assert_eq!(
        access["Subnets"],
        json!(["10.0.0.0/8", "192.168.1.0/24"]),
        "{access}"
    );
    assert_eq!(
        access["IPs"],
        json!(["203.0.113.45", "2001:db8::1"]),
        "{access}"
    );
    assert_eq!(
        utc(access["Expires"].as_str().unwrap()),
        ("2099-01-01T00:00:00".to_owned(), 0),
        "{access}"
    );
    assert_eq!(access["Public"], true, "{access}");
    assert_eq!(access["OneTimeUse"], true, "{access}");
    assert_eq!(access["TTL"], 5, "{access}");
    assert_eq!(access["EnableTTL"], true, "{access}");
}

/// The zero rules: what `{}` reads back as.
fn assert_zero_rules(access: &Value) {
    assert_eq!(access["Name"], "", "{access}");
    assert_eq!(access["Subnets"], json!([]), "{access}");
    assert_eq!(access["IPs"], json!([]), "{access}");
    assert_eq!(access["Expires"], "", "{access}");
    assert_eq!(access["Public"], false, "{access}");
    assert_eq!(access["OneTimeUse"], false, "{access}");
    assert_eq!(access["TTL"], 0, "{access}");
    assert_eq!(access["EnableTTL"], false, "{access}");
}

/// Alice with one private file; returns (token, file id).
async fn alice_with_file(server: &Server) -> (String, i64) {
    let token = server.user("alice").await;
    let file = server
        .upload_ok(&token, "report.pdf", b"%PDF".to_vec())
        .await;
    (token, id_of(&file))
}

// ---- create

async fn create_reply_under_both_routes(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let mut seen = Vec::new();
    for path in create_paths(file) {
        let reply = create_at(&server, &token, &path, full_rules()).await;
        assert_eq!(
            sorted_keys(&reply),
            ["access", "link", "message"],
            "{path}: {reply}"
        );
        assert_eq!(reply["message"], "Access created successfully", "{path}");
        let access = &reply["access"];
        assert_access_shape(access);
        assert_full_rules(access);
        assert_eq!(access["FileID"], file, "{path}: {access}");
        assert_eq!(access["Used"], false, "{path}: {access}");
        let link = reply["link"].as_str().expect("link string");
        let suffix = format!("/link/{}", link_of(access));
        assert!(
            link.starts_with("http://") && link.ends_with(&suffix),
            "{path}: link {link:?} should be <HOST_URL>{suffix}"
        );
        seen.push(access.clone());
    }
    // Two distinct records with distinct links; the file stayed private.
    assert!(id_of(&seen[0]) < id_of(&seen[1]), "{seen:?}");
    assert_ne!(seen[0]["Link"], seen[1]["Link"]);
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"][0]["Public"], false, "{files}");
}

async fn create_defaults_when_fields_are_omitted_or_null(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    for body in [
        json!({}),
        json!({"name": null, "subnets": null, "ips": null, "expires": null,
               "public": null, "oneTimeUse": null, "ttl": null, "enableTTL": null}),
        json!({"expires": "", "subnets": [], "ips": []}),
        json!({"ttl": 0, "enableTTL": false, "unknown": "ignored", "Link": "ignored"}),
    ] {
        let access = create(&server, &token, file, body.clone()).await;
        assert_zero_rules(&access);
        assert_eq!(access["Used"], false, "{body}: {access}");
        assert_eq!(access["FileID"], file, "{body}: {access}");
        assert_ne!(access["Link"], "ignored");
        // And it reads back the same.
        let read = get_access(&server, &token, id_of(&access)).await;
        assert_zero_rules(&read);
    }
}

async fn links_are_random_hex_and_unique(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, first) = alice_with_file(&server).await;
    let second = id_of(&server.upload_ok(&token, "other.txt", b"o".to_vec()).await);
    let mut links = HashSet::new();
    let mut ids = Vec::new();
    for i in 0..40 {
        let file = if i % 2 == 0 { first } else { second };
        let access = create(&server, &token, file, json!({"name": format!("n{i}")})).await;
        let link = link_of(&access);
        assert_link_token(&link);
        assert!(links.insert(link.clone()), "link {link} issued twice");
        ids.push(id_of(&access));
    }
    assert_eq!(links.len(), 40);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Not a counter or a timestamp: the tokens share no long common prefix.
    let mut sorted: Vec<&String> = links.iter().collect();
    sorted.sort();
    let common = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let longest = sorted.windows(2).map(|w| common(w[0], w[1])).max().unwrap();
    assert!(longest < 12, "tokens look sequential: {sorted:?}");
}

async fn host_url_sets_the_link_base(backend: Backend) {
    let server = Server::start_with(backend, &[("HOST_URL", "https://files.example")]).await;
    let (token, file) = alice_with_file(&server).await;
    for path in create_paths(file) {
        let reply = create_at(&server, &token, &path, json!({"public": true})).await;
        let link = link_of(&reply["access"]);
        assert_eq!(
            reply["link"],
            format!("https://files.example/link/{link}"),
            "{path}: {reply}"
        );
    }
    // A base URL with a path prefix is kept as it is.
    let server = Server::start_with(backend, &[("HOST_URL", "https://example.com/drive")]).await;
    let (token, file) = alice_with_file(&server).await;
    let reply = create_at(&server, &token, &create_paths(file)[0], json!({})).await;
    let link = link_of(&reply["access"]);
    assert_eq!(
        reply["link"],
        format!("https://example.com/drive/link/{link}"),
        "{reply}"
    );
}

async fn created_link_works_once_public(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let reply = create_at(
        &server,
        &token,
        &create_paths(file)[0],
        json!({"public": true}),
    )
    .await;
    let link = link_of(&reply["access"]);
    // The reply's link points at the download path of this server.
    let url = reply["link"].as_str().unwrap();
    let path = &url[url.find("/link/").expect("/link/ in link")..];
    assert_eq!(path, format!("/link/{link}"));
    // Private file: refused; public file and access: served.
    assert_error(
        fetch_link(&server, &link).await,
        StatusCode::FORBIDDEN,
        "Access denied: file or access is not public",
    )
    .await;
    set_file_public(&server, &token, file, true).await;
    let response = server.get(path, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"%PDF");
    // A non-public access on the public file is refused.
    let private = create(&server, &token, file, json!({"public": false})).await;
    assert_error(
        fetch_link(&server, &link_of(&private)).await,
        StatusCode::FORBIDDEN,
        "Access denied: file or access is not public",
    )
    .await;
}

// ---- list

async fn list_under_both_routes(backend: Backend) {
    let server = Server::start(backend).await;
    let (alice, first) = alice_with_file(&server).await;
    let second = id_of(&server.upload_ok(&alice, "second.txt", b"s".to_vec()).await);
    let bob = server.user("bob").await;
    let bobs = id_of(&server.upload_ok(&bob, "bobs.txt", b"b".to_vec()).await);

    // None yet: an empty array under both forms.
    for path in list_paths(first) {
        assert_eq!(list_at(&server, &alice, &path).await, Vec::<Value>::new());
    }
    // Interleave creates on the two files (and on Bob's).
    let mut on_first = Vec::new();
    let mut on_second = Vec::new();
    for i in 0..4 {
        on_first.push(create(&server, &alice, first, json!({"name": format!("a{i}")})).await);
        on_second.push(create(&server, &alice, second, json!({"name": format!("b{i}")})).await);
        create(&server, &bob, bobs, json!({"name": format!("bob{i}")})).await;
    }
    for path in list_paths(first) {
        let listed = list_at(&server, &alice, &path).await;
        let names: Vec<&str> = listed.iter().map(|a| a["Name"].as_str().unwrap()).collect();
        assert_eq!(names, ["a0", "a1", "a2", "a3"], "{path}");
        assert!(listed.iter().all(|a| a["FileID"] == first), "{path}");
        let ids: Vec<i64> = listed.iter().map(id_of).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{path}: {ids:?}");
        // The same objects the creates answered.
        for (got, created) in listed.iter().zip(&on_first) {
            for key in ACCESS_KEYS {
                assert_eq!(got[key], created[key], "{path}: {key}");
            }
        }
    }
    for path in list_paths(second) {
        let listed = list_at(&server, &alice, &path).await;
        let ids: Vec<i64> = listed.iter().map(id_of).collect();
        let expected: Vec<i64> = on_second.iter().map(id_of).collect();
        assert_eq!(ids, expected, "{path}");
    }
    // Both forms give the same list.
    assert_eq!(
        list_at(&server, &alice, &list_paths(first)[0]).await,
        list_at(&server, &alice, &list_paths(first)[1]).await
    );
    assert_eq!(list_at(&server, &bob, &list_paths(bobs)[1]).await.len(), 4);
}

// ---- get

async fn get_under_both_routes(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let created = create(&server, &token, file, full_rules()).await;
    let id = id_of(&created);
    let mut copies = Vec::new();
    for path in get_paths(id) {
        let access = get_at(&server, &token, &path).await;
        assert_full_rules(&access);
        for key in ACCESS_KEYS {
            assert_eq!(access[key], created[key], "{path}: {key}");
        }
        copies.push(access);
    }
    assert_eq!(copies[0], copies[1]);
    // A body on a GET (as real clients send) is fine.
    let response = raw(&server, Method::GET, &get_paths(id)[1], Some(&token), "").await;
    assert_eq!(response.status(), StatusCode::OK);
}

// ---- update

async fn update_under_both_routes_replaces_all_fields(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let created = create(&server, &token, file, json!({"name": "before"})).await;
    let id = id_of(&created);
    let [plural, singular] = update_paths(id);

    // Everything set, through the first form.
    let updated = update_at(&server, &token, &plural, full_rules()).await;
    assert_full_rules(&updated);
    let stamp = |a: &Value, key: &str| utc(a[key].as_str().unwrap());
    assert!(
        stamp(&updated, "UpdatedAt") >= stamp(&created, "UpdatedAt"),
        "UpdatedAt went back: {created} -> {updated}"
    );
    assert!(
        stamp(&updated, "UpdatedAt") >= stamp(&updated, "CreatedAt"),
        "{updated}"
    );
    for key in ["ID", "Link", "FileID", "Used", "CreatedAt"] {
        assert_eq!(updated[key], created[key], "{key}");
    }
    assert_full_rules(&get_access(&server, &token, id).await);

    // Only a name, through the second form: every other field becomes its zero value.
    let updated = update_at(&server, &token, &singular, json!({"name": "only a name"})).await;
    assert_eq!(updated["Name"], "only a name");
    let mut zeroed = updated.clone();
    zeroed["Name"] = json!("");
    assert_zero_rules(&zeroed);
    for key in ["ID", "Link", "FileID", "Used", "CreatedAt"] {
        assert_eq!(updated[key], created[key], "{key}");
    }
    let read = get_access(&server, &token, id).await;
    for key in ACCESS_KEYS {
        assert_eq!(read[key], updated[key], "{key}");
    }

    // Set everything again and then send `{}`: all eight fields are cleared.
    update_at(&server, &token, &singular, full_rules()).await;
    let cleared = update_at(&server, &token, &plural, json!({})).await;
    assert_zero_rules(&cleared);
    assert_zero_rules(&get_access(&server, &token, id).await);
    assert_eq!(cleared["Link"], created["Link"]);
}

async fn update_keeps_link_file_and_used(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let other = id_of(&server.upload_ok(&token, "other.txt", b"o".to_vec()).await);
    set_file_public(&server, &token, file, true).await;
    let created = create(
        &server,
        &token,
        file,
        json!({"public": true, "oneTimeUse": true}),
    )
    .await;
    let id = id_of(&created);
    let link = link_of(&created);
    // Use the one-time link.
    assert_eq!(fetch_link(&server, &link).await.status(), StatusCode::OK);
    assert_eq!(get_access(&server, &token, id).await["Used"], true);

    // An update that tries to rewrite Link, FileID and Used (in any casing) changes none.
    let updated = update(
        &server,
        &token,
        id,
        json!({
            "name": "renamed", "public": true, "oneTimeUse": true,
            "Link": "0123456789abcdef0123456789abcdef", "link": "ffffffffffffffffffffffffffffffff",
            "FileID": other, "fileId": other, "Used": false, "used": false, "ID": 99999,
        }),
    )
    .await;
    assert_eq!(updated["Name"], "renamed");
    assert_eq!(updated["ID"], id);
    assert_eq!(updated["Link"], link);
    assert_eq!(updated["FileID"], file);
    assert_eq!(updated["Used"], true);
    let read = get_access(&server, &token, id).await;
    assert_eq!(
        (&read["Link"], &read["FileID"], &read["Used"]),
        (&json!(link), &json!(file), &json!(true))
    );
    // Still the same, still used link; nothing appeared on the other file.
    assert_error(
        fetch_link(&server, &link).await,
        StatusCode::FORBIDDEN,
        "Access link has already been used",
    )
    .await;
    assert!(
        list_at(&server, &token, &list_paths(other)[1])
            .await
            .is_empty()
    );
    // Turning one-time use off (Used stays true) lets the link serve again.
    let updated = update(&server, &token, id, json!({"public": true})).await;
    assert_eq!(updated["Used"], true);
    assert_eq!(fetch_link(&server, &link).await.status(), StatusCode::OK);
}

async fn pascal_case_round_trip_keeps_every_field(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    set_file_public(&server, &token, file, true).await;
    let mut rules = full_rules();
    rules["oneTimeUse"] = json!(false);
    rules["subnets"] = json!(["127.0.0.0/8", "10.0.0.0/8"]);
    rules["ips"] = json!(["127.0.0.1", "2001:db8::1"]);
    let created = create(&server, &token, file, rules).await;
    let id = id_of(&created);
    // Consume one download: TTL 5 → 4.
    assert_eq!(
        fetch_link(&server, &link_of(&created)).await.status(),
        StatusCode::OK
    );
    let before = get_access(&server, &token, id).await;
    assert_eq!(before["TTL"], 4, "{before}");

    // Send the whole PascalCase object back with only the name changed.
    let mut edited = before.clone();
    edited["Name"] = json!("renamed in the UI");
    let after = update(&server, &token, id, edited).await;
    assert_eq!(after["Name"], "renamed in the UI");
    for key in RULE_KEYS.iter().filter(|k| **k != "Name") {
        assert_eq!(after[*key], before[*key], "{key} not kept: {after}");
    }
    for key in ["ID", "Link", "FileID", "Used", "CreatedAt"] {
        assert_eq!(after[key], before[key], "{key}");
    }
    let read = get_access(&server, &token, id).await;
    for key in ACCESS_KEYS {
        assert_eq!(read[key], after[key], "{key}");
    }

    // The same with a one-time access whose Used is true, and the other booleans flipped.
    let one_time = create(
        &server,
        &token,
        file,
        json!({"name": "once", "public": true, "oneTimeUse": true, "ips": ["127.0.0.1"]}),
    )
    .await;
    assert_eq!(
        fetch_link(&server, &link_of(&one_time)).await.status(),
        StatusCode::OK
    );
    let before = get_access(&server, &token, id_of(&one_time)).await;
    assert_eq!(before["Used"], true);
    let mut edited = before.clone();
    edited["Name"] = json!("once, renamed");
    let after = update(&server, &token, id_of(&one_time), edited).await;
    for key in RULE_KEYS.iter().filter(|k| **k != "Name") {
        assert_eq!(after[*key], before[*key], "{key} not kept: {after}");
    }
    assert_eq!(after["Used"], true);
    assert_eq!(after["Link"], before["Link"]);
}

async fn odd_key_casing_fills_the_fields(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let body = json!({
        "NAME": "shouty",
        "sUbNeTs": ["10.0.0.0/8"],
        "ips": ["203.0.113.45"],
        "EXPIRES": "2027-01-01T00:00:00Z",
        "Public": true,
        "ONETIMEUSE": true,
        "Ttl": 7,
        "enableTtl": true,
    });
    let check = |access: &Value| {
        assert_eq!(access["Name"], "shouty", "{access}");
        assert_eq!(access["Subnets"], json!(["10.0.0.0/8"]), "{access}");
        assert_eq!(access["IPs"], json!(["203.0.113.45"]), "{access}");
        assert_ne!(access["Expires"], "", "{access}");
        assert_eq!(access["Public"], true, "{access}");
        assert_eq!(access["OneTimeUse"], true, "{access}");
        assert_eq!(access["TTL"], 7, "{access}");
        assert_eq!(access["EnableTTL"], true, "{access}");
    };
    let created = create(&server, &token, file, body.clone()).await;
    check(&created);
    let id = id_of(&created);
    let cleared = update(&server, &token, id, json!({})).await;
    assert_zero_rules(&cleared);
    check(&update(&server, &token, id, body).await);
    check(&get_access(&server, &token, id).await);

    // An exact-case key wins over another casing, whichever comes first.
    for body in [
        r#"{"ONETIMEUSE":false,"oneTimeUse":true,"enableTTL":true,"EnableTTL":false,"TTL":9,"ttl":2,"name":"exact","Name":"other"}"#,
        r#"{"oneTimeUse":true,"ONETIMEUSE":false,"EnableTTL":false,"enableTTL":true,"ttl":2,"TTL":9,"Name":"other","name":"exact"}"#,
    ] {
        let (status, reply) = status_json(
            raw(
                &server,
                Method::PUT,
                &update_paths(id)[0],
                Some(&token),
                body,
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}: {reply}");
        let access = unwrap_twice(&reply, &["message"]);
        assert_eq!(access["OneTimeUse"], true, "{body}: {access}");
        assert_eq!(access["EnableTTL"], true, "{body}: {access}");
        assert_eq!(access["TTL"], 2, "{body}: {access}");
        assert_eq!(access["Name"], "exact", "{body}: {access}");
    }
}

// ---- delete

async fn delete_under_both_routes(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    set_file_public(&server, &token, file, true).await;
    let keep = create(
        &server,
        &token,
        file,
        json!({"name": "keep", "public": true}),
    )
    .await;
    for form in 0..2 {
        let access = create(&server, &token, file, json!({"public": true})).await;
        let id = id_of(&access);
        let link = link_of(&access);
        assert_eq!(fetch_link(&server, &link).await.status(), StatusCode::OK);
        let path = delete_paths(id)[form].clone();

        let response = send(&server, Method::DELETE, &path, Some(&token), None).await;
        let (status, body) = status_json(response).await;
        assert_eq!(status, StatusCode::OK, "DELETE {path}: {body}");
        assert_eq!(
            body,
            json!({"message": "Access deleted successfully"}),
            "{path}"
        );

        for get in get_paths(id) {
            assert_error(
                server.get(&get, Some(&token)).await,
                StatusCode::NOT_FOUND,
                "Access record not found",
            )
            .await;
        }
        assert_error(
            fetch_link(&server, &link).await,
            StatusCode::NOT_FOUND,
            "Access link not found",
        )
        .await;
        // Deleting again (either form) and updating are 404 too.
        for again in delete_paths(id) {
            assert_error(
                send(&server, Method::DELETE, &again, Some(&token), None).await,
                StatusCode::NOT_FOUND,
                "Access record not found",
            )
            .await;
        }
        assert_error(
            server
                .send_json(
                    Method::PUT,
                    &update_paths(id)[form],
                    Some(&token),
                    json!({}),
                )
                .await,
            StatusCode::NOT_FOUND,
            "Access record not found",
        )
        .await;
    }
    // Only the kept access is listed, and it still works.
    let listed = list_at(&server, &token, &list_paths(file)[0]).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["ID"], keep["ID"]);
    assert_eq!(
        fetch_link(&server, &link_of(&keep)).await.status(),
        StatusCode::OK
    );
}

// ---- validation

/// Bodies refused when written, with their messages.
fn invalid_rules() -> Vec<(Value, &'static str)> {
    vec![
        (
            json!({"subnets": ["10.0.0.0/33"]}),
            "Invalid subnet: 10.0.0.0/33",
        ),
        (json!({"subnets": ["banana"]}), "Invalid subnet: banana"),
        (
            json!({"subnets": ["10.0.0.0/8", "2001:db8::/129"]}),
            "Invalid subnet: 2001:db8::/129",
        ),
        (
            json!({"ips": ["300.1.1.1"]}),
            "Invalid IP address: 300.1.1.1",
        ),
        (
            json!({"ips": ["203.0.113.45", "10.0.0.0/8"]}),
            "Invalid IP address: 10.0.0.0/8",
        ),
        (json!({"ips": ["banana"]}), "Invalid IP address: banana"),
        (json!({"expires": "tomorrow"}), "Invalid expires: tomorrow"),
        (
            json!({"expires": "2027-01-01T00:00:00"}),
            "Invalid expires: 2027-01-01T00:00:00",
        ),
        (
            json!({"expires": "2027-01-01"}),
            "Invalid expires: 2027-01-01",
        ),
        (
            json!({"ttl": 0, "enableTTL": true}),
            "ttl must be at least 1 when enableTTL is true",
        ),
        (
            json!({"ttl": -3, "enableTTL": true}),
            "ttl must be at least 1 when enableTTL is true",
        ),
        (
            json!({"enableTTL": true}),
            "ttl must be at least 1 when enableTTL is true",
        ),
    ]
}

async fn validation_on_create(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    for (body, message) in invalid_rules() {
        for path in create_paths(file) {
            assert_error(
                server
                    .send_json(Method::POST, &path, Some(&token), body.clone())
                    .await,
                StatusCode::BAD_REQUEST,
                message,
            )
            .await;
        }
    }
    // Nothing was created.
    assert!(
        list_at(&server, &token, &list_paths(file)[1])
            .await
            .is_empty()
    );
    // ttl 0 with enableTTL false is fine, and so is ttl 1 with enableTTL true.
    let access = create(&server, &token, file, json!({"ttl": 0, "enableTTL": false})).await;
    assert_eq!(
        (&access["TTL"], &access["EnableTTL"]),
        (&json!(0), &json!(false))
    );
    let access = create(&server, &token, file, json!({"ttl": 1, "enableTTL": true})).await;
    assert_eq!(
        (&access["TTL"], &access["EnableTTL"]),
        (&json!(1), &json!(true))
    );
}

async fn validation_on_update_leaves_the_access_unchanged(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let created = create(&server, &token, file, full_rules()).await;
    let id = id_of(&created);
    let before = get_access(&server, &token, id).await;
    for (body, message) in invalid_rules() {
        // A valid name alongside: still nothing changes.
        let mut body = body;
        body["name"] = json!("should not stick");
        for path in update_paths(id) {
            assert_error(
                server
                    .send_json(Method::PUT, &path, Some(&token), body.clone())
                    .await,
                StatusCode::BAD_REQUEST,
                message,
            )
            .await;
        }
    }
    let after = get_access(&server, &token, id).await;
    assert_eq!(after, before);
    // ttl 0 with enableTTL false is a fine update.
    let updated = update(&server, &token, id, json!({"ttl": 0, "enableTTL": false})).await;
    assert_eq!(
        (&updated["TTL"], &updated["EnableTTL"]),
        (&json!(0), &json!(false))
    );
}

// ---- normalisation

async fn normalisation_on_create_and_update(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let body = json!({
        "subnets": ["", "192.0.2.7", "  ", "2001:0DB8::7", "10.1.2.3/8", "2001:DB8:0:0:1::/64"],
        "ips": ["2001:0DB8:0000::1", "", "::ffff:198.51.100.4", "   ", "203.0.113.45"],
        "expires": "2027-06-01T12:30:00.25+02:00",
    });
    let check = |access: &Value| {
        assert_eq!(
            access["Subnets"],
            json!([
                "192.0.2.7/32",
                "2001:db8::7/128",
                "10.0.0.0/8",
                "2001:db8::/64"
            ]),
            "{access}"
        );
        assert_eq!(
            access["IPs"],
            json!(["2001:db8::1", "198.51.100.4", "203.0.113.45"]),
            "{access}"
        );
        assert_eq!(
            utc(access["Expires"].as_str().unwrap()),
            ("2027-06-01T10:30:00".to_owned(), 250_000_000),
            "{access}"
        );
    };
    let created = create(&server, &token, file, body.clone()).await;
    check(&created);
    let id = id_of(&created);
    check(&get_access(&server, &token, id).await);
    check(&list_at(&server, &token, &list_paths(file)[0]).await[0]);

    // The same through update (after clearing), under both forms.
    for path in update_paths(id) {
        assert_zero_rules(&update(&server, &token, id, json!({})).await);
        check(&update_at(&server, &token, &path, body.clone()).await);
        check(&get_access(&server, &token, id).await);
    }

    // A negative offset and a long fraction; only blanks in the arrays means empty arrays.
    let access = update(
        &server,
        &token,
        id,
        json!({"expires": "2026-12-31T20:00:00.123456-05:30", "subnets": ["", " "], "ips": [""]}),
    )
    .await;
    assert_eq!(
        utc(access["Expires"].as_str().unwrap()),
        ("2027-01-01T01:30:00".to_owned(), 123_456_000),
        "{access}"
    );
    assert_eq!(access["Subnets"], json!([]));
    assert_eq!(access["IPs"], json!([]));
    // `null` and `""` both mean never.
    for expires in [Value::Null, json!("")] {
        update(
            &server,
            &token,
            id,
            json!({"expires": "2027-01-01T00:00:00Z"}),
        )
        .await;
        let access = update(&server, &token, id, json!({ "expires": expires })).await;
        assert_eq!(access["Expires"], "", "{expires}: {access}");
        assert_eq!(get_access(&server, &token, id).await["Expires"], "");
    }
}

async fn normalised_restrictions_admit_the_client(backend: Backend) {
    // The test client connects from 127.0.0.1.
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    set_file_public(&server, &token, file, true).await;
    for (body, stored_key, stored) in [
        (json!({"subnets": ["127.0.0.1"]}), "Subnets", "127.0.0.1/32"),
        (
            json!({"subnets": ["127.9.9.9/8"]}),
            "Subnets",
            "127.0.0.0/8",
        ),
        (json!({"ips": ["::ffff:127.0.0.1"]}), "IPs", "127.0.0.1"),
    ] {
        let mut body = body;
        body["public"] = json!(true);
        let access = create(&server, &token, file, body.clone()).await;
        assert_eq!(access[stored_key], json!([stored]), "{body}");
        let response = fetch_link(&server, &link_of(&access)).await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
    }
    // A one-host subnet of another host keeps the client out.
    let access = create(
        &server,
        &token,
        file,
        json!({"public": true, "subnets": ["127.0.0.2"]}),
    )
    .await;
    assert_error(
        fetch_link(&server, &link_of(&access)).await,
        StatusCode::FORBIDDEN,
        "Access restricted to specific subnets",
    )
    .await;
}

// ---- errors

async fn create_and_list_errors_in_order(backend: Backend) {
    let server = Server::start(backend).await;
    let (alice, mine) = alice_with_file(&server).await;
    let bob = server.user("bob").await;
    let bobs = id_of(&server.upload_ok(&bob, "bobs.txt", b"b".to_vec()).await);
    let unknown = mine.max(bobs) + 1000;
    let good = r#"{"name":"x"}"#;
    let bad_body = r#"{"ips":"x"}"#;
    let bad_rules = r#"{"subnets":["banana"]}"#;
    let bodies = [good, bad_body, bad_rules, "not json"];

    for form in 0..2 {
        // 401 before anything else.
        for path in [
            create_paths("abc")[form].clone(),
            create_paths(mine)[form].clone(),
        ] {
            assert_error(
                raw(&server, Method::POST, &path, None, bad_body).await,
                StatusCode::UNAUTHORIZED,
                "User not authenticated",
            )
            .await;
            assert_error(
                server.get(&path, None).await,
                StatusCode::UNAUTHORIZED,
                "User not authenticated",
            )
            .await;
        }
        // 1. A bad id, whatever the body.
        for id in ["abc", "0", "-1", "1.5"] {
            let path = create_paths(id)[form].clone();
            for body in bodies {
                assert_error(
                    raw(&server, Method::POST, &path, Some(&alice), body).await,
                    StatusCode::BAD_REQUEST,
                    "Invalid file ID",
                )
                .await;
            }
            assert_error(
                server.get(&path, Some(&alice)).await,
                StatusCode::BAD_REQUEST,
                "Invalid file ID",
            )
            .await;
        }
        // 2. An unknown file, whatever the body.
        let path = create_paths(unknown)[form].clone();
        for body in bodies {
            assert_error(
                raw(&server, Method::POST, &path, Some(&alice), body).await,
                StatusCode::NOT_FOUND,
                "File not found",
            )
            .await;
        }
        assert_error(
            server.get(&path, Some(&alice)).await,
            StatusCode::NOT_FOUND,
            "File not found",
        )
        .await;
        // 3. Another user's file, whatever the body.
        let path = create_paths(bobs)[form].clone();
        for body in bodies {
            assert_error(
                raw(&server, Method::POST, &path, Some(&alice), body).await,
                StatusCode::FORBIDDEN,
                "You don't have permission to create access for this file",
            )
            .await;
        }
        assert_error(
            server.get(&path, Some(&alice)).await,
            StatusCode::FORBIDDEN,
            "You don't have permission to view accesses for this file",
        )
        .await;
        // 4. A bad body, then bad rules, on one's own file.
        let path = create_paths(mine)[form].clone();
        assert_error(
            raw(&server, Method::POST, &path, Some(&alice), bad_body).await,
            StatusCode::BAD_REQUEST,
            "Invalid request body",
        )
        .await;
        assert_error(
            raw(&server, Method::POST, &path, Some(&alice), bad_rules).await,
            StatusCode::BAD_REQUEST,
            "Invalid subnet: banana",
        )
        .await;
    }
    // Nothing was created for anybody.
    assert!(
        list_at(&server, &alice, &list_paths(mine)[0])
            .await
            .is_empty()
    );
    assert!(
        list_at(&server, &bob, &list_paths(bobs)[0])
            .await
            .is_empty()
    );
}

async fn get_update_delete_errors_in_order(backend: Backend) {
    let server = Server::start(backend).await;
    let (alice, mine) = alice_with_file(&server).await;
    let bob = server.user("bob").await;
    let bobs_file = id_of(&server.upload_ok(&bob, "bobs.txt", b"b".to_vec()).await);
    let my_access = create(&server, &alice, mine, json!({"name": "mine"})).await;
    let bobs_access = create(&server, &bob, bobs_file, json!({"name": "bob's"})).await;
    let (mine_id, bobs_id) = (id_of(&my_access), id_of(&bobs_access));
    let unknown = mine_id.max(bobs_id) + 1000;
    let good = r#"{"name":"changed"}"#;
    let bad_body = r#"{"ttl":"five"}"#;
    let bad_rules = r#"{"ips":["300.1.1.1"]}"#;
    let bodies = [good, bad_body, bad_rules, "not json"];

    for form in 0..2 {
        // 401 before anything else.
        for id in ["abc".to_owned(), mine_id.to_string()] {
            assert_error(
                server.get(&get_paths(&id)[form], None).await,
                StatusCode::UNAUTHORIZED,
                "User not authenticated",
            )
            .await;
            assert_error(
                raw(
                    &server,
                    Method::PUT,
                    &update_paths(&id)[form],
                    None,
                    bad_body,
                )
                .await,
                StatusCode::UNAUTHORIZED,
                "User not authenticated",
            )
            .await;
            assert_error(
                send(
                    &server,
                    Method::DELETE,
                    &delete_paths(&id)[form],
                    None,
                    None,
                )
                .await,
                StatusCode::UNAUTHORIZED,
                "User not authenticated",
            )
            .await;
        }
        // 1. A bad id, whatever the body.
        for id in ["abc", "0", "-1", "1.5"] {
            assert_error(
                server.get(&get_paths(id)[form], Some(&alice)).await,
                StatusCode::BAD_REQUEST,
                "Invalid access ID",
            )
            .await;
            for body in bodies {
                assert_error(
                    raw(
                        &server,
                        Method::PUT,
                        &update_paths(id)[form],
                        Some(&alice),
                        body,
                    )
                    .await,
                    StatusCode::BAD_REQUEST,
                    "Invalid access ID",
                )
                .await;
            }
            assert_error(
                send(
                    &server,
                    Method::DELETE,
                    &delete_paths(id)[form],
                    Some(&alice),
                    None,
                )
                .await,
                StatusCode::BAD_REQUEST,
                "Invalid access ID",
            )
            .await;
        }
        // 2. An unknown access, whatever the body.
        assert_error(
            server.get(&get_paths(unknown)[form], Some(&alice)).await,
            StatusCode::NOT_FOUND,
            "Access record not found",
        )
        .await;
        for body in bodies {
            assert_error(
                raw(
                    &server,
                    Method::PUT,
                    &update_paths(unknown)[form],
                    Some(&alice),
                    body,
                )
                .await,
                StatusCode::NOT_FOUND,
                "Access record not found",
            )
            .await;
        }
        assert_error(
            send(
                &server,
                Method::DELETE,
                &delete_paths(unknown)[form],
                Some(&alice),
                None,
            )
            .await,
            StatusCode::NOT_FOUND,
            "Access record not found",
        )
        .await;
        // 3. Another user's access, whatever the body.
        assert_error(
            server.get(&get_paths(bobs_id)[form], Some(&alice)).await,
            StatusCode::FORBIDDEN,
            "You don't have permission to view this access",
        )
        .await;
        for body in bodies {
            assert_error(
                raw(
                    &server,
                    Method::PUT,
                    &update_paths(bobs_id)[form],
                    Some(&alice),
                    body,
                )
                .await,
                StatusCode::FORBIDDEN,
                "You don't have permission to update this access",
            )
            .await;
        }
        assert_error(
            send(
                &server,
                Method::DELETE,
                &delete_paths(bobs_id)[form],
                Some(&alice),
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
            "You don't have permission to delete this access",
        )
        .await;
        // 4. A bad body, then bad rules, on one's own access.
        let path = update_paths(mine_id)[form].clone();
        assert_error(
            raw(&server, Method::PUT, &path, Some(&alice), bad_body).await,
            StatusCode::BAD_REQUEST,
            "Invalid request body",
        )
        .await;
        assert_error(
            raw(&server, Method::PUT, &path, Some(&alice), bad_rules).await,
            StatusCode::BAD_REQUEST,
            "Invalid IP address: 300.1.1.1",
        )
        .await;
    }
    // None of it changed or removed anything.
    let mine_now = get_access(&server, &alice, mine_id).await;
    let bobs_now = get_access(&server, &bob, bobs_id).await;
    for key in ACCESS_KEYS {
        assert_eq!(mine_now[key], my_access[key], "{key}");
        assert_eq!(bobs_now[key], bobs_access[key], "{key}");
    }
}

async fn malformed_bodies_are_refused(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let access = create(&server, &token, file, full_rules()).await;
    let id = id_of(&access);
    let before = get_access(&server, &token, id).await;
    let bodies = [
        r#"{"ips":"x"}"#,
        r#"{"subnets":"10.0.0.0/8"}"#,
        r#"{"subnets":[1]}"#,
        r#"{"ttl":"five"}"#,
        r#"{"ttl":1.5}"#,
        r#"{"public":"yes"}"#,
        r#"{"oneTimeUse":1}"#,
        r#"{"enableTTL":"true"}"#,
        r#"{"name":5}"#,
        r#"{"expires":20270101}"#,
        r#"{"name":"x""#,
        "not json",
        "[]",
        "true",
        r#""name""#,
    ];
    for body in bodies {
        for path in create_paths(file) {
            assert_error(
                raw(&server, Method::POST, &path, Some(&token), body).await,
                StatusCode::BAD_REQUEST,
                "Invalid request body",
            )
            .await;
        }
        for path in update_paths(id) {
            assert_error(
                raw(&server, Method::PUT, &path, Some(&token), body).await,
                StatusCode::BAD_REQUEST,
                "Invalid request body",
            )
            .await;
        }
    }
    // Nothing created, nothing changed.
    let listed = list_at(&server, &token, &list_paths(file)[1]).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(get_access(&server, &token, id).await, before);
}

async fn deleted_file_takes_its_accesses(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    let other = id_of(&server.upload_ok(&token, "other.txt", b"o".to_vec()).await);
    set_file_public(&server, &token, file, true).await;
    set_file_public(&server, &token, other, true).await;
    let first = create(&server, &token, file, json!({"public": true})).await;
    let second = create(&server, &token, file, json!({"public": true})).await;
    let survivor = create(&server, &token, other, json!({"public": true})).await;
    assert_eq!(
        fetch_link(&server, &link_of(&first)).await.status(),
        StatusCode::OK
    );

    delete_file(&server, &token, file).await;

    for path in list_paths(file) {
        assert_error(
            server.get(&path, Some(&token)).await,
            StatusCode::NOT_FOUND,
            "File not found",
        )
        .await;
        assert_error(
            server
                .send_json(Method::POST, &path, Some(&token), json!({}))
                .await,
            StatusCode::NOT_FOUND,
            "File not found",
        )
        .await;
    }
    for access in [&first, &second] {
        let id = id_of(access);
        for path in get_paths(id) {
            assert_error(
                server.get(&path, Some(&token)).await,
                StatusCode::NOT_FOUND,
                "Access record not found",
            )
            .await;
        }
        for path in update_paths(id) {
            assert_error(
                server
                    .send_json(Method::PUT, &path, Some(&token), json!({}))
                    .await,
                StatusCode::NOT_FOUND,
                "Access record not found",
            )
            .await;
        }
        for path in delete_paths(id) {
            assert_error(
                send(&server, Method::DELETE, &path, Some(&token), None).await,
                StatusCode::NOT_FOUND,
                "Access record not found",
            )
            .await;
        }
        assert_eq!(
            fetch_link(&server, &link_of(access)).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    // The other file's access is untouched.
    let listed = list_at(&server, &token, &list_paths(other)[0]).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["ID"], survivor["ID"]);
    assert_eq!(
        fetch_link(&server, &link_of(&survivor)).await.status(),
        StatusCode::OK
    );
}

async fn accesses_survive_a_restart(backend: Backend) {
    let mut server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    set_file_public(&server, &token, file, true).await;
    let mut rules = full_rules();
    rules["oneTimeUse"] = json!(false);
    rules["subnets"] = json!(["127.0.0.0/8"]);
    rules["ips"] = json!([]);
    let created = create(&server, &token, file, rules).await;
    let plain = create(
        &server,
        &token,
        file,
        json!({"name": "plain", "public": true}),
    )
    .await;
    let before = list_at(&server, &token, &list_paths(file)[0]).await;
    assert_eq!(before.len(), 2);

    server.restart();

    let after = list_at(&server, &token, &list_paths(file)[0]).await;
    assert_eq!(after, before);
    let read = get_access(&server, &token, id_of(&created)).await;
    assert_eq!(read, before[0]);
    // The same links still work.
    for access in [&created, &plain] {
        let response = fetch_link(&server, &link_of(access)).await;
        assert_eq!(response.status(), StatusCode::OK, "{access}");
        assert_eq!(response.bytes().await.unwrap().as_ref(), b"%PDF");
    }
    assert_eq!(get_access(&server, &token, id_of(&created)).await["TTL"], 4);
    // And they can still be managed.
    let updated = update(&server, &token, id_of(&plain), json!({"name": "renamed"})).await;
    assert_eq!(updated["Link"], plain["Link"]);
}

async fn openapi_lists_the_access_paths(backend: Backend) {
    let server = Server::start(backend).await;
    let (status, doc) = status_json(server.get("/api/openapi.json", None).await).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let paths = doc["paths"].as_object().expect("paths object");
    let methods = |path: &str| -> Vec<String> {
        let mut found: Vec<String> = paths
            .get(path)
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{path} not documented: {:?}", paths.keys()))
            .keys()
            .filter(|k| ["get", "put", "post", "delete", "head"].contains(&k.as_str()))
            .cloned()
            .collect();
        found.sort_unstable();
        found
    };
    let file_access = methods("/api/files/{id}/access");
    assert!(
        file_access.contains(&"post".to_owned()) && file_access.contains(&"get".to_owned()),
        "{file_access:?}"
    );
    let access = methods("/api/access/{id}");
    for method in ["delete", "get", "put"] {
        assert!(access.contains(&method.to_owned()), "{access:?}");
    }
    assert!(
        methods("/link/{token}").contains(&"get".to_owned()),
        "/link/{{token}}"
    );
}

async fn transport_rules_on_access_paths(backend: Backend) {
    let server = Server::start(backend).await;
    let (token, file) = alice_with_file(&server).await;
    // JSON whatever the Content-Type says (or without one).
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = server
            .request(Method::POST, &create_paths(file)[1], Some(&token))
            .body(r#"{"name":"typed","public":true}"#);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let (status, reply) = status_json(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{content_type:?}: {reply}");
        assert_eq!(reply["access"]["Name"], "typed", "{content_type:?}");
        assert_eq!(reply["access"]["Public"], true, "{content_type:?}");
    }
    let access = create(&server, &token, file, json!({"name": "slashes"})).await;
    let id = id_of(&access);
    // Double and trailing slashes are tolerated.
    let got = get_at(&server, &token, &format!("//api/access/{id}/")).await;
    assert_eq!(got["ID"], id);
    let got = get_at(&server, &token, &format!("/api//accesses/{id}")).await;
    assert_eq!(got["ID"], id);
    let listed = list_at(&server, &token, &format!("/api/files/{file}/accesses/")).await;
    assert_eq!(listed.len(), 4);
    let updated = update_at(
        &server,
        &token,
        &format!("/api/accesses/{id}/access/"),
        json!({"name": "slashed"}),
    )
    .await;
    assert_eq!(updated["Name"], "slashed");
    // A wrong method on an access path is a JSON 405.
    let file_accesses = create_paths(file);
    let one = get_paths(id);
    let update_form = update_paths(id)[0].clone();
    for (method, path) in [
        (Method::DELETE, file_accesses[0].as_str()),
        (Method::PATCH, file_accesses[1].as_str()),
        (Method::POST, one[0].as_str()),
        (Method::PUT, one[0].as_str()),
        (Method::POST, one[1].as_str()),
        (Method::PATCH, one[1].as_str()),
        (Method::GET, update_form.as_str()),
        (Method::DELETE, update_form.as_str()),
    ] {
        let response = send(&server, method.clone(), path, Some(&token), None).await;
        let (status, body) = status_json(response).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"error": "Method not allowed"})
            ),
            "{method} {path}"
        );
    }
    // The access is still there and unchanged by the refused requests.
    assert_eq!(get_access(&server, &token, id).await["Name"], "slashed");
}
