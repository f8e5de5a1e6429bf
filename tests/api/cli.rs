//! The binary as an operator meets it: start-up errors and help.

use std::process::Command;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_install-on-linode"));
    // No local.toml from the developer's checkout, no APP_* from their shell.
    command.current_dir(std::env::temp_dir());
    for (key, _) in std::env::vars() {
        if key.starts_with("APP_") {
            command.env_remove(key);
        }
    }
    command
}

#[test]
fn a_missing_setting_stops_start_up_with_one_line_naming_it_and_status_2() {
    let output =
        binary().env("APP_CLIENT_SECRET", "s").env("APP_SECRET_KEY", "k".repeat(32)).output().unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("APP_CLIENT_ID is required"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn an_invalid_setting_names_its_variable() {
    let output = binary()
        .env("APP_CLIENT_ID", "c")
        .env("APP_CLIENT_SECRET", "s")
        .env("APP_SECRET_KEY", "k".repeat(32))
        .env("APP_PORT", "port")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr).unwrap().contains("APP_PORT is invalid"));
}

#[test]
fn an_invalid_session_store_url_stops_start_up_like_any_other_setting() {
    let output = binary().arg("--sandbox").env("APP_SESSION_STORE", "redis://[:bad").output().unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("APP_SESSION_STORE is invalid"), "{stderr}");
}

#[test]
fn help_documents_every_setting() {
    let output = binary().arg("--help").output().unwrap();

    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for var in [
        "APP_HOST",
        "APP_PORT",
        "APP_PUBLIC_URL",
        "APP_CLIENT_ID",
        "APP_CLIENT_SECRET",
        "APP_SECRET_KEY",
        "APP_STACKSCRIPT_ID",
        "APP_APPLICATION_NAME",
        "APP_LINODE_API_URL",
        "APP_LINODE_LOGIN_URL",
        "APP_LOG_FORMAT",
    ] {
        assert!(help.contains(var), "--help names {var}");
    }
}
