//! Downloads sent straight from the stored file (zero-copy) on a kept-alive HTTP/1.1
//! connection: pipelined full and ranged downloads and API calls each get exactly their own
//! bytes, in order; a client that goes away or a stored file that was cut short break only
//! their own connection.

use crate::harness::{Backend, Server};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

crate::both!(
    pipelined_requests_get_their_own_bytes,
    a_client_that_goes_away_breaks_nothing,
    a_cut_short_stored_file_closes_only_its_connection,
);

/// Bytes that differ at every offset, so a misplaced run of bytes shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u64 * 2_654_435_761) >> 13) as u8 ^ seed)
        .collect()
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

fn get(path: &str, token: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: defdrive\r\nAuthorization: Bearer {token}\r\n{extra}\r\n")
}

/// Reads one response: status, headers (lower-case names) and a Content-Length body.
fn read_response(reader: &mut impl BufRead) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map(|(_, value)| value.parse().unwrap())
        .unwrap();
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, headers, body)
}

async fn pipelined_requests_get_their_own_bytes(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("piper").await;
    // Larger than several placeholder frames of the zero-copy body.
    let big = pattern(5 * 1024 * 1024 + 3, 1);
    let small = pattern(1000, 2);
    let big_id = server.upload_ok(&token, "big.bin", big.clone()).await["ID"].clone();
    let small_id = server.upload_ok(&token, "small.bin", small.clone()).await["ID"].clone();
    let (big_path, small_path) = (
        format!("/api/files/{big_id}/download"),
        format!("/api/files/{small_id}/download"),
    );

    let mut stream = connect(&server);
    let requests = [
        get(&big_path, &token, ""),
        get(&small_path, &token, "Range: bytes=10-19\r\n"),
        get(&big_path, &token, "Range: bytes=2097150-4194305\r\n"),
        get("/api/files", &token, ""),
        get(&small_path, &token, ""),
        get(&big_path, &token, "Range: bytes=-7\r\n"),
        get(&big_path, &token, "Connection: close\r\n"),
    ];
    stream.write_all(requests.concat().as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);

    let (status, _, body) = read_response(&mut reader);
    assert_eq!((status, body.len()), (200, big.len()));
    assert!(body == big, "full download of the big file");
    let (status, headers, body) = read_response(&mut reader);
    assert_eq!(status, 206);
    assert!(headers.contains(&("content-range".into(), "bytes 10-19/1000".into())));
    assert_eq!(body, small[10..20]);
    let (status, _, body) = read_response(&mut reader);
    assert_eq!(status, 206);
    assert!(body == big[2_097_150..=4_194_305], "range across frames");
    let (status, _, body) = read_response(&mut reader);
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(listed["files"].as_array().unwrap().len(), 2);
    let (status, _, body) = read_response(&mut reader);
    assert_eq!((status, body), (200, small));
    let (status, _, body) = read_response(&mut reader);
    assert_eq!((status, body.as_slice()), (206, &big[big.len() - 7..]));
    let (status, _, body) = read_response(&mut reader);
    assert_eq!(status, 200);
    assert!(body == big, "last full download");
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "nothing after the last response");
}

async fn a_client_that_goes_away_breaks_nothing(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("leaver").await;
    let big = pattern(8 * 1024 * 1024, 3);
    let id = server.upload_ok(&token, "big.bin", big.clone()).await["ID"].clone();
    let path = format!("/api/files/{id}/download");
    for _ in 0..3 {
        let mut stream = connect(&server);
        stream.write_all(get(&path, &token, "").as_bytes()).unwrap();
        let mut first = [0u8; 4096];
        stream.read_exact(&mut first).unwrap();
        // Gone after a few kilobytes, with megabytes still to send.
    }
    let response = server.get(&path, Some(&token)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.bytes().await.unwrap() == big,
        "later download intact"
    );
}

async fn a_cut_short_stored_file_closes_only_its_connection(backend: Backend) {
    let server = Server::start(backend).await;
    let token = server.user("cutter").await;
    let good = pattern(300_000, 4);
    let good_id = server.upload_ok(&token, "good.bin", good.clone()).await["ID"].clone();
    let cut = pattern(3_000_000, 5);
    let cut_id = server.upload_ok(&token, "cut.bin", cut.clone()).await["ID"].clone();
    let object = server
        .stored_objects()
        .into_iter()
        .find(|p| std::fs::metadata(p).unwrap().len() == cut.len() as u64)
        .unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&object)
        .unwrap()
        .set_len(1_000_000)
        .unwrap();

    let mut stream = connect(&server);
    let request = get(&format!("/api/files/{cut_id}/download"), &token, "");
    stream.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    // The server announces the recorded length, sends what is there, then closes.
    stream.read_to_end(&mut received).unwrap();
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    assert!(head.contains("content-length: 3000000"), "{head}");
    assert_eq!(&received[head_end..], &cut[..1_000_000]);

    let response = server
        .get(&format!("/api/files/{good_id}/download"), Some(&token))
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.bytes().await.unwrap() == good,
        "other downloads go on"
    );
}
