//! What an item expands to when checking failed: the item as written (our
//! attributes stripped) and the impls and items the macro would have
//! generated, with bodies that are never run (the build fails on the
//! macro's own error). Code that uses the item then compiles as far as it
//! would have, so one mistake gives one error, not a cascade of "no method
//! named `send`" (thiserror's `fallback.rs`, clap_derive's dummies).

use proc_macro2::TokenStream;
use quote::quote;

use super::operation::{error_enum, inherent};
use super::{strip_enum_helpers, strip_helpers};
use crate::ir::ItemKind;
use crate::parse::ItemArgs;

const NEVER: &str = "this item failed to expand; the build reports why";

/// The impls every struct item gets.
fn struct_impls(ident: &syn::Ident, p: &TokenStream) -> TokenStream {
    let name = ident.to_string();
    quote! {
        impl #p::serde::Serialize for #ident {
            fn serialize<__S: #p::serde::Serializer>(&self, _: __S) -> #p::Result<__S::Ok, __S::Error> {
                ::core::unreachable!(#NEVER)
            }
        }
        impl<'de> #p::serde::Deserialize<'de> for #ident {
            fn deserialize<__D: #p::serde::Deserializer<'de>>(_: __D) -> #p::Result<Self, __D::Error> {
                ::core::unreachable!(#NEVER)
            }
        }
        impl #p::Shape for #ident {
            const SCHEMA: &'static #p::Schema = &#p::Schema {
                name: #name,
                target: ::core::option::Option::None,
                members: &[],
                output: ::core::option::Option::None,
                errors: &[],
            };
        }
        impl #p::SchemaType for #ident {
            const KIND: #p::Kind = #p::Kind::Structure(<#ident as #p::Shape>::schema);
        }
        impl #p::Validate for #ident {
            fn validate_into(&self, _: &mut #p::Validator) {}
        }
    }
}

/// A failed `#[aws_operation]`, `#[aws_shape]`, `#[aws_error]` or
/// `#[aws_constraint]` struct.
pub fn struct_item(
    kind: ItemKind,
    args: &ItemArgs,
    root: &TokenStream,
    item: syn::ItemStruct,
) -> TokenStream {
    let p = quote!(#root::__private);
    let ident = item.ident.clone();
    let vis = item.vis.clone();
    let generic = !item.generics.params.is_empty();
    let stripped = strip_helpers(item);
    if generic {
        // Impls for `Ping` of a `Ping<T>` would be errors of their own.
        return quote!(#stripped);
    }
    let extra = match kind {
        ItemKind::Constraint => quote! {
            impl #p::NamedConstraint for #ident {
                const NAME: &'static str = "";
                const CONSTRAINTS: &'static [#p::Constraint] = &[];
            }
            impl #p::StringConstraint for #ident {
                fn check<__T: #p::HasLength + #p::AsStr + ?::core::marker::Sized>(_: &__T, _: &mut #p::Validator) {}
            }
            impl #p::NumberConstraint for #ident {
                fn check<__T: #p::AsNumber + ?::core::marker::Sized>(_: &__T, _: &mut #p::Validator) {}
            }
            impl #p::LengthConstraint for #ident {
                fn check<__T: #p::HasLength + ?::core::marker::Sized>(_: &__T, _: &mut #p::Validator) {}
            }
        },
        ItemKind::Error => {
            let code = ident.to_string();
            let impls = struct_impls(&ident, &p);
            quote! {
                #impls
                impl #p::ModeledError for #ident {
                    const CODE: &'static str = #code;
                }
                impl ::core::fmt::Display for #ident {
                    fn fmt(&self, _: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        ::core::unreachable!(#NEVER)
                    }
                }
                impl ::std::error::Error for #ident {}
            }
        }
        ItemKind::Shape => struct_impls(&ident, &p),
        ItemKind::Operation => {
            let errors = args.attrs.paths("errors").unwrap_or_default().to_vec();
            let variants: Vec<syn::Ident> = errors
                .iter()
                .filter_map(|e| e.segments.last().map(|s| s.ident.clone()))
                .collect();
            let output = args
                .attrs
                .ty("output")
                .map_or_else(|| quote!(()), |t| quote!(#t));
            let service = args
                .attrs
                .path("service")
                .map_or_else(|| quote!(#p::Ecr), |s| quote!(#s));
            let error_ident = quote::format_ident!("{}Error", ident);
            let name = ident.to_string();
            let enum_tokens = error_enum(&ident, &vis, &errors, &variants, &p);
            let inherent = inherent(&ident, &name, &output, &p);
            let impls = struct_impls(&ident, &p);
            quote! {
                #impls
                #enum_tokens
                impl #p::Operation for #ident {
                    type Output = #output;
                    type Error = #error_ident;
                    type Service = #service;
                    const NAME: &'static str = #name;
                    const TARGET: &'static str = #name;
                }
                #inherent
            }
        }
        ItemKind::Enum => TokenStream::new(),
    };
    quote!(#stripped #extra)
}

/// A failed `#[aws_enum]`.
pub fn enum_item(root: &TokenStream, item: syn::ItemEnum) -> TokenStream {
    let p = quote!(#root::__private);
    let ident = item.ident.clone();
    let generic = !item.generics.params.is_empty();
    let stripped = strip_enum_helpers(item);
    if generic {
        return quote!(#stripped);
    }
    quote! {
        #stripped
        impl #ident {
            /// Every value this client knows, as sent on the wire.
            pub const VALUES: &'static [&'static str] = &[];
            /// The wire value.
            pub fn as_str(&self) -> &str {
                ::core::unreachable!(#NEVER)
            }
        }
        impl ::core::convert::From<&str> for #ident {
            fn from(_: &str) -> Self {
                ::core::unreachable!(#NEVER)
            }
        }
        impl ::core::fmt::Display for #ident {
            fn fmt(&self, _: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::unreachable!(#NEVER)
            }
        }
        impl #p::serde::Serialize for #ident {
            fn serialize<__S: #p::serde::Serializer>(&self, _: __S) -> #p::Result<__S::Ok, __S::Error> {
                ::core::unreachable!(#NEVER)
            }
        }
        impl<'de> #p::serde::Deserialize<'de> for #ident {
            fn deserialize<__D: #p::serde::Deserializer<'de>>(_: __D) -> #p::Result<Self, __D::Error> {
                ::core::unreachable!(#NEVER)
            }
        }
        impl #p::Validate for #ident {
            fn validate_into(&self, _: &mut #p::Validator) {}
        }
        impl #p::SchemaType for #ident {
            const KIND: #p::Kind = #p::Kind::Enum(&[]);
        }
    }
}
