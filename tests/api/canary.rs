//! `install-on-linode canary` against the sandbox: it deploys the demo
//! StackScript as a visitor taking the defaults would, waits for its app,
//! and always deletes the server: after success, on failure, on time out
//! and on Ctrl-C.

use std::process::Stdio;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::*;

const SANDBOX_TOKEN: &str = "canary-sandbox-token-0123456789abcdef";

async fn sandbox() -> TestApp {
    spawn_app(|s| {
        s.sandbox();
        s.settings.sandbox_token = Some(SecretString::from(SANDBOX_TOKEN));
    })
    .await
}

fn canary(app: &TestApp, extra: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_install-on-linode"));
    command
        .args(["canary", "--stackscript", "320826", "--region", "us-east", "--ready-anywhere"])
        .arg("--ready-url")
        .arg(format!("{}/sandbox/apps/{{ipv4}}/", app.address))
        .args(extra)
        .env("LINODE_TOKEN", SANDBOX_TOKEN)
        .env("APP_LINODE_API_URL", format!("{}/sandbox/v4", app.address))
        .env_remove("APP_READY_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

async fn run(app: &TestApp, extra: &[&str]) -> (i32, String) {
    let out = canary(app, extra).output().await.unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn a_working_script_is_ready_and_its_server_deleted() {
    let app = sandbox().await;

    let (code, out) = run(&app, &["--timeout", "60"]).await;

    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("canary: ready after "), "{out}");
    assert!(out.contains("g6-standard-1, us-east, linode/debian12") && out.contains("deleted"), "{out}");
    assert_eq!(app.simulation().instance_count(), 0, "nothing left behind");
}

#[tokio::test]
async fn a_failing_install_exits_1_with_its_stage_and_reason_as_json_and_is_deleted() {
    let app = sandbox().await;

    let (code, out) = run(&app, &["--timeout", "60", "--json", "--set", "simulate_failure=Yes"]).await;

    assert_eq!(code, 1, "{out}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!((report["result"].as_str(), report["stage"].as_str()), (Some("failed"), Some("installing")));
    assert!(report["reason"].as_str().unwrap().contains("offline"), "{report}");
    assert_eq!(report["deleted"], true);
    assert_eq!(app.simulation().instance_count(), 0);
}

#[tokio::test]
async fn a_timeout_still_deletes_the_server() {
    let app = sandbox().await;

    let (code, out) = run(&app, &["--timeout", "1"]).await;

    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not ready within 1 s") && out.contains("deleted"), "{out}");
    assert_eq!(app.simulation().instance_count(), 0);
}

#[tokio::test]
async fn ctrl_c_deletes_the_server_and_says_so() {
    let app = sandbox().await;
    let child = canary(&app, &["--timeout", "60"]).spawn().unwrap();
    for _ in 0..50 {
        if app.simulation().instance_count() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.simulation().instance_count(), 1, "created");

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let out = child.wait_with_output().await.unwrap();

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("interrupted") && stdout.contains("deleted"), "{stdout}");
    assert_eq!(app.simulation().instance_count(), 0);
}

#[tokio::test]
async fn a_value_the_form_would_refuse_is_bad_usage_and_creates_nothing() {
    let app = spawn_app(|s| {
        s.sandbox();
        s.settings.sandbox_token = Some(SecretString::from(SANDBOX_TOKEN));
    })
    .await;
    let (code, _) = run(&app, &["--set", "user_name=root"]).await;
    assert_eq!(code, 2, "a value the form would refuse is bad usage");
    assert_eq!(app.simulation().instance_count(), 0, "and nothing is created");
}

/// `canary --app SLUG` with this apps file, against the sandbox.
async fn run_app(app: &TestApp, apps_file: &std::path::Path, slug: &str) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_install-on-linode"))
        .args(["canary", "--app", slug, "--region", "us-east", "--ready-anywhere", "--timeout", "60"])
        .arg("--ready-url")
        .arg(format!("{}/sandbox/apps/{{ipv4}}/", app.address))
        .env("APP_APPS_FILE", apps_file)
        .env("LINODE_TOKEN", SANDBOX_TOKEN)
        .env("APP_LINODE_API_URL", format!("{}/sandbox/v4", app.address))
        .env_remove("APP_READY_URL")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[tokio::test]
async fn an_app_of_the_apps_file_is_deployed_by_its_slug() {
    let app = spawn_app(|s| {
        s.sandbox();
        s.settings.sandbox_token = Some(SecretString::from(SANDBOX_TOKEN));
        s.settings.apps = vec![install_on_linode::settings::AppSpec {
            slug: "shop".into(),
            stackscript_id: 502,
            name: "Shop".into(),
            ready_url: None,
            open_url: None,
            script_sha256: None,
        }];
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let apps_file = dir.path().join("apps.toml");
    let listed = "[[app]]\nslug = \"shop\"\nstackscript_id = 502\nname = \"Shop\"\n\n\
                  [[app]]\nslug = \"gone\"\nstackscript_id = 999\nname = \"Gone\"\n";
    std::fs::write(&apps_file, listed).unwrap();

    let (code, out, _) = run_app(&app, &apps_file, "shop").await;
    let (missing, _, about_missing) = run_app(&app, &apps_file, "gone").await;
    let (unknown, _, said) = run_app(&app, &apps_file, "blog").await;

    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("canary: ready after ") && out.contains("deleted"), "{out}");
    assert_eq!(app.simulation().instance_count(), 0, "nothing left behind");
    assert_ne!(missing, 0, "the StackScript is the file's (999 is not on this Linode): {about_missing}");
    assert_eq!(app.simulation().instance_count(), 0);
    assert_eq!(unknown, 2, "an app the file does not list is bad usage");
    assert!(said.contains("no app \"blog\"") && said.contains("it lists shop, gone"), "{said}");
}
