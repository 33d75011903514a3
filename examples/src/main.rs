//! `ecrkit`: push images to Amazon ECR from a terminal or a CI job, pull
//! and copy them, list and delete them, and log docker in; built on the
//! `ecrkit` crate.
//!
//! One file per subcommand (`push`, `pull`, `copy`, `login`, `ls`, `rm`;
//! what pull and copy share in `transfer`), the progress display and the
//! output forms beside them; this file holds the command line's shape, the
//! client every subcommand shares, and the exit status.

mod copy;
mod error;
mod journal;
mod login;
mod ls;
mod output;
mod progress;
mod pull;
mod push;
mod resume;
mod rm;
mod transfer;

use clap::{ArgAction, Args, Parser, Subcommand};
use ecrkit::config::{Env, NO_REGION};
use ecrkit::{Client, Config, ValidationMode};

use error::{Class, CliError, EXIT_STATUSES};
use output::OutputFormat;

/// Push images to Amazon ECR, pull and copy them, list and delete them,
/// and log docker in.
///
/// Region, credentials and endpoint come from the AWS environment and the
/// shared config and credentials files, as the AWS CLI reads them
/// (AWS_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_ECR, ...);
/// the global flags override them.
#[derive(Debug, Parser)]
#[command(name = "ecrkit", version, propagate_version = true, after_help = EXIT_STATUSES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// The flags every subcommand takes, before or after its name.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The AWS region [default: AWS_REGION, AWS_DEFAULT_REGION, then the
    /// profile's `region`]
    #[arg(long, global = true, value_name = "REGION")]
    region: Option<String>,

    /// The profile of the shared AWS config and credentials files
    #[arg(long, global = true, env = "AWS_PROFILE", value_name = "NAME")]
    profile: Option<String>,

    /// Send requests to this endpoint instead of Amazon ECR's (a VPC
    /// endpoint, moto, LocalStack) [default: AWS_ENDPOINT_URL_ECR, then
    /// AWS_ENDPOINT_URL]
    #[arg(long, global = true, value_name = "URL")]
    endpoint_url: Option<String>,

    /// Log more on stderr: -v what is done, -vv debug detail (retries,
    /// connections), -vvv everything (RUST_LOG, when set, chooses instead)
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    verbose: u8,

    /// Print only the result: no progress, no log lines but errors
    #[arg(short, long, global = true)]
    quiet: bool,

    /// Check requests against the service model's constraints before
    /// sending them: refuse (enforce), log and send (warn), or not at all
    #[arg(long, global = true, value_enum, default_value_t = Validation::Enforce,
          env = "ECRKIT_VALIDATION", value_name = "MODE")]
    validation: Validation,

    /// The form of the result on stdout: a table for people, or JSON for
    /// scripts (progress and logs always go to stderr)
    #[arg(
        short,
        long,
        global = true,
        value_enum,
        default_value_t = OutputFormat::Table,
        env = "ECRKIT_OUTPUT",
        value_name = "FORMAT"
    )]
    output: OutputFormat,
}

/// `--validation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Validation {
    /// Refuse a request that breaks a constraint; nothing is sent.
    Enforce,
    /// Log each broken constraint and send.
    Warn,
    /// Send without checking.
    Off,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Push an image (an OCI layout or a `docker save` archive) or one layer
    Push(push::PushArgs),
    /// Pull an image into an OCI layout directory
    Pull(pull::PullArgs),
    /// Copy an image between ECR repositories, regions and accounts, other
    /// registries and OCI layouts
    Copy(copy::CopyArgs),
    /// Print a password for `docker login` (user AWS), like `aws ecr get-login-password`
    Login(login::LoginArgs),
    /// List repositories, or the images of one
    Ls(ls::LsArgs),
    /// Delete images by tag or digest
    Rm(rm::RmArgs),
}

/// What every subcommand runs with.
pub struct Context {
    /// The client, configured from the environment and the global flags.
    pub client: Client,
    /// The form of the result.
    pub output: OutputFormat,
    /// `--quiet`: the result only.
    pub quiet: bool,
    /// The global flags, for the clients of other regions and profiles.
    settings: Settings,
}

/// What a client is built from, beside the environment.
#[derive(Debug, Clone)]
struct Settings {
    profile: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
    validation: Validation,
}

