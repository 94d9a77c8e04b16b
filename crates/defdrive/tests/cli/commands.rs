//! Every subcommand against a spawned server, with its output, `--json`, and errors.

use crate::harness::{Backend, Server};
use crate::{User, failure, read, sha, stdout};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;

crate::both!(
    every_subcommand,
    errors_are_one_line_and_fail,
    environment_overrides_the_login,
    several_files_go_on_past_a_refusal,
);

async fn every_subcommand(backend: Backend) {
    let server = Server::start(backend).await;
    let user = User::new();
    // signup, then logout and login again with the password on stdin.
    let out = stdout(
        user.cmd(&[
            "signup",
            "alice",
            "--url",
            &server.url,
            "--email",
            "a@example.com",
            "--password-stdin",
        ])
        .write_stdin("password123\n"),
    );
    assert!(out.contains("Signed up and logged in"), "{out}");
    assert_eq!(stdout(&mut user.cmd(&["logout"])).trim(), "Logged out");
    assert_eq!(stdout(&mut user.cmd(&["logout"])).trim(), "Not logged in");
    let out = stdout(
        user.cmd(&["login", "alice", "--url", &format!("{}/", server.url)])
            .write_stdin("password123\n"),
    );
    assert!(
        out.starts_with(&format!("Logged in to {} as alice", server.url)),
        "{out}"
    );
    let login = user.config.path().join("defdrive/login.json");
    let mode = std::fs::metadata(&login).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let stored: Value = serde_json::from_slice(&read(&login)).unwrap();
    assert_eq!(stored["username"], "alice");

    // ls of nothing, upload, ls.
    assert_eq!(stdout(&mut user.cmd(&["ls", "--json"])).trim(), "[]");
    let report = user.write("report.pdf", &vec![7u8; 300_000]);
    let notes = user.write("notes.txt", b"remember the milk\n");
    let out = stdout(&mut user.cmd(&["upload", report.to_str().unwrap(), "notes.txt"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("Uploaded report.pdf (ID 1, 292.97 KiB, sha256 "),
        "{out}"
    );
    assert!(lines[1].contains(&sha(b"remember the milk\n")), "{out}");
    let table = stdout(&mut user.cmd(&["ls"]));
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].starts_with("ID  NAME"), "{table}");
    assert!(
        rows[1].starts_with("1   report.pdf  292.97 KiB  private"),
        "{table}"
    );
    assert!(
        rows[2].contains("notes.txt") && rows[2].contains("18 B"),
        "{table}"
    );
    let listed: Value = serde_json::from_str(&stdout(&mut user.cmd(&["ls", "--json"]))).unwrap();
    assert_eq!(listed[0]["Hash"], sha(&read(&report)));
    assert_eq!(listed[1]["Name"], "notes.txt");
    // upload --json, with small chunks.
    user.write("chunks.bin", &vec![1u8; 100_000]);
    let uploaded: Value = serde_json::from_str(&stdout(&mut user.cmd(&[
        "upload",
        "chunks.bin",
        "--chunk-size",
        "16KiB",
        "--json",
    ])))
    .unwrap();
    assert_eq!(uploaded[0]["Size"], 100_000);
    assert_eq!(uploaded[0]["Hash"], sha(&vec![1u8; 100_000]));
    let _ = notes;

    // stats and limits.
    let stats = stdout(&mut user.cmd(&["stats"]));
    assert!(stats.starts_with("3 files, 390.64 KiB"), "{stats}");
    assert!(
        stats
            .lines()
            .any(|l| l.starts_with("pdf ") && l.contains('█')),
        "{stats}"
    );
    let stats: Value = serde_json::from_str(&stdout(&mut user.cmd(&["stats", "--json"]))).unwrap();
    assert_eq!(stats["file_count"], 3);
    assert_eq!(stats["file_types"][0]["extension"], "pdf");
    let limits = stdout(&mut user.cmd(&["limits"]));
    assert!(
        limits
            .lines()
            .any(|l| l.starts_with("files") && l.contains("100") && l.contains("97")),
        "{limits}"
    );
    let limits: Value =
        serde_json::from_str(&stdout(&mut user.cmd(&["limits", "--json"]))).unwrap();
    assert_eq!(limits["current_storage"], 400_018);

    // public, share, links, download through the link and by ID.
    assert!(stdout(&mut user.cmd(&["public", "1", "on"])).contains("public"));
    let link = stdout(&mut user.cmd(&[
        "share",
        "1",
        "--name",
        "client",
        "--expires",
        "7d",
        "--max-downloads",
        "3",
        "--allow-ip",
        "127.0.0.1",
        "--allow-subnet",
        "10.0.0.0/8",
    ]));
    let link = link.trim().to_owned();
    assert!(link.starts_with(&format!("{}/link/", server.url)), "{link}");
    let once: Value =
        serde_json::from_str(&stdout(&mut user.cmd(&["share", "1", "--once", "--json"]))).unwrap();
    assert_eq!(once["access"]["OneTimeUse"], true);
    let links = stdout(&mut user.cmd(&["links", "1"]));
    assert!(
        links.contains(&link)
            && links.contains("3 downloads left; from 127.0.0.1; from 10.0.0.0/8"),
        "{links}"
    );
    assert!(links.contains("once") && links.contains("never"), "{links}");
    let accesses: Value =
        serde_json::from_str(&stdout(&mut user.cmd(&["links", "1", "--json"]))).unwrap();
    assert_eq!(accesses.as_array().unwrap().len(), 2);
    assert_eq!(accesses[0]["TTL"], 3);
    assert_eq!(accesses[0]["Name"], "client");
    let out = stdout(&mut user.cmd(&["download", &link, "-o", "via-link.pdf"]));
    assert!(out.starts_with("Saved via-link.pdf"), "{out}");
    assert_eq!(read(&user.path("via-link.pdf")), read(&report));
    let token = link.rsplit('/').next().unwrap();
    std::fs::create_dir(user.path("dl")).unwrap();
    stdout(&mut user.cmd(&["download", token, "-o", "dl"]));
    assert_eq!(read(&user.path("dl/report.pdf")), read(&report));
    stdout(&mut user.cmd(&["download", "2", "-o", "dl"]));
    assert_eq!(read(&user.path("dl/notes.txt")), b"remember the milk\n");
    let links: Value =
        serde_json::from_str(&stdout(&mut user.cmd(&["links", "1", "--json"]))).unwrap();
    assert_eq!(links[0]["TTL"], 1, "two of three downloads used");

    // unshare, public off, rm.
    let id = accesses[0]["ID"].to_string();
    assert_eq!(
        stdout(&mut user.cmd(&["unshare", &id])).trim(),
        format!("Deleted share link {id}")
    );
    assert_eq!(
        failure(&mut user.cmd(&["download", &link])),
        "error: Access link not found"
    );
    stdout(&mut user.cmd(&["public", "1", "off"]));
    let once_link = once["link"].as_str().unwrap();
    assert_eq!(
        failure(&mut user.cmd(&["download", once_link])),
        "error: Access denied: file or access is not public"
    );
    assert_eq!(stdout(&mut user.cmd(&["rm", "2"])).trim(), "Deleted file 2");
    let listed: Value = serde_json::from_str(&stdout(&mut user.cmd(&["ls", "--json"]))).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    stdout(&mut user.cmd(&["logout"]));
    assert_eq!(
        failure(&mut user.cmd(&["ls"])),
        "error: not logged in: run `defdrive login` (or set DEFDRIVE_TOKEN)"
    );
}

