//! The service descriptors: what a service needs to be called (how it is
//! signed, where it lives, which awsJson version it speaks), and the
//! compile-time checks of an operation's `X-Amz-Target` against it.

/// What a service needs to be called: how it is signed, where it lives and
/// which awsJson version it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The SigV4 signing name (`ecr`).
    pub signing_name: &'static str,
    /// The endpoint prefix (`api.ecr`).
    pub endpoint_prefix: &'static str,
    /// `1.0` or `1.1`: the content type is `application/x-amz-json-<v>`.
    pub json_version: &'static str,
    /// The `X-Amz-Target` prefix (`AmazonEC2ContainerRegistry_V20150921`);
    /// each operation's `target` must start with it and a dot, which the
    /// program's build checks.
    pub target_prefix: &'static str,
    /// The service part of `AWS_ENDPOINT_URL_<SERVICE>` (`ECR`).
    pub env_name: &'static str,
    /// The service declares `awsQueryCompatible` (it moved from the awsQuery
    /// protocol): requests carry `x-amzn-query-mode: true`, and an error's
    /// code is the one its `x-amzn-query-error` header names, as the
    /// service's awsQuery clients knew it.
    pub query_compatible: bool,
}

/// A service descriptor type, named by `#[aws_operation(service = S)]`.
pub trait Service {
    /// Its description.
    const INFO: ServiceInfo;
}

/// Amazon Elastic Container Registry, the default service of the macros.
#[derive(Debug, Clone, Copy)]
pub struct Ecr;

impl Service for Ecr {
    const INFO: ServiceInfo = ServiceInfo {
        signing_name: "ecr",
        endpoint_prefix: "api.ecr",
        json_version: "1.1",
        target_prefix: "AmazonEC2ContainerRegistry_V20150921",
        env_name: "ECR",
        query_compatible: false,
    };
}

/// The check `#[aws_operation(service = S)]` expands to, evaluated when the
/// program compiles: the operation's `target` must be the service's
/// `target_prefix`, a dot, and the operation's name. A `const fn`, so a
/// mismatch (an ECR target on a DynamoDB operation, say) fails the build at
/// the declaration instead of sending a request the service rejects.
#[doc(hidden)]
pub const fn check_target_prefix(target_prefix: &str, target: &str) {
    let (prefix, target) = (target_prefix.as_bytes(), target.as_bytes());
    let mut matches = target.len() > prefix.len() + 1 && target[prefix.len()] == b'.';
    let mut i = 0;
    while matches && i < prefix.len() {
        matches = prefix[i] == target[i];
        i += 1;
    }
    if !matches {
        panic!(
            "`target` must start with the service's `target_prefix` and a dot: compare it with the `ServiceInfo` of the type named by `service = ..`"
        );
    }
}

/// The bytes of `prefix.name`: the `X-Amz-Target` of an operation that
/// names its service and no `target`, joined when the program compiles.
#[doc(hidden)]
pub const fn join_target<const N: usize>(prefix: &str, name: &str) -> [u8; N] {
    let (prefix, name) = (prefix.as_bytes(), name.as_bytes());
    let mut out = [0u8; N];
    let mut i = 0;
    while i < prefix.len() {
        out[i] = prefix[i];
        i += 1;
    }
    out[i] = b'.';
    let mut j = 0;
    while j < name.len() {
        out[i + 1 + j] = name[j];
        j += 1;
    }
    out
}

/// The joined target as text (both parts are text, so it always is).
#[doc(hidden)]
pub const fn target_str(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("a target is text"),
    }
}
