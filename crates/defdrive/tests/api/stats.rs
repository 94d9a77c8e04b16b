//! `GET /api/files/stats`: the reply shape, the extension rule of SPEC 4.5, the order of
//! `file_types`, what counts (live files of the caller only), and a property test over
//! random sets of names and sizes.

use crate::both;
use crate::harness::{Backend, Server, assert_error, status_json};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

both!(
    empty_stats_for_a_new_user,
    stats_shape_and_totals,
    extension_table_of_the_spec,
    more_extension_edge_cases,
    non_ascii_extensions_are_lowercased,
    order_by_size_then_count_then_extension,
    soft_deleted_files_never_count,
    only_the_callers_files_count,
    random_sets_of_files_add_up,
);

/// The extension rule of SPEC 4.5, written independently of the server.
fn extension(name: &str) -> String {
    let rest = name.trim_start_matches('.');
    match rest.rfind('.') {
        Some(dot) if dot + 1 < rest.len() => rest[dot + 1..].to_lowercase(),
        _ => "no_extension".to_owned(),
    }
}

/// The `file_types` the server should answer for these live `(name, size)` files.
fn expected_types(files: &[(String, u64)]) -> Vec<Value> {
    let mut groups: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (name, size) in files {
        let entry = groups.entry(extension(name)).or_default();
        entry.0 += 1;
        entry.1 += size;
    }
    let mut rows: Vec<(String, u64, u64)> =
        groups.into_iter().map(|(e, (c, s))| (e, c, s)).collect();
    rows.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    rows.into_iter()
        .map(|(extension, count, total_size)| {
            json!({"extension": extension, "count": count, "total_size": total_size})
        })
        .collect()
}

async fn stats(server: &Server, token: &str) -> Value {
    let (status, body) = status_json(server.get("/api/files/stats", Some(token)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_stats_shape(&body);
    body
}

/// Exactly the keys of SPEC 4.5, with numbers where numbers belong.
fn assert_stats_shape(body: &Value) {
    let mut keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["file_count", "file_types", "total_storage"],
        "{body}"
    );
    assert!(body["file_count"].is_u64(), "{body}");
    assert!(body["total_storage"].is_u64(), "{body}");
    for row in body["file_types"].as_array().expect("file_types array") {
        let mut keys: Vec<&String> = row.as_object().expect("row object").keys().collect();
        keys.sort();
        assert_eq!(keys, ["count", "extension", "total_size"], "{row}");
        assert!(row["extension"].is_string(), "{row}");
        assert!(row["count"].as_u64().unwrap() >= 1, "{row}");
        assert!(row["total_size"].is_u64(), "{row}");
    }
}

async fn delete(server: &Server, token: &str, id: i64) {
    let response = server
        .request(Method::DELETE, &format!("/api/files/{id}"), Some(token))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(response.status(), StatusCode::OK, "delete {id}");
}

/// Uploads each `(name, size)` and returns the ids.
async fn upload_all(server: &Server, token: &str, files: &[(&str, usize)]) -> Vec<i64> {
    let mut ids = Vec::new();
    for (name, size) in files {
        let file = server.upload_ok(token, name, vec![b'x'; *size]).await;
        assert_eq!(file["Name"], *name);
        ids.push(file["ID"].as_i64().unwrap());
    }
    ids
}

fn owned(files: &[(&str, usize)]) -> Vec<(String, u64)> {
    files
        .iter()
        .map(|(n, s)| ((*n).to_owned(), *s as u64))
        .collect()
}

async fn empty_stats_for_a_new_user(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let (status, body) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"file_count": 0, "total_storage": 0, "file_types": []})
        )
    );
    // Protected like every other endpoint.
    assert_error(
        server.get("/api/files/stats", None).await,
        StatusCode::UNAUTHORIZED,
        "User not authenticated",
    )
    .await;
    assert_error(
        server.get("/api/files/stats", Some("not-a-jwt")).await,
        StatusCode::UNAUTHORIZED,
        "Invalid or expired token",
    )
    .await;
}

