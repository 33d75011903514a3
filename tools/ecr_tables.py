"""The hand-written tables tools/gen_ecr.py reads: which area file each
operation goes to, the areas' docs, short docs of our own for operations and
members, and the fixed head of `validate_request_json`."""

# Operation -> area file. Every operation of the model must be listed.
AREAS = {
    "layers": ["BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart",
               "CompleteLayerUpload", "GetDownloadUrlForLayer"],
    "images": ["PutImage", "BatchGetImage", "BatchDeleteImage", "DescribeImages", "ListImages",
               "ListImageReferrers", "PutImageTagMutability", "UpdateImageStorageClass",
               "DescribeImageSigningStatus"],
    "repositories": ["CreateRepository", "DeleteRepository", "DescribeRepositories",
                     "DescribeRegistry", "GetAuthorizationToken"],
    "policies": ["SetRepositoryPolicy", "GetRepositoryPolicy", "DeleteRepositoryPolicy",
                 "PutRegistryPolicy", "GetRegistryPolicy", "DeleteRegistryPolicy"],
    "lifecycle": ["PutLifecyclePolicy", "GetLifecyclePolicy", "DeleteLifecyclePolicy",
                  "StartLifecyclePolicyPreview", "GetLifecyclePolicyPreview"],
    "scanning": ["StartImageScan", "DescribeImageScanFindings", "PutImageScanningConfiguration",
                 "PutRegistryScanningConfiguration", "GetRegistryScanningConfiguration",
                 "BatchGetRepositoryScanningConfiguration"],
    "replication": ["PutReplicationConfiguration", "DescribeImageReplicationStatus",
                    "StartReplicationBackfill", "StopReplicationBackfill",
                    "DescribeReplicationBackfillResults", "ListReplicationBackfills"],
    "pull_through_cache": ["CreatePullThroughCacheRule", "DeletePullThroughCacheRule",
                           "DescribePullThroughCacheRules", "UpdatePullThroughCacheRule",
                           "ValidatePullThroughCacheRule", "RegisterPullTimeUpdateExclusion",
                           "DeregisterPullTimeUpdateExclusion", "ListPullTimeUpdateExclusions"],
    "templates": ["CreateRepositoryCreationTemplate", "DeleteRepositoryCreationTemplate",
                  "DescribeRepositoryCreationTemplates", "UpdateRepositoryCreationTemplate"],
    "image_signing": ["PutSigningConfiguration", "GetSigningConfiguration", "DeleteSigningConfiguration"],
    "account_settings": ["GetAccountSetting", "PutAccountSetting"],
    "tags": ["TagResource", "UntagResource", "ListTagsForResource"],
}

AREA_DOCS = {
    "layers": "Layer uploads and downloads: the calls a push is made of.",
    "images": "Image manifests: put, get, delete, describe and list.",
    "repositories": "Repositories, the registry, and registry login tokens.",
    "policies": "Repository and registry permission policies.",
    "lifecycle": "Lifecycle policies and their previews.",
    "scanning": "Image scanning: scans, findings and scanning configuration.",
    "replication": "Cross-region and cross-account replication.",
    "pull_through_cache": "Pull-through cache rules and their exclusions.",
    "templates": "Repository creation templates.",
    "image_signing": "Image signing configuration (ECR's signing of pushed images; not SigV4).",
    "account_settings": "Account-level settings.",
    "tags": "Resource tags.",
    "common": "Shapes used by more than one area.",
    "errors": "The modeled exceptions of Amazon ECR.",
}


