//! The shared config and credentials files (`~/.aws/config`,
//! `~/.aws/credentials`), read with aws-config's parser: the one its
//! credentials chain reads them with, so settings and credentials come
//! from the same reading of the same files
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html>).

use std::fmt;
use std::sync::Arc;

use aws_config::profile::{Profile, ProfileFileLoadError, ProfileSet};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_runtime::env_config::property::PropertiesKey;
use futures_util::FutureExt as _;

use crate::env::{Env, nonempty};

/// The profile files as `env` names them (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
/// `~/.aws/credentials` under `HOME`), with `profile` selected. Missing
/// files are no error; a file that cannot be read or parsed is (the message
/// names the file and the line, never the line's text).
pub(crate) fn load(env: &Env, profile: &str) -> Result<ProfileSet, ProfileFileLoadError> {
    let (fs, env, files) = (
        aws_types::os_shim_internal::Fs::real(),
        env.to_aws(),
        EnvConfigFiles::default(),
    );
    // The real file system of aws-types reads with std::fs (the future does
    // not wait on anything), so the settings can be read outside a runtime.
    aws_config::profile::load(&fs, &env, &files, Some(profile.to_owned().into()))
        .now_or_never()
        .unwrap_or_else(|| Ok(ProfileSet::default()))
}

/// The config file's path as `env` names it, `~` expanded, for messages.
pub(crate) fn config_file_text(env: &Env) -> String {
    let path = env
        .var("AWS_CONFIG_FILE")
        .unwrap_or_else(|| "~/.aws/config".to_owned());
    match (path.strip_prefix("~/"), env.home_dir()) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest).display().to_string(),
        _ => path,
    }
}

/// A setting of a profile, trimmed; `None` if unset or blank.
pub(crate) fn setting(profile: Option<&Profile>, key: &str) -> Option<String> {
    nonempty(profile?.get(key))
}

/// The endpoints a profile configures
/// (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html>):
/// per service in the `[services <name>]` section the profile's `services`
/// key names, and for every service in its `endpoint_url`.
///
/// `Debug` prints the section's name and the global endpoint, not the
/// files (the credentials file holds secrets).
#[derive(Clone, Default)]
pub struct ProfileEndpoints {
    files: Option<Arc<ProfileSet>>,
    services: Option<String>,
    endpoint_url: Option<String>,
}

impl ProfileEndpoints {
    /// The endpoints of the selected profile of `files`.
    pub(crate) fn new(files: Arc<ProfileSet>) -> Self {
        let profile = files.get_profile(files.selected_profile());
        Self {
            services: setting(profile, "services"),
            endpoint_url: setting(profile, "endpoint_url"),
            files: Some(files),
        }
    }

    /// The endpoint of the service whose `AWS_ENDPOINT_URL_<SERVICE>` part
    /// is `env_name` (`ECR`): its key in the services section is the same
    /// in lower case (`ecr`, `cloudwatch_logs`).
    pub fn service(&self, env_name: &str) -> Option<&str> {
        let (files, section) = (self.files.as_ref()?, self.services.as_ref()?);
        let key = PropertiesKey::builder()
            .section_key("services")
            .section_name(section)
            .property_name(env_name.to_ascii_lowercase())
            .sub_property_name("endpoint_url")
            .build()
            .ok()?;
        let url = files.other_sections().get(&key)?.trim();
        (!url.is_empty()).then_some(url)
    }

    /// The profile's `endpoint_url`, for every service.
    pub fn global(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }
}

impl fmt::Debug for ProfileEndpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileEndpoints")
            .field("services", &self.services)
            .field("endpoint_url", &self.endpoint_url)
            .finish()
    }
}
