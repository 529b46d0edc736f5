//! The metrics hook of the edge service: every response (the media fast path included) is
//! counted by status class and timed until its head is ready, in a Prometheus histogram.
//! `GET /metrics` shows this node's figures to superadmins, in the Prometheus text format.

use std::{
    fmt::Write as _,
    sync::{
        atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering::Relaxed},
        Arc,
    },
    time::Instant,
};

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Caller;
use crate::{
    error::{Error, Result},
    http::AppState,
};

/// Upper bounds of the latency buckets, in microseconds (1 ms … 10 s).
const BUCKETS_US: [u64; 8] = [
    1_000, 5_000, 25_000, 100_000, 250_000, 1_000_000, 2_500_000, 10_000_000,
];

/// Counters are kept per shard, one per HTTP thread (round robin beyond that), each on its own
/// cache lines: shared counters would bounce between the cores on every request.
const SHARDS: usize = 8;

/// This node's request figures since it started. Relaxed atomics: each figure is exact, a
/// scrape may see one request in some figures and not yet in others.
#[derive(Default)]
pub struct Metrics {
    shards: [Shard; SHARDS],
}

#[derive(Default)]
#[repr(align(128))]
struct Shard {
    /// Started minus finished here (a request may finish on another thread: only the sum of
    /// the shards means anything).
    in_flight: AtomicI64,
    /// Responses by status class: 1xx … 5xx.
    by_class: [AtomicU64; 5],
    /// Responses per latency bucket (not cumulative; the last counts the slower ones).
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    total_us: AtomicU64,
}

/// This thread's shard.
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static INDEX: usize = NEXT.fetch_add(1, Relaxed) % SHARDS);
    INDEX.with(|i| *i)
}

/// One request being answered; counted out when dropped, so a request whose client went away
/// leaves the in-flight gauge too.
pub struct InFlight {
    metrics: Arc<Metrics>,
    started: Instant,
}

impl Metrics {
    fn shard(&self) -> &Shard {
        &self.shards[shard_index()]
    }

    pub fn start(self: &Arc<Self>) -> InFlight {
        self.shard().in_flight.fetch_add(1, Relaxed);
        InFlight {
            metrics: self.clone(),
            started: Instant::now(),
        }
    }

    fn sum(&self, figure: impl Fn(&Shard) -> &AtomicU64) -> u64 {
        self.shards.iter().map(|s| figure(s).load(Relaxed)).sum()
    }

    fn render(&self) -> String {
        let mut out = String::with_capacity(1024);
        out.push_str("# HELP caravan_http_requests_total HTTP responses by status class.\n");
        out.push_str("# TYPE caravan_http_requests_total counter\n");
        for i in 0..5 {
            let _ = writeln!(
                out,
                "caravan_http_requests_total{{class=\"{}xx\"}} {}",
                i + 1,
                self.sum(|s| &s.by_class[i])
            );
        }
        out.push_str("# HELP caravan_http_requests_in_flight Requests being answered now.\n");
        out.push_str("# TYPE caravan_http_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "caravan_http_requests_in_flight {}",
            self.shards
                .iter()
                .map(|s| s.in_flight.load(Relaxed))
                .sum::<i64>()
                .max(0)
        );
        out.push_str(
            "# HELP caravan_http_request_duration_seconds Time until the response head.\n",
        );
        out.push_str("# TYPE caravan_http_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for i in 0..=BUCKETS_US.len() {
            cumulative += self.sum(|s| &s.buckets[i]);
            let le = BUCKETS_US
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |us| (*us as f64 / 1e6).to_string());
            let _ = writeln!(
                out,
                "caravan_http_request_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "caravan_http_request_duration_seconds_sum {}",
            self.sum(|s| &s.total_us) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "caravan_http_request_duration_seconds_count {cumulative}"
        );
        out
    }
}

impl InFlight {
    /// Records the response's status and how long its head took, and returns that time.
    pub fn finish(self, status: StatusCode) -> std::time::Duration {
        let m = self.metrics.shard();
        let elapsed = self.started.elapsed();
        let us = elapsed.as_micros() as u64;
        let class = (status.as_u16() / 100).clamp(1, 5) as usize - 1;
        m.by_class[class].fetch_add(1, Relaxed);
        let bucket = BUCKETS_US
            .iter()
            .position(|b| us <= *b)
            .unwrap_or(BUCKETS_US.len());
        m.buckets[bucket].fetch_add(1, Relaxed);
        m.total_us.fetch_add(us, Relaxed);
        elapsed
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.metrics.shard().in_flight.fetch_sub(1, Relaxed);
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// This node's request counts and latencies in the Prometheus text format (superadmins).
#[utoipa::path(get, path = "/metrics", tag = "health", security(("bearer" = []), ("session" = [])),
    responses((status = 200, content_type = "text/plain"), (status = 401, body = crate::http::problem::Problem),
              (status = 403, body = crate::http::problem::Problem)))]
async fn metrics(State(state): State<AppState>, caller: Caller) -> Result<Response> {
    if !caller.user()?.is_superadmin {
        return Err(Error::Forbidden);
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_land_in_their_class_and_bucket() {
        let m = Arc::new(Metrics::default());
        m.start().finish(StatusCode::OK);
        m.start().finish(StatusCode::NOT_FOUND);
        let open = m.start();
        let text = m.render();
        assert!(
            text.contains("caravan_http_requests_total{class=\"2xx\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("caravan_http_requests_total{class=\"4xx\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("caravan_http_requests_in_flight 1\n"),
            "{text}"
        );
        assert!(text.contains("_bucket{le=\"+Inf\"} 2\n"), "{text}");
        assert!(text.contains("_count 2\n"), "{text}");
        drop(open);
        assert!(m.render().contains("caravan_http_requests_in_flight 0\n"));
    }
}