async fn errors_are_one_line_and_fail(backend: Backend) {
    let server = Server::start_with(backend, &[("DEFAULT_MAX_STORAGE", "1000")]).await;
    let user = User::new();
    user.signup(&server.url, "alice");
    let stranger = User::new();
    assert_eq!(
        failure(
            stranger
                .cmd(&["login", "alice", "--url", &server.url, "--password-stdin"])
                .write_stdin("wrong password\n")
        ),
        "error: Invalid username or password"
    );
    assert_eq!(
        failure(
            stranger
                .cmd(&["signup", "alice", "--url", &server.url, "--password-stdin"])
                .write_stdin("password123\n")
        ),
        "error: Username already taken"
    );
    assert_eq!(
        failure(&mut user.cmd(&["rm", "999"])),
        "error: File not found"
    );
    assert_eq!(
        failure(&mut user.cmd(&["public", "999", "on"])),
        "error: File not found"
    );
    assert_eq!(
        failure(&mut user.cmd(&["links", "999"])),
        "error: File not found"
    );
    assert_eq!(
        failure(&mut user.cmd(&["unshare", "999"])),
        "error: Access record not found"
    );
    assert_eq!(
        failure(&mut user.cmd(&["download", "999"])),
        "error: File not found"
    );
    assert_eq!(
        failure(&mut user.cmd(&["download", "nonsense"])),
        "error: expected a file ID, a share link or a link token, got \"nonsense\""
    );
    user.write("big.bin", &[0u8; 1001]);
    assert_eq!(
        failure(&mut user.cmd(&["upload", "big.bin"])),
        "error: Storage limit exceeded (using 0 of 1000 bytes, this file needs 1001)"
    );
    let line = failure(&mut user.cmd(&["upload", "missing.bin"]));
    assert!(line.starts_with("error: cannot read missing.bin"), "{line}");
    user.write("a.txt", b"a");
    stdout(&mut user.cmd(&["upload", "a.txt"]));
    assert_eq!(
        failure(&mut user.cmd(&["upload", "a.txt"])),
        "error: A file with this name already exists in your folder"
    );
    assert_eq!(
        failure(&mut user.cmd(&["share", "1", "--expires", "someday"])),
        "error: --expires: expected a duration such as 24h or 7d, or an RFC 3339 time, got \"someday\""
    );
    assert_eq!(
        failure(&mut user.cmd(&["share", "1", "--allow-ip", "not-an-ip"])),
        "error: Invalid IP address: not-an-ip"
    );
    // No server there.
    let line = failure(
        user.cmd(&["ls"])
            .env("DEFDRIVE_URL", "http://127.0.0.1:9")
            .env("DEFDRIVE_TOKEN", "t"),
    );
    assert!(
        line.starts_with("error: cannot reach http://127.0.0.1:9"),
        "{line}"
    );
    // Nothing failed half-way: one file, nothing reserved.
    let listed: Value =
        serde_json::from_str(&stdout(&mut user.cmd(&["limits", "--json"]))).unwrap();
    assert_eq!(listed["current_files"], 1);
}

