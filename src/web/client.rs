//! Who a request comes from, as the per-client limits count it.
//!
//! The client is the connection's address, unless that address is one of
//! `APP_TRUSTED_PROXIES`: then the right-most address of `X-Forwarded-For`
//! that is not a trusted proxy. A header from anyone else is ignored, so a
//! visitor cannot pick their own key.
//!
//! The rule: one key per party that can cheaply change address. An IPv4
//! address is its own key; an IPv6 client is keyed by its /64, the smallest
//! network a provider hands one subscriber, so the 2^64 addresses of one /64
//! share one allowance. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as a
//! dual-stack listener reports an IPv4 peer) is that IPv4 address, for the
//! key and for matching trusted proxies alike.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

/// The key a client's limits are kept under: an IPv4 address or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key for a client at `address`.
    pub fn of(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => Self(IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX)))),
        }
    }
}

/// A handler's client, found with the app's [`Clients`].
impl<S: Send + Sync> FromRequestParts<S> for ClientKey
where
    Clients: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Clients::from_ref(state).key(peer(&parts.extensions), &parts.headers))
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// Finds a request's client, believing only the trusted proxies.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    trusted: Arc<[IpNet]>,
}

impl Clients {
    /// Believes `X-Forwarded-For` from these proxies only. A proxy written
    /// as an IPv4-mapped network is matched as the IPv4 network it maps.
    pub fn new(trusted: Vec<IpNet>) -> Self {
        Self { trusted: trusted.into_iter().map(canonical_net).collect() }
    }

    /// The key of the client a request from `peer` with `headers` comes from.
    pub fn key(&self, peer: IpAddr, headers: &HeaderMap) -> ClientKey {
        ClientKey::of(self.address(peer, headers))
    }

    fn address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.is_trusted(peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .map(|a| a.to_canonical())
            .collect();
        forwarded.iter().rev().find(|a| !self.is_trusted(**a)).or(forwarded.first()).copied().unwrap_or(peer)
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&address))
    }
}

fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4),
            None => net,
        },
        _ => net,
    }
}

/// The connection's address (unspecified when the server gave none, as in a
/// test that calls the router directly).
pub fn peer(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    fn key(address: &str) -> ClientKey {
        ClientKey::of(address.parse().unwrap())
    }

    #[test]
    fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
        let clients = Clients::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(clients.key(proxy, &forwarded("203.0.113.7")), key("203.0.113.7"));
        assert_eq!(clients.key(proxy, &forwarded("198.51.100.1, 203.0.113.7, 10.9.9.9")), key("203.0.113.7"));
        let stranger: IpAddr = "198.51.100.50".parse().unwrap();
        assert_eq!(
            clients.key(stranger, &forwarded("203.0.113.7")),
            key("198.51.100.50"),
            "an untrusted header is ignored"
        );
        assert_eq!(clients.key(proxy, &HeaderMap::new()), key("10.1.2.3"));
    }

    #[test]
    fn every_address_of_one_ipv6_slash_64_is_one_client() {
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2:abcd::9").to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn an_ipv4_mapped_peer_is_its_ipv4_address_for_the_key_and_for_trust() {
        assert_eq!(key("::ffff:203.0.113.7"), key("203.0.113.7"));
        assert_eq!(key("::ffff:203.0.113.7").to_string(), "203.0.113.7");
        let clients = Clients::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let mapped_proxy: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(clients.key(mapped_proxy, &forwarded("203.0.113.7")), key("203.0.113.7"));
        assert_eq!(
            clients.key(mapped_proxy, &forwarded("::ffff:10.9.9.9, ::ffff:203.0.113.8")),
            key("203.0.113.8")
        );
        let written_mapped = Clients::new(vec!["::ffff:10.0.0.0/104".parse().unwrap()]);
        assert_eq!(
            written_mapped.key("10.1.2.3".parse().unwrap(), &forwarded("203.0.113.7")),
            key("203.0.113.7")
        );
    }
}
