//! The set-up commands, run as a publisher runs them, against a fake of
//! Linode's account endpoints: the exact requests, every error path, the env
//! file's mode, and secrets printed only where asked.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PAT: &str = "personal-token-5c7d";
const SECRET: &str = "client-secret-9f8e7d";

struct Run {
    linode: MockServer,
    dir: PathBuf,
}

impl Run {
    async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("iol-setup-{}", install_on_linode::random::hex(8)));
        std::fs::create_dir_all(&dir).unwrap();
        Self { linode: MockServer::start().await, dir }
    }

    /// Runs the binary with `args`, the token in LINODE_TOKEN (or on stdin), in a scratch directory.
    async fn cli(&self, args: &[&str], token: Token<'_>, stdin: &str) -> Output {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_install-on-linode"));
        command
            .args(args)
            .current_dir(&self.dir)
            .env_remove("LINODE_TOKEN")
            .env("APP_LINODE_API_URL", format!("{}/v4", self.linode.uri()))
            .env("APP_PUBLIC_URL", "https://deploy.example.com")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("APP_") && k != "APP_LINODE_API_URL") {
            command.env_remove(key);
        }
        let stdin = match token {
            Token::Env(t) => {
                command.env("LINODE_TOKEN", t);
                stdin.to_owned()
            }
            Token::Stdin(t) => format!("{t}\n{stdin}"),
            Token::None => stdin.to_owned(),
        };
        let mut child = command.spawn().unwrap();
        use tokio::io::AsyncWriteExt;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.as_bytes()).await.unwrap();
        drop(pipe);
        child.wait_with_output().await.unwrap()
    }

    async fn requests(&self) -> Vec<wiremock::Request> {
        self.linode.received_requests().await.unwrap_or_default()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Clone, Copy)]