# What each operation does and returns, written for a Rust user (not the
# model's documentation). The first sentence is the summary rustdoc shows.
OP_DOCS = {
    # Layers
    "BatchCheckLayerAvailability": "Checks which of the given layer digests a repository already holds. Returns the layers found (with size and availability) and a failure for each digest missing or malformed; a push uses it to skip uploads.",
    "InitiateLayerUpload": "Starts a layer upload. Returns the upload id to pass to `UploadLayerPart` and `CompleteLayerUpload`, and the part size the service suggests.",
    "UploadLayerPart": "Uploads one contiguous part of a layer. Returns the last byte the service now holds; a gap or overlap fails with `InvalidLayerPartException`, which carries the byte to resume from.",
    "CompleteLayerUpload": "Finishes a layer upload once every part is sent. The service checks the data against the given sha256 digest and returns the layer's digest.",
    "GetDownloadUrlForLayer": "Returns a pre-signed URL to download one layer by digest, valid for a short time.",
    # Images
    "PutImage": "Creates or updates an image from its manifest (the layers it names must already be uploaded), optionally under a tag. Returns the stored image with its digest.",
    "BatchGetImage": "Fetches the manifests of up to 100 images, by tag or digest. Returns the images found and a failure for each one not found.",
    "BatchDeleteImage": "Deletes up to 100 images, by tag or digest; deleting the last tag of an image deletes the image. Returns the ids deleted and a failure for each one that was not.",
    "DescribeImages": "Describes the images of a repository (digest, tags, size, push time, scan summary).",
    "ListImages": "Lists the image ids (digest and tag) of a repository, optionally only tagged or untagged ones.",
    "ListImageReferrers": "Lists the artifacts (signatures, SBOMs, attestations) that refer to an image through the OCI referrers API. Returns one page and the token of the next.",
    "PutImageTagMutability": "Sets whether tags in a repository can be overwritten, with optional exclusion filters. Returns the setting now in force.",
    "UpdateImageStorageClass": "Moves an image between the standard and archive storage classes. Returns the image's new status.",
    "DescribeImageSigningStatus": "Returns the signing status of an image for each signing profile that applies to it.",
    # Repositories
    "CreateRepository": "Creates a repository, optionally with tags, tag mutability, scan-on-push and encryption settings. Returns the repository with its ARN and URI.",
    "DeleteRepository": "Deletes a repository; one that still holds images needs `force`. Returns the deleted repository.",
    "DescribeRepositories": "Describes repositories of a registry, all of them or those named.",
    "DescribeRegistry": "Returns the caller's registry id and its replication configuration.",
    "GetAuthorizationToken": "Returns a registry login token: base64 of `AWS:<password>`, valid for 12 hours, with its expiry and the registry's endpoint.",
    # Policies
    "SetRepositoryPolicy": "Attaches a permission policy (IAM policy JSON) to a repository, replacing any existing one. Returns the policy stored.",
    "GetRepositoryPolicy": "Returns the permission policy attached to a repository.",
    "DeleteRepositoryPolicy": "Removes the permission policy of a repository. Returns the policy that was removed.",
    "PutRegistryPolicy": "Sets the registry's permission policy (for replication and pull-through cache access from other accounts). Returns the policy stored.",
    "GetRegistryPolicy": "Returns the registry's permission policy.",
    "DeleteRegistryPolicy": "Removes the registry's permission policy. Returns the policy that was removed.",
    # Lifecycle
    "PutLifecyclePolicy": "Sets the lifecycle policy (JSON rules that expire or archive images) of a repository. Returns the policy stored.",
    "GetLifecyclePolicy": "Returns the lifecycle policy of a repository and when it last ran.",
    "DeleteLifecyclePolicy": "Removes the lifecycle policy of a repository. Returns the policy that was removed.",
    "StartLifecyclePolicyPreview": "Starts a dry run of a lifecycle policy (the given one or the repository's). Returns the preview's status; poll it with `GetLifecyclePolicyPreview` or the [`lifecycle_policy_preview_complete`](crate::waiters::lifecycle_policy_preview_complete) waiter.",
    "GetLifecyclePolicyPreview": "Returns the status of a lifecycle policy preview and the images it would act on.",
    # Scanning
    "StartImageScan": "Starts a vulnerability scan of one image. Returns the scan's initial status; wait for it with the [`image_scan_complete`](crate::waiters::image_scan_complete) waiter.",
    "DescribeImageScanFindings": "Returns the scan status of an image and its findings.",
    "PutImageScanningConfiguration": "Sets whether a repository scans images on push. Returns the configuration now in force.",
    "PutRegistryScanningConfiguration": "Sets the registry's scanning type (basic or enhanced) and its rules. Returns the configuration stored.",
    "GetRegistryScanningConfiguration": "Returns the registry's scanning type and rules.",
    "BatchGetRepositoryScanningConfiguration": "Returns the effective scanning configuration of up to 25 repositories, and a failure for each one not found.",
    # Replication
    "PutReplicationConfiguration": "Sets the registry's replication rules (destinations and repository filters). Returns the configuration stored.",
    "DescribeImageReplicationStatus": "Returns the replication status of one image in each destination region and registry.",
    "StartReplicationBackfill": "Starts replicating the images that already exist to a destination. Returns the backfill's id and status.",
    "StopReplicationBackfill": "Stops a running replication backfill. Returns the backfill's id and status.",
    "DescribeReplicationBackfillResults": "Returns the progress and per-repository results of a replication backfill.",
    "ListReplicationBackfills": "Lists the replication backfills of the registry.",
    # Pull-through cache
    "CreatePullThroughCacheRule": "Creates a pull-through cache rule that mirrors an upstream registry under a repository prefix. Returns the rule.",
    "DeletePullThroughCacheRule": "Deletes a pull-through cache rule. Returns the rule that was deleted.",
    "DescribePullThroughCacheRules": "Describes the pull-through cache rules of the registry, all of them or those for the given prefixes.",
    "UpdatePullThroughCacheRule": "Changes the credentials or role of a pull-through cache rule. Returns the updated rule.",
    "ValidatePullThroughCacheRule": "Checks that a pull-through cache rule can reach its upstream registry. Returns whether it is valid and, if not, why.",
    "RegisterPullTimeUpdateExclusion": "Excludes an IAM principal from updating an image's last-pulled time. Returns the principal and when it was registered.",
    "DeregisterPullTimeUpdateExclusion": "Removes a principal from the pull-time update exclusions. Returns the principal.",
    "ListPullTimeUpdateExclusions": "Lists the principals excluded from pull-time updates. Returns one page and the token of the next.",
    # Templates
    "CreateRepositoryCreationTemplate": "Creates a template whose settings apply to repositories created under a prefix (by pull-through cache, replication or push). Returns the template.",
    "DeleteRepositoryCreationTemplate": "Deletes a repository creation template. Returns the template that was deleted.",
    "DescribeRepositoryCreationTemplates": "Describes the repository creation templates of the registry, all of them or those for the given prefixes.",
    "UpdateRepositoryCreationTemplate": "Changes a repository creation template. Returns the updated template.",
    # Signing
    "PutSigningConfiguration": "Sets the registry's image signing configuration (signing profiles and repository filters). Returns the configuration stored.",
    "GetSigningConfiguration": "Returns the registry's image signing configuration.",
    "DeleteSigningConfiguration": "Removes the registry's image signing configuration. Returns the configuration that was removed.",
    # Account settings
    "GetAccountSetting": "Returns the value of one account setting, such as the basic scan type version.",
    "PutAccountSetting": "Sets one account setting. Returns the setting and its new value.",
    # Tags
    "TagResource": "Adds or overwrites tags on a repository (by ARN). Returns nothing.",
    "UntagResource": "Removes tags, by key, from a repository (by ARN). Returns nothing.",
    "ListTagsForResource": "Returns the tags of a repository (by ARN).",
}

