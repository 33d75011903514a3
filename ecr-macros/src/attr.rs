//! Parses the macros' attributes into raw values that keep their spans.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, LitStr, Path, Token, Type};

use crate::ctxt::Ctxt;

/// A numeric literal from a bound.
#[derive(Clone, Copy, Debug)]
pub enum Num {
    Int(i128),
    Float(f64),
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A bound with the span of its literal.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    pub value: Num,
    pub span: Span,
}

/// `length(..)` or `range(..)` as written.
#[derive(Clone, Debug)]
pub struct BoundsAttr {
    /// The attribute name, for spans and messages.
    pub name: Ident,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
}

/// `pattern("...")` as written.
#[derive(Clone, Debug)]
pub struct PatternAttr {
    pub name: Ident,
    pub regex: LitStr,
}

/// The constraints that can stand on a value (a field, or a list's items).
#[derive(Clone, Debug, Default)]
pub struct RuleAttrs {
    pub length: Option<BoundsAttr>,
    pub range: Option<BoundsAttr>,
    pub pattern: Option<PatternAttr>,
}

/// `each(..)` as written.
#[derive(Clone, Debug)]
pub struct EachAttr {
    pub name: Ident,
    pub rules: RuleAttrs,
}

/// Every attribute of ours on a field, plus the ones we pass through.
#[derive(Default)]
pub struct FieldAttrs {
    pub rules: RuleAttrs,
    pub each: Option<EachAttr>,
    pub base64: Option<Ident>,
    pub rename: Option<LitStr>,
    /// Attributes that are not ours (`doc`, `serde`, `cfg`, ...).
    pub passthrough: Vec<Attribute>,
}

const FIELD_ATTRS: &[&str] = &["range", "length", "pattern", "base64", "rename", "each"];

/// Whether an attribute is one of ours (and must be stripped from the output).
pub fn is_helper(attr: &Attribute) -> bool {
    FIELD_ATTRS.iter().any(|n| attr.path().is_ident(n))
}

fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, value: T, name: &Ident) {
    if slot.is_some() {
        cx.error_spanned_by(
            name,
            format!("duplicate `{name}` on this field; write it once, with every bound in it"),
        );
    } else {
        *slot = Some(value);
    }
}

/// Parses the attributes on a field.
pub fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        let Some(name) = attr.path().get_ident().cloned() else {
            out.passthrough.push(attr.clone());
            continue;
        };
        match name.to_string().as_str() {
            "range" | "length" | "pattern" => {
                let parsed = match &attr.meta {
                    syn::Meta::List(list) => {
                        let name = name.clone();
                        (|input: ParseStream| rule(cx, &name, input)).parse2(list.tokens.clone())
                    }
                    _ => Err(syn::Error::new_spanned(attr, usage(&name.to_string()))),
                };
                match parsed {
                    Ok(r) => add_rule(cx, &mut out.rules, r),
                    Err(e) => cx.syn_error(e),
                }
            }
            "base64" => {
                if !matches!(attr.meta, syn::Meta::Path(_)) {
                    cx.error_spanned_by(attr, "`base64` takes no arguments: write `#[base64]`");
                }
                set_once(cx, &mut out.base64, name.clone(), &name);
            }
            "rename" => match &attr.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => set_once(cx, &mut out.rename, s.clone(), &name),
                    other => cx.error_spanned_by(
                        other,
                        "`rename` takes a string: `#[rename = \"wireName\"]`",
                    ),
                },
                _ => {
                    cx.error_spanned_by(attr, "`rename` takes a string: `#[rename = \"wireName\"]`")
                }
            },
            "each" => {
                let mut rules = RuleAttrs::default();
                let parsed = attr.parse_nested_meta(|meta| {
                    let Some(inner) = meta.path.get_ident().cloned() else {
                        return Err(meta.error("expected `length(..)`, `range(..)` or `pattern(..)`"));
                    };
                    if !matches!(inner.to_string().as_str(), "length" | "range" | "pattern") {
                        return Err(syn::Error::new_spanned(
                            &inner,
                            format!("unknown rule `{inner}` in `each`; expected `length(..)`, `range(..)` or `pattern(..)`"),
                        ));
                    }
                    let content;
                    syn::parenthesized!(content in meta.input);
                    add_rule(cx, &mut rules, rule(cx, &inner, &content)?);
                    Ok(())
                });
                if let Err(e) = parsed {
                    cx.syn_error(e);
                }
                set_once(
                    cx,
                    &mut out.each,
                    EachAttr {
                        name: name.clone(),
                        rules,
                    },
                    &name,
                );
            }
            _ => out.passthrough.push(attr.clone()),
        }
    }
    out
}

