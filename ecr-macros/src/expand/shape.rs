//! A struct item (`#[aws_shape]`, `#[aws_error]`, and the request of an
//! `#[aws_operation]`): the struct with serde's derives, its `SCHEMA`, its
//! validation, and for an error its `ModeledError` and `Display`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{path_string, rule_calls, schema_constraints};
use crate::ir::{Field, ItemKind, StructModel};
use crate::types::TypeShape;

/// The serde arguments of one field: its wire name, `None` not written,
/// and the awsJson adapter its type needs.
fn serde_args(f: &Field, root: &TokenStream) -> TokenStream {
    let wire = &f.wire_name;
    let mut args = vec![quote!(rename = #wire)];
    if f.ftype.optional {
        args.push(quote!(
            default,
            skip_serializing_if = "::core::option::Option::is_none"
        ));
    }
    let adapter = if f.base64 {
        Some("base64_blob".to_owned())
    } else if let Some(format) = f.timestamp_format {
        Some(format.adapter().to_owned())
    } else if f.ftype.shape.holds_float() {
        Some("float".to_owned())
    } else {
        None
    };
    if let Some(adapter) = adapter {
        let with = path_string(root, &adapter);
        args.push(quote!(with = #with));
    }
    quote!(#[serde(#(#args),*)])
}

fn field_validation(f: &Field, p: &TokenStream) -> TokenStream {
    let ident = &f.ident;
    let wire = &f.wire_name;
    let value = quote!(&self.#ident);
    let mut body = rule_calls(&f.rules, &f.ftype.shape, &value, p);
    if !f.each.is_empty() {
        let item_shape = f.ftype.shape.item().unwrap_or(TypeShape::Other);
        let item_calls = rule_calls(&f.each, &item_shape, &quote!(__ecr_item), p);
        body.extend(quote!(__ecr_v.each(#value, |__ecr_v, __ecr_item| { #item_calls });));
    }
    if f.ftype.shape.may_nest() && !f.base64 {
        body.extend(quote!(__ecr_v.nested(#value);));
    }
    if body.is_empty() {
        return body;
    }
    // enter/leave rather than a closure: one closure per field made a copy
    // of the runtime's helper per field, the largest share of ecrkit's
    // generated code.
    quote!(__ecr_v.enter(#wire); #body __ecr_v.leave();)
}

/// The struct and its serde impls.
fn definition(m: &StructModel, p: &TokenStream) -> TokenStream {
    let (ident, vis, attrs, root) = (&m.ident, &m.vis, &m.attrs, &m.root);
    let name = ident.to_string();
    if m.unit {
        return quote! {
            #(#attrs)*
            #vis struct #ident;
            impl #p::serde::Serialize for #ident {
                fn serialize<__S: #p::serde::Serializer>(&self, __ecr_s: __S) -> #p::Result<__S::Ok, __S::Error> {
                    #p::serialize_unit(#name, __ecr_s)
                }
            }
            impl<'de> #p::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: #p::serde::Deserializer<'de>>(__ecr_d: __D) -> #p::Result<Self, __D::Error> {
                    #p::deserialize_unit(__ecr_d)?;
                    #p::Result::Ok(#ident)
                }
            }
        };
    }
    // serde's derives reached through the runtime (a downstream crate
    // depends on the runtime alone). `remote = "Self"` makes the derives
    // inherent functions, which the trait impls call: deserialization goes
    // through `MapOnly`, so a structure is read from an object only.
    let serde_path = path_string(root, "serde");
    let fields = m.fields.iter().map(|f| {
        let (fattrs, fvis, fident, fty) = (&f.attrs, &f.vis, &f.ident, &f.ty);
        let args = serde_args(f, root);
        quote!(#(#fattrs)* #args #fvis #fident: #fty)
    });
    quote! {
        #(#attrs)*
        #[derive(#p::serde::Serialize, #p::serde::Deserialize)]
        #[serde(crate = #serde_path, remote = "Self")]
        #vis struct #ident { #(#fields,)* }
        impl #p::serde::Serialize for #ident {
            fn serialize<__S: #p::serde::Serializer>(&self, __ecr_s: __S) -> #p::Result<__S::Ok, __S::Error> {
                #ident::serialize(self, __ecr_s)
            }
        }
        impl<'de> #p::serde::Deserialize<'de> for #ident {
            fn deserialize<__D: #p::serde::Deserializer<'de>>(__ecr_d: __D) -> #p::Result<Self, __D::Error> {
                #ident::deserialize(#p::MapOnly(__ecr_d))
            }
        }
    }
}

/// `ModeledError`, `Display` and `Error` of an `#[aws_error]`.
fn error_impl(m: &StructModel, p: &TokenStream) -> TokenStream {
    let (ident, root) = (&m.ident, &m.root);
    let code = m.error_code.clone().unwrap_or_else(|| ident.to_string());
    let message_field = m.fields.iter().find(|f| f.wire_name == "message");
    let message = message_field.map(|f| {
        let fident = &f.ident;
        quote! {
            if let ::core::option::Option::Some(__ecr_m) = #root::validate::AsStr::as_str(&self.#fident) {
                ::core::write!(__ecr_f, ": {}", __ecr_m)?;
            }
        }
    });
    // The message may arrive as `message`, `Message` or `errorMessage`;
    // the runtime finds it and fills the field if the body's key differed.
    let fill = message_field.map(|f| {
        let fident = &f.ident;
        quote! {
            fn fill_message(&mut self, __ecr_m: ::core::option::Option<&str>) {
                #p::MessageSlot::fill(&mut self.#fident, __ecr_m);
            }
        }
    });
    quote! {
        impl #p::ModeledError for #ident {
            const CODE: &'static str = #code;
            #fill
        }
        impl ::core::fmt::Display for #ident {
            fn fmt(&self, __ecr_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __ecr_f.write_str(#code)?;
                #message
                ::core::result::Result::Ok(())
            }
        }
        impl ::std::error::Error for #ident {}
    }
}

/// Everything a checked struct expands to.
pub fn struct_tokens(m: &StructModel) -> TokenStream {
    let root = &m.root;
    let p = quote!(#root::__private);
    let ident = &m.ident;
    let name = ident.to_string();
    let definition = definition(m, &p);
    let validations = m.fields.iter().map(|f| field_validation(f, &p));
    let schema_members = m.fields.iter().map(|f| {
        let (fident, wire, fty) = (f.ident.to_string(), &f.wire_name, &f.ty);
        let kind = if f.base64 {
            quote!(#p::Kind::Blob)
        } else {
            quote!(<#fty as #p::SchemaType>::KIND)
        };
        let required = !f.ftype.optional;
        let constraints = schema_constraints(&f.rules, &p);
        let items = schema_constraints(&f.each, &p);
        quote!(#p::Member { field: #fident, wire_name: #wire, kind: #kind, required: #required, constraints: #constraints, item_constraints: #items })
    });
    let (target, output, errors) = match &m.operation {
        Some(op) => {
            let out = &op.output;
            let codes = op
                .errors
                .iter()
                .map(|e| quote!(<#e as #p::ModeledError>::CODE));
            (
                quote!(::core::option::Option::Some(<#ident as #p::Operation>::TARGET)),
                quote!(::core::option::Option::Some(<#out as #p::Shape>::schema)),
                quote!(&[#(#codes),*]),
            )
        }
        None => (
            quote!(::core::option::Option::None),
            quote!(::core::option::Option::None),
            quote!(&[]),
        ),
    };
    let validate_impl = (m.kind != ItemKind::Error).then(|| {
        quote! {
            impl #p::Validate for #ident {
                fn validate_into(&self, __ecr_v: &mut #p::Validator) {
                    let _ = &__ecr_v;
                    #(#validations)*
                }
            }
        }
    });
    let error_impl = (m.kind == ItemKind::Error).then(|| error_impl(m, &p));
    let operation_impl = m
        .operation
        .as_ref()
        .map(|op| super::operation::operation_tokens(m, op, &p));
    quote! {
        #definition
        const _: () = {
            impl #p::Shape for #ident {
                const SCHEMA: &'static #p::Schema = &#p::Schema {
                    name: #name,
                    target: #target,
                    members: &[#(#schema_members),*],
                    output: #output,
                    errors: #errors,
                };
            }
            impl #p::SchemaType for #ident {
                const KIND: #p::Kind = #p::Kind::Structure(<#ident as #p::Shape>::schema);
            }
            #validate_impl
            #error_impl
        };
        #operation_impl
    }
}
