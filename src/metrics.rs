//! Prometheus metrics, served on their own listener (`APP_METRICS_ADDR`) so
//! they are never public by accident. Recorded with the `metrics` facade and
//! rendered by `metrics-exporter-prometheus`; without a listener nothing is
//! installed and every recording call is a no-op.
//!
//! - `http_requests_total{route,method,status}` (method: GET, HEAD, POST or OTHER; route: a
//!   template of the route table, or `unmatched`), `http_request_duration_seconds{route}`
//! - `deploys_total{outcome}` (started, succeeded, failed) and `deploys_failed_total{reason}`
//! - `linode_requests_total{endpoint,outcome}`, `linode_request_duration_seconds{endpoint}`
//! - `catalog_requests_total{result}` (hit, stale, miss)
//! - `log_lines_dropped_total`: lines dropped because standard output was not read in time

use std::sync::OnceLock;
use std::time::Instant;

use axum::http;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: from 0.5 ms to 30 s.
const BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Installs the process-wide recorder once and returns its handle.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), BUCKETS)
                .expect("buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Only fails if another recorder was installed first; the handle still renders ours.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Records one request by route template (never by raw path) and by method
/// from a fixed set, so no request can add a series of its own.
pub fn request(route: String, method: &http::Method, status: u16, elapsed: std::time::Duration) {
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method_label(method), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route).record(elapsed.as_secs_f64());
}

/// `GET`, `HEAD`, `POST`, or `OTHER` for every other method, invented ones included.
pub fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::HEAD => "HEAD",
        http::Method::POST => "POST",
        _ => "OTHER",
    }
}

/// Records one call to Linode.
pub fn linode_call(endpoint: &'static str, outcome: &str, started: Instant) {
    metrics::counter!("linode_requests_total", "endpoint" => endpoint, "outcome" => outcome.to_owned())
        .increment(1);
    metrics::histogram!("linode_request_duration_seconds", "endpoint" => endpoint)
        .record(started.elapsed().as_secs_f64());
}

/// Records a deploy's progress: `started`, `succeeded` or `failed` (with a reason).
pub fn deploy(outcome: &'static str, reason: Option<&'static str>) {
    metrics::counter!("deploys_total", "outcome" => outcome).increment(1);
    if let Some(reason) = reason {
        metrics::counter!("deploys_failed_total", "reason" => reason).increment(1);
    }
}

/// Records where a deploy ended after its create (`running`, `ready`,
/// `failed`, `deleted`, or the last stage seen), and its time to ready.
pub fn deploy_finished(stage: &str, seconds_to_ready: Option<u64>) {
    metrics::counter!("deploys_finished_total", "stage" => stage.to_owned()).increment(1);
    if let Some(seconds) = seconds_to_ready {
        metrics::histogram!("deploy_time_to_ready_seconds").record(seconds as f64);
    }
}

/// Counts a refusal to deploy a StackScript that differs from its pin.
pub fn script_pin_mismatch() {
    metrics::counter!("script_pin_mismatch_total").increment(1);
}

/// Sets how many log lines were dropped because standard output was not read.
pub fn log_lines_dropped(count: u64) {
    metrics::counter!("log_lines_dropped_total").absolute(count);
}

/// Records how the catalog was served.
pub fn catalog(result: &'static str) {
    metrics::counter!("catalog_requests_total", "result" => result).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_labelled_from_a_fixed_set() {
        assert_eq!(method_label(&http::Method::GET), "GET");
        assert_eq!(method_label(&http::Method::DELETE), "OTHER");
        assert_eq!(method_label(&http::Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }
}
