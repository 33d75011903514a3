//! Reads the macros' attributes into raw values that keep their spans,
//! driven by the table (`table`): a known name is parsed by its form, an
//! unknown one that looks like a typo is reported with what it most likely
//! meant, anything else (`doc`, `serde`, `cfg`) passes through.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, LitStr, Path, Token, Type};

use crate::ctxt::Ctxt;
use crate::ir::{ItemKind, Num};
use crate::suggest;
use crate::table::{self, Form, Spec};

/// A bound with the tokens it was written as (`-1` is two tokens), so that
/// an error underlines all of it.
#[derive(Clone)]
pub struct Bound {
    pub value: Num,
    pub tokens: TokenStream,
}

/// `min` and `max` as written.
#[derive(Clone, Default)]
pub struct Bounds {
    pub min: Option<Bound>,
    pub max: Option<Bound>,
}

/// The value of one attribute, by its form.
#[derive(Clone)]
pub enum Value {
    Flag,
    Bounds(Bounds),
    Str(LitStr),
    Path(Path),
    Type(Type),
    Paths(Vec<Path>),
    Rules(Attrs),
}

/// One attribute as written: its table entry, its name (for spans) and value.
#[derive(Clone)]
pub struct Raw {
    pub spec: &'static Spec,
    pub name: Ident,
    pub value: Value,
}

/// The attributes of one place (a field, an item, an `each`), keyed by
/// name: a second one of a name is a failed insert.
#[derive(Clone, Default)]
pub struct Attrs {
    map: BTreeMap<&'static str, Raw>,
}

impl Attrs {
    fn insert(&mut self, cx: &Ctxt, raw: Raw) {
        if self.map.contains_key(raw.spec.name) {
            cx.error_spanned_by(
                &raw.name,
                format!(
                    "`{}` is given twice; write it once, with everything in it",
                    raw.spec.name
                ),
            );
        } else {
            self.map.insert(raw.spec.name, raw);
        }
    }

    /// The attribute called `name`.
    pub fn get(&self, name: &str) -> Option<&Raw> {
        self.map.get(name)
    }

    /// Whether `name` was written.
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// A string value.
    pub fn str(&self, name: &str) -> Option<&LitStr> {
        match &self.get(name)?.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A path value.
    pub fn path(&self, name: &str) -> Option<&Path> {
        match &self.get(name)?.value {
            Value::Path(p) => Some(p),
            _ => None,
        }
    }

    /// A type value.
    pub fn ty(&self, name: &str) -> Option<&Type> {
        match &self.get(name)?.value {
            Value::Type(t) => Some(t),
            _ => None,
        }
    }

    /// A list of paths.
    pub fn paths(&self, name: &str) -> Option<&[Path]> {
        match &self.get(name)?.value {
            Value::Paths(p) => Some(p),
            _ => None,
        }
    }

    /// Bounds, with the attribute's name for spans.
    pub fn bounds(&self, name: &str) -> Option<(&Ident, &Bounds)> {
        let raw = self.get(name)?;
        match &raw.value {
            Value::Bounds(b) => Some((&raw.name, b)),
            _ => None,
        }
    }

    /// The name token of a flag.
    pub fn flag(&self, name: &str) -> Option<&Ident> {
        let raw = self.get(name)?;
        matches!(raw.value, Value::Flag).then_some(&raw.name)
    }

    /// The rules inside `each(..)`, with its name.
    pub fn rules(&self, name: &str) -> Option<(&Ident, &Attrs)> {
        let raw = self.get(name)?;
        match &raw.value {
            Value::Rules(r) => Some((&raw.name, r)),
            _ => None,
        }
    }
}

/// Every attribute of ours on a field, plus the ones we pass through.
#[derive(Default)]
pub struct FieldAttrs {
    pub attrs: Attrs,
    /// Attributes that are not ours (`doc`, `serde`, `cfg`, ...).
    pub passthrough: Vec<Attribute>,
}

/// Whether an attribute is one of ours (and must be stripped from the
/// output). A near miss such as `#[lenght(..)]` counts: it is reported as a
/// typo, and stripping it spares the user a "cannot find attribute" error.
pub fn is_helper(attr: &Attribute) -> bool {
    attr.path().get_ident().is_some_and(|i| {
        let name = i.to_string();
        table::field_attr(&name).is_some() || suggest::misspelled_field_attr(&name).is_some()
    })
}

/// Parses the attributes on a field.
pub fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        let Some(name) = attr.path().get_ident().cloned() else {
            out.passthrough.push(attr.clone());
            continue;
        };
        let text = name.to_string();
        match table::field_attr(&text) {
            Some(spec) => {
                let parsed = (|input: ParseStream| {
                    input.parse::<Path>()?;
                    value(cx, spec, &name, input)
                })
                .parse2(attr.meta.to_token_stream());
                match parsed {
                    Ok(value) => out.attrs.insert(cx, Raw { spec, name, value }),
                    Err(e) => cx.syn_error(e),
                }
            }
            None => match suggest::misspelled_field_attr(&text) {
                Some(meant) => cx.error_spanned_by(
                    &name,
                    format!(
                        "unknown field attribute `{text}`; did you mean `{meant}`? Write {}, such as `{}`",
                        usage_of(meant),
                        table::field_attr(meant).map_or("", |s| s.example)
                    ),
                ),
                None => out.passthrough.push(attr.clone()),
            },
        }
    }
    out
}

