//! A TCP proxy that adds a fixed delay to every client-to-server chunk, so
//! a loopback registry behaves like a remote one (each HTTP request pays a
//! round trip). Used by the discovery benchmark; loopback has no netem.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, Result};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A running latency proxy; stops when dropped.
pub struct LatencyProxy {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl LatencyProxy {
    /// Listen on 127.0.0.1 (random port) and forward to `upstream`, delaying
    /// each chunk the client sends by `delay`.
    pub async fn start(upstream: SocketAddr, delay: Duration) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the proxy")?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let _ = pipe(client, server, delay).await;
                    }
                });
            }
        });
        Ok(Self { addr, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pipe(client: TcpStream, server: TcpStream, delay: Duration) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    // Client bytes are stamped on arrival and written `delay` later, so the
    // delay is a fixed latency, not a per-chunk penalty that accumulates.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let read = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = cr.read(&mut buf).await?;
            if n == 0
                || tx
                    .send((tokio::time::Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
            {
                return Ok::<(), std::io::Error>(());
            }
        }
    };
    let write = async move {
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            sw.write_all(&bytes).await?;
        }
        sw.shutdown().await
    };
    let down = async move { tokio::io::copy(&mut sr, &mut cw).await.map(|_| ()) };
    let _ = tokio::join!(read, write, down);
    Ok(())
}
