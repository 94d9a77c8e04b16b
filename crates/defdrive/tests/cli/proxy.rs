//! A TCP proxy in front of a server that can break connections on purpose: after a budget
//! of bytes towards the server it stalls (until [`Proxy::cut`] closes the stalled
//! connections), and after a budget of bytes towards the client it drops the connection.
//! It also counts the bytes it carried towards the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub url: String,
    /// Bytes still allowed towards the server before stalling (`u64::MAX`: no limit).
    pub upstream_budget: Arc<AtomicU64>,
    /// Bytes still allowed towards the client before dropping (`u64::MAX`: no limit).
    pub downstream_budget: Arc<AtomicU64>,
    /// Bytes carried towards the client so far.
    pub downstream_bytes: Arc<AtomicU64>,
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(server_url: &str) -> Self {
        let target = server_url.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream_budget = Arc::new(AtomicU64::new(u64::MAX));
        let downstream_budget = Arc::new(AtomicU64::new(u64::MAX));
        let downstream_bytes = Arc::new(AtomicU64::new(0));
        let (cut, cut_rx) = watch::channel(0u64);
        let (up, down, count) = (
            upstream_budget.clone(),
            downstream_budget.clone(),
            downstream_bytes.clone(),
        );
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&target).await else {
                    continue;
                };
                tokio::spawn(carry(
                    client,
                    server,
                    up.clone(),
                    down.clone(),
                    count.clone(),
                    cut_rx.clone(),
                ));
            }
        });
        Self {
            url,
            upstream_budget,
            downstream_budget,
            downstream_bytes,
            cut,
            task,
        }
    }

    /// Closes every connection that is stalled (or running) now, and lifts the budgets.
    pub fn cut(&self) {
        self.upstream_budget.store(u64::MAX, Ordering::SeqCst);
        self.downstream_budget.store(u64::MAX, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Takes up to `want` bytes from `budget`.
fn take(budget: &AtomicU64, want: u64) -> u64 {
    let mut granted = 0;
    let _ = budget.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
        granted = left.min(want);
        Some(if left == u64::MAX {
            left
        } else {
            left - granted
        })
    });
    granted
}

async fn carry(
    client: TcpStream,
    server: TcpStream,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
    count: Arc<AtomicU64>,
    mut cut: watch::Receiver<u64>,
) {
    cut.mark_unchanged();
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let granted = take(&up, n as u64) as usize;
            if server_write.write_all(&buffer[..granted]).await.is_err() {
                return;
            }
            if granted < n {
                // Out of budget: stall until cut.
                std::future::pending::<()>().await;
            }
        }
    };
    let downstream = async {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let granted = take(&down, n as u64) as usize;
            if client_write.write_all(&buffer[..granted]).await.is_err() {
                return;
            }
            count.fetch_add(granted as u64, Ordering::SeqCst);
            if granted < n {
                return;
            }
        }
    };
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
        _ = cut.changed() => {}
    }
}