fn usage_of(name: &str) -> &'static str {
    table::field_attr(name).map_or("", |s| s.usage)
}

/// What to write, for a value that does not read as its form.
fn usage_error(spec: &Spec, at: proc_macro2::Span) -> syn::Error {
    let takes = match spec.form {
        Form::Flag => "takes no arguments",
        Form::Bounds => "takes bounds",
        Form::ParenStr | Form::EqStr => "takes a string",
        Form::EqType => "takes a type",
        Form::EqPath | Form::ParenPath => "takes a path",
        Form::PathList => "takes a list of types",
        Form::Rules => "takes rules",
    };
    let example = if spec.usage.trim_matches('`') == spec.example {
        String::new()
    } else {
        format!(", such as `{}`", spec.example)
    };
    syn::Error::new(
        at,
        format!("`{}` {takes}: {}{example}", spec.name, spec.usage),
    )
}

/// Reads the value of `spec` from what follows its name.
fn value(cx: &Ctxt, spec: &'static Spec, name: &Ident, input: ParseStream) -> syn::Result<Value> {
    // Nothing after the name: the name is the token at fault.
    let fail = |input: ParseStream| {
        usage_error(
            spec,
            if input.is_empty() {
                name.span()
            } else {
                input.span()
            },
        )
    };
    match spec.form {
        Form::Flag => {
            if !input.is_empty() {
                return Err(usage_error(spec, input.span()));
            }
            Ok(Value::Flag)
        }
        Form::EqStr | Form::EqType | Form::EqPath => {
            if input.peek(syn::token::Paren) || input.is_empty() {
                return Err(fail(input));
            }
            input.parse::<Token![=]>().map_err(|_| fail(input))?;
            let at = input.span();
            let v = match spec.form {
                Form::EqStr => {
                    Value::Str(input.parse::<LitStr>().map_err(|_| usage_error(spec, at))?)
                }
                Form::EqType => Value::Type(input.parse().map_err(|_| usage_error(spec, at))?),
                _ => Value::Path(input.parse().map_err(|_| usage_error(spec, at))?),
            };
            Ok(v)
        }
        Form::ParenStr | Form::ParenPath | Form::Bounds | Form::Rules | Form::PathList => {
            if !input.peek(syn::token::Paren) {
                return Err(fail(input));
            }
            let content;
            syn::parenthesized!(content in input);
            match spec.form {
                Form::ParenStr => {
                    let s: LitStr = content.parse().map_err(|e| usage_error(spec, e.span()))?;
                    if !content.is_empty() {
                        return Err(usage_error(spec, content.span()));
                    }
                    Ok(Value::Str(s))
                }
                Form::ParenPath => {
                    let p: Path = content.parse().map_err(|e| usage_error(spec, e.span()))?;
                    if !content.is_empty() {
                        return Err(usage_error(spec, content.span()));
                    }
                    Ok(Value::Path(p))
                }
                Form::Bounds => bounds(cx, name, &content).map(Value::Bounds),
                Form::PathList => {
                    let list =
                        Punctuated::<Path, Token![,]>::parse_terminated(&content).map_err(|e| {
                            // Drain the list, so the error is reported once.
                            let _ = content.parse::<TokenStream>();
                            usage_error(spec, e.span())
                        })?;
                    Ok(Value::Paths(list.into_iter().collect()))
                }
                _ => rules(cx, &content).map(Value::Rules),
            }
        }
    }
}

