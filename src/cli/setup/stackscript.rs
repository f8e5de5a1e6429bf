//! `install-on-linode stackscript …`: publish the script visitors deploy,
//! and see its fields as the configure form will show them.

use std::path::PathBuf;

use clap::Subcommand;

use super::{Context, Failure, Needs, explain, output};
use crate::form::udf::{self, FieldKind, RADIO_LIMIT};
use crate::linode::account::NewStackScript;

/// The StackScript commands.
#[derive(Debug, Subcommand)]
pub enum StackScriptCommand {
    /// Publish a StackScript; prints APP_STACKSCRIPT_ID.
    Create {
        /// Display name.
        #[arg(long)]
        label: String,
        /// The script file (its `<UDF>` lines become the form's fields).
        #[arg(long)]
        script: PathBuf,
        /// Images it may be deployed on, such as linode/debian12 (repeat or comma-separate).
        #[arg(long = "image", required = true, value_delimiter = ',')]
        images: Vec<String>,
        /// Let other accounts deploy it (visitors' accounts need this).
        #[arg(long)]
        public: bool,
        /// A description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Show a StackScript's images and fields as the configure form will show them.
    Show {
        /// The StackScript id.
        id: u64,
    },
}

/// Runs one StackScript command.
pub async fn run(ctx: &Context, command: StackScriptCommand) -> Result<(), Failure> {
    let refused = |e| explain(e, Needs::StackScripts);
    match command {
        StackScriptCommand::Create { label, script, images, public, description } => {
            let text = std::fs::read_to_string(&script)
                .map_err(|e| Failure::Usage(format!("could not read --script {}: {e}", script.display())))?;
            if text.trim().is_empty() {
                return Err(Failure::Usage(format!("--script {} is empty.", script.display())));
            }
            let body = NewStackScript {
                label: &label,
                script: &text,
                images: &images,
                is_public: public,
                description: description.as_deref(),
            };
            let created = ctx.api.create_stackscript(&ctx.token, &body).await.map_err(refused)?;
            eprintln!("Created StackScript {:?} with id {}.", created.label, created.id);
            if !public {
                eprintln!("It is private: visitors' own accounts cannot deploy it. Publish with --public.");
            }
            if ctx.json {
                output::json(&created);
            } else {
                print!("{}", output::env_lines(&[("APP_STACKSCRIPT_ID", &created.id.to_string())]));
            }
            Ok(())
        }
        StackScriptCommand::Show { id } => {
            let script = ctx.api.stackscript_with_token(&ctx.token, id).await.map_err(refused)?;
            if ctx.json {
                let mut json = serde_json::to_value(&script).unwrap_or_default();
                json["script_sha256"] = serde_json::Value::String(script.script_sha256());
                output::json(&json);
                return Ok(());
            }
            println!(
                "StackScript {} {:?}{}",
                script.id,
                script.label,
                match script.is_public {
                    Some(true) => " (public)",
                    Some(false) => " (private: visitors cannot deploy it)",
                    None => "",
                }
            );
            println!("Images: {}", script.images.join(", "));
            println!("Script SHA-256: {} (pin it with APP_SCRIPT_SHA256)", script.script_sha256());
            let fields = udf::fields(&script.user_defined_fields);
            if fields.is_empty() {
                println!("Fields: none");
            }
            for field in fields {
                println!("- {}", describe(&field));
            }
            Ok(())
        }
    }
}

/// "Web server (web_server): radio buttons: nginx, apache; default nginx".
fn describe(field: &udf::FormField) -> String {
    let shape = match &field.kind {
        FieldKind::Text => "text".to_owned(),
        FieldKind::Secret => "password, masked, can be generated".to_owned(),
        FieldKind::OneOf(options) if options.len() <= RADIO_LIMIT => {
            format!("radio buttons: {}", options.join(", "))
        }
        FieldKind::OneOf(options) => format!("select: {}", options.join(", ")),
        FieldKind::ManyOf(options) => format!("checkboxes: {}", options.join(", ")),
    };
    let default = match &field.default {
        Some(d) => format!("; default {d:?}"),
        None => "; required".to_owned(),
    };
    let example = field.example.as_deref().map(|e| format!("; example {e:?}")).unwrap_or_default();
    format!("{} ({}): {shape}{default}{example}", field.label, field.name)
}