# Short docs of members that recur; others are the member name in words.
MEMBER_DOCS = {
    "registryId": "The registry's AWS account id",
    "repositoryName": "The repository name",
    "repositoryNames": "Repository names",
    "imageIds": "Image ids, each a digest and/or a tag",
    "imageId": "The image, by digest and/or tag",
    "imageTag": "An image tag",
    "imageDigest": "An image manifest digest, `sha256:<hex>`",
    "imageManifest": "The image manifest JSON",
    "imageManifestMediaType": "The manifest's media type, when not in the manifest itself",
    "layerDigest": "A layer digest, `sha256:<hex>`",
    "layerDigests": "Layer digests, `sha256:<hex>`",
    "uploadId": "The id `InitiateLayerUpload` returned",
    "resourceArn": "The repository ARN",
    "tags": "Tags",
    "tagKeys": "The keys of the tags to remove",
    "policyText": "The policy, IAM policy JSON",
    "lifecyclePolicyText": "The lifecycle policy JSON",
    "force": "Whether to go ahead despite the safety check",
    "failures": "What failed, one entry per item",
    "createdAt": "When it was created",
    "updatedAt": "When it was last updated",
    "repositoryArn": "The repository ARN",
    "repositoryUri": "The repository URI, for `docker push` and `docker pull`",
}

# Input-side wording where it differs.
MEMBER_DOCS_IN = {
    "registryId": "The registry's AWS account id; the caller's when `None`",
    "nextToken": "Where to resume: the `nextToken` of the previous page; `None` for the first page",
    "maxResults": "The page size: at most this many results per call",
}

MEMBER_DOCS_OUT = {
    "nextToken": "The token of the next page; `None` on the last page",
}

REQUEST_JSON_HEAD = """
/// Reads the request of `operation` from the JSON an AWS CLI user would
/// write (`--cli-input-json`; blobs in base64) and validates it. `None` for an
/// unknown operation name, or one whose area's feature is off.
// With every area off, nothing is checked and `check` is not used.
#[allow(unused_variables, dead_code)]
pub fn validate_request_json(
    operation: &str,
    json: &[u8],
) -> Option<Result<Result<(), crate::ValidationError>, crate::protocol::ParseError>> {
    fn check<O: crate::Operation + serde::de::DeserializeOwned>(
        json: &[u8],
    ) -> Result<Result<(), crate::ValidationError>, crate::protocol::ParseError> {
        let request: O = crate::protocol::from_json(json)?;
        Ok(request.validate())
    }
    match operation {
"""