enum Rule {
    Bounds(BoundsAttr),
    Pattern(PatternAttr),
}

fn add_rule(cx: &Ctxt, rules: &mut RuleAttrs, rule: Rule) {
    match rule {
        Rule::Bounds(b) if b.name == "length" => {
            let name = b.name.clone();
            set_once(cx, &mut rules.length, b, &name)
        }
        Rule::Bounds(b) => {
            let name = b.name.clone();
            set_once(cx, &mut rules.range, b, &name)
        }
        Rule::Pattern(p) => {
            let name = p.name.clone();
            set_once(cx, &mut rules.pattern, p, &name)
        }
    }
}

fn usage(name: &str) -> String {
    match name {
        "pattern" => "`pattern` takes a regex string: `#[pattern(r\"[a-z]+\")]`".into(),
        _ => format!(
            "`{name}` takes bounds: `#[{name}(min, max)]`, `#[{name}(min = ..)]` or `#[{name}(max = ..)]`"
        ),
    }
}

fn rule(cx: &Ctxt, name: &Ident, input: ParseStream) -> syn::Result<Rule> {
    if name == "pattern" {
        let regex: LitStr = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), usage("pattern")))?;
        if !input.is_empty() {
            return Err(input.error(usage("pattern")));
        }
        return Ok(Rule::Pattern(PatternAttr {
            name: name.clone(),
            regex,
        }));
    }
    let args = Punctuated::<BoundArg, Token![,]>::parse_terminated(input)?;
    let mut bounds = BoundsAttr {
        name: name.clone(),
        min: None,
        max: None,
    };
    let mut positional = 0;
    for arg in args {
        let slot = match &arg.key {
            None => {
                positional += 1;
                match positional {
                    1 => "min",
                    2 => "max",
                    _ => {
                        cx.error_spanned_by(
                            &arg.value,
                            format!("`{name}` takes at most two bounds: `{name}(min, max)`"),
                        );
                        continue;
                    }
                }
            }
            Some(key) if key == "min" => "min",
            Some(key) if key == "max" => "max",
            Some(key) => {
                cx.error_spanned_by(
                    key,
                    format!("unknown argument `{key}` in `{name}`; expected `min` or `max`"),
                );
                continue;
            }
        };
        let Some(bound) = number(cx, &arg.value) else {
            continue;
        };
        let target = if slot == "min" {
            &mut bounds.min
        } else {
            &mut bounds.max
        };
        if target.is_some() {
            cx.error_spanned_by(&arg.value, format!("`{slot}` is given twice in `{name}`"));
        }
        *target = Some(bound);
    }
    if bounds.min.is_none() && bounds.max.is_none() && !cx.has_errors() {
        cx.error_spanned_by(name, usage(&name.to_string()));
    }
    Ok(Rule::Bounds(bounds))
}

struct BoundArg {
    key: Option<Ident>,
    value: Expr,
}

impl syn::parse::Parse for BoundArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(BoundArg {
                key: Some(key),
                value: input.parse()?,
            })
        } else {
            Ok(BoundArg {
                key: None,
                value: input.parse()?,
            })
        }
    }
}

