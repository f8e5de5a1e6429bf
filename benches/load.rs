//! Load benchmark: prints figures, asserts nothing. `cargo bench --bench load`
//! (needs `wrk`: `apt-get install wrk`).
//!
//! Runs the release binary as a sandbox on loopback, as a separate process,
//! so its memory is its own, and measures:
//! - start-up time to the first served `GET /`;
//! - `GET /` throughput and p50/p99 latency at 1, 16 and 64 connections with
//!   wrk, side by side with a bare axum route serving the same bytes, and
//!   again with 80 ms added to every answer of the simulated Linode;
//! - calls to Linode made while serving `GET /` (from the app's metrics);
//! - complete deploy flows per second (form, post, consent, callback);
//! - resident memory idle, under load, and with 10,000 live sessions.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_install-on-linode");
const CONNECTIONS: [u32; 3] = [1, 16, 64];

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The app, running as its own process.
struct App {
    child: Child,
    base: String,
    metrics: String,
    started_in: Duration,
}

impl App {
    async fn start(latency_ms: u64) -> Self {
        let (port, metrics_port) = (free_port(), free_port());
        let started = Instant::now();
        let child = Command::new(BINARY)
            .arg("--sandbox")
            .env("APP_PORT", port.to_string())
            .env("APP_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("APP_RATE_LIMIT_PER_MINUTE", "0")
            .env("APP_PENDING_PER_CLIENT", "0")
            .env("APP_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("APP_SANDBOX_LATENCY_MS", latency_ms.to_string())
            .env("APP_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the release binary starts");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(&base).send().await
                && r.status() == 200
            {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the app did not serve GET /");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let started_in = started.elapsed();
        Self { child, base, metrics: format!("http://127.0.0.1:{metrics_port}/metrics"), started_in }
    }

    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }

    /// Calls to Linode's API and login server so far, from the app's own metrics.
    async fn linode_calls(&self) -> u64 {
        let text = reqwest::get(&self.metrics).await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with("linode_requests_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A bare axum route that answers the same bytes as the app's `GET /`.
async fn bare_route(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "text/html; charset=utf-8")], body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

fn wrk(url: &str, connections: u32, seconds: u32) -> Wrk {
    let threads = connections.min(2);
    let output = Command::new("wrk")
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            url,
        ])
        .output()
        .expect("wrk runs (apt-get install wrk)");
    let text = String::from_utf8_lossy(&output.stdout);
    let number_after = |label: &str| -> Option<String> {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .map(|l| l.trim_start()[label.len()..].trim().to_owned())
    };
    let duration_ms = |s: String| -> f64 {
        let s = s.split_whitespace().next().unwrap_or("0").to_owned();
        let (value, factor) = if let Some(v) = s.strip_suffix("us") {
            (v, 0.001)
        } else if let Some(v) = s.strip_suffix("ms") {
            (v, 1.0)
        } else if let Some(v) = s.strip_suffix('s') {
            (v, 1000.0)
        } else {
            (s.as_str(), 1.0)
        };
        value.parse::<f64>().unwrap_or(f64::NAN) * factor
    };
    let errors = text
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .flat_map(|l| l.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u64>().ok()))
        .sum();
    Wrk {
        rps: number_after("Requests/sec:").and_then(|v| v.parse().ok()).unwrap_or(f64::NAN),
        p50_ms: number_after("50%").map(duration_ms).unwrap_or(f64::NAN),
        p99_ms: number_after("99%").map(duration_ms).unwrap_or(f64::NAN),
        errors,
    }
}

async fn get_route_table(app: &App, title: &str) {
    let body = reqwest::get(&app.base).await.unwrap().text().await.unwrap();
    let bare = bare_route(body).await;
    let calls_before = app.linode_calls().await;
    println!("\nGET / {title}");
    println!(
        "{:>5} | {:>10} {:>9} {:>9} | {:>10} {:>9} {:>9} | {:>5} | errors",
        "conns", "app req/s", "p50 ms", "p99 ms", "bare req/s", "p50 ms", "p99 ms", "ratio"
    );
    for connections in CONNECTIONS {
        let ours = wrk(&format!("{}/", app.base), connections, 5);
        let theirs = wrk(&format!("{bare}/"), connections, 5);
        println!(
            "{connections:>5} | {:>10.0} {:>9.3} {:>9.3} | {:>10.0} {:>9.3} {:>9.3} | {:>5.2} | {}",
            ours.rps,
            ours.p50_ms,
            ours.p99_ms,
            theirs.rps,
            theirs.p50_ms,
            theirs.p99_ms,
            ours.rps / theirs.rps,
            ours.errors
        );
    }
    let calls = app.linode_calls().await - calls_before;
    println!("calls to Linode while serving GET /: {calls}; resident memory after: {:.1} MB", app.rss_mb());
}

/// One complete deploy: form, post, consent page, authorize, callback.
async fn flow(client: &reqwest::Client, base: &str) -> Result<(), String> {
    let fail = |what: &str| format!("{what} failed");
    client
        .get(base)
        .send()
        .await
        .map_err(|_| fail("GET /"))?
        .bytes()
        .await
        .map_err(|_| fail("GET / body"))?;
    let posted = client
        .post(base)
        .header("Origin", base)
        .form(&[
            ("type", "g6-standard-1"),
            ("region", "us-east"),
            ("distribution", "linode/debian12"),
            ("udf_user_name", "bench"),
            ("udf_soa_email_address", "bench@example.com"),
            ("generate", "db_password"),
        ])
        .send()
        .await
        .map_err(|_| fail("POST /"))?;
    if posted.status() != 302 {
        return Err(format!("POST / answered {}", posted.status()));
    }
    let cookie = posted
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .unwrap_or("")
        .to_owned();
    let authorize = posted.headers()["location"].to_str().unwrap().to_owned();
    let consent = client
        .get(&authorize)
        .send()
        .await
        .map_err(|_| fail("consent"))?
        .text()
        .await
        .map_err(|_| fail("consent body"))?;
    let consent_id = consent
        .split("name=\"consent_id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or_else(|| fail("consent id"))?
        .to_owned();
    let back = client
        .post(format!("{base}/sandbox/login/oauth/authorize"))
        .form(&[("consent_id", consent_id.as_str()), ("decision", "authorize"), ("linodes", "read_write")])
        .send()
        .await
        .map_err(|_| fail("authorize"))?;
    let callback = back
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| fail("redirect back"))?
        .to_owned();
    let done = client.get(callback).header("cookie", cookie).send().await.map_err(|_| fail("callback"))?;
    if done.status() != 200 {
        return Err(format!("callback answered {}", done.status()));
    }
    done.bytes().await.map_err(|_| fail("success body"))?;
    Ok(())
}

async fn flows(app: &App, workers: usize, seconds: u64) -> (f64, u64, u64, f64) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let (done, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let pid = app.child.id();
    let sampler = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(kb) = status
                    .lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, base, done, failed, stop) =
            (client.clone(), app.base.clone(), Arc::clone(&done), Arc::clone(&failed), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match flow(&client, &base).await {
                    Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                    Err(error) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("flow error: {error}");
                        }
                        0
                    }
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = sampler.await;
    let (done, failed) = (done.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    (done as f64 / elapsed, done, failed, peak.load(Ordering::Relaxed) as f64 / 1024.0)
}

async fn sessions(app: &App, count: usize) -> f64 {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, base, next) = (client.clone(), app.base.clone(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count as u64 {
                let posted = client
                    .post(&base)
                    .header("Origin", &base)
                    .form(&[
                        ("type", "g6-standard-1"),
                        ("region", "us-east"),
                        ("distribution", "linode/debian12"),
                        ("udf_user_name", "bench"),
                        ("udf_soa_email_address", "a@example.com"),
                        ("generate", "db_password"),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(posted.status(), 302);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.rss_mb()
}

#[tokio::main]
async fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("load benchmark: wrk is not installed (apt-get install wrk)");
        std::process::exit(1);
    }
    // `cargo bench` passes --bench; nothing else is read.
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "install-on-linode load benchmark on {cores} cores ({}), release build, sandbox on loopback",
        std::env::consts::ARCH
    );

    // LOAD_PARTS=get,flows,slow,sessions runs only some parts (all by default).
    let parts = std::env::var("LOAD_PARTS").unwrap_or_else(|_| "get,flows,slow,sessions".into());
    let app = App::start(0).await;
    println!("\nstart-up to first served GET /: {:.0} ms", app.started_in.as_secs_f64() * 1000.0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("resident memory idle: {:.1} MB", app.rss_mb());
    if parts.contains("get") {
        get_route_table(&app, "(simulated Linode answering at once)").await;
    }
    if parts.contains("flows") {
        let (rate, done, failed, peak) = flows(&app, 32, 10).await;
        println!("\ndeploy flows (form, post, consent, authorize, callback), 32 workers, 10 s:");
        println!("  {rate:.0} flows/s, {done} completed, {failed} errors; peak resident memory {peak:.1} MB");
    }
    drop(app);

    if parts.contains("slow") {
        let slow = App::start(80).await;
        get_route_table(&slow, "with 80 ms added to every call to the simulated Linode").await;
        drop(slow);
    }
    if !parts.contains("sessions") {
        return;
    }
    let fresh = App::start(0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = fresh.rss_mb();
    let with_sessions = sessions(&fresh, 10_000).await;
    println!(
        "\n10,000 live sessions in the memory store: {with_sessions:.1} MB resident ({idle:.1} MB before them)"
    );
}