async fn environment_overrides_the_login(backend: Backend) {
    let server = Server::start(backend).await;
    let other = Server::start(backend).await;
    let token = other.user("bob").await;
    let user = User::new();
    user.signup(&server.url, "alice");
    user.write("x.txt", b"x");
    stdout(&mut user.cmd(&["upload", "x.txt"]));
    // DEFDRIVE_URL and DEFDRIVE_TOKEN point at another server and account.
    let listed: Value = serde_json::from_str(&stdout(
        user.cmd(&["ls", "--json"])
            .env("DEFDRIVE_URL", &other.url)
            .env("DEFDRIVE_TOKEN", &token),
    ))
    .unwrap();
    assert_eq!(listed, serde_json::json!([]));
    // DEFDRIVE_URL alone does not send the stored token to another server.
    let line = failure(user.cmd(&["ls"]).env("DEFDRIVE_URL", &other.url));
    assert_eq!(
        line,
        "error: not logged in: run `defdrive login` (or set DEFDRIVE_TOKEN)"
    );
    // A token without a stored login.
    let fresh = User::new();
    let listed: Value = serde_json::from_str(&stdout(
        fresh
            .cmd(&["ls", "--json"])
            .env("DEFDRIVE_URL", &other.url)
            .env("DEFDRIVE_TOKEN", &token),
    ))
    .unwrap();
    assert_eq!(listed, serde_json::json!([]));
    let line = failure(
        fresh
            .cmd(&["ls"])
            .env("DEFDRIVE_URL", &other.url)
            .env("DEFDRIVE_TOKEN", "bad"),
    );
    assert_eq!(line, "error: Invalid or expired token");
}

async fn several_files_go_on_past_a_refusal(backend: Backend) {
    let server = Server::start(backend).await;
    let user = User::new();
    user.signup(&server.url, "alice");
    user.write("taken.txt", b"first");
    stdout(&mut user.cmd(&["upload", "taken.txt"]));
    user.write("a.txt", b"aaa");
    user.write("b.txt", b"bbb");
    // The middle file's name is taken: the others are uploaded all the same, the error
    // names the file, and the exit status says not everything went up.
    let out = user
        .cmd(&["upload", "a.txt", "taken.txt", "b.txt"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("error: taken.txt: A file with this name already exists"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 3 files were not uploaded"),
        "{stderr}"
    );
    let listed = stdout(&mut user.cmd(&["ls", "--json"]));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["Name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"a.txt") && names.contains(&"b.txt"),
        "{names:?}"
    );
    let id = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["Name"] == "b.txt")
        .unwrap()["ID"]
        .to_string();

    // `-o folder/` creates the folder and puts the file in it.
    stdout(&mut user.cmd(&["download", &id, "-o", "copies/"]));
    assert_eq!(read(&user.path("copies/b.txt")), b"bbb");
    // A file path in a folder that does not exist is refused before anything is written.
    let line = failure(&mut user.cmd(&["download", &id, "-o", "nowhere/b.txt"]));
    assert!(line.contains("there is no folder nowhere"), "{line}");
    assert!(!user.path("nowhere").exists() && !user.path("nowhere.part").exists());
}
