//! The operation DSL for AWS JSON APIs.
//!
//! `#[aws_operation]`, `#[aws_shape]`, `#[aws_enum]` and `#[aws_error]` turn
//! plain Rust items into requests, nested shapes, string enums and modeled
//! exceptions of an awsJson service. Use them through `ecr_core`, which
//! re-exports them and holds the runtime the generated code calls.
//!
//! Each macro runs the same pipeline: [`attr`] parses the attributes into
//! raw values with their spans, [`ir`] builds the typed model, [`check`]
//! validates it (collecting every error), and [`expand`] emits thin glue.

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
