//! Per-client limits on the routes that start work at Linode (the form
//! posts and the callback) and, with a limit of its own, on the
//! dashboard's sign-in (`/admin`): the only routes the route table puts
//! [`enforce`] on. Other pages are never limited.
//!
//! Clients are keyed as [`super::client`] says (an IPv4 address or an IPv6
//! /64, behind trusted proxies only). Counting uses `governor` (GCRA); keys
//! not seen for a while are forgotten, so memory stays bounded.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use crate::web::client::{ClientKey, Clients, peer};
use crate::web::error::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The limiter and what it trusts.
#[derive(Debug)]
pub struct RateLimit {
    limiter: Option<DefaultKeyedRateLimiter<ClientKey>>,
    clients: Clients,
}

impl RateLimit {
    /// `per_minute` requests a client may make to the limited routes (0: no limit).
    pub fn new(per_minute: u32, clients: Clients) -> Arc<Self> {
        let limiter = NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        let this = Arc::new(Self { limiter, clients });
        if this.limiter.is_some() {
            let weak = Arc::downgrade(&this);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(60));
                loop {
                    every.tick().await;
                    let Some(this) = weak.upgrade() else { break };
                    if let Some(limiter) = &this.limiter {
                        limiter.retain_recent();
                        limiter.shrink_to_fit();
                    }
                }
            });
        }
        this
    }

    /// Ok, or how long the client must wait.
    fn check(&self, client: ClientKey) -> Result<(), Duration> {
        match &self.limiter {
            None => Ok(()),
            Some(limiter) => limiter
                .check_key(&client)
                .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now())),
        }
    }
}

/// The middleware, on the routes the route table limits: a client over its
/// limit gets the 429 page.
pub async fn enforce(State(limits): State<Arc<RateLimit>>, request: Request, next: Next) -> Response {
    match limits.check_request(&request) {
        Ok(()) => next.run(request).await,
        Err(limited) => limited.into_response(),
    }
}

impl RateLimit {
    /// Ok, or the 429 error for a client over its limit.
    pub fn check_request(&self, request: &Request) -> Result<(), AppError> {
        if self.limiter.is_none() {
            return Ok(());
        }
        let client = self.clients.key(peer(request.extensions()), request.headers());
        self.check(client).map_err(|wait| {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            AppError::RateLimited { retry_after: seconds.max(1) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_client_over_its_limit_waits_and_others_do_not() {
        let limits = RateLimit::new(2, Clients::default());
        let a = ClientKey::of("192.0.2.1".parse().unwrap());
        let b = ClientKey::of("192.0.2.2".parse().unwrap());
        assert!(limits.check(a).is_ok() && limits.check(a).is_ok());
        let wait = limits.check(a).unwrap_err();
        assert!(wait > Duration::from_secs(20) && wait <= Duration::from_secs(30), "{wait:?}");
        assert!(limits.check(b).is_ok());
        assert!(RateLimit::new(0, Clients::default()).check(a).is_ok(), "0 turns the limit off");
    }
}
