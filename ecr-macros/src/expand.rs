//! Emits the generated code. It stays thin: each member becomes one call
//! into the runtime (`ecrkit::__private`), which holds the logic.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::attr::{self, Num};
use crate::check;
use crate::ctxt::Ctxt;
use crate::ir::{EnumModel, Field, ItemKind, Rules, StructModel, TypeShape};

/// The whole pipeline of one macro: parse, check, expand (or report).
pub fn run(kind: ItemKind, args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::default();
    let allowed: &[&str] = match kind {
        ItemKind::Operation => &["target", "output", "errors", "service", "crate"],
        ItemKind::Shape | ItemKind::Enum => &["crate"],
        ItemKind::Error => &["code", "crate"],
    };
    let args = attr::item_args(&cx, args, kind.macro_name(), allowed);
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
            if cx.has_errors() {
                let errors = cx.into_compile_errors();
                let stripped = strip_enum_helpers(e);
                return quote!(#errors #stripped);
            }
            enum_tokens(&model)
        }
        (ItemKind::Enum, other) => {
            cx.error_spanned_by(
                item_keyword(&other),
                "`#[aws_enum]` goes on an enum of unit variants plus `Unknown(String)`; for a structure use `#[aws_shape]`",
            );
            let errors = cx.into_compile_errors();
            quote!(#errors #other)
        }
        (_, syn::Item::Struct(s)) => {
            let model = check::struct_item(&cx, kind, &args, &s);
            if cx.has_errors() {
                let errors = cx.into_compile_errors();
                let stripped = strip_helpers(s);
                return quote!(#errors #stripped);
            }
            struct_tokens(&model)
        }
        (_, other) => {
            let hint = if matches!(other, syn::Item::Enum(_)) {
                "; for a string enum use `#[aws_enum]`"
            } else {
                ""
            };
            cx.error_spanned_by(
                item_keyword(&other),
                format!(
                    "`#[{}]` goes on a struct with named fields{hint}",
                    kind.macro_name()
                ),
            );
            let errors = cx.into_compile_errors();
            quote!(#errors #other)
        }
    }
}

fn item_keyword(item: &syn::Item) -> TokenStream {
    match item {
        syn::Item::Enum(e) => {
            let t = e.enum_token;
            quote!(#t)
        }
        syn::Item::Struct(s) => {
            let t = s.struct_token;
            quote!(#t)
        }
        syn::Item::Fn(f) => {
            let t = f.sig.fn_token;
            quote!(#t)
        }
        syn::Item::Union(u) => {
            let t = u.union_token;
            quote!(#t)
        }
        other => quote!(#other),
    }
    .into_iter()
    .take(1)
    .collect()
}

/// The item as written, minus our field attributes, so that one mistake
/// does not cascade into "cannot find attribute" errors.
fn strip_helpers(mut s: syn::ItemStruct) -> syn::ItemStruct {
    for f in s.fields.iter_mut() {
        f.attrs.retain(|a| !attr::is_helper(a));
    }
    s
}

/// The enum as written, minus `rename` and discriminants, so a failed
/// `#[aws_enum]` reports only its own errors.
fn strip_enum_helpers(mut e: syn::ItemEnum) -> syn::ItemEnum {
    for v in e.variants.iter_mut() {
        v.attrs
            .retain(|a| !a.path().is_ident("rename") && !attr::is_helper(a));
        v.discriminant = None;
    }
    e
}

fn lit_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(v) => {
            let l = Literal::u64_unsuffixed(v);
            quote!(::core::option::Option::Some(#l))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// A range bound typed by inference from the field (`Some(0)` for an `i64`).
fn lit_num(v: Option<Num>, shape: &TypeShape) -> TokenStream {
    let float = matches!(shape, TypeShape::Float { .. });
    match v {
        None => quote!(::core::option::Option::None),
        Some(Num::Int(i)) if float => {
            let l = Literal::f64_unsuffixed(i as f64);
            quote!(::core::option::Option::Some(#l))
        }
        Some(Num::Int(i)) => {
            let l = Literal::i128_unsuffixed(i);
            quote!(::core::option::Option::Some(#l))
        }
        Some(Num::Float(f)) => {
            let l = Literal::f64_unsuffixed(f);
            quote!(::core::option::Option::Some(#l))
        }
    }
}

fn schema_num(v: Option<Num>, p: &TokenStream) -> TokenStream {
    match v {
        None => quote!(::core::option::Option::None),
        Some(Num::Int(i)) => {
            let l = Literal::i128_unsuffixed(i);
            quote!(::core::option::Option::Some(#p::Number::Int(#l)))
        }
        Some(Num::Float(f)) => {
            let l = Literal::f64_unsuffixed(f);
            quote!(::core::option::Option::Some(#p::Number::Float(#l)))
        }
    }
}

/// `tokens` with every span set to `span`, so that an error raised inside
/// what they expand to points at `span`.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                t = proc_macro2::TokenTree::Group(group);
            }
            t.set_span(span);
            t
        })
        .collect()
}

/// The validation calls of one value.
fn rule_calls(
    rules: &Rules,
    shape: &TypeShape,
    value: &TokenStream,
    p: &TokenStream,
) -> TokenStream {
    let mut calls = TokenStream::new();
    if let Some((min, max)) = rules.length {
        let (min, max) = (lit_u64(min), lit_u64(max));
        calls.extend(quote!(__ecr_v.length(#value, #min, #max);));
    }
    if let Some((min, max)) = rules.range {
        let (min, max) = (lit_num(min, shape), lit_num(max, shape));
        calls.extend(quote!(__ecr_v.range(#value, #min, #max);));
    }
    if let Some(pattern) = &rules.pattern {
        let source = &pattern.source;
        // A Unicode pattern goes through a macro of the runtime that is a
        // compile error, at the pattern, when its feature is off.
        let new = if pattern.unicode {
            let p = respan(p.clone(), pattern.span);
            quote_spanned!(pattern.span=> #p::__unicode_pattern!(#source))
        } else {
            quote!(#p::Pattern::new(#source))
        };
        calls.extend(quote! {
            __ecr_v.pattern(#value, {
                static __ECR_PATTERN: #p::Pattern = #new;
                &__ECR_PATTERN
            });
        });
    }
    calls
}

fn schema_constraints(rules: &Rules, p: &TokenStream) -> TokenStream {
    let mut items = Vec::new();
    if let Some((min, max)) = rules.length {
        let (min, max) = (lit_u64(min), lit_u64(max));
        items.push(quote!(#p::Constraint::Length { min: #min, max: #max }));
    }
    if let Some((min, max)) = rules.range {
        let (min, max) = (schema_num(min, p), schema_num(max, p));
        items.push(quote!(#p::Constraint::Range { min: #min, max: #max }));
    }
    if let Some(pattern) = &rules.pattern {
        let source = &pattern.source;
        items.push(quote!(#p::Constraint::Pattern(#source)));
    }
    quote!(&[#(#items),*])
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

fn struct_tokens(m: &StructModel) -> TokenStream {
    let root = &m.root;
    let p = quote!(#root::__private);
    let ident = &m.ident;
    let vis = &m.vis;
    let attrs = &m.attrs;
    let name = ident.to_string();

    // The struct as written (minus the DSL's attributes), with serde's
    // derives reached through the runtime (a downstream crate depends on
    // the runtime alone). `remote = "Self"` makes the derives inherent
    // functions, which the trait impls below call: deserialization goes
    // through `MapOnly`, so a structure is read from an object only.
    let serde_path = format!("{}::__private::serde", root.to_string().replace(' ', ""));
    let adapter = |name: &str| format!("{}::__private::{name}", root.to_string().replace(' ', ""));
    let fields = m.fields.iter().map(|f| {
        let (fattrs, fvis, fident, fty, wire) = (&f.attrs, &f.vis, &f.ident, &f.ty, &f.wire_name);
        let mut serde_args = vec![quote!(rename = #wire)];
        if f.ftype.optional {
            serde_args.push(quote!(
                default,
                skip_serializing_if = "::core::option::Option::is_none"
            ));
        }
        if f.base64 {
            let with = adapter("base64_blob");
            serde_args.push(quote!(with = #with));
        } else if f.ftype.shape.holds_float() {
            let with = adapter("float");
            serde_args.push(quote!(with = #with));
        }
        quote!(#(#fattrs)* #[serde(#(#serde_args),*)] #fvis #fident: #fty)
    });
    let definition = if m.unit {
        quote! {
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
        }
    } else {
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
    };

    let validations = m.fields.iter().map(|f| field_validation(f, &p));
    let schema_members = m.fields.iter().map(|f| {
        let (fident, wire, fty) = (f.ident.to_string(), &f.wire_name, &f.ty);
        let kind = if f.base64 { quote!(#p::Kind::Blob) } else { quote!(<#fty as #p::SchemaType>::KIND) };
        let required = !f.ftype.optional;
        let constraints = schema_constraints(&f.rules, &p);
        let items = schema_constraints(&f.each, &p);
        quote!(#p::Member { field: #fident, wire_name: #wire, kind: #kind, required: #required, constraints: #constraints, item_constraints: #items })
    });
    let (target, output, errors) = match &m.operation {
        Some(op) => {
            let (t, out) = (&op.target, &op.output);
            let codes = op
                .errors
                .iter()
                .map(|e| quote!(<#e as #p::ModeledError>::CODE));
            (
                quote!(::core::option::Option::Some(#t)),
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

    let error_impl = (m.kind == ItemKind::Error).then(|| {
        let code = m.error_code.clone().unwrap_or_else(|| name.clone());
        let message = m.fields.iter().find(|f| f.wire_name == "message").map(|f| {
            let fident = &f.ident;
            quote! {
                if let ::core::option::Option::Some(__ecr_m) = #root::validate::AsStr::as_str(&self.#fident) {
                    ::core::write!(__ecr_f, ": {}", __ecr_m)?;
                }
            }
        });
        // The message may arrive as `message`, `Message` or `errorMessage`;
        // the runtime finds it and fills the field if the body's key differed.
        let fill = m.fields.iter().find(|f| f.wire_name == "message").map(|f| {
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
    });

    let operation_impl = m.operation.as_ref().map(|op| operation_tokens(m, op, &p));

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

fn operation_tokens(
    m: &StructModel,
    op: &crate::ir::OperationModel,
    p: &TokenStream,
) -> TokenStream {
    let ident = &m.ident;
    let vis = &m.vis;
    let error_ident = format_ident!("{}Error", ident);
    let (target, op_name, output) = (&op.target, &op.name, &op.output);
    let service = match &op.service {
        Some(s) => quote!(#s),
        None => quote!(#p::Ecr),
    };
    // ECR's prefix is checked by the macro itself (check.rs); a named
    // service's is a constant the macro cannot see, so the check runs as a
    // constant, with the error pointing at `target`.
    let prefix_check = op.service.as_ref().map(|s| {
        let span = op.target_span;
        let at_target: TokenStream = p
            .clone()
            .into_iter()
            .map(|mut token| {
                token.set_span(span);
                token
            })
            .collect();
        let target = syn::LitStr::new(target, span);
        quote_spanned! {span=>
            const _: () = #at_target::check_target_prefix(<#s as #p::Service>::INFO.target_prefix, #target);
        }
    });
    let variant_idents: Vec<_> = op
        .errors
        .iter()
        .map(|e| {
            e.segments
                .last()
                .map(|s| s.ident.clone())
                .unwrap_or_else(|| format_ident!("Error"))
        })
        .collect();
    let errors = &op.errors;
    let blob_hint = m.fields.iter().filter(|f| f.base64).map(|f| {
        let fident = &f.ident;
        quote!(+ #p::base64_blob::Blob::bytes(&self.#fident).map_or(0, |b| b.len() / 3 * 4 + 8))
    });
    let doc_error = format!("The errors `{}` can return.", ident);
    let doc_send = format!("Validates and sends this `{op_name}` request.");
    quote! {
        #prefix_check

        #[doc = #doc_error]
        #[derive(Debug)]
        #[non_exhaustive]
        #vis enum #error_ident {
            #(
                #[doc = ::core::concat!("`", ::core::stringify!(#variant_idents), "`, with its modeled fields.")]
                #variant_idents(#errors),
            )*
            /// An error this operation does not model; code, message, status and request id are kept.
            Unmodeled(#p::UnmodeledError),
        }

        impl #p::OperationError for #error_ident {
            fn from_response(__ecr_code: &str, __ecr_body: &[u8], __ecr_meta: &#p::ErrorMeta) -> Self {
                #(
                    if __ecr_code == <#errors as #p::ModeledError>::CODE {
                        if let ::core::option::Option::Some(__ecr_e) = #p::parse_modeled::<#errors>(__ecr_body, __ecr_meta) {
                            return Self::#variant_idents(__ecr_e);
                        }
                    }
                )*
                Self::Unmodeled(#p::unmodeled(__ecr_meta))
            }
            fn code(&self) -> &str {
                match self {
                    #( Self::#variant_idents(_) => <#errors as #p::ModeledError>::CODE, )*
                    Self::Unmodeled(__ecr_e) => &__ecr_e.code,
                }
            }
        }

        impl ::core::fmt::Display for #error_ident {
            fn fmt(&self, __ecr_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #( Self::#variant_idents(__ecr_e) => ::core::fmt::Display::fmt(__ecr_e, __ecr_f), )*
                    Self::Unmodeled(__ecr_e) => ::core::fmt::Display::fmt(__ecr_e, __ecr_f),
                }
            }
        }

        impl ::std::error::Error for #error_ident {}

        impl #p::Operation for #ident {
            type Output = #output;
            type Error = #error_ident;
            type Service = #service;
            const NAME: &'static str = #op_name;
            const TARGET: &'static str = #target;
            fn body_size_hint(&self) -> usize {
                256 #(#blob_hint)*
            }
        }

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

fn enum_tokens(m: &EnumModel) -> TokenStream {
    let root = &m.root;
    let p = quote!(#root::__private);
    let (ident, vis, attrs) = (&m.ident, &m.vis, &m.attrs);
    let name = ident.to_string();
    let vidents: Vec<_> = m.variants.iter().map(|v| &v.ident).collect();
    let vattrs: Vec<_> = m.variants.iter().map(|v| &v.attrs).collect();
    let wires: Vec<_> = m.variants.iter().map(|v| &v.wire).collect();
    let unknown_attrs = &m.unknown_attrs;
    let unknown_doc = if unknown_attrs.iter().any(|a| a.path().is_ident("doc")) {
        quote!()
    } else {
        quote!(#[doc = "A value this client does not know, kept as sent."])
    };
    quote! {
        #(#attrs)*
        #vis enum #ident {
            #( #(#vattrs)* #vidents, )*
            #(#unknown_attrs)*
            #unknown_doc
            Unknown(#p::String),
        }

        impl #ident {
            /// Every value this client knows, as sent on the wire.
            pub const VALUES: &'static [&'static str] = &[#(#wires),*];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#vidents => #wires, )*
                    Self::Unknown(__ecr_s) => __ecr_s,
                }
            }
        }

        impl ::core::convert::From<&str> for #ident {
            fn from(__ecr_s: &str) -> Self {
                match __ecr_s {
                    #( #wires => Self::#vidents, )*
                    __ecr_other => Self::Unknown(__ecr_other.into()),
                }
            }
        }

        impl ::core::fmt::Display for #ident {
            fn fmt(&self, __ecr_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                __ecr_f.write_str(self.as_str())
            }
        }

        const _: () = {
            impl #p::serde::Serialize for #ident {
                fn serialize<__S: #p::serde::Serializer>(&self, __ecr_s: __S) -> #p::Result<__S::Ok, __S::Error> {
                    __ecr_s.serialize_str(self.as_str())
                }
            }
            impl<'de> #p::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: #p::serde::Deserializer<'de>>(__ecr_d: __D) -> #p::Result<Self, __D::Error> {
                    #p::deserialize_enum(__ecr_d)
                }
            }
            impl #p::Validate for #ident {
                fn validate_into(&self, __ecr_v: &mut #p::Validator) {
                    if let Self::Unknown(__ecr_s) = self {
                        __ecr_v.report(::std::format!(
                            "{:?} is not a known {} value; expected one of {}",
                            __ecr_s, #name, Self::VALUES.join(", ")
                        ));
                    }
                }
            }
            impl #p::SchemaType for #ident {
                const KIND: #p::Kind = #p::Kind::Enum(#ident::VALUES);
            }
        };
    }
}
