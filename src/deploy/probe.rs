//! Whether the app on a new server answers: the publisher's `ready_url`
//! template (`http://{ipv4}/`, `https://{ipv4}:8443/health`,
//! `tcp://{ipv4}:22`) filled in with the server's own addresses and probed.
//!
//! Rules, for safety as much as for truth:
//! - only the new server's own address is ever probed: the template's host
//!   must be one of `{ipv4}`, `{ipv6}` or `{rdns}`, and whatever a name
//!   resolves to must be one of the server's addresses (the connection is
//!   pinned to it, so a DNS answer cannot point it elsewhere);
//! - loopback, private, link-local, shared and documentation ranges are
//!   never probed unless `ready_allow_private` is on (tests, the sandbox);
//! - redirects are never followed: a 2xx or 3xx answer means the app
//!   answers, which is all this checks; any TLS certificate is accepted for
//!   the same reason (this checks that it answers, not whom to trust);
//! - TCP counts as ready on an accepted connection.
//!
//! The sandbox's simulated servers live at documentation addresses nobody
//! can reach, so the sandbox points its template at its own port instead
//! ([`ReadyCheck::anywhere`]); nothing else may.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::Url;

/// How long one probe may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The server's addresses a template may name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addresses {
    /// Its public IPv4 address.
    pub ipv4: Option<String>,
    /// Its public IPv6 address (without a prefix length).
    pub ipv6: Option<String>,
    /// The reverse DNS name Linode gives its IPv4 address.
    pub rdns: Option<String>,
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The app answers.
    Ready,
    /// Not yet (refused, timed out, a 4xx or 5xx); try again later.
    NotYet(String),
    /// It can never be probed as configured (a private address, an address
    /// that is not the server's); say so and stop.
    Refused(String),
}

/// What the deploy checks after the server runs: the check, where the app
/// opens, and how long it may take to answer.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// The probe of the ready URL.
    pub check: ReadyCheck,
    /// The `open_url` template; none: the ready URL when it is http(s), else `http://{ipv4}/`.
    pub open_url: Option<String>,
    /// From the create to the app answering, at most (`ready_timeout_seconds`).
    pub timeout: Duration,
}

impl Readiness {
    /// Where the visitor opens the app.
    pub fn open_url(&self, addresses: &Addresses) -> Option<String> {
        let template = match &self.open_url {
            Some(template) => template.as_str(),
            None if self.check.template.starts_with("http") => self.check.template.as_str(),
            None => "http://{ipv4}/",
        };
        expand(template, addresses).ok()
    }
}

/// When to probe next: the first at once, then every 2, 4, 8 and at most 10 seconds.
pub fn next_probe_after(probes_so_far: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(probes_so_far.min(4)).min(10))
}

/// A publisher's readiness check.
#[derive(Debug, Clone)]
pub struct ReadyCheck {
    template: String,
    allow_private: bool,
    anywhere: bool,
}

/// Why a template cannot be used, said when settings are checked.
pub fn check_template(template: &str) -> Result<(), String> {
    let sample = expand(
        template,
        &Addresses {
            ipv4: Some("192.0.2.1".into()),
            ipv6: Some("2001:db8::1".into()),
            rdns: Some("192-0-2-1.ip.linodeusercontent.com".into()),
        },
    )?;
    let url = Url::parse(&sample).map_err(|e| format!("not a URL once filled in ({e})"))?;
    if !matches!(url.scheme(), "http" | "https" | "tcp") {
        return Err("use http://, https:// or tcp://".into());
    }
    if url.scheme() == "tcp" && url.port().is_none() {
        return Err("a tcp:// check needs a port, such as tcp://{ipv4}:22".into());
    }
    let host = template.split("://").nth(1).unwrap_or_default();
    if !["{ipv4}", "{ipv6}", "[{ipv6}]", "{rdns}"].iter().any(|h| host.starts_with(h)) {
        return Err("its host must be {ipv4}, {ipv6} or {rdns}: only the new server is probed".into());
    }
    Ok(())
}

