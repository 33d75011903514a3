//! A string enum: the enum with its `Unknown(String)`, its wire values,
//! serde as a string, and validation (an unknown value in a request is
//! reported, so the caller learns the client does not know it).

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::EnumModel;

/// Everything a checked `#[aws_enum]` expands to.
pub fn enum_tokens(m: &EnumModel) -> TokenStream {
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
