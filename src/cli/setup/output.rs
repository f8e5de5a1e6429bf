//! How the set-up commands hand over what they made: sentences for people on
//! standard error, values ready for an env file or JSON on standard output,
//! ([`super::env_file`] writes env files).

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