enum Token<'a> {
    Env(&'a str),
    Stdin(&'a str),
    None,
}

fn client_json(secret: &str) -> Value {
    json!({"id": "2737bf16b39ab5d7b4a1", "label": "My app", "redirect_uri": "https://deploy.example.com/auth_callback",
           "public": false, "secret": secret, "status": "active", "thumbnail_url": null})
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn client_create_sends_the_schema_body_and_prints_an_env_file_ready_pair() {
    let run = Run::new().await;
    Mock::given(method("POST"))
        .and(path("/v4/account/oauth-clients"))
        .and(header("authorization", format!("Bearer {PAT}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"label": "My app", "redirect_uri": "https://deploy.example.com/auth_callback", "public": false})))
        .respond_with(ResponseTemplate::new(200).set_body_json(client_json(SECRET)))
        .expect(1)
        .mount(&run.linode)
        .await;

    let out = run.cli(&["client", "create", "--label", "My app"], Token::Env(PAT), "").await;

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("APP_CLIENT_ID=2737bf16b39ab5d7b4a1\nAPP_CLIENT_SECRET={SECRET}\n")
    );
    assert!(!text(&out.stderr).contains(SECRET), "the secret goes to stdout only");
}

#[tokio::test]
async fn client_create_with_an_env_file_writes_it_private_and_prints_no_secret() {
    let run = Run::new().await;
    Mock::given(method("POST"))
        .and(path("/v4/account/oauth-clients"))
        .respond_with(ResponseTemplate::new(200).set_body_json(client_json(SECRET)))
        .mount(&run.linode)
        .await;

    let out = run
        .cli(&["client", "create", "--label", "My app", "--env-file", "app.env"], Token::Env(PAT), "")
        .await;

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let file = run.dir.join("app.env");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("APP_CLIENT_ID=2737bf16b39ab5d7b4a1\nAPP_CLIENT_SECRET={SECRET}\n")
    );
    assert!(!text(&out.stdout).contains(SECRET) && !text(&out.stderr).contains(SECRET));

    let again = run
        .cli(&["client", "create", "--label", "My app", "--env-file", "app.env"], Token::Env(PAT), "")
        .await;
    assert_eq!(again.status.code(), Some(2), "an existing file is not overwritten");
    assert!(text(&again.stderr).contains("--force"));
    let forced = run
        .cli(
            &["client", "create", "--label", "My app", "--env-file", "app.env", "--force"],
            Token::Env(PAT),
            "",
        )
        .await;
    assert_eq!(forced.status.code(), Some(0));
}

#[tokio::test]
async fn an_env_file_that_cannot_be_written_is_refused_before_linode_is_asked() {
    let run = Run::new().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(client_json(SECRET)))
        .mount(&run.linode)
        .await;
    std::fs::write(run.dir.join("app.env"), "APP_STACKSCRIPT_ID=42\n").unwrap();

    let exists = run
        .cli(&["client", "create", "--label", "My app", "--env-file", "app.env"], Token::Env(PAT), "")
        .await;
    let reset = run
        .cli(
            &["client", "reset-secret", "2737bf16b39ab5d7b4a1", "--env-file", "app.env"],
            Token::Env(PAT),
            "",
        )
        .await;
    let nowhere = run
        .cli(&["client", "create", "--label", "My app", "--env-file", "missing/app.env"], Token::Env(PAT), "")
        .await;

    assert_eq!(exists.status.code(), Some(2), "{}", text(&exists.stderr));
    assert_eq!(reset.status.code(), Some(2), "{}", text(&reset.stderr));
    assert_eq!(nowhere.status.code(), Some(1), "{}", text(&nowhere.stderr));
    assert!(text(&nowhere.stderr).contains("missing/app.env"), "{}", text(&nowhere.stderr));
    assert!(run.requests().await.is_empty(), "no client was made and no secret reset");
    assert_eq!(std::fs::read_to_string(run.dir.join("app.env")).unwrap(), "APP_STACKSCRIPT_ID=42\n");
}

#[tokio::test]
async fn force_replaces_only_the_keys_it_writes_and_keeps_the_rest_of_the_file_and_its_mode() {
    let run = Run::new().await;
    Mock::given(method("POST"))
        .and(path("/v4/account/oauth-clients/2737bf16b39ab5d7b4a1/reset-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(client_json(SECRET)))
        .mount(&run.linode)
        .await;
    let file = run.dir.join("app.env");
    std::fs::write(
        &file,
        "# deploy.example.com\nAPP_STACKSCRIPT_ID=42\nAPP_CLIENT_ID=2737bf16b39ab5d7b4a1\nAPP_CLIENT_SECRET=old\nAPP_PUBLIC_URL=https://deploy.example.com\n",
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();

    let out = run
        .cli(
            &["client", "reset-secret", "2737bf16b39ab5d7b4a1", "--env-file", "app.env", "--force"],
            Token::Env(PAT),
            "",
        )
        .await;

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!(
            "# deploy.example.com\nAPP_STACKSCRIPT_ID=42\nAPP_CLIENT_ID=2737bf16b39ab5d7b4a1\nAPP_CLIENT_SECRET={SECRET}\nAPP_PUBLIC_URL=https://deploy.example.com\n"
        )
    );
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    assert!(!text(&out.stdout).contains(SECRET));
}

#[tokio::test]
async fn a_write_that_fails_after_linode_answered_prints_the_secret_and_says_why() {
    let run = Run::new().await;
    Mock::given(method("POST"))
        .and(path("/v4/account/oauth-clients"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(client_json(SECRET))
                .set_delay(std::time::Duration::from_millis(1500)),
        )
        .mount(&run.linode)
        .await;
    let folder = run.dir.join("conf");
    std::fs::create_dir(&folder).unwrap();

    let cli = run.cli(
        &["client", "create", "--label", "My app", "--env-file", "conf/app.env"],
        Token::Env(PAT),
        "",
    );
    let pull_the_folder = async {
        while run.requests().await.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        std::fs::remove_dir_all(&folder).unwrap();
    };
    let (out, ()) = tokio::join!(cli, pull_the_folder);

    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!("APP_CLIENT_ID=2737bf16b39ab5d7b4a1\nAPP_CLIENT_SECRET={SECRET}\n"),
        "the secret Linode showed once is not lost"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().filter(|l| l.contains("conf/app.env")).count(), 1, "{stderr}");
    assert!(stderr.contains("standard output") && !stderr.contains(SECRET), "{stderr}");
}

#[tokio::test]
async fn the_token_can_come_on_standard_input_and_never_from_a_flag() {
    let run = Run::new().await;
    Mock::given(method("GET"))
        .and(path("/v4/account/oauth-clients"))
        .and(header("authorization", format!("Bearer {PAT}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [client_json("<REDACTED>")], "page": 1, "pages": 1, "results": 1})))
        .mount(&run.linode)
        .await;

    let out = run.cli(&["client", "list"], Token::Stdin(PAT), "").await;
    let flag = run.cli(&["client", "list", "--token", PAT], Token::None, "").await;

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("2737bf16b39ab5d7b4a1  My app  https://deploy.example.com/auth_callback  private")
    );
    assert!(!text(&out.stdout).contains("REDACTED"));
    assert_eq!(flag.status.code(), Some(2));
}

#[tokio::test]
async fn client_list_follows_every_page_and_prints_json_when_asked() {
    let run = Run::new().await;
    for page in [1, 2] {
        let mut client = client_json("<REDACTED>");
        client["id"] = json!(format!("client-{page}"));
        let matcher = if page == 1 {
            Mock::given(method("GET"))
                .and(path("/v4/account/oauth-clients"))
                .and(wiremock::matchers::query_param_is_missing("page"))
        } else {
            Mock::given(method("GET"))
                .and(path("/v4/account/oauth-clients"))
                .and(wiremock::matchers::query_param("page", "2"))
        };
        matcher
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": [client], "page": page, "pages": 2, "results": 2})),
            )
            .mount(&run.linode)
            .await;
    }

    let out = run.cli(&["client", "list", "--json"], Token::Env(PAT), "").await;

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let clients: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = clients.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["client-1", "client-2"]);
}

#[tokio::test]
async fn client_update_reset_and_delete_send_what_the_schema_says() {
    let run = Run::new().await;
    let id = "2737bf16b39ab5d7b4a1";
    Mock::given(method("PUT"))
        .and(path(format!("/v4/account/oauth-clients/{id}")))
        .and(body_json(json!({"label": "Renamed"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(client_json("<REDACTED>")))
        .expect(1)
        .mount(&run.linode)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v4/account/oauth-clients/{id}/reset-secret")))
        .respond_with(ResponseTemplate::new(200).set_body_json(client_json("new-secret-1234")))
        .expect(1)
        .mount(&run.linode)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v4/account/oauth-clients/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&run.linode)
        .await;

    let update = run.cli(&["client", "update", id, "--label", "Renamed"], Token::Env(PAT), "").await;
    let nothing = run.cli(&["client", "update", id], Token::Env(PAT), "").await;
    let reset = run.cli(&["client", "reset-secret", id], Token::Env(PAT), "").await;
    let unconfirmed = run.cli(&["client", "delete", id], Token::Env(PAT), "y\n").await;
    let delete = run.cli(&["client", "delete", id, "--yes"], Token::Env(PAT), "").await;

    assert_eq!(update.status.code(), Some(0), "{}", text(&update.stderr));
    assert_eq!(nothing.status.code(), Some(2), "an update with nothing to change is bad usage");
    assert_eq!(reset.status.code(), Some(0));
    assert_eq!(text(&reset.stdout), format!("APP_CLIENT_ID={id}\nAPP_CLIENT_SECRET=new-secret-1234\n"));
    assert_eq!(unconfirmed.status.code(), Some(2), "no terminal to confirm on and no --yes");
    assert_eq!(delete.status.code(), Some(0));
    let deletes = run.requests().await.into_iter().filter(|r| r.method.as_str() == "DELETE").count();
    assert_eq!(deletes, 1);
}

#[tokio::test]
async fn stackscript_create_reads_the_file_and_prints_the_new_id() {
    let run = Run::new().await;
    std::fs::write(run.dir.join("install.sh"), "#!/bin/bash\n#<UDF name=\"site\" label=\"Site\">\necho hi\n")
        .unwrap();
    Mock::given(method("POST"))
        .and(path("/v4/linode/stackscripts"))
        .and(header("authorization", format!("Bearer {PAT}").as_str()))
        .and(body_json(json!({
            "label": "my-app", "script": "#!/bin/bash\n#<UDF name=\"site\" label=\"Site\">\necho hi\n",
            "images": ["linode/debian12", "linode/ubuntu24.04"], "is_public": true, "description": "Installs my app"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 1337, "label": "my-app", "images": ["linode/debian12", "linode/ubuntu24.04"], "is_public": true,
            "user_defined_fields": [{"name": "site", "label": "Site"}]
        })))
        .expect(1)
        .mount(&run.linode)
        .await;

    let out = run
        .cli(
            &[
                "stackscript",
                "create",
                "--label",
                "my-app",
                "--script",
                "install.sh",
                "--image",
                "linode/debian12",
                "--image",
                "linode/ubuntu24.04",
                "--public",
                "--description",
                "Installs my app",
            ],
            Token::Env(PAT),
            "",
        )
        .await;

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "APP_STACKSCRIPT_ID=1337\n");
}

#[tokio::test]
async fn stackscript_show_lists_images_and_fields_as_the_form_shows_them() {
    let run = Run::new().await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/stackscripts/1337"))
        .and(header("authorization", format!("Bearer {PAT}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 1337, "label": "my-app", "images": ["linode/debian12"], "is_public": false,
            "user_defined_fields": [
                {"name": "web", "label": "Web server", "oneof": "nginx,apache", "default": "nginx"},
                {"name": "db_password", "label": "Database password"}
            ]
        })))
        .mount(&run.linode)
        .await;

    let out = run.cli(&["stackscript", "show", "1337"], Token::Env(PAT), "").await;

    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(shown.contains("private: visitors cannot deploy it"), "{shown}");
    assert!(shown.contains("Images: linode/debian12"));
    assert!(shown.contains("- Web server (web): radio buttons: nginx, apache; default \"nginx\""), "{shown}");
    assert!(
        shown.contains("- Database password (db_password): password, masked, can be generated; required")
    );
}

#[tokio::test]
async fn each_failure_gets_one_clear_sentence_and_its_exit_status() {
    let run = Run::new().await;
    let mount = |status: u16, reason: &str| {
        Mock::given(method("GET")).and(path("/v4/account/oauth-clients")).respond_with(
            ResponseTemplate::new(status).set_body_json(json!({"errors": [{"reason": reason}]})),
        )
    };

    let missing = run.cli(&["client", "list"], Token::None, "").await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("LINODE_TOKEN"));

    let guard = mount(401, "Invalid Token").mount_as_scoped(&run.linode).await;
    let expired = run.cli(&["client", "list"], Token::Env(PAT), "").await;
    assert_eq!(expired.status.code(), Some(1));
    assert!(text(&expired.stderr).contains("wrong, expired or revoked"));
    drop(guard);

    let guard = mount(401, "Your OAuth token is not authorized to use this endpoint.")
        .mount_as_scoped(&run.linode)
        .await;
    let narrow = run.cli(&["client", "list"], Token::Env(PAT), "").await;
    assert_eq!(narrow.status.code(), Some(1));
    assert!(text(&narrow.stderr).contains("Account (read/write)"), "{}", text(&narrow.stderr));
    drop(guard);

    let narrow_script = run.cli(&["stackscript", "show", "1"], Token::Env(PAT), "").await;
    assert_eq!(narrow_script.status.code(), Some(1));

    let unreachable = {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_install-on-linode"));
        command
            .args(["client", "list"])
            .current_dir(&run.dir)
            .env("LINODE_TOKEN", PAT)
            .env("APP_LINODE_API_URL", "http://127.0.0.1:9/v4")
            .stdin(std::process::Stdio::null());
        command.output().unwrap()
    };
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(text(&unreachable.stderr).contains("could not be reached"));
    assert_eq!(text(&unreachable.stderr).lines().count(), 1);

    for out in [&missing, &expired, &narrow, &unreachable] {
        assert!(
            !text(&out.stderr).contains(PAT) && !text(&out.stdout).contains(PAT),
            "the token is never printed"
        );
    }
}