async fn stats_shape_and_totals(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let files = [
        ("a.zip", 1000),
        ("b.zip", 2500),
        ("c.txt", 10),
        ("empty.txt", 0),
    ];
    upload_all(&server, &token, &files).await;
    let body = stats(&server, &token).await;
    assert_eq!(
        body,
        json!({
            "file_count": 4,
            "total_storage": 3510,
            "file_types": [
                {"extension": "zip", "count": 2, "total_size": 3500},
                {"extension": "txt", "count": 2, "total_size": 10},
            ]
        })
    );
    // The totals agree with the limits endpoint.
    let (_, limits) = status_json(server.get("/api/user/limits", Some(&token)).await).await;
    assert_eq!(limits["current_files"], body["file_count"]);
    assert_eq!(limits["current_storage"], body["total_storage"]);
}

async fn extension_table_of_the_spec(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    // Distinct sizes, so every row's place in the order is determined by its size.
    let files = [
        ("archive.zip", 1),
        ("Report.PDF", 20),
        ("backup.tar.gz", 300),
        (".bashrc", 4000),
        (".config.json", 50),
        ("README", 600),
        ("file.", 7),
        ("ünïcødé.TXT", 8000),
    ];
    upload_all(&server, &token, &files).await;
    let body = stats(&server, &token).await;
    assert_eq!(
        body,
        json!({
            "file_count": 8,
            "total_storage": 12_978,
            "file_types": [
                {"extension": "txt", "count": 1, "total_size": 8000},
                {"extension": "no_extension", "count": 3, "total_size": 4607},
                {"extension": "gz", "count": 1, "total_size": 300},
                {"extension": "json", "count": 1, "total_size": 50},
                {"extension": "pdf", "count": 1, "total_size": 20},
                {"extension": "zip", "count": 1, "total_size": 1},
            ]
        })
    );
    // The test's own rule agrees with the table.
    assert_eq!(body["file_types"], json!(expected_types(&owned(&files))));
    for (name, ext) in [
        ("archive.zip", "zip"),
        ("Report.PDF", "pdf"),
        ("backup.tar.gz", "gz"),
        (".bashrc", "no_extension"),
        (".config.json", "json"),
        ("README", "no_extension"),
        ("file.", "no_extension"),
        ("ünïcødé.TXT", "txt"),
    ] {
        assert_eq!(extension(name), ext, "{name}");
    }
}

async fn more_extension_edge_cases(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    // Each name alone, so a wrong extension shows which name it came from.
    for (name, ext) in [
        ("a.Txt", "txt"),
        ("b.tXT", "txt"),
        ("..hidden", "no_extension"),
        ("...", "no_extension"),
        ("..x.Y", "y"),
        (".a.b.", "no_extension"),
        ("x.tar.", "no_extension"),
        ("a..b", "b"),
        ("my file.t x", "t x"),
        ("notes.md.BAK", "bak"),
        ("C:\\dir\\win.Exe", "exe"),
        ("some/dir/deep.Rs", "rs"),
        ("x.7Z", "7z"),
        ("ünï.çødé", "çødé"),
    ] {
        let user = format!("u{}", crate::harness::random_hex());
        let token = server.user(&user).await;
        let file = server.upload_ok(&token, name, vec![1; 3]).await;
        let body = stats(&server, &token).await;
        assert_eq!(
            body["file_types"],
            json!([{"extension": ext, "count": 1, "total_size": 3}]),
            "name {name:?} (stored as {})",
            file["Name"]
        );
    }
    // The same names together for one user.
    let names = [
        "a.Txt", "b.tXT", "..hidden", "...", "..x.Y", ".a.b.", "x.tar.", "a..b", "c.TXT",
    ];
    for name in names {
        server.upload_ok(&token, name, vec![2; 10]).await;
    }
    let body = stats(&server, &token).await;
    assert_eq!(
        body["file_types"],
        json!([
            {"extension": "no_extension", "count": 4, "total_size": 40},
            {"extension": "txt", "count": 3, "total_size": 30},
            {"extension": "b", "count": 1, "total_size": 10},
            {"extension": "y", "count": 1, "total_size": 10},
        ])
    );
}

