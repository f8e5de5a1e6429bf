//! `install-on-linode canary`: deploys a StackScript the way a visitor who
//! takes the defaults would, waits for its app to answer, deletes the
//! server, and says in one line (or `--json`) whether it worked, for a
//! publisher's CI to run before a visitor finds out it does not.
//!
//! It runs with a personal access token (`LINODE_TOKEN`) and makes up what
//! a visitor would type: generated values for required secrets, `canary`
//! for a required user name, `canary@example.com` for a required email
//! address, the first option of a required choice, `canary` for any other
//! required text; `--set NAME=VALUE` gives a value of its own. The smallest
//! plan unless `--plan`, the StackScript's first image unless `--image`.
//!
//! `--app SLUG` takes the StackScript and ready URL of that app of the apps
//! file (`--apps-file` or `APP_APPS_FILE`); `--stackscript ID` names one directly.
//!
//! It always deletes what it created: after success, on failure, on time
//! out and on Ctrl-C, and says so. Exit status: 0 the app answered, 1 it did
//! not (or Linode refused), 2 bad usage.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use serde::Serialize;

use crate::cli::setup::{Context, Failure, Needs, explain};
use crate::deploy::probe::{Addresses, Outcome, ReadyCheck, check_template};
use crate::form::conventions::Rule;
use crate::form::password;
use crate::form::udf::{self, FieldKind};
use crate::linode::models::CreateInstance;

/// What to deploy and how long to wait.
#[derive(Debug, Clone, clap::Args)]
pub struct CanaryArgs {
    /// The StackScript to deploy.
    #[arg(long, required_unless_present = "app", conflicts_with = "app")]
    pub stackscript: Option<u64>,
    /// The app of the apps file to deploy: its StackScript, and its ready URL when it has one.
    #[arg(long, value_name = "SLUG")]
    pub app: Option<String>,
    /// The apps file that lists --app.
    #[arg(long, value_name = "FILE", env = "APP_APPS_FILE")]
    pub apps_file: Option<std::path::PathBuf>,
    /// The region to deploy in, such as us-east.
    #[arg(long)]
    pub region: String,
    /// The plan; the smallest one when not given.
    #[arg(long)]
    pub plan: Option<String>,
    /// The image; the StackScript's first when not given.
    #[arg(long)]
    pub image: Option<String>,
    /// What says the app answers, as APP_READY_URL (such as http://{ipv4}/);
    /// without it the canary is done when the server runs.
    #[arg(long, env = "APP_READY_URL")]
    pub ready_url: Option<String>,
    /// The sandbox only: the ready URL need not name the server (its
    /// simulated servers' apps answer under the sandbox's own port).
    #[arg(long)]
    pub ready_anywhere: bool,
    /// Seconds from the create to the app answering, at most.
    #[arg(long, default_value_t = 1200)]
    pub timeout: u64,
    /// A StackScript field's value, NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub values: Vec<String>,
}

/// The one line of result, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Report {
    result: &'static str,
    stage: String,
    reason: Option<String>,
    seconds: u64,
    linode_id: Option<u64>,
    deleted: bool,
}

/// With `--app`, the app's StackScript and ready URL from the apps file.
fn of_app(mut args: CanaryArgs) -> Result<(u64, CanaryArgs), Failure> {
    let Some(slug) = &args.app else {
        return Ok((args.stackscript.unwrap_or_default(), args));
    };
    let Some(path) = args.apps_file.as_deref().filter(|p| !p.as_os_str().is_empty()) else {
        return Err(Failure::Usage("--app needs the apps file: --apps-file FILE or APP_APPS_FILE".into()));
    };
    let apps = crate::settings::apps::read(path).map_err(|e| Failure::Usage(e.to_string()))?;
    let Some(app) = apps.iter().find(|a| &a.slug == slug) else {
        let slugs: Vec<&str> = apps.iter().map(|a| a.slug.as_str()).collect();
        return Err(Failure::Usage(format!(
            "no app {slug:?} in {}: it lists {}",
            path.display(),
            slugs.join(", ")
        )));
    };
    if app.ready_url.is_some() {
        args.ready_url = app.ready_url.clone();
    }
    Ok((app.stackscript_id, args))
}

