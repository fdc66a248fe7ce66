//! `wharf token`: the API tokens of a running wharf server
//! (`/api/v1/tokens`).

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use serde_json::{Value, json};

use crate::connector::{Api, Format, ServerArgs, render, table, time};
use crate::exit;

/// Create, list and revoke the API tokens of a running wharf server
/// (create and revoke need an admin token).
///
/// Tokens are stored hashed: a new token's value is shown once, by
/// `create`. Exit codes: 0 done, 2 error (server unreachable, 401/403/404
/// and other API errors; the server's explanation is printed).
#[derive(Args, Debug)]
pub(crate) struct TokenArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: TokenCommand,
}

/// A token's role.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Role {
    /// Everything, including changes.
    Admin,
    /// Read only (`GET`).
    Viewer,
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a token and print its value (and nothing else) on standard
    /// output: the only time it is shown.
    Create {
        /// A name for the token (shown in the audit log).
        name: String,
        /// What the token may do.
        #[arg(long, value_enum)]
        role: Role,
    },
    /// List the live tokens (never their values).
    List {
        /// Output format.
        #[arg(long, short, value_enum, default_value = "table")]
        format: Format,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's numeric id (see `wharf token list`).
        id: i64,
    },
}

pub(crate) async fn run(args: TokenArgs) -> anyhow::Result<u8> {
    let api = Api::new(&args.server)?;
    match args.command {
        TokenCommand::Create { name, role } => {
            let role = match role {
                Role::Admin => "admin",
                Role::Viewer => "viewer",
            };
            let v = api
                .call(
                    Method::POST,
                    &["tokens"],
                    Some(&json!({ "name": name, "role": role })),
                )
                .await?;
            let value = v["value"]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("the server's answer has no token value"))?;
            tracing::info!(
                token = %name,
                id = v["token"]["id"].as_i64().unwrap_or_default(),
                role,
                "token created; store its value now: it is not shown again"
            );
            crate::write_output(&format!("{value}\n"), None)?;
        }
        TokenCommand::List { format } => {
            let v = api.call(Method::GET, &["tokens"], None).await?;
            render(format, &v, || Ok(render_list(&v)))?;
        }
        TokenCommand::Revoke { id } => {
            api.call(Method::DELETE, &["tokens", &id.to_string()], None)
                .await?;
            tracing::info!(id, "token revoked");
        }
    }
    Ok(exit::OK)
}

fn render_list(v: &Value) -> String {
    let mut t = table();
    t.set_header(["ID", "NAME", "ROLE", "CREATED", "LAST USED"]);
    for tok in v["items"].as_array().map(Vec::as_slice).unwrap_or_default() {
        t.add_row([
            tok["id"].to_string(),
            tok["name"].as_str().unwrap_or("").to_owned(),
            tok["role"].as_str().unwrap_or("").to_owned(),
            time(&tok["created_at"]),
            time(&tok["last_used_at"]),
        ]);
    }
    format!("{t}\n")
}
