//! Emits the generated code. It stays thin: each member becomes one call
//! into the runtime (`ecrkit::__private`), which holds the logic. One file
//! per kind of item; `fallback` is what is emitted when checking failed.

mod constraint;
mod enum_item;
pub mod fallback;
mod operation;
mod shape;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};

use crate::ir::Num;
use crate::ir::Rules;
use crate::parse;
use crate::types::TypeShape;

pub use constraint::constraint_tokens;
pub use enum_item::enum_tokens;
pub use shape::struct_tokens;

/// `tokens` with every span set to `span`, so that an error raised inside
/// what they expand to points at `span`.
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
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

/// The item as written, minus our field attributes, so that one mistake
/// does not cascade into "cannot find attribute" errors.
pub fn strip_helpers(mut s: syn::ItemStruct) -> syn::ItemStruct {
    for f in s.fields.iter_mut() {
        f.attrs.retain(|a| !parse::is_helper(a));
    }
    s
}

/// The enum as written, minus `rename` and discriminants, so a failed
/// `#[aws_enum]` reports only its own errors.
pub fn strip_enum_helpers(mut e: syn::ItemEnum) -> syn::ItemEnum {
    for v in e.variants.iter_mut() {
        v.attrs
            .retain(|a| !a.path().is_ident("rename") && !parse::is_helper(a));
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

/// A bound as the runtime's `Number`.
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

/// `static __ECR_PATTERN: Pattern = ..;` for a pattern: regex-lite, or the
/// full engine behind the runtime's `unicode-patterns` feature (a compile
/// error at the pattern when it is off).
fn pattern_static(pattern: &crate::ir::PatternRule, p: &TokenStream) -> TokenStream {
    let source = &pattern.source;
    let engine = pattern.engine.as_deref().unwrap_or(source);
    let new = if pattern.unicode {
        let p = respan(p.clone(), pattern.span);
        quote_spanned!(pattern.span=> #p::__unicode_pattern!(#source, #engine))
    } else if engine == source {
        quote!(#p::Pattern::new(#source))
    } else {
        quote!(#p::Pattern::in_dialect(#source, #engine))
    };
    quote!(static __ECR_PATTERN: #p::Pattern = #new;)
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
        let stat = pattern_static(pattern, p);
        calls.extend(quote! {
            __ecr_v.pattern(#value, {
                #stat
                &__ECR_PATTERN
            });
        });
    }
    if let Some(named) = &rules.named {
        // The set checks values of one kind; the call names the trait of
        // the field's kind, and an error points at the set as written.
        let span = syn::spanned::Spanned::span(named);
        let kind = if shape.is_numeric() {
            quote_spanned!(span=> NumberConstraint)
        } else if *shape == TypeShape::String {
            quote_spanned!(span=> StringConstraint)
        } else {
            quote_spanned!(span=> LengthConstraint)
        };
        let at = respan(p.clone(), span);
        calls.extend(quote_spanned!(span=> <#named as #at::#kind>::check(#value, __ecr_v);));
    }
    calls
}

/// The `&[Constraint]` of one value for its schema.
fn schema_constraints(rules: &Rules, p: &TokenStream) -> TokenStream {
    if let Some(named) = &rules.named {
        return quote!(<#named as #p::NamedConstraint>::CONSTRAINTS);
    }
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

/// The path of the runtime's private module as serde's `crate = ".."` and
/// `with = ".."` take it: a string.
fn path_string(root: &TokenStream, rest: &str) -> String {
    format!("{}::__private::{rest}", root.to_string().replace(' ', ""))
}
