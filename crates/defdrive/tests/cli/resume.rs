//! Interrupted transfers finished by running the same command again: an upload whose client
//! is interrupted (SIGINT, as Ctrl-C) half-way, and a download whose connection drops.

use crate::harness::{Backend, Server, status_json};
use crate::proxy::Proxy;
use crate::{User, failure, read, sha, stdout};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::Duration;

crate::both!(
    interrupted_upload_continues_when_run_again,
    broken_download_continues_when_run_again
);

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 13 % 251) as u8).collect()
}

async fn interrupted_upload_continues_when_run_again(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("alice").await;
    let proxy = Proxy::start(&server.url).await;
    let user = User::new();
    let data = content(3_000_000);
    user.write("big.iso", &data);
    let env = [
        ("DEFDRIVE_URL", proxy.url.as_str()),
        ("DEFDRIVE_TOKEN", token.as_str()),
    ];

    // The connection stalls after about half the file; then the user presses Ctrl-C.
    proxy.upstream_budget.store(1_500_000, Ordering::SeqCst);
    let mut client = user
        .std_cmd(&["upload", "big.iso"])
        .envs(env)
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if proxy.upstream_budget.load(Ordering::SeqCst) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        proxy.upstream_budget.load(Ordering::SeqCst),
        0,
        "the upload never got half-way"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &client.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    assert!(!client.wait().unwrap().success());
    proxy.cut();

    // The server kept what arrived; the client remembered where.
    let uploads: Value =
        serde_json::from_slice(&read(&user.config.path().join("defdrive/uploads.json"))).unwrap();
    let url = uploads
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let path = url.strip_prefix(&proxy.url).unwrap().to_owned();
    let mut offset = 0;
    for _ in 0..200 {
        let response = server
            .request(Method::HEAD, &path, Some(&token))
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        offset = response.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        if offset > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(offset > 0 && offset < 1_500_000, "{offset}");
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"], serde_json::json!([]));

    // The same command again sends the rest.
    let out = stdout(user.cmd(&["upload", "big.iso"]).envs(env));
    assert!(out.starts_with("Uploaded big.iso (ID 1, "), "{out}");
    assert!(out.contains(&sha(&data)), "{out}");
    let (_, files) = status_json(server.get("/api/files", Some(&token)).await).await;
    assert_eq!(files["files"].as_array().unwrap().len(), 1);
    assert_eq!(files["files"][0]["Hash"], sha(&data));
    // It was the same upload that completed, and the client forgot it.
    let response = server
        .request(Method::HEAD, &path, Some(&token))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["defdrive-file-id"], "1");
    let uploads: Value =
        serde_json::from_slice(&read(&user.config.path().join("defdrive/uploads.json"))).unwrap();
    assert_eq!(uploads, serde_json::json!({}));
}

async fn broken_download_continues_when_run_again(backend: Backend) {
    let server = Server::start(backend).await;
    let user = User::new();
    user.signup(&server.url, "alice");
    let data = content(3_000_000);
    user.write("film.mkv", &data);
    stdout(&mut user.cmd(&["upload", "film.mkv"]));
    std::fs::remove_file(user.path("film.mkv")).unwrap();
    let token = server.login("alice").await;
    let proxy = Proxy::start(&server.url).await;
    let env = [
        ("DEFDRIVE_URL", proxy.url.as_str()),
        ("DEFDRIVE_TOKEN", token.as_str()),
    ];

    // The connection drops after about a third of the file.
    proxy.downstream_budget.store(1_000_000, Ordering::SeqCst);
    let line = failure(user.cmd(&["download", "1", "-o", "copy.mkv"]).envs(env));
    assert!(
        line.starts_with("error: the download broke off at "),
        "{line}"
    );
    assert!(
        line.ends_with("run the same command again to continue"),
        "{line}"
    );
    assert!(!user.path("copy.mkv").exists());
    let part = std::fs::metadata(user.path("copy.mkv.part")).unwrap().len();
    assert!(part > 0 && part < 1_000_000, "{part}");
    proxy.cut();

    // The same command again asks only for the rest.
    let before = proxy.downstream_bytes.load(Ordering::SeqCst);
    let out = stdout(user.cmd(&["download", "1", "-o", "copy.mkv"]).envs(env));
    assert!(out.starts_with("Saved copy.mkv (2.86 MiB)"), "{out}");
    let carried = proxy.downstream_bytes.load(Ordering::SeqCst) - before;
    assert!(
        carried < 3_000_000 - part + 10_000,
        "carried {carried} bytes for {} missing",
        3_000_000 - part
    );
    assert_eq!(read(&user.path("copy.mkv")), data);
    assert!(!user.path("copy.mkv.part").exists());
}
