//! The operation DSL for AWS JSON APIs: `#[aws_operation]`, `#[aws_shape]`,
//! `#[aws_enum]`, `#[aws_error]` and `#[aws_constraint]` turn plain Rust
//! items into the requests, nested structures, string enums, modeled
//! exceptions and named constraint sets of an awsJson 1.0 or 1.1 service.
//!
//! Do not depend on this crate directly: use it through
//! [`ecrkit`](https://docs.rs/ecrkit), which re-exports the macros and
//! holds the runtime the generated code calls (validation, serde, signing,
//! transport, retries). A downstream crate needs only `ecrkit = "0.1"` in
//! its `Cargo.toml`; the crate documentation of `ecrkit` teaches the DSL
//! from a first operation to a service of your own.
//!
//! ```ignore
//! use ecrkit::{aws_constraint, aws_error, aws_operation, aws_shape};
//!
//! /// A repository name, declared once.
//! #[aws_constraint(length(2, 256), pattern(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*"))]
//! pub struct RepositoryName;
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
//! // `target` defaults to the service's prefix, a dot and the struct's name.
//! #[aws_operation(output = UploadLayerPartResponse, errors(ServerException))]
//! pub struct UploadLayerPart {
//!     #[base64]
//!     #[length(max = 20971520)]
//!     pub layer_part_blob: Vec<u8>,
//!     #[range(0, 1152921504606846976)]
//!     pub part_first_byte: i64,
//!     #[constraints(RepositoryName)]
//!     pub repository_name: String,
//! }
//! ```
//!
//! The attributes and item arguments are listed, each with how it is
//! written and an example, in one table (`table.rs`); the crate
//! documentation of `ecrkit` shows them in use.
//!
//! Mistakes are compile errors that point at the token at fault and say what
//! to write instead; every error in an item is reported at once, and the
//! item is still emitted with the impls it would have had (with bodies
//! that never run), so that one mistake does not cascade.
//!
//! Each macro runs the same pipeline ([`run`]): `parse` reads the
//! attributes into raw values with their spans (driven by `table`), `check`
//! (and `rules` for constraints) builds the checked model of `ir`,
//! collecting every error in a `ctxt::Ctxt`, and `expand` emits thin glue
//! that calls into `ecrkit::__private`, or `expand::fallback` when
//! checking failed.

#![deny(missing_docs)]

mod check;
mod ctxt;
mod expand;
mod ir;
mod parse;
mod rules;
mod suggest;
mod table;
mod types;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{ToTokens, quote};

use ctxt::Ctxt;
use ir::ItemKind;

/// Declares an operation: `#[aws_operation(output = T, errors(E, ..))]` on
/// a struct with named fields (or a unit struct), optionally with
/// `target = "Prefix.Name"`, `service = S`, `host_prefix = ".."`,
/// `request_compression = "gzip"`. Derives validation, serde, `SCHEMA`, a
/// `<Name>Error` enum and `send`.
#[proc_macro_attribute]
pub fn aws_operation(args: TokenStream, item: TokenStream) -> TokenStream {
    run(ItemKind::Operation, args.into(), item.into()).into()
}

/// Declares a nested structure used in requests and responses.
#[proc_macro_attribute]
pub fn aws_shape(args: TokenStream, item: TokenStream) -> TokenStream {
    run(ItemKind::Shape, args.into(), item.into()).into()
}

/// Declares a string enum; an `Unknown(String)` variant keeps values this
/// client does not know.
#[proc_macro_attribute]
pub fn aws_enum(args: TokenStream, item: TokenStream) -> TokenStream {
    run(ItemKind::Enum, args.into(), item.into()).into()
}

/// Declares a modeled exception with its fields. It implements
/// `std::error::Error`, so the struct needs `#[derive(Debug)]`.
#[proc_macro_attribute]
pub fn aws_error(args: TokenStream, item: TokenStream) -> TokenStream {
    run(ItemKind::Error, args.into(), item.into()).into()
}

/// Declares a named constraint set on a unit struct:
/// `#[aws_constraint(length(..), pattern(..))]` or
/// `#[aws_constraint(range(..))]`, referenced from members and list items
/// with `#[constraints(Name)]`; its pattern is compiled once.
#[proc_macro_attribute]
pub fn aws_constraint(args: TokenStream, item: TokenStream) -> TokenStream {
    run(ItemKind::Constraint, args.into(), item.into()).into()
}

/// The pipeline of one macro: parse, check, then expand, or report every
/// error beside the fallback expansion.
fn run(kind: ItemKind, args: TokenStream2, item: TokenStream2) -> TokenStream2 {
    let cx = Ctxt::default();
    let args = parse::item_args(&cx, args, kind);
    let parsed: syn::Item = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(e) => {
            let err = e.to_compile_error();
            return quote!(#err #item);
        }
    };
    match (kind, parsed) {
        (ItemKind::Enum, syn::Item::Enum(e)) => {
            let model = check::enum_item(&cx, &args, &e);
            match cx.check() {
                Ok(()) => expand::enum_tokens(&model),
                Err(errors) => {
                    let fallback = expand::fallback::enum_item(&model.root, e);
                    quote!(#errors #fallback)
                }
            }
        }
        (ItemKind::Constraint, syn::Item::Struct(s)) => {
            let model = check::constraint_item(&cx, &args, &s);
            match cx.check() {
                Ok(()) => expand::constraint_tokens(&model),
                Err(errors) => {
                    let fallback = expand::fallback::struct_item(kind, &args, &model.root, s);
                    quote!(#errors #fallback)
                }
            }
        }
        (ItemKind::Enum, other) => wrong_item(
            &cx,
            &other,
            "`#[aws_enum]` goes on an enum of unit variants plus `Unknown(String)`; for a structure use `#[aws_shape]`",
        ),
        (_, syn::Item::Struct(s)) => {
            let model = check::struct_item(&cx, kind, &args, &s);
            match cx.check() {
                Ok(()) => expand::struct_tokens(&model),
                Err(errors) => {
                    let fallback = expand::fallback::struct_item(kind, &args, &model.root, s);
                    quote!(#errors #fallback)
                }
            }
        }
        (_, other) => {
            let hint = if matches!(other, syn::Item::Enum(_)) {
                "; for a string enum use `#[aws_enum]`"
            } else {
                ""
            };
            let what = if kind == ItemKind::Constraint {
                "a unit struct"
            } else {
                "a struct with named fields"
            };
            let message = format!("`#[{}]` goes on {what}{hint}", kind.macro_name());
            wrong_item(&cx, &other, &message)
        }
    }
}

/// The error for an item of the wrong kind, at its keyword, and the item.
fn wrong_item(cx: &Ctxt, item: &syn::Item, message: &str) -> TokenStream2 {
    cx.error_spanned_by(item_keyword(item), message);
    let errors = cx.check().err().unwrap_or_default();
    quote!(#errors #item)
}

fn item_keyword(item: &syn::Item) -> TokenStream2 {
    match item {
        syn::Item::Enum(e) => e.enum_token.to_token_stream(),
        syn::Item::Struct(s) => s.struct_token.to_token_stream(),
        syn::Item::Fn(f) => f.sig.fn_token.to_token_stream(),
        syn::Item::Union(u) => u.union_token.to_token_stream(),
        other => other.to_token_stream().into_iter().take(1).collect(),
    }
}