/// The rules inside `each(..)`: `length(..)`, `range(..)`, `pattern(..)`,
/// `constraints(..)`.
fn rules(cx: &Ctxt, input: ParseStream) -> syn::Result<Attrs> {
    let mut out = Attrs::default();
    let allowed: Vec<&str> = table::FIELD_ATTRS
        .iter()
        .filter(|s| s.in_each)
        .map(|s| s.name)
        .collect();
    let list = match allowed.split_last() {
        Some((last, init)) => {
            let init: Vec<String> = init.iter().map(|n| format!("`{n}(..)`")).collect();
            format!("{} or `{last}(..)`", init.join(", "))
        }
        None => String::new(),
    };
    while !input.is_empty() {
        let name: Ident = input.call(Ident::parse_any)?;
        let text = name.to_string();
        let spec = match table::field_attr(&text).filter(|s| s.in_each) {
            Some(spec) => spec,
            None => {
                let hint = match suggest::closest(&text, allowed.iter().copied()) {
                    Some(meant) => format!("did you mean `{meant}(..)`? "),
                    None if table::field_attr(&text).is_some() => {
                        format!("`{text}` applies to the list field, not to its items; ")
                    }
                    None => String::new(),
                };
                return Err(syn::Error::new_spanned(
                    &name,
                    format!("unknown rule `{text}` in `each`; {hint}`each` takes {list}"),
                ));
            }
        };
        let value = value(cx, spec, &name, input)?;
        out.insert(cx, Raw { spec, name, value });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(out)
}

/// `(min, max)`, `(min = a)`, `(max = b)`; every problem is reported, and
/// what could be read is kept.
fn bounds(cx: &Ctxt, name: &Ident, input: ParseStream) -> syn::Result<Bounds> {
    let args = Punctuated::<BoundArg, Token![,]>::parse_terminated(input)?;
    let mut bounds = Bounds::default();
    let mut positional = 0;
    let mut bad_arg = false;
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
                        bad_arg = true;
                        continue;
                    }
                }
            }
            Some(key) if key == "min" => "min",
            Some(key) if key == "max" => "max",
            Some(key) => {
                let hint = match suggest::closest(&key.to_string(), ["min", "max"]) {
                    Some(meant) => format!("did you mean `{meant}`? "),
                    None => String::new(),
                };
                cx.error_spanned_by(
                    key,
                    format!(
                        "unknown argument `{key}` in `{name}`; {hint}Write `{name}(min = ..)`, `{name}(max = ..)` or `{name}(min, max)`"
                    ),
                );
                bad_arg = true;
                continue;
            }
        };
        let Some(bound) = number(cx, &arg.value) else {
            bad_arg = true;
            continue;
        };
        let target = if slot == "min" {
            &mut bounds.min
        } else {
            &mut bounds.max
        };
        if target.is_some() {
            let at = match &arg.key {
                Some(key) => key.to_token_stream(),
                None => arg.value.to_token_stream(),
            };
            cx.error_spanned_by(
                at,
                format!("`{slot}` is given twice in `{name}`; positional bounds are min then max: write `{name}(min, max)` or `{name}(min = .., max = ..)`"),
            );
        }
        *target = Some(bound);
    }
    if bounds.min.is_none() && bounds.max.is_none() && !bad_arg {
        cx.error_spanned_by(
            name,
            format!(
                "`{name}` takes bounds: {}",
                table::field_attr(&name.to_string()).map_or("", |s| s.usage)
            ),
        );
    }
    Ok(bounds)
}

struct BoundArg {
    key: Option<Ident>,
    value: Expr,
}

