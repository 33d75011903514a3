//! The environment variables the configuration is read from.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

/// The environment variables the configuration is read from: the process's
/// (read when asked, so later changes are seen), or a fixed set (for tests,
/// which then need not touch the process environment).
///
/// `Debug` prints the variable names only.
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<Arc<BTreeMap<String, String>>>,
}

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env { fixed: None }
    }

    /// Exactly these variables.
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            fixed: Some(Arc::new(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// These variables with one more set (a fixed copy of the process
    /// environment if this is the process environment).
    pub fn with_var(self, name: impl Into<String>, value: impl Into<String>) -> Env {
        let mut vars: BTreeMap<String, String> = self.vars().into_iter().collect();
        vars.insert(name.into(), value.into());
        Env {
            fixed: Some(Arc::new(vars)),
        }
    }

    /// A variable as set (possibly empty).
    pub fn get(&self, name: &str) -> Option<String> {
        match &self.fixed {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// A variable, trimmed; `None` if unset or blank (the AWS SDKs treat an
    /// empty variable as unset).
    pub fn var(&self, name: &str) -> Option<String> {
        nonempty(self.get(name).as_deref())
    }

    /// Every variable (those with names and values in UTF-8).
    pub fn vars(&self) -> Vec<(String, String)> {
        match &self.fixed {
            Some(vars) => vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// The home directory: `HOME`, else `USERPROFILE`, else
    /// `HOMEDRIVE` + `HOMEPATH` (as the AWS SDKs look for it).
    pub fn home_dir(&self) -> Option<String> {
        self.var("HOME")
            .or_else(|| self.var("USERPROFILE"))
            .or_else(|| {
                Some(format!(
                    "{}{}",
                    self.var("HOMEDRIVE")?,
                    self.var("HOMEPATH")?
                ))
            })
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fixed {
            None => f.write_str("Env(process)"),
            Some(vars) => f
                .debug_struct("Env")
                .field("names", &vars.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}

impl Env {
    /// The same variables as aws-config's environment type, for its
    /// shared-file parser.
    pub(crate) fn to_aws(&self) -> aws_types::os_shim_internal::Env {
        match &self.fixed {
            None => aws_types::os_shim_internal::Env::real(),
            Some(vars) => aws_types::os_shim_internal::Env::from(
                vars.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<HashMap<_, _>>(),
            ),
        }
    }
}

/// A trimmed, non-empty value.
pub(crate) fn nonempty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}
