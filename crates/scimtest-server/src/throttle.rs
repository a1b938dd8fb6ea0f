//! The server's pace (issue 17): at most `ServerConfig::rate_limit` requests admitted in any second, beyond
//! that 429 Too Many Requests (RFC 6585 §4) with `Retry-After: 1` (RFC 9110 §10.2.3); and every admitted
//! answer slowed by `ServerConfig::answer_delay`. A vendor's limiter and a slow database, so `scimtest load`
//! can be shown to see both.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::error::ScimError;
use super::{AppState, http};

/// The window the limit counts in.
const WINDOW: Duration = Duration::from_secs(1);

/// The limiter of one server (shared by every clone of its router).
pub struct Throttle {
    state: AppState,
    limit: Option<NonZeroU32>,
    delay: Duration,
    /// When the requests of the last second were admitted, oldest first.
    admitted: Mutex<VecDeque<Instant>>,
}

impl Throttle {
    pub fn new(state: &AppState) -> Arc<Throttle> {
        let config = state.config();
        Arc::new(Throttle {
            state: state.clone(),
            limit: config.rate_limit.and_then(NonZeroU32::new),
            delay: config.answer_delay,
            admitted: Mutex::default(),
        })
    }

    /// Whether one more request fits in the last second; it counts if it does (refused ones do not).
    fn admit(&self) -> bool {
        let Some(limit) = self.limit else { return true };
        let now = Instant::now();
        let mut admitted = self.admitted.lock().expect("throttle lock");
        while admitted.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            admitted.pop_front();
        }
        if admitted.len() < limit.get() as usize {
            admitted.push_back(now);
            true
        } else {
            false
        }
    }
}

/// The middleware: 429 beyond the limit, the answer delay for what is admitted.
pub async fn limit(State(throttle): State<Arc<Throttle>>, request: Request, next: Next) -> Response {
    if !throttle.admit() {
        let n = throttle.limit.map_or(0, NonZeroU32::get);
        let e = ScimError::new(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            format!("more than {n} requests in one second; slow down"),
        );
        let mut response = http::error_response(&throttle.state, e);
        if throttle.state.behaviour().rate_limit_retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        return response;
    }
    if !throttle.delay.is_zero() {
        tokio::time::sleep(throttle.delay).await;
    }
    next.run(request).await
}
