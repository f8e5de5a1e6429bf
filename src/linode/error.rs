//! What can go wrong when talking to Linode, with what Linode said about it.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

/// One entry of Linode's `{"errors":[{"reason","field"}]}` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorReason {
    /// A sentence meant for people.
    pub reason: String,
    /// The request field it is about, if any.
    #[serde(default)]
    pub field: Option<String>,
}

/// A failed call to Linode's API or login server.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LinodeError {
    /// Linode answered with a non-success status.
    #[error("Linode answered {status}{}", reasons_suffix(.reasons))]
    Status {
        /// The HTTP status Linode sent.
        status: StatusCode,
        /// Linode's reasons; empty when the body was not Linode's JSON.
        reasons: Vec<ErrorReason>,
        /// `Retry-After`, when Linode sent one (rate limits).
        retry_after: Option<Duration>,
    },
    /// No answer within the time allowed.
    #[error("Linode did not answer in time")]
    Timeout,
    /// Linode could not be reached at all.
    #[error("Linode could not be reached: {0}")]
    Unreachable(String),
    /// Linode answered, but not with what its contract promises.
    #[error("Linode's answer could not be read: {0}")]
    Decode(String),
}

fn reasons_suffix(reasons: &[ErrorReason]) -> String {
    if reasons.is_empty() {
        String::new()
    } else {
        let list: Vec<&str> = reasons.iter().map(|r| r.reason.as_str()).collect();
        format!(": {}", list.join("; "))
    }
}

impl LinodeError {
    /// Classifies a transport error from reqwest.
    pub(crate) fn transport(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout
        } else if err.is_decode() {
            Self::Decode(err.to_string())
        } else {
            // Without the URL: it may carry a query string.
            Self::Unreachable(err.without_url().to_string())
        }
    }

    /// Builds the error for a non-success response, reading Linode's reasons when the body has them.
    pub(crate) async fn from_response(response: reqwest::Response) -> Self {
        #[derive(Deserialize)]
        struct Body {
            errors: Vec<ErrorReason>,
        }
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let reasons = match response.bytes().await {
            Ok(body) => serde_json::from_slice::<Body>(&body).map(|b| b.errors).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        Self::Status { status, reasons, retry_after }
    }
}