async fn non_ascii_extensions_are_lowercased(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    upload_all(
        &server,
        &token,
        &[("one.ÄÖÜ", 5), ("two.äöü", 5), ("three.ÉTÉ", 1)],
    )
    .await;
    let body = stats(&server, &token).await;
    assert_eq!(
        body["file_types"],
        json!([
            {"extension": "äöü", "count": 2, "total_size": 10},
            {"extension": "été", "count": 1, "total_size": 1},
        ])
    );
}

async fn order_by_size_then_count_then_extension(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    // Uploaded in an order that matches none of the expected orders.
    let files = [
        ("e1.eee", 50),
        ("c1.ccc", 60),
        ("a1.aaa", 100),
        ("c2.ccc", 40),
        ("b1.bbb", 30),
        ("d1.ddd", 200),
        ("b2.bbb", 70),
        ("f1.fff", 100),
        // Same size and count, the extension decides (by character, so `_` < `a`).
        ("plain", 10),
        ("x.noa", 10),
        ("y.Nob", 10),
        ("z.7z", 10),
        // Same total and count as `ccc` through case-folding.
        ("g1.GGG", 90),
        ("g2.ggg", 10),
        ("zero.zzz", 0),
        ("zero.yyy", 0),
    ];
    upload_all(&server, &token, &files).await;
    let body = stats(&server, &token).await;
    assert_eq!(
        body["file_types"],
        json!([
            {"extension": "ddd", "count": 1, "total_size": 200},
            {"extension": "bbb", "count": 2, "total_size": 100},
            {"extension": "ccc", "count": 2, "total_size": 100},
            {"extension": "ggg", "count": 2, "total_size": 100},
            {"extension": "aaa", "count": 1, "total_size": 100},
            {"extension": "fff", "count": 1, "total_size": 100},
            {"extension": "eee", "count": 1, "total_size": 50},
            {"extension": "7z", "count": 1, "total_size": 10},
            {"extension": "no_extension", "count": 1, "total_size": 10},
            {"extension": "noa", "count": 1, "total_size": 10},
            {"extension": "nob", "count": 1, "total_size": 10},
            {"extension": "yyy", "count": 1, "total_size": 0},
            {"extension": "zzz", "count": 1, "total_size": 0},
        ])
    );
    assert_eq!(body["file_types"], json!(expected_types(&owned(&files))));
    assert_eq!(body["file_count"], files.len());
    assert_eq!(body["total_storage"], 790);
}

async fn soft_deleted_files_never_count(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let ids = upload_all(
        &server,
        &token,
        &[
            ("a.zip", 100),
            ("b.zip", 200),
            ("c.pdf", 50),
            ("d.pdf", 400),
        ],
    )
    .await;
    delete(&server, &token, ids[1]).await;
    delete(&server, &token, ids[3]).await;
    let body = stats(&server, &token).await;
    assert_eq!(
        body,
        json!({
            "file_count": 2,
            "total_storage": 150,
            "file_types": [
                {"extension": "zip", "count": 1, "total_size": 100},
                {"extension": "pdf", "count": 1, "total_size": 50},
            ]
        })
    );
    // Re-uploading a deleted name counts once, with its new size.
    server.upload_ok(&token, "b.zip", vec![0; 7]).await;
    let body = stats(&server, &token).await;
    assert_eq!(body["file_count"], 3);
    assert_eq!(body["total_storage"], 157);
    assert_eq!(
        body["file_types"],
        json!([
            {"extension": "zip", "count": 2, "total_size": 107},
            {"extension": "pdf", "count": 1, "total_size": 50},
        ])
    );
    // Deleting everything is the empty reply again, with `[]`.
    let (_, list) = status_json(server.get("/api/files", Some(&token)).await).await;
    for file in list["files"].as_array().unwrap() {
        delete(&server, &token, file["ID"].as_i64().unwrap()).await;
    }
    assert_eq!(
        stats(&server, &token).await,
        json!({"file_count": 0, "total_storage": 0, "file_types": []})
    );
}

