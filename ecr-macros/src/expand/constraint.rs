//! A named constraint set (`#[aws_constraint(..)]`): the unit struct, its
//! constraints for schemas, and the checks of the kinds of value it fits.
//! Its pattern is one static, compiled once for every member that names
//! the set.

use proc_macro2::TokenStream;
use quote::quote;

use super::{lit_u64, pattern_static, schema_constraints, schema_num};
use crate::ir::ConstraintModel;

/// Everything a checked `#[aws_constraint(..)]` expands to.
pub fn constraint_tokens(m: &ConstraintModel) -> TokenStream {
    let root = &m.root;
    let p = quote!(#root::__private);
    let (ident, vis, attrs) = (&m.ident, &m.vis, &m.attrs);
    let name = ident.to_string();
    let constraints = schema_constraints(&m.rules, &p);
    let mut checks = TokenStream::new();
    if let Some((min, max)) = m.rules.range {
        let (min, max) = (schema_num(min, &p), schema_num(max, &p));
        checks.extend(quote! {
            impl #p::NumberConstraint for #ident {
                fn check<__T: #p::AsNumber + ?::core::marker::Sized>(__ecr_value: &__T, __ecr_v: &mut #p::Validator) {
                    __ecr_v.range_number(__ecr_value, #min, #max);
                }
            }
        });
    }
    let length = m.rules.length.map(|(min, max)| {
        let (min, max) = (lit_u64(min), lit_u64(max));
        quote!(__ecr_v.length(__ecr_value, #min, #max);)
    });
    if length.is_some() || m.rules.pattern.is_some() {
        let pattern = m.rules.pattern.as_ref().map(|pattern| {
            let stat = pattern_static(pattern, &p);
            quote! {
                __ecr_v.pattern(__ecr_value, {
                    #stat
                    &__ECR_PATTERN
                });
            }
        });
        checks.extend(quote! {
            impl #p::StringConstraint for #ident {
                fn check<__T: #p::HasLength + #p::AsStr + ?::core::marker::Sized>(__ecr_value: &__T, __ecr_v: &mut #p::Validator) {
                    #length
                    #pattern
                }
            }
        });
    }
    if m.rules.pattern.is_none() && length.is_some() {
        // A length alone also fits blobs, lists and maps.
        checks.extend(quote! {
            impl #p::LengthConstraint for #ident {
                fn check<__T: #p::HasLength + ?::core::marker::Sized>(__ecr_value: &__T, __ecr_v: &mut #p::Validator) {
                    #length
                }
            }
        });
    }
    quote! {
        #(#attrs)*
        #vis struct #ident;
        const _: () = {
            impl #p::NamedConstraint for #ident {
                const NAME: &'static str = #name;
                const CONSTRAINTS: &'static [#p::Constraint] = #constraints;
            }
            #checks
        };
    }
}
