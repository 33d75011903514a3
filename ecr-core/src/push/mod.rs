//! Streaming push: layers through the ECR API's upload calls, and whole
//! images (an OCI image layout or a `docker save` archive) through the ECR
//! API (PutImage) or the registry protocol.
//!
//! The hot path is one pass over each byte: the source is read in small
//! chunks; each chunk is base64-encoded straight into the part's request
//! body, built from the `UploadLayerPart` declaration (`part`), and the
//! chunk and its text go into the layer's and the body's SHA-256 together
//! (two streams hashed at once, `sha256`) while still in cache. The upload
//! loop (`layer`) sends part N while part N+1 is read; images (`image`)
//! push their blobs, then their manifests, read from a layout or an
//! archive (`source`; a legacy archive's documents in `archive`, the OCI
//! ones in [`crate::oci`]). Through the registry a layer travels as itself
//! ([`crate::registry`]). What a push records to continue its uploads in
//! another process, and the checks such a record must pass, is
//! [`journal`].

mod archive;
mod image;
pub mod journal;
mod layer;
mod part;
mod source;
mod to_registry;

#[cfg(feature = "copy")]
pub(crate) use image::put_image_api;
pub use image::{
    BlobEvent, ImageProgress, ImageProgressFn, ImagePush, ImagePushError, PushedImage,
};
pub use layer::{LayerPush, Progress, ProgressFn, PushError, PushedLayer, UploadStartedFn};
pub use part::{EncodedPart, LayerDigest, MAX_PART_SIZE, PartHeader};
pub use source::{BlobLocation, ImagePlan, ImageSource, PlannedBlob, SourceError, SourceImage};