/// Runs the canary; `Ok` when the app answered.
pub async fn run(ctx: &Context, args: CanaryArgs) -> Result<(), Failure> {
    let (stackscript_id, args) = of_app(args)?;
    if let Some(url) = &args.ready_url
        && !args.ready_anywhere
    {
        check_template(url).map_err(|why| Failure::Usage(format!("--ready-url: {why}")))?;
    }
    let values = parse_values(&args.values)?;
    let script = ctx
        .api
        .stackscript_with_token(&ctx.token, stackscript_id)
        .await
        .map_err(|e| explain(e, Needs::StackScripts))?;
    let image = match &args.image {
        Some(image) => image.clone(),
        None => script
            .images
            .first()
            .cloned()
            .ok_or_else(|| Failure::Usage("the StackScript lists no image: pass --image".to_owned()))?,
    };
    let plan = match &args.plan {
        Some(plan) => plan.clone(),
        None => smallest_plan(ctx).await?,
    };
    let stackscript_data = made_up(&udf::fields(&script.user_defined_fields), &values)?;
    let body = CreateInstance {
        type_id: plan.clone(),
        region: args.region.clone(),
        image: image.clone(),
        stackscript_id,
        group: "canary".to_owned(),
        root_pass: password::generate(),
        label: Some(format!("canary-{}", crate::random::hex(4))),
        authorized_keys: Vec::new(),
        stackscript_data,
        backups_enabled: false,
        authorized_users: Vec::new(),
    };
    let started = Instant::now();
    let instance =
        ctx.api.create_instance(&ctx.token, &body).await.map_err(|e| explain(e, Needs::Linodes))?;
    let what = format!("{plan}, {}, {image}", args.region);
    let watched = tokio::select! {
        outcome = watch(ctx, &args, instance.id) => outcome,
        _ = tokio::signal::ctrl_c() => Err(("interrupted".to_owned(), "interrupted by Ctrl-C".to_owned())),
    };
    let deleted = ctx.api.delete_instance(&ctx.token, instance.id).await.is_ok();
    let report = Report {
        result: if watched.is_ok() { "ready" } else { "failed" },
        stage: match &watched {
            Ok(stage) => stage.clone(),
            Err((stage, _)) => stage.clone(),
        },
        reason: watched.as_ref().err().map(|(_, why)| why.clone()),
        seconds: started.elapsed().as_secs(),
        linode_id: Some(instance.id),
        deleted,
    };
    let gone = if deleted {
        format!("server {} deleted", instance.id)
    } else {
        format!("server {} NOT deleted: delete it in Cloud Manager", instance.id)
    };
    if ctx.json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else if let Some(reason) = &report.reason {
        println!("canary: failed at {} after {} s ({what}): {reason}; {gone}", report.stage, report.seconds);
    } else {
        println!("canary: {} after {} s ({what}); {gone}", report.stage, report.seconds);
    }
    match (watched, deleted) {
        (Ok(_), true) => Ok(()),
        (Ok(_), false) => Err(Failure::Linode(format!("the app answered, but {gone}"))),
        (Err((_, reason)), _) => Err(Failure::Linode(format!("{reason}; {gone}"))),
    }
}

