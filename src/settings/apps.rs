//! The apps one service deploys: the apps file (`APP_APPS_FILE`, TOML), or
//! else the single app the other settings describe.
//!
//! ```toml
//! [[app]]
//! slug = "wordpress"            # its address: /apps/wordpress
//! stackscript_id = 401697
//! name = "WordPress"            # shown on its pages, and its servers' group
//! ready_url = "https://{ipv4}/" # optional, as APP_READY_URL
//! open_url = "https://{ipv4}/wp-admin/"   # optional, as APP_OPEN_URL
//! script_sha256 = "…"           # optional pin, as APP_SCRIPT_SHA256
//! ```
//!
//! Read with the `toml` crate (its errors name the line); every value is
//! checked as the environment's are, and an error names the file, the app
//! and the key to fix.

use std::path::Path;

use serde::Deserialize;

use super::{SettingsError, invalid};

/// One app: a StackScript deployed under its own address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// Its address: `/apps/{slug}` (lowercase letters, digits and `-`).
    pub slug: String,
    /// The StackScript its deploys run.
    pub stackscript_id: u64,
    /// Its name on the pages, and the group of its servers.
    pub name: String,
    /// What says its app answers (as `APP_READY_URL`); none: done at `running`.
    pub ready_url: Option<String>,
    /// Where the visitor opens it (as `APP_OPEN_URL`).
    pub open_url: Option<String>,
    /// The SHA-256 of its script as reviewed (as `APP_SCRIPT_SHA256`).
    pub script_sha256: Option<String>,
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppsFile {
    #[serde(default)]
    app: Vec<RawApp>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    slug: String,
    stackscript_id: u64,
    name: String,
    ready_url: Option<String>,
    open_url: Option<String>,
    script_sha256: Option<String>,
}

const VAR: &str = "APP_APPS_FILE";
/// The most apps one file may list.
pub const MAX_APPS: usize = 100;

/// Reads and checks the apps file at `path`.
pub fn read(path: &Path) -> Result<Vec<AppSpec>, SettingsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(VAR, &format!("a readable TOML file ({}: {e})", path.display())))?;
    parse(&text).map_err(|why| invalid(VAR, &format!("{}: {why}", path.display())))
}

/// Checks the apps file's text: at least one app, slugs unique.
pub fn parse(text: &str) -> Result<Vec<AppSpec>, String> {
    let file: AppsFile = toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
    if file.app.is_empty() {
        return Err("it lists no app: add an [[app]] table with slug, stackscript_id and name".into());
    }
    if file.app.len() > MAX_APPS {
        return Err(format!("at most {MAX_APPS} apps"));
    }
    let mut apps: Vec<AppSpec> = Vec::with_capacity(file.app.len());
    for (n, raw) in file.app.into_iter().enumerate() {
        let place = format!("app {} ({:?})", n + 1, raw.slug);
        let app = check(raw).map_err(|why| format!("{place}: {why}"))?;
        if apps.iter().any(|a| a.slug == app.slug) {
            return Err(format!("{place}: another app has this slug"));
        }
        apps.push(app);
    }
    Ok(apps)
}

fn check(raw: RawApp) -> Result<AppSpec, String> {
    let slug = raw.slug.trim().to_owned();
    if slug.is_empty()
        || slug.len() > 40
        || slug.starts_with('-')
        || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("slug takes 1 to 40 lowercase letters, digits and -, such as wordpress".into());
    }
    if raw.stackscript_id == 0 {
        return Err("stackscript_id takes a StackScript's id".into());
    }
    let name = raw.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 50 {
        return Err("name takes 1 to 50 characters".into());
    }
    Ok(AppSpec {
        slug,
        stackscript_id: raw.stackscript_id,
        name,
        ready_url: ready_url(raw.ready_url.as_deref()).map_err(|why| format!("ready_url: {why}"))?,
        open_url: open_url(raw.open_url.as_deref()).map_err(|why| format!("open_url: {why}"))?,
        script_sha256: script_sha256(raw.script_sha256.as_deref())
            .map_err(|why| format!("script_sha256: {why}"))?,
    })
}

/// A ready URL template, checked (empty: none).
pub fn ready_url(value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(url) => crate::deploy::probe::check_template(url).map(|()| Some(url.to_owned())),
    }
}

/// An open URL template, checked (empty: none).
pub fn open_url(value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => Ok(Some(url.to_owned())),
        Some(_) => Err("an http:// or https:// template such as https://{ipv4}/".into()),
    }
}

/// A script pin, checked and lowercased (empty: not pinned).
pub fn script_sha256(value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(hash) if hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            Ok(Some(hash.to_ascii_lowercase()))
        }
        Some(_) => Err("64 hex digits, as `install-on-linode stackscript show ID` prints them".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
        [[app]]
        slug = "wordpress"
        stackscript_id = 401697
        name = "WordPress"
        ready_url = "https://{ipv4}/"
        open_url = "https://{ipv4}/wp-admin/"

        [[app]]
        slug = "gitea"
        stackscript_id = 401707
        name = "Gitea"
        script_sha256 = "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD"
    "#;

    #[test]
    fn a_file_of_two_apps_reads_in_order_with_every_key() {
        let apps = parse(TWO).unwrap();
        assert_eq!(apps.len(), 2);
        assert_eq!(apps[0].slug, "wordpress");
        assert_eq!(apps[0].stackscript_id, 401697);
        assert_eq!(apps[0].ready_url.as_deref(), Some("https://{ipv4}/"));
        assert_eq!(apps[0].open_url.as_deref(), Some("https://{ipv4}/wp-admin/"));
        assert_eq!(apps[1].name, "Gitea");
        assert_eq!(apps[1].ready_url, None);
        assert_eq!(apps[1].script_sha256, Some("abcdef".repeat(10) + "abcd"), "pins are lowercased");
    }

    #[test]
    fn each_mistake_names_the_app_and_the_key() {
        let error = |text: &str| parse(text).unwrap_err();
        let app =
            |extra: &str| format!("[[app]]\nslug = \"blog\"\nstackscript_id = 7\nname = \"Blog\"\n{extra}");
        assert!(error("").contains("lists no app"));
        assert!(
            error(&app("ready_url = \"http://example.com/\"")).starts_with("app 1 (\"blog\"): ready_url")
        );
        assert!(error(&app("open_url = \"ftp://{ipv4}/\"")).contains("open_url"));
        assert!(error(&app("script_sha256 = \"abc\"")).contains("script_sha256: 64 hex digits"));
        assert!(error(&app("colour = \"red\"")).contains("colour"), "unknown keys are refused");
        assert!(error(&app("").replace("blog\"\n", "Blog Site\"\n")).contains("slug takes"));
        assert!(error(&format!("{}\n{}", app(""), app(""))).starts_with("app 2 (\"blog\"): another app"));
        assert!(error("[[app]]\nslug = \"x\"\nname = \"X\"\n").contains("stackscript_id"));
        assert!(error(&app("").replace("= 7", "= \"seven\"")).contains("line"), "TOML errors say where");
    }
}