impl Context {
    fn new(global: &GlobalArgs) -> Result<Context, CliError> {
        let settings = Settings {
            profile: global.profile.clone(),
            region: global.region.clone(),
            endpoint_url: global.endpoint_url.clone(),
            validation: global.validation,
        };
        Ok(Context {
            client: settings.client()?,
            output: global.output,
            quiet: global.quiet,
            settings,
        })
    }

    /// What identifies the place the global client talks to (the ECR
    /// endpoint, the region, the profile), for the push journal.
    pub fn place(&self) -> String {
        let config = self.client.config();
        let endpoint = self
            .client
            .endpoint_for(&<ecrkit::Ecr as ecrkit::Service>::INFO)
            .map(|u| u.to_string())
            .unwrap_or_default();
        format!(
            "endpoint={endpoint} region={} profile={}",
            config.region.as_deref().unwrap_or(""),
            self.settings.profile.as_deref().unwrap_or("")
        )
    }

    /// A client like the global one, with another profile or region (the
    /// other side of a copy); the global client when neither is given.
    pub fn client_with(
        &self,
        profile: Option<&str>,
        region: Option<&str>,
    ) -> Result<Client, CliError> {
        if profile.is_none() && region.is_none() {
            return Ok(self.client.clone());
        }
        let mut settings = self.settings.clone();
        if let Some(p) = profile {
            settings.profile = Some(p.to_owned());
        }
        if let Some(r) = region {
            settings.region = Some(r.to_owned());
        }
        settings.client()
    }
}

impl Settings {
    fn client(&self) -> Result<Client, CliError> {
        let global = self;
        let env = match &global.profile {
            Some(profile) => Env::process().with_var("AWS_PROFILE", profile),
            None => Env::process(),
        };
        let mut config = Config::from_env_with(&env);
        if let Some(region) = &global.region {
            config = config.with_region(region);
        }
        if let Some(url) = &global.endpoint_url {
            config = config.with_endpoint_url(url);
        }
        config = config.with_validation(match global.validation {
            Validation::Enforce => ValidationMode::Enforce,
            Validation::Warn => ValidationMode::Warn,
            Validation::Off => ValidationMode::Off,
        });
        let config = config
            .try_build()
            .map_err(|e| match e.0.strip_prefix(NO_REGION) {
                // The library's advice names its builder; a user has flags.
                Some(looked_in) => CliError::new(
                    Class::Setup,
                    format!(
                        "no AWS region configured: pass --region, set AWS_REGION (or \
                     AWS_DEFAULT_REGION), or add `region = <region>` to the profile in the AWS \
                     config file{looked_in}"
                    ),
                ),
                None => e.into(),
            })?;
        Ok(Client::new(config))
    }
}

fn main() {
    // Usage errors exit here with status 2, `--help` and `--version` with 0.
    let cli = Cli::parse();
    progress::init_logging(cli.global.verbose, cli.global.quiet);
    // The runtime is built by hand rather than with `#[tokio::main]`, which
    // would compile tokio's proc-macro crate for one line.
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("could not start the async runtime: {e}")))
        .and_then(|runtime| runtime.block_on(run(cli)));
    if let Err(e) = result {
        progress::clear_bars();
        e.report();
        std::process::exit(e.status());
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    // What the command line alone can tell is wrong, before any setup.
    match &cli.command {
        Command::Push(args) => args.check()?,
        Command::Copy(args) => args.check()?,
        _ => {}
    }
    let cx = Context::new(&cli.global)?;
    match cli.command {
        Command::Push(args) => push::run(&cx, args).await,
        Command::Pull(args) => pull::run(&cx, args).await,
        Command::Copy(args) => copy::run(&cx, args).await,
        Command::Login(args) => login::run(&cx, args).await,
        Command::Ls(args) => ls::run(&cx, args).await,
        Command::Rm(args) => rm::run(&cx, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_before_or_after_the_subcommand() {
        let cli = Cli::try_parse_from(["ecrkit", "-o", "json", "ls", "--region", "eu-west-1"])
            .expect("parses");
        assert_eq!(cli.global.output, OutputFormat::Json);
        assert_eq!(cli.global.region.as_deref(), Some("eu-west-1"));
        let err = Cli::try_parse_from(["ecrkit", "-q", "-v", "ls"]).expect_err("conflict");
        assert_eq!(err.exit_code(), 2);
    }
}