/// The template filled in; an address it needs and does not have is an error.
pub fn expand(template: &str, addresses: &Addresses) -> Result<String, String> {
    let mut out = template.to_owned();
    for (key, value) in
        [("{ipv4}", &addresses.ipv4), ("{ipv6}", &addresses.ipv6), ("{rdns}", &addresses.rdns)]
    {
        if out.contains(key) {
            let value = value.as_deref().ok_or_else(|| format!("the server has no {key} yet"))?;
            // An IPv6 address in a URL's host goes in brackets.
            let value = if key == "{ipv6}" && !template.contains("[{ipv6}]") {
                format!("[{value}]")
            } else {
                value.to_owned()
            };
            out = out.replace(key, &value);
        }
    }
    Ok(out)
}

/// Whether `ip` lies in a range that is not the public internet.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (a == 100 && (64..128).contains(&b)) // shared address space
                || (a == 192 && b == 0 && c == 2) // documentation
                || (a == 198 && b == 51 && c == 100)
                || (a == 203 && b == 0 && c == 113)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a == 0
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
}

impl ReadyCheck {
    /// A check of `template` on the server's own addresses.
    pub fn new(template: impl Into<String>, allow_private: bool) -> Self {
        Self { template: template.into(), allow_private, anywhere: false }
    }

    /// The sandbox's check: its simulated servers answer under its own port,
    /// so the address need not be the server's.
    pub fn anywhere(template: impl Into<String>) -> Self {
        Self { template: template.into(), allow_private: true, anywhere: true }
    }

    /// Whether the template needs the reverse DNS name.
    pub fn needs_rdns(&self) -> bool {
        self.template.contains("{rdns}")
    }

    /// The address the check probes, filled in.
    pub fn url(&self, addresses: &Addresses) -> Result<String, String> {
        expand(&self.template, addresses)
    }

    /// Probes once.
    pub async fn probe(&self, addresses: &Addresses) -> Outcome {
        let target = match self.url(addresses).and_then(|u| Url::parse(&u).map_err(|e| e.to_string())) {
            Ok(url) => url,
            Err(why) => return Outcome::NotYet(why),
        };
        let Some(host) = target.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()) else {
            return Outcome::Refused("the check has no host".into());
        };
        let port = target.port_or_known_default().unwrap_or(80);
        let resolved: Vec<SocketAddr> =
            match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::lookup_host((host.as_str(), port))).await {
                Ok(Ok(found)) => found.collect(),
                _ => return Outcome::NotYet(format!("{host} does not resolve yet")),
            };
        let own: Vec<IpAddr> = [&addresses.ipv4, &addresses.ipv6]
            .into_iter()
            .flatten()
            .filter_map(|a| a.split('/').next().and_then(|a| a.parse().ok()))
            .collect();
        let Some(address) = resolved.into_iter().find(|a| self.anywhere || own.contains(&a.ip())) else {
            return Outcome::Refused(format!("{host} is not this server's address, so it is not probed"));
        };
        if !self.allow_private && is_private(address.ip()) {
            return Outcome::Refused(format!(
                "{} is a private or reserved address, so it is not probed",
                address.ip()
            ));
        }
        if target.scheme() == "tcp" {
            return match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(address)).await {
                Ok(Ok(_)) => Outcome::Ready,
                Ok(Err(e)) => Outcome::NotYet(format!("port {port}: {e}")),
                Err(_) => Outcome::NotYet(format!("port {port}: no answer")),
            };
        }
        // An address in the URL needs no pinning; a name is pinned to the
        // address just checked (a client of its own, so no other probe shares it).
        let pinned = host.parse::<IpAddr>().is_err() && !self.anywhere;
        http(&target, pinned.then_some((host.as_str(), address))).await
    }
}