/// Waits for the server to run and, with a ready URL, for its app to answer.
/// `Ok(stage)` when done, `Err((stage, reason))` when not.
async fn watch(ctx: &Context, args: &CanaryArgs, id: u64) -> Result<String, (String, String)> {
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let timed_out = |stage: &str| (stage.to_owned(), format!("not ready within {} s", args.timeout));
    let mut stage = "provisioning".to_owned();
    let mut addresses = Addresses::default();
    loop {
        if Instant::now() >= deadline {
            return Err(timed_out(&stage));
        }
        if let Ok(instance) = ctx.api.instance(&ctx.token, id).await {
            addresses.ipv4 = instance.ipv4.first().cloned();
            addresses.ipv6 = instance.ipv6.as_deref().map(|a| a.split('/').next().unwrap_or(a).to_owned());
            match instance.status.as_str() {
                "running" => break,
                status @ ("offline" | "stopped") if stage == "booting" => {
                    return Err((status.to_owned(), format!("the server went {status} while starting")));
                }
                status => stage = status.to_owned(),
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let Some(template) = &args.ready_url else { return Ok("running".to_owned()) };
    let check = if args.ready_anywhere {
        ReadyCheck::anywhere(template.clone())
    } else {
        ReadyCheck::new(template.clone(), false)
    };
    if check.needs_rdns() {
        addresses.rdns = ctx.api.rdns(&ctx.token, id).await.ok().flatten();
    }
    loop {
        if Instant::now() >= deadline {
            return Err(timed_out("installing"));
        }
        match check.probe(&addresses).await {
            Outcome::Ready => return Ok("ready".to_owned()),
            Outcome::Refused(why) => return Err(("installing".to_owned(), why)),
            Outcome::NotYet(_) => {}
        }
        if let Ok(instance) = ctx.api.instance(&ctx.token, id).await
            && matches!(instance.status.as_str(), "offline" | "stopped")
        {
            return Err((
                "installing".to_owned(),
                format!(
                    "the server went {} while installing: the StackScript most likely failed",
                    instance.status
                ),
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn smallest_plan(ctx: &Context) -> Result<String, Failure> {
    let types = ctx.api.types().await.map_err(|e| explain(e, Needs::StackScripts))?;
    types
        .iter()
        .min_by(|a, b| {
            let price = |t: &crate::linode::models::LinodeType| {
                t.price.as_ref().and_then(|p| p.monthly).unwrap_or(f64::MAX)
            };
            price(a).total_cmp(&price(b))
        })
        .map(|t| t.id.clone())
        .ok_or_else(|| Failure::Linode("Linode listed no plan.".to_owned()))
}

fn parse_values(pairs: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| Failure::Usage(format!("--set takes NAME=VALUE, not {pair:?}")))
        })
        .collect()
}

/// The values a visitor taking the defaults would send: given ones, then
/// made-up ones for required fields; fields with a default are left to it.
fn made_up(
    fields: &[udf::FormField],
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Failure> {
    let mut data = BTreeMap::new();
    for field in fields {
        let value = match given.get(&field.name) {
            Some(value) => value.clone(),
            None if !field.required() => continue,
            None => match &field.kind {
                FieldKind::OneOf(options) | FieldKind::ManyOf(options) => {
                    options.first().cloned().unwrap_or_default()
                }
                FieldKind::Secret if field.generatable => password::generate().expose_secret().to_owned(),
                FieldKind::Secret => {
                    return Err(Failure::Usage(format!(
                        "the StackScript requires {} ({}), which a canary cannot make up: pass --set {}=VALUE",
                        field.name, field.label, field.name
                    )));
                }
                FieldKind::Text => match field.rule {
                    Rule::UserName => "canary".to_owned(),
                    Rule::Email => "canary@example.com".to_owned(),
                    Rule::Any => "canary".to_owned(),
                },
            },
        };
        if let Err(why) = field.check(&value) {
            return Err(Failure::Usage(format!("{}: {why}", field.name)));
        }
        data.insert(field.name.clone(), value);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linode::models::UserDefinedField;

    fn udf(name: &str, default: Option<&str>, oneof: Option<&str>) -> UserDefinedField {
        UserDefinedField {
            name: name.into(),
            label: name.into(),
            example: None,
            oneof: oneof.map(Into::into),
            manyof: None,
            default: default.map(Into::into),
        }
    }

    #[test]
    fn required_fields_get_what_a_visitor_would_type_and_defaults_are_left_alone() {
        let fields = udf::fields(&[
            udf("user_name", None, None),
            udf("soa_email_address", None, None),
            udf("db_password", None, None),
            udf("web", None, Some("nginx,apache")),
            udf("site", Some("blog"), None),
        ]);
        let data = made_up(&fields, &BTreeMap::new()).unwrap();
        assert_eq!(data["user_name"], "canary");
        assert_eq!(data["soa_email_address"], "canary@example.com");
        assert!(data["db_password"].len() >= 22);
        assert_eq!(data["web"], "nginx");
        assert!(!data.contains_key("site"), "left to its default");
    }

    #[test]
    fn an_api_token_must_be_given_and_given_values_are_checked() {
        let fields = udf::fields(&[udf("token_password", None, None)]);
        assert!(made_up(&fields, &BTreeMap::new()).is_err());
        let given = BTreeMap::from([("token_password".to_owned(), "abc".to_owned())]);
        assert_eq!(made_up(&fields, &given).unwrap()["token_password"], "abc");
        let fields = udf::fields(&[udf("user_name", None, None)]);
        let bad = BTreeMap::from([("user_name".to_owned(), "root".to_owned())]);
        assert!(made_up(&fields, &bad).is_err());
    }
}
