//! `ecrkit login`: a password for `docker login`, from GetAuthorizationToken.

use base64::Engine;
use clap::Args;
use ecrkit::ecr::GetAuthorizationToken;
use serde::Serialize;

use crate::Context;
use crate::error::{Class, CliError};
use crate::output::{OutputFormat, print, print_json, rfc3339};

const EXAMPLES: &str = "\
Examples:
  ecrkit login | docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com
  # Another account's registry, with the endpoint and expiry, for a script
  ecrkit login --registry-id 210987654321 --output json";

/// Print a password for `docker login` (user AWS), like `aws ecr get-login-password`.
///
/// The password is valid for 12 hours. With --output json: the registry's
/// endpoint, the user name, the password and when it expires.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct LoginArgs {
    /// The registry (account id) to log in to [default: the caller's]
    #[arg(long, value_name = "ID")]
    registry_id: Option<String>,
}

/// The login, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct LoginRow {
    registry: Option<String>,
    username: String,
    password: String,
    expires_at: Option<String>,
}

/// Runs `ecrkit login`.
pub async fn run(cx: &Context, args: LoginArgs) -> Result<(), CliError> {
    let out = GetAuthorizationToken {
        registry_ids: args.registry_id.map(|id| vec![id]),
    }
    .send(&cx.client)
    .await
    .map_err(|e| CliError::call("GetAuthorizationToken", &e))?;
    let data = out
        .authorization_data
        .and_then(|d| d.into_iter().next())
        .ok_or_else(|| {
            CliError::new(
                Class::Service,
                "GetAuthorizationToken returned no authorization data",
            )
        })?;
    let token = data.authorization_token.unwrap_or_default();
    // The token is base64 of `AWS:<password>`.
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.as_bytes())
        .ok()
        .and_then(|d| String::from_utf8(d).ok());
    let (username, password) = decoded
        .as_deref()
        .and_then(|d| d.split_once(':'))
        .ok_or_else(|| {
            CliError::new(
                Class::Service,
                "the authorization token is not base64 of USER:PASSWORD",
            )
        })?;
    match cx.output {
        OutputFormat::Table => print(&format!("{password}\n")),
        OutputFormat::Json => print_json(&LoginRow {
            registry: data.proxy_endpoint,
            username: username.to_owned(),
            password: password.to_owned(),
            expires_at: data.expires_at.map(rfc3339),
        }),
    }
    Ok(())
}
