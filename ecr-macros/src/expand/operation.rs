//! What an `#[aws_operation]` adds to its struct: `impl Operation`, the
//! `<Name>Error` enum, and the inherent `SCHEMA`, `validate` and `send`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use crate::ir::{OperationModel, StructModel, Target};

/// The `TARGET` constant's value: the literal, or the named service's
/// prefix joined with the struct's name when the program compiles.
fn target_value(
    m: &StructModel,
    op: &OperationModel,
    service: &TokenStream,
    p: &TokenStream,
) -> TokenStream {
    match &op.target {
        Target::Literal { value, .. } => quote!(#value),
        Target::FromService => {
            let name = m.ident.to_string();
            quote! {{
                const __ECR_PREFIX: &str = <#service as #p::Service>::INFO.target_prefix;
                const __ECR_LEN: usize = __ECR_PREFIX.len() + 1 + #name.len();
                const __ECR_BYTES: [u8; __ECR_LEN] = #p::join_target::<__ECR_LEN>(__ECR_PREFIX, #name);
                #p::target_str(&__ECR_BYTES)
            }}
        }
    }
}

/// A written target of a named service must start with the service's
/// prefix: the macro cannot see that constant, so the check is a constant
/// of its own, with the error pointing at `target`.
fn prefix_check(op: &OperationModel, p: &TokenStream) -> Option<TokenStream> {
    let (Some(s), Target::Literal { value, span }) = (&op.service, &op.target) else {
        return None;
    };
    let span = *span;
    let at_target = super::respan(p.clone(), span);
    let target = syn::LitStr::new(value, span);
    Some(quote_spanned! {span=>
        const _: () = #at_target::check_target_prefix(<#s as #p::Service>::INFO.target_prefix, #target);
    })
}

/// The variant names of the error enum: the last segment of each type.
fn variant_idents(op: &OperationModel) -> Vec<syn::Ident> {
    op.errors
        .iter()
        .map(|e| {
            e.segments
                .last()
                .map(|s| s.ident.clone())
                .unwrap_or_else(|| format_ident!("Error"))
        })
        .collect()
}

/// The `<Name>Error` enum and its impls.
pub fn error_enum(
    ident: &syn::Ident,
    vis: &syn::Visibility,
    errors: &[syn::Path],
    variants: &[syn::Ident],
    p: &TokenStream,
) -> TokenStream {
    let error_ident = format_ident!("{}Error", ident);
    let doc_error = format!("The errors `{ident}` can return.");
    quote! {
        #[doc = #doc_error]
        #[derive(Debug)]
        #[non_exhaustive]
        #vis enum #error_ident {
            #(
                #[doc = ::core::concat!("`", ::core::stringify!(#variants), "`, with its modeled fields.")]
                #variants(#errors),
            )*
            /// An error this operation does not model; code, message, status and request id are kept.
            Unmodeled(#p::UnmodeledError),
        }

        impl #p::OperationError for #error_ident {
            fn from_response(__ecr_code: &str, __ecr_body: &[u8], __ecr_meta: &#p::ErrorMeta) -> Self {
                #(
                    if __ecr_code == <#errors as #p::ModeledError>::CODE {
                        if let ::core::option::Option::Some(__ecr_e) = #p::parse_modeled::<#errors>(__ecr_body, __ecr_meta) {
                            return Self::#variants(__ecr_e);
                        }
                    }
                )*
                Self::Unmodeled(#p::unmodeled(__ecr_meta))
            }
            fn code(&self) -> &str {
                match self {
                    #( Self::#variants(_) => <#errors as #p::ModeledError>::CODE, )*
                    Self::Unmodeled(__ecr_e) => &__ecr_e.code,
                }
            }
        }

        impl ::core::fmt::Display for #error_ident {
            fn fmt(&self, __ecr_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #( Self::#variants(__ecr_e) => ::core::fmt::Display::fmt(__ecr_e, __ecr_f), )*
                    Self::Unmodeled(__ecr_e) => ::core::fmt::Display::fmt(__ecr_e, __ecr_f),
                }
            }
        }

        impl ::std::error::Error for #error_ident {}
    }
}

/// The inherent items every operation has: `SCHEMA`, `validate`, `send`.
pub fn inherent(
    ident: &syn::Ident,
    op_name: &str,
    output: &TokenStream,
    p: &TokenStream,
) -> TokenStream {
    let error_ident = format_ident!("{}Error", ident);
    let doc_send = format!("Validates and sends this `{op_name}` request.");
    quote! {
        impl #ident {
            /// The schema of this request: every member, its wire name, type and constraints.
            pub const SCHEMA: &'static #p::Schema = <Self as #p::Shape>::SCHEMA;

            /// Checks this request against the model's constraints and returns
            /// every violation at once, without a client: the check `send`
            /// makes under `ValidationMode::Enforce`.
            pub fn validate(&self) -> #p::Result<(), #p::ValidationError> {
                <Self as #p::Operation>::validate(self)
            }

            #[doc = #doc_send]
            pub async fn send(&self, client: &#p::Client) -> #p::Result<#output, #p::Error<#error_ident>> {
                client.send(self).await
            }
        }
    }
}

/// Everything an operation adds to its checked struct.
pub fn operation_tokens(m: &StructModel, op: &OperationModel, p: &TokenStream) -> TokenStream {
    let (ident, vis) = (&m.ident, &m.vis);
    let error_ident = format_ident!("{}Error", ident);
    let (op_name, output) = (&op.name, &op.output);
    let service = match &op.service {
        Some(s) => quote!(#s),
        None => quote!(#p::Ecr),
    };
    let target = target_value(m, op, &service, p);
    let prefix_check = prefix_check(op, p);
    let variants = variant_idents(op);
    let error_enum = error_enum(ident, vis, &op.errors, &variants, p);
    let blob_hint = m.fields.iter().filter(|f| f.base64).map(|f| {
        let fident = &f.ident;
        quote!(+ #p::base64_blob::Blob::bytes(&self.#fident).map_or(0, |b| b.len() / 3 * 4 + 8))
    });
    let host_prefix = op.host_prefix.as_ref().map(|h| {
        let template = &h.template;
        let labels = h.labels.iter().map(|(label, field)| quote!((#label, self.#field.as_str())));
        quote! {
            fn host_prefix(&self) -> ::core::option::Option<#p::Result<#p::String, #p::ValidationError>> {
                ::core::option::Option::Some(#p::host_prefix(#op_name, #template, &[#(#labels),*]))
            }
        }
    });
    let compression = op.request_compression.as_ref().map(|_| {
        quote!(
            const REQUEST_COMPRESSION: bool = true;
        )
    });
    let inherent = inherent(ident, op_name, &quote!(#output), p);
    quote! {
        #prefix_check

        #error_enum

        impl #p::Operation for #ident {
            type Output = #output;
            type Error = #error_ident;
            type Service = #service;
            const NAME: &'static str = #op_name;
            const TARGET: &'static str = #target;
            #compression
            fn body_size_hint(&self) -> usize {
                256 #(#blob_hint)*
            }
            #host_prefix
        }

        #inherent
    }
}
