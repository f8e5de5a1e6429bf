//! `GET /` of a service of several apps: each app with its StackScript's
//! description, how often it was deployed, and a Deploy link to its form.
//! An app whose StackScript cannot be read just now is still listed, saying
//! so; the others are not held up by it.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};

use crate::web::error::AppError;
use crate::web::pages::{AppItem, AppsPage};
use crate::web::state::AppState;

/// Descriptions longer than this are cut at a word, with an ellipsis.
const DESCRIPTION_CHARS: usize = 280;

/// The page.
pub async fn page(state: &AppState) -> Result<Response, AppError> {
    // Every catalog at once: each is usually cached, and none waits for another.
    let reads: Vec<_> = state
        .apps
        .iter()
        .map(|app| {
            let catalog = Arc::clone(&app.catalog);
            tokio::spawn(async move { catalog.get().await })
        })
        .collect();
    let mut apps = Vec::with_capacity(reads.len());
    for (app, read) in state.apps.iter().zip(reads) {
        let catalog = read.await.ok().and_then(Result::ok);
        let script = catalog.as_ref().map(|c| &c.stackscript);
        apps.push(AppItem {
            slug: app.spec.slug.clone(),
            name: app.spec.name.clone(),
            description: script.and_then(|s| s.description.as_deref()).and_then(shorten),
            deployments: script.and_then(|s| s.deployments_total),
            unavailable: catalog.is_none(),
        });
    }
    Ok(AppsPage { chrome: state.chrome.clone(), apps }.into_response())
}

/// A description as one short paragraph of plain text.
fn shorten(description: &str) -> Option<String> {
    let words: Vec<&str> = description.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    let mut short = String::new();
    for word in words {
        if short.chars().count() + word.chars().count() + 1 > DESCRIPTION_CHARS {
            short.push('…');
            return Some(short);
        }
        if !short.is_empty() {
            short.push(' ');
        }
        short.push_str(word);
    }
    Some(short)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_description_is_cut_at_a_word() {
        assert_eq!(super::shorten("  A   blog\n engine "), Some("A blog engine".into()));
        assert_eq!(super::shorten(" \n "), None);
        let long = super::shorten(&"word ".repeat(100)).unwrap();
        assert!(long.ends_with("word…") && long.chars().count() <= 281, "{long}");
    }
}