fn probe_client(pin: Option<(&str, SocketAddr)>) -> Option<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .user_agent(crate::linode::USER_AGENT)
        .timeout(PROBE_TIMEOUT)
        .connect_timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .pool_max_idle_per_host(0);
    match pin {
        Some((host, address)) => builder.resolve(host, address).build().ok(),
        None => {
            // Built once: a TLS configuration is costly, and probes are many.
            static SHARED: std::sync::OnceLock<Option<reqwest::Client>> = std::sync::OnceLock::new();
            SHARED.get_or_init(|| builder.build().ok()).clone()
        }
    }
}

async fn http(target: &Url, pin: Option<(&str, SocketAddr)>) -> Outcome {
    let Some(client) = probe_client(pin) else {
        return Outcome::NotYet("no HTTP client".into());
    };
    match client.get(target.clone()).send().await {
        Ok(response) if response.status().is_success() || response.status().is_redirection() => {
            Outcome::Ready
        }
        Ok(response) => Outcome::NotYet(format!("it answers {}", response.status())),
        Err(e) if e.is_timeout() => Outcome::NotYet("no answer in time".into()),
        Err(_) => Outcome::NotYet("no answer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses() -> Addresses {
        Addresses {
            ipv4: Some("203.0.113.7".into()),
            ipv6: Some("2001:db8::7".into()),
            rdns: Some("203-0-113-7.ip.linodeusercontent.com".into()),
        }
    }

    #[test]
    fn probes_back_off_to_every_ten_seconds() {
        let waits: Vec<u64> = (1..7).map(|n| next_probe_after(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 10, 10, 10]);
    }

    #[test]
    fn the_app_opens_at_the_ready_url_when_it_is_a_web_page() {
        let readiness = |check: &str, open: Option<&str>| Readiness {
            check: ReadyCheck::new(check, false),
            open_url: open.map(Into::into),
            timeout: Duration::from_secs(1),
        };
        let open = |r: Readiness| r.open_url(&addresses()).unwrap();
        assert_eq!(open(readiness("https://{ipv4}:8443/health", None)), "https://203.0.113.7:8443/health");
        assert_eq!(open(readiness("tcp://{ipv4}:22", None)), "http://203.0.113.7/");
        assert_eq!(
            open(readiness("tcp://{ipv4}:22", Some("https://{rdns}/wp-admin/"))),
            "https://203-0-113-7.ip.linodeusercontent.com/wp-admin/"
        );
    }

    #[test]
    fn templates_fill_in_the_servers_addresses() {
        assert_eq!(expand("http://{ipv4}/", &addresses()).unwrap(), "http://203.0.113.7/");
        assert_eq!(expand("https://{ipv6}:8443/h", &addresses()).unwrap(), "https://[2001:db8::7]:8443/h");
        assert_eq!(expand("https://[{ipv6}]/", &addresses()).unwrap(), "https://[2001:db8::7]/");
        assert_eq!(
            expand("https://{rdns}/wp-admin/", &addresses()).unwrap(),
            "https://203-0-113-7.ip.linodeusercontent.com/wp-admin/"
        );
        assert!(expand("http://{rdns}/", &Addresses::default()).is_err(), "not known yet");
    }

    #[test]
    fn only_templates_that_name_the_server_are_accepted() {
        for good in [
            "http://{ipv4}/",
            "https://{ipv4}:8443/health",
            "tcp://{ipv4}:22",
            "https://{rdns}/",
            "http://[{ipv6}]/",
        ] {
            assert_eq!(check_template(good), Ok(()), "{good}");
        }
        for bad in [
            "http://example.com/{ipv4}",
            "ftp://{ipv4}/",
            "tcp://{ipv4}",
            "http://169.254.169.254/",
            "nonsense",
        ] {
            assert!(check_template(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn private_loopback_link_local_and_documentation_ranges_are_private() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "45.79.0.1", "2600:3c00::1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }
}