fn number(cx: &Ctxt, expr: &Expr) -> Option<Bound> {
    let (negative, lit) = match expr {
        Expr::Lit(l) => (false, &l.lit),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(l) => (true, &l.lit),
            _ => {
                cx.error_spanned_by(expr, "a bound must be a number literal");
                return None;
            }
        },
        _ => {
            cx.error_spanned_by(
                expr,
                "a bound must be a number literal, such as `0` or `20971520`",
            );
            return None;
        }
    };
    let span = syn::spanned::Spanned::span(expr);
    let value = match lit {
        syn::Lit::Int(i) => match i.base10_parse::<i128>() {
            Ok(v) => Num::Int(if negative { -v } else { v }),
            Err(e) => {
                cx.syn_error(e);
                return None;
            }
        },
        syn::Lit::Float(f) => match f.base10_parse::<f64>() {
            Ok(v) => Num::Float(if negative { -v } else { v }),
            Err(e) => {
                cx.syn_error(e);
                return None;
            }
        },
        other => {
            cx.error_spanned_by(
                other,
                "a bound must be a number literal, such as `0` or `20971520`",
            );
            return None;
        }
    };
    Some(Bound { value, span })
}

/// The arguments of the item attribute, as written.
#[derive(Default)]
pub struct ItemArgs {
    pub target: Option<LitStr>,
    pub output: Option<Type>,
    pub errors: Option<(Ident, Vec<Path>)>,
    pub service: Option<Path>,
    pub krate: Option<LitStr>,
    pub code: Option<LitStr>,
}

/// Parses `target = "..", output = T, errors(..), service = S, crate = "..", code = ".."`,
/// accepting only the keys in `allowed`.
pub fn item_args(cx: &Ctxt, tokens: TokenStream, macro_name: &str, allowed: &[&str]) -> ItemArgs {
    let mut out = ItemArgs::default();
    let parser = |input: ParseStream| -> syn::Result<()> {
        while !input.is_empty() {
            let key = input.call(Ident::parse_any)?;
            let k = key.to_string();
            if !allowed.contains(&k.as_str()) {
                let list = allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                cx.error_spanned_by(
                    &key,
                    format!("unknown argument `{k}` in `#[{macro_name}]`; expected one of {list}"),
                );
                // Skip to the next top-level comma.
                while !input.is_empty() && !input.peek(Token![,]) {
                    input.parse::<proc_macro2::TokenTree>()?;
                }
            } else if k == "errors" {
                let content;
                syn::parenthesized!(content in input);
                let list = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
                if out.errors.is_some() {
                    cx.error_spanned_by(&key, "`errors` is given twice");
                }
                out.errors = Some((key, list.into_iter().collect()));
            } else {
                input
                    .parse::<Token![=]>()
                    .map_err(|e| syn::Error::new(e.span(), format!("expected `{k} = ...`")))?;
                let dup = match k.as_str() {
                    "target" => out.target.replace(input.parse()?).is_some(),
                    "crate" => out.krate.replace(input.parse()?).is_some(),
                    "code" => out.code.replace(input.parse()?).is_some(),
                    "output" => out.output.replace(input.parse()?).is_some(),
                    "service" => out.service.replace(input.parse()?).is_some(),
                    _ => false,
                };
                if dup {
                    cx.error_spanned_by(&key, format!("`{k}` is given twice"));
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    };
    if let Err(e) = parser.parse2(tokens) {
        cx.syn_error(e);
    }
    out
}

/// `#[rename = ".."]` on an enum variant.
pub fn variant_rename(cx: &Ctxt, attrs: &[Attribute]) -> (Option<LitStr>, Vec<Attribute>) {
    let mut rename = None;
    let mut rest = Vec::new();
    for attr in attrs {
        if attr.path().is_ident("rename") {
            match &attr.meta {
                syn::Meta::NameValue(syn::MetaNameValue {
                    value:
                        Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }),
                    ..
                }) => rename = Some(s.clone()),
                _ => cx.error_spanned_by(
                    attr,
                    "`rename` takes a string: `#[rename = \"WIRE_VALUE\"]`",
                ),
            }
        } else if is_helper(attr) {
            cx.error_spanned_by(attr, "only `#[rename = \"..\"]` goes on an enum variant");
        } else {
            rest.push(attr.clone());
        }
    }
    (rename, rest)
}
