//! The env file a set-up command writes its keys into.
//!
//! The rule: everything that can go wrong with the file is found out before
//! Linode is asked for anything, because Linode shows a client's secret only
//! once. [`EnvFile::check`] runs first and refuses an existing file without
//! `--force`, an unreadable one, or a directory that is not there;
//! [`EnvFile::write`] then replaces only the keys it writes, keeps every other
//! line (comments, `APP_STACKSCRIPT_ID`, blank lines) and the file's mode, and
//! swaps the new text in with a rename so a failure never leaves half a file.
//! A new file is made readable by its owner only. The temporary file and the
//! rename come from the `tempfile` crate.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Failure;

/// An env file that passed its checks and can be written.
#[derive(Debug)]
pub struct EnvFile {
    path: PathBuf,
    /// The text and mode of the file being replaced; `None` for a new file.
    existing: Option<(String, u32)>,
}

impl EnvFile {
    /// Checks `path` before anything is asked of Linode.
    pub fn check(path: &Path, force: bool) -> Result<Self, Failure> {
        let local = |what: &str, e: std::io::Error| Failure::Local(format!("{what} {}: {e}", path.display()));
        match std::fs::symlink_metadata(path) {
            Ok(_) if !force => Err(Failure::Usage(format!(
                "{} exists already; pass --force to replace its keys.",
                path.display()
            ))),
            Ok(_) => {
                let path = std::fs::canonicalize(path).map_err(|e| local("could not resolve", e))?;
                let metadata = std::fs::metadata(&path).map_err(|e| local("could not read", e))?;
                if !metadata.is_file() {
                    return Err(Failure::Usage(format!("{} is not a file.", path.display())));
                }
                let text = std::fs::read_to_string(&path).map_err(|e| local("could not read", e))?;
                let existing = Some((text, mode(&metadata)));
                let file = Self { path, existing };
                file.probe_directory()?;
                Ok(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let file = Self { path: path.to_owned(), existing: None };
                file.probe_directory()?;
                Ok(file)
            }
            Err(e) => Err(local("could not read", e)),
        }
    }

    /// Where the keys go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is readable by anyone but its owner (kept as it was).
    pub fn shared(&self) -> bool {
        matches!(self.existing, Some((_, mode)) if mode & 0o077 != 0)
    }

    /// Writes `pairs` into the file: each key replaces its line, or is added
    /// at the end; every other line stays as it was.
    pub fn write(&self, pairs: &[(&str, &str)]) -> Result<(), Failure> {
        let text = match &self.existing {
            Some((text, _)) => merge(text, pairs),
            None => super::output::env_lines(pairs),
        };
        let mode = self.existing.as_ref().map_or(0o600, |(_, mode)| *mode);
        let fail =
            |e: std::io::Error| Failure::Local(format!("could not write {}: {e}", self.path.display()));
        let mut temporary = tempfile::Builder::new()
            .prefix(".install-on-linode-")
            .permissions(permissions(0o600))
            .tempfile_in(self.directory())
            .map_err(fail)?;
        temporary.write_all(text.as_bytes()).map_err(fail)?;
        temporary.as_file().sync_all().map_err(fail)?;
        temporary.as_file().set_permissions(permissions(mode)).map_err(fail)?;
        temporary.persist(&self.path).map_err(|e| fail(e.error))?;
        Ok(())
    }

    fn directory(&self) -> &Path {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    }

    /// Makes and removes a temporary file beside the target, so a missing or
    /// read-only directory is found now rather than after Linode answered.
    fn probe_directory(&self) -> Result<(), Failure> {
        tempfile::Builder::new()
            .prefix(".install-on-linode-")
            .tempfile_in(self.directory())
            .map(drop)
            .map_err(|e| Failure::Local(format!("cannot write beside {}: {e}", self.path.display())))
    }
}

/// `text` with each key of `pairs` set: the first line naming it (as
/// `KEY=…` or `export KEY=…`) is replaced, later ones are dropped, and keys
/// not found are appended.
fn merge(text: &str, pairs: &[(&str, &str)]) -> String {
    let mut written = vec![false; pairs.len()];
    let mut out = String::with_capacity(text.len() + 128);
    for line in text.lines() {
        match pairs.iter().position(|(key, _)| names(line, key)) {
            Some(i) if written[i] => {}
            Some(i) => {
                written[i] = true;
                out.push_str(&format!("{}={}\n", pairs[i].0, pairs[i].1));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for (pair, done) in pairs.iter().zip(written) {
        if !done {
            out.push_str(&format!("{}={}\n", pair.0, pair.1));
        }
    }
    out
}

/// Whether `line` assigns `key`.
fn names(line: &str, key: &str) -> bool {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
}

#[cfg(unix)]
fn mode(metadata: &std::fs::Metadata) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o7777
}

#[cfg(not(unix))]
fn mode(_: &std::fs::Metadata) -> u32 {
    0o600
}

#[cfg(unix)]
fn permissions(mode: u32) -> std::fs::Permissions {
    std::os::unix::fs::PermissionsExt::from_mode(mode)
}

#[cfg(not(unix))]
fn permissions(_: u32) -> std::fs::Permissions {
    std::fs::metadata(".").map(|m| m.permissions()).expect("the working directory has metadata")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAIRS: [(&str, &str); 2] = [("APP_CLIENT_ID", "new-id"), ("APP_CLIENT_SECRET", "new-secret")];

    #[test]
    fn merging_replaces_only_the_keys_it_writes_and_keeps_every_other_line() {
        let text = "# my deploy\nAPP_STACKSCRIPT_ID=42\n\nexport APP_CLIENT_ID=old\nAPP_CLIENT_SECRET = old\n\
                    APP_CLIENT_SECRET=older\nAPP_CLIENT_IDS=unrelated\n";
        assert_eq!(
            merge(text, &PAIRS),
            "# my deploy\nAPP_STACKSCRIPT_ID=42\n\nAPP_CLIENT_ID=new-id\nAPP_CLIENT_SECRET=new-secret\n\
             APP_CLIENT_IDS=unrelated\n"
        );
    }

    #[test]
    fn keys_the_file_lacks_are_added_at_the_end() {
        assert_eq!(
            merge("APP_STACKSCRIPT_ID=42", &PAIRS),
            "APP_STACKSCRIPT_ID=42\nAPP_CLIENT_ID=new-id\nAPP_CLIENT_SECRET=new-secret\n"
        );
    }
}