impl syn::parse::Parse for BoundArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = if input.peek(Ident) && input.peek2(Token![=]) {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            Some(key)
        } else {
            None
        };
        Ok(BoundArg {
            key,
            value: input.parse()?,
        })
    }
}

/// Bounds are read when the macro expands, before any constant has a value.
const NOT_A_NUMBER: &str = "a bound must be a number literal, such as `0` or `20971520`: the macro reads bounds before constants are evaluated, so write the value itself";

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
                cx.error_spanned_by(expr, NOT_A_NUMBER);
                return None;
            }
        },
        _ => {
            cx.error_spanned_by(expr, NOT_A_NUMBER);
            return None;
        }
    };
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
            cx.error_spanned_by(other, NOT_A_NUMBER);
            return None;
        }
    };
    Some(Bound {
        value,
        tokens: expr.to_token_stream(),
    })
}

/// The arguments of the item attribute, as written.
#[derive(Default)]
pub struct ItemArgs {
    pub attrs: Attrs,
    /// Keys that were written but could not be read (malformed, or a typo
    /// of the key): their own error is reported already.
    pub attempted: Vec<String>,
    /// Whether the arguments could not be read to the end, so that any key
    /// may have been lost.
    pub incomplete: bool,
}

impl ItemArgs {
    /// Whether "missing `key`" would only repeat an error already reported.
    pub fn missing_is_explained(&self, key: &str) -> bool {
        self.incomplete || self.attempted.iter().any(|k| k == key)
    }
}

/// The message for a key `kind`'s macro does not take, and the key it is a
/// typo of, if any.
fn unknown_arg(key: &Ident, kind: ItemKind) -> (String, Option<&'static str>) {
    let k = key.to_string();
    let macro_name = kind.macro_name();
    let allowed = table::args_of(kind);
    let list = match allowed.as_slice() {
        [only] => format!("`#[{macro_name}]` takes only `{}`", only.name),
        [init @ .., last] => {
            let init = init
                .iter()
                .map(|a| format!("`{}`", a.name))
                .collect::<Vec<_>>();
            format!(
                "`#[{macro_name}]` takes {} and `{}`",
                init.join(", "),
                last.name
            )
        }
        [] => format!("`#[{macro_name}]` takes no arguments"),
    };
    if let Some(spec) = table::item_arg(&k) {
        return (
            format!("`{k}` goes on {}, not `#[{macro_name}]`; {list}", spec.on),
            None,
        );
    }
    match suggest::closest(&k, allowed.iter().map(|s| s.name)) {
        Some(meant) => (
            format!("unknown argument `{k}`; did you mean `{meant}`? {list}"),
            Some(meant),
        ),
        None => (format!("unknown argument `{k}`; {list}"), None),
    }
}

/// Skips to the next top-level comma, after an argument that could not be read.
fn skip_argument(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

/// Parses the item attribute's arguments, accepting only the keys `kind`'s
/// macro takes. An argument that cannot be read is reported and skipped,
/// so the others are still read and checked.
pub fn item_args(cx: &Ctxt, tokens: TokenStream, kind: ItemKind) -> ItemArgs {
    let mut out = ItemArgs::default();
    let allowed = table::args_of(kind);
    let parser = |input: ParseStream| -> syn::Result<()> {
        while !input.is_empty() {
            let key = input.call(Ident::parse_any)?;
            let k = key.to_string();
            match allowed.iter().find(|s| s.name == k) {
                None => {
                    let (message, meant) = unknown_arg(&key, kind);
                    cx.error_spanned_by(&key, message);
                    out.attempted.extend(meant.map(str::to_owned));
                    skip_argument(input)?;
                }
                Some(spec) => match value(cx, spec, &key, input) {
                    Ok(value) => out.attrs.insert(
                        cx,
                        Raw {
                            spec,
                            name: key,
                            value,
                        },
                    ),
                    Err(e) => {
                        cx.syn_error(e);
                        out.attempted.push(k);
                        skip_argument(input)?;
                    }
                },
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
        out.incomplete = true;
    }
    out
}

/// `#[rename = ".."]` on an enum variant; the other attributes pass through.
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
