//! What keeps other sites out: the security headers every response carries,
//! and the same-origin check on the form post.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

/// The security headers every response carries: a self-only content
/// security policy, no referrer, no sniffing, no framing.
pub fn headers(login_origin: &str) -> [(HeaderName, HeaderValue); 4] {
    // form-action names the login server too: the form's POST is answered
    // with a redirect there, and browsers apply form-action to that redirect.
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self' {login_origin}; frame-ancestors 'none'"
    );
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).expect("an origin is a valid header value"),
        ),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// Whether a form post comes from our own pages. Browsers send `Origin` on
/// every POST, but under our `Referrer-Policy: no-referrer` they send
/// `Origin: null` even for our own form; then `Sec-Fetch-Site` (sent by every
/// current browser) decides. A null origin without it cannot be trusted.
/// A client that sends neither header is not a browser, so no visitor can be
/// tricked through it.
pub fn is_same_origin(headers: &HeaderMap, public_url: &url::Url) -> bool {
    let fetch_site = headers.get("sec-fetch-site").map(|v| v.to_str().unwrap_or(""));
    let same_site = || matches!(fetch_site, Some("same-origin" | "none"));
    match headers.get(header::ORIGIN).map(|o| o.to_str().unwrap_or("")) {
        Some("null") => same_site(),
        Some(origin) => origin.trim_end_matches('/') == public_url.origin().ascii_serialization(),
        None => fetch_site.is_none() || same_site(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_our_own_origin_may_post_the_form() {
        let ours = url::Url::parse("https://deploy.example.com").unwrap();
        assert!(is_same_origin(&headers(&[("origin", "https://deploy.example.com")]), &ours));
        assert!(!is_same_origin(&headers(&[("origin", "https://evil.example")]), &ours));
        assert!(!is_same_origin(&headers(&[("origin", "http://deploy.example.com")]), &ours));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), &ours));
    }

    #[test]
    fn a_null_origin_is_ours_only_when_sec_fetch_site_says_same_origin() {
        let ours = url::Url::parse("http://localhost:5000").unwrap();
        let null_from = |site| headers(&[("origin", "null"), ("sec-fetch-site", site)]);
        assert!(is_same_origin(&null_from("same-origin"), &ours));
        assert!(!is_same_origin(&null_from("cross-site"), &ours));
        assert!(!is_same_origin(&null_from("same-site"), &ours));
    }

    #[test]
    fn without_origin_sec_fetch_site_decides() {
        let ours = url::Url::parse("http://localhost:5000").unwrap();
        assert!(is_same_origin(&headers(&[("sec-fetch-site", "same-origin")]), &ours));
        assert!(!is_same_origin(&headers(&[("sec-fetch-site", "cross-site")]), &ours));
        assert!(!is_same_origin(&headers(&[("sec-fetch-site", "same-site")]), &ours));
        assert!(is_same_origin(&HeaderMap::new(), &ours));
    }
}