async fn only_the_callers_files_count(backend: Backend) {
    let server = Server::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    upload_all(&server, &alice, &[("a.zip", 100), ("same.txt", 5)]).await;
    let bob_ids = upload_all(
        &server,
        &bob,
        &[("b.zip", 1000), ("same.txt", 9), ("b.md", 1)],
    )
    .await;
    assert_eq!(
        stats(&server, &alice).await,
        json!({
            "file_count": 2,
            "total_storage": 105,
            "file_types": [
                {"extension": "zip", "count": 1, "total_size": 100},
                {"extension": "txt", "count": 1, "total_size": 5},
            ]
        })
    );
    assert_eq!(
        stats(&server, &bob).await,
        json!({
            "file_count": 3,
            "total_storage": 1010,
            "file_types": [
                {"extension": "zip", "count": 1, "total_size": 1000},
                {"extension": "txt", "count": 1, "total_size": 9},
                {"extension": "md", "count": 1, "total_size": 1},
            ]
        })
    );
    assert_eq!(
        stats(&server, &carol).await,
        json!({"file_count": 0, "total_storage": 0, "file_types": []})
    );
    // Bob deleting his files changes nothing for alice.
    for id in bob_ids {
        delete(&server, &bob, id).await;
    }
    assert_eq!(stats(&server, &alice).await["total_storage"], 105);
    assert_eq!(stats(&server, &bob).await["file_types"], json!([]));
}

// ---- Property test

/// One generated file: its name is built from these parts and made unique by `index`.
#[derive(Debug, Clone)]
struct NamePlan {
    kind: u8,
    stem: String,
    ext: String,
    size: usize,
}

/// A pool of extensions (small, so that groups and ties happen), in random letter case.
fn ext_strategy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "txt", "pdf", "zip", "gz", "json", "md", "7z", "a_b", "tar",
        ]),
        prop::collection::vec(any::<bool>(), 4),
    )
        .prop_map(|(ext, upper)| {
            ext.chars()
                .zip(upper.iter().cycle())
                .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
                .collect()
        })
}

fn plan_strategy() -> impl Strategy<Value = NamePlan> {
    (
        0u8..8,
        "[a-zA-Z0-9]{1,6}",
        ext_strategy(),
        prop_oneof![prop::sample::select(vec![0usize, 1, 10, 64]), 0usize..3000],
    )
        .prop_map(|(kind, stem, ext, size)| NamePlan {
            kind,
            stem,
            ext,
            size,
        })
}

impl NamePlan {
    /// The file name: plain, no extension, dotfile, dotfile with extension, trailing dot,
    /// several dots, leading dots, or a double extension.
    fn name(&self, index: usize) -> String {
        let stem = format!("{}{index}", self.stem);
        let ext = &self.ext;
        match self.kind {
            0 => format!("{stem}.{ext}"),
            1 => stem,
            2 => format!(".{stem}"),
            3 => format!(".{stem}.{ext}"),
            4 => format!("{stem}."),
            5 => format!("{stem}.x.{ext}"),
            6 => format!("..{stem}.{ext}"),
            _ => format!("{stem}.tar.{ext}"),
        }
    }
}

type Case = (Vec<NamePlan>, Vec<bool>);

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(plan_strategy(), 1..=15),
        prop::collection::vec(any::<bool>(), 15),
    )
}

