//! Per-client limits on the two routes that start work at Linode: the form
//! post (`POST /`) and the callback, the only routes the route table puts
//! [`enforce`] on. Other pages are never limited.
//!
//! The client is the connection's address, unless that address is one of
//! `APP_TRUSTED_PROXIES`: then the right-most address of `X-Forwarded-For`
//! that is not a trusted proxy. A header from anyone else is ignored, so a
//! visitor cannot pick their own key. Counting uses `governor` (GCRA); keys
//! not seen for a while are forgotten, so memory stays bounded.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use crate::web::error::AppError;

/// The limiter and what it trusts.
#[derive(Debug)]
pub struct RateLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted: Vec<IpNet>,
}

impl RateLimit {
    /// `per_minute` requests a client may make to the limited routes (0: no limit).
    pub fn new(per_minute: u32, trusted: Vec<IpNet>) -> Arc<Self> {
        let limiter = NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        let this = Arc::new(Self { limiter, trusted });
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

    /// The client a request comes from.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.is_trusted(peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        forwarded.iter().rev().find(|a| !self.is_trusted(**a)).or(forwarded.first()).copied().unwrap_or(peer)
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&address))
    }

    /// Ok, or how long the client must wait.
    fn check(&self, client: IpAddr) -> Result<(), Duration> {
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
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        self.check(self.client(peer, request.headers())).map_err(|wait| {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            AppError::RateLimited { retry_after: seconds.max(1) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[tokio::test]
    async fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
        let limits = RateLimit::new(10, vec!["10.0.0.0/8".parse().unwrap()]);
        let visitor: IpAddr = "203.0.113.7".parse().unwrap();
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(limits.client(proxy, &forwarded("203.0.113.7")), visitor);
        assert_eq!(limits.client(proxy, &forwarded("198.51.100.1, 203.0.113.7, 10.9.9.9")), visitor);
        let stranger: IpAddr = "198.51.100.50".parse().unwrap();
        assert_eq!(
            limits.client(stranger, &forwarded("203.0.113.7")),
            stranger,
            "an untrusted header is ignored"
        );
        assert_eq!(limits.client(proxy, &HeaderMap::new()), proxy);
    }

    #[tokio::test]
    async fn a_client_over_its_limit_waits_and_others_do_not() {
        let limits = RateLimit::new(2, vec![]);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limits.check(a).is_ok() && limits.check(a).is_ok());
        let wait = limits.check(a).unwrap_err();
        assert!(wait > Duration::from_secs(20) && wait <= Duration::from_secs(30), "{wait:?}");
        assert!(limits.check(b).is_ok());
        assert!(RateLimit::new(0, vec![]).check(a).is_ok(), "0 turns the limit off");
    }
}
