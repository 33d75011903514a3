//! The operation DSL for AWS JSON APIs: `#[aws_operation]`, `#[aws_shape]`,
//! `#[aws_enum]` and `#[aws_error]` turn plain Rust items into the
//! requests, nested structures, string enums and modeled exceptions of an
//! awsJson 1.0 or 1.1 service.
//!
//! Do not depend on this crate directly: use it through
//! [`ecrkit`](https://docs.rs/ecrkit), which re-exports the macros and
//! holds the runtime the generated code calls (validation, serialization,
//! signing, transport, retries). A downstream crate needs only
//! `ecrkit = "0.1"` in its `Cargo.toml`; the crate documentation of
//! `ecrkit` teaches the DSL from a first operation to a service of your
//! own.
//!
//! ```ignore
//! use ecrkit::{aws_error, aws_operation, aws_shape};
//!
//! #[aws_shape]
//! pub struct UploadLayerPartResponse {
//!     pub last_byte_received: Option<i64>,
//! }
//!
//! #[aws_error]
//! #[derive(Debug)]
//! pub struct ServerException {
//!     pub message: Option<String>,
//! }
//!
//! #[aws_operation(
//!     target = "AmazonEC2ContainerRegistry_V20150921.UploadLayerPart",
//!     output = UploadLayerPartResponse,
//!     errors(ServerException),
//! )]
//! pub struct UploadLayerPart {
//!     #[base64]
//!     #[length(max = 20971520)]
//!     pub layer_part_blob: Vec<u8>,
//!     #[range(0, 1152921504606846976)]
//!     pub part_first_byte: i64,
//!     #[length(2, 256)]
//!     #[pattern(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*")]
//!     pub repository_name: String,
//! }
//! ```
//!
//! Item arguments: `target`, `output`, `errors(..)`, `service = S` and
//! `crate = ".."` on `#[aws_operation]`; `code = ".."` on `#[aws_error]`;
//! `crate = ".."` on all four. Field attributes: `range`, `length`,
//! `pattern`, `base64`, `rename`, `each(..)`.
//!
//! Mistakes are compile errors that point at the token at fault and say what
//! to write instead; every error in an item is reported at once, and the
//! item is still emitted (without the helper attributes) so that one mistake
//! does not cascade.
//!
//! Each macro runs the same pipeline, one stage per module: `attr` parses
//! the attributes into raw values with their spans, `ir` holds the checked
//! model, `check` validates (collecting every error) and `expand` emits thin
//! glue that calls into `ecrkit::__private`.

#![deny(missing_docs)]

mod attr;
mod check;
mod ctxt;
mod expand;
mod ir;

use proc_macro::TokenStream;

use ir::ItemKind;

/// Declares an operation: `#[aws_operation(target = "Prefix.Name", output = T, errors(E, ..))]`
/// on a struct with named fields (or a unit struct). Derives validation,
/// awsJson serialization, `SCHEMA`, a `<Name>Error` enum and `send`.
#[proc_macro_attribute]
pub fn aws_operation(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(ItemKind::Operation, args.into(), item.into()).into()
}

/// Declares a nested structure used in requests and responses.
#[proc_macro_attribute]
pub fn aws_shape(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(ItemKind::Shape, args.into(), item.into()).into()
}

/// Declares a string enum; an `Unknown(String)` variant keeps values this
/// client does not know.
#[proc_macro_attribute]
pub fn aws_enum(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(ItemKind::Enum, args.into(), item.into()).into()
}

/// Declares a modeled exception with its fields. It implements
/// `std::error::Error`, so the struct needs `#[derive(Debug)]`.
#[proc_macro_attribute]
pub fn aws_error(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(ItemKind::Error, args.into(), item.into()).into()
}