/// Checks one stats reply against the live `(name, size)` files, with `prop_assert!`.
fn check_stats(body: &Value, live: &[(String, u64)]) -> Result<(), TestCaseError> {
    let rows = body["file_types"]
        .as_array()
        .ok_or_else(|| TestCaseError::fail(format!("no file_types array: {body}")))?;
    let file_count = body["file_count"].as_u64().unwrap_or(u64::MAX);
    let total_storage = body["total_storage"].as_u64().unwrap_or(u64::MAX);
    prop_assert_eq!(file_count, live.len() as u64, "file_count: {}", body);
    prop_assert_eq!(
        total_storage,
        live.iter().map(|(_, s)| s).sum::<u64>(),
        "total_storage: {}",
        body
    );
    let counts: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap_or(0)).sum();
    let sizes: u64 = rows
        .iter()
        .map(|r| r["total_size"].as_u64().unwrap_or(0))
        .sum();
    prop_assert_eq!(counts, file_count, "sum of counts: {}", body);
    prop_assert_eq!(sizes, total_storage, "sum of total_size: {}", body);
    // The sort order holds between neighbours, and every extension appears once.
    for pair in rows.windows(2) {
        let key = |r: &Value| {
            (
                std::cmp::Reverse(r["total_size"].as_u64().unwrap_or(0)),
                std::cmp::Reverse(r["count"].as_u64().unwrap_or(0)),
                r["extension"].as_str().unwrap_or("").to_owned(),
            )
        };
        prop_assert!(
            key(&pair[0]) < key(&pair[1]),
            "order: {} then {}",
            pair[0],
            pair[1]
        );
    }
    // Each row is exactly the group the rule gives.
    prop_assert_eq!(rows, &expected_types(live), "file_types for {:?}", live);
    Ok(())
}

async fn run_case(
    server: &Server,
    username: &str,
    (plans, delete_mask): Case,
) -> Result<(), TestCaseError> {
    let token = server.user(username).await;
    let mut live = Vec::new();
    for (index, plan) in plans.iter().enumerate() {
        let name = plan.name(index);
        let file = server.upload_ok(&token, &name, vec![b'p'; plan.size]).await;
        prop_assert_eq!(file["Name"].as_str(), Some(name.as_str()));
        live.push((file["ID"].as_i64().unwrap(), name, plan.size as u64));
    }
    let pairs = |live: &[(i64, String, u64)]| -> Vec<(String, u64)> {
        live.iter().map(|(_, n, s)| (n.clone(), *s)).collect()
    };
    let (status, body) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    prop_assert_eq!(status, StatusCode::OK);
    check_stats(&body, &pairs(&live))?;

    // Delete a random subset; the rest must still add up.
    let mut kept = Vec::new();
    for (entry, remove) in live.into_iter().zip(delete_mask) {
        if remove {
            delete(server, &token, entry.0).await;
        } else {
            kept.push(entry);
        }
    }
    let (status, body) = status_json(server.get("/api/files/stats", Some(&token)).await).await;
    prop_assert_eq!(status, StatusCode::OK);
    check_stats(&body, &pairs(&kept))?;
    if kept.is_empty() {
        prop_assert_eq!(
            body,
            json!({"file_count": 0, "total_storage": 0, "file_types": []})
        );
    }
    Ok(())
}

async fn random_sets_of_files_add_up(backend: Backend) {
    let server = Server::start(backend).await;
    let handle = tokio::runtime::Handle::current();
    let users = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 7,
        max_shrink_iters: 32,
        failure_persistence: None,
        ..Config::default()
    });
    let result = tokio::task::block_in_place(|| {
        runner.run(&case_strategy(), |case| {
            // A fresh user per case (also while shrinking), so cases never mix.
            let username = format!("prop{}", users.fetch_add(1, Ordering::Relaxed));
            handle.block_on(run_case(&server, &username, case))
        })
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
