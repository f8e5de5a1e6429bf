//! How the set-up commands hand over what they made: sentences for people on
//! standard error, values ready for an env file or JSON on standard output,
//! and env files created private (mode 0600).

use std::io::Write;
use std::path::Path;

use super::Failure;

/// Prints `value` as pretty JSON on standard output.
pub fn json(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(error) => eprintln!("install-on-linode: could not write JSON: {error}"),
    }
}

/// `KEY=value` lines.
pub fn env_lines(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

/// Writes `KEY=value` lines to a new file only its owner can read. An
/// existing file is kept unless `force`, and is then made private too.
pub fn write_env_file(path: &Path, pairs: &[(&str, &str)], force: bool) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            Failure::Usage(format!("{} exists already; pass --force to replace it.", path.display()))
        }
        _ => Failure::Local(format!("could not create {}: {e}", path.display())),
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Failure::Local(format!("could not make {} private: {e}", path.display())))?;
    }
    file.write_all(env_lines(pairs).as_bytes())
        .map_err(|e| Failure::Local(format!("could not write {}: {e}", path.display())))
}
