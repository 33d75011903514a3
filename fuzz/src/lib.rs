//! What the fuzz targets share: every declared operation, reached by index,
//! and the switch for inputs that hit bugs already reported.

use std::fmt::Debug;
use std::sync::OnceLock;

use ecrkit::ecr::*;
use ecrkit::validate::{Validate, Validator};
use ecrkit::{Error, ErrorMeta, Operation, OperationError};

/// Whether inputs that reach an already reported (and regression-tested) bug
/// are run too. Off by default, so that a run explores past the known
/// crashes; `ECR_FUZZ_KNOWN_BUGS=1` turns them back on (do that once the fix
/// has landed, then delete the guard).
pub fn include_known_bugs() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("ECR_FUZZ_KNOWN_BUGS").is_some_and(|v| v == "1"))
}

/// Parses `body` as the output of `O`; whatever parses is formatted and
/// validated against the output shape's own constraints.
fn output_of<O: Operation>(body: &[u8])
where
    O::Output: Validate + Debug,
{
    match ecrkit::protocol::parse_output::<O::Output>(body) {
        Ok(out) => {
            // A structure is read from an object only, never an array
            // (tests/hostile.rs, an_array_is_never_read_as_a_structure).
            // Outputs without members (zero-sized) read any JSON.
            if std::mem::size_of::<O::Output>() > 0 {
                let first = body.iter().find(|b| !b.is_ascii_whitespace());
                assert_ne!(first, Some(&b'['), "an array read as {out:?}");
            }
            let _ = format!("{out:?}");
            let _ = Validator::check(O::NAME, &out);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Builds `O`'s error from a code and body, and formats it every way a
/// caller could.
fn error_of<O: Operation>(code: &str, body: &[u8], meta: &ErrorMeta) {
    let error = <O::Error as OperationError>::from_response(code, body, meta);
    let _ = (error.code().len(), error.to_string(), format!("{error:?}"));
    let full: Error<O::Error> = Error::Service {
        error,
        meta: meta.clone(),
    };
    let _ = (full.to_string(), full.request_id().map(str::len));
}

/// What parses as `O`'s output is written back with serde_json and read
/// again: the second reading is the same value (compared as JSON values, so
/// that map order and NaN, written as `"NaN"`, compare), and the writing
/// never fails.
fn roundtrip_of<O: Operation>(body: &[u8])
where
    O::Output: serde::Serialize,
{
    let Ok(out) = ecrkit::protocol::parse_output::<O::Output>(body) else {
        return;
    };
    let written = serde_json::to_vec(&out).expect("a parsed output serializes");
    let again: O::Output = ecrkit::protocol::parse_output(&written)
        .unwrap_or_else(|e| panic!("what was written does not read back: {e}"));
    let rewritten = serde_json::to_vec(&again).expect("serializes");
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&written).expect("valid JSON"),
        serde_json::from_slice(&rewritten).expect("valid JSON"),
    );
    assert_eq!(a, b, "a round trip changed the value");
}

macro_rules! operations {
    ($($op:ident),* $(,)?) => {
        const OUTPUTS: &[fn(&[u8])] = &[$(output_of::<$op>),*];
        const ERRORS: &[fn(&str, &[u8], &ErrorMeta)] = &[$(error_of::<$op>),*];
        const ROUNDTRIPS: &[fn(&[u8])] = &[$(roundtrip_of::<$op>),*];
    };
}

operations!(
    BatchCheckLayerAvailability,
    BatchDeleteImage,
    BatchGetImage,
    BatchGetRepositoryScanningConfiguration,
    CompleteLayerUpload,
    CreatePullThroughCacheRule,
    CreateRepository,
    CreateRepositoryCreationTemplate,
    DeleteLifecyclePolicy,
    DeletePullThroughCacheRule,
    DeleteRegistryPolicy,
    DeleteRepository,
    DeleteRepositoryCreationTemplate,
    DeleteRepositoryPolicy,
    DeleteSigningConfiguration,
    DeregisterPullTimeUpdateExclusion,
    DescribeImageReplicationStatus,
    DescribeImageScanFindings,
    DescribeImageSigningStatus,
    DescribeImages,
    DescribePullThroughCacheRules,
    DescribeRegistry,
    DescribeReplicationBackfillResults,
    DescribeRepositories,
    DescribeRepositoryCreationTemplates,
    GetAccountSetting,
    GetAuthorizationToken,
    GetDownloadUrlForLayer,
    GetLifecyclePolicy,
    GetLifecyclePolicyPreview,
    GetRegistryPolicy,
    GetRegistryScanningConfiguration,
    GetRepositoryPolicy,
    GetSigningConfiguration,
    InitiateLayerUpload,
    ListImageReferrers,
    ListImages,
    ListPullTimeUpdateExclusions,
    ListReplicationBackfills,
    ListTagsForResource,
    PutAccountSetting,
    PutImage,
    PutImageScanningConfiguration,
    PutImageTagMutability,
    PutLifecyclePolicy,
    PutRegistryPolicy,
    PutRegistryScanningConfiguration,
    PutReplicationConfiguration,
    PutSigningConfiguration,
    RegisterPullTimeUpdateExclusion,
    SetRepositoryPolicy,
    StartImageScan,
    StartLifecyclePolicyPreview,
    StartReplicationBackfill,
    StopReplicationBackfill,
    TagResource,
    UntagResource,
    UpdateImageStorageClass,
    UpdatePullThroughCacheRule,
    UpdateRepositoryCreationTemplate,
    UploadLayerPart,
    ValidatePullThroughCacheRule,
);

/// Parses `body` as the output of operation `index` (modulo the count).
pub fn parse_output(index: usize, body: &[u8]) {
    OUTPUTS[index % OUTPUTS.len()](body)
}

/// Round-trips `body` through the output of operation `index` (modulo the
/// count).
pub fn roundtrip_output(index: usize, body: &[u8]) {
    ROUNDTRIPS[index % ROUNDTRIPS.len()](body)
}

/// Builds the error of operation `index` (modulo the count).
pub fn parse_error(index: usize, code: &str, body: &[u8], meta: &ErrorMeta) {
    ERRORS[index % ERRORS.len()](code, body, meta)
}

/// The number of operations.
pub fn operation_count() -> usize {
    OUTPUTS.len()
}
