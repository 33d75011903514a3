//! Parses the macros' attributes into raw values that keep their spans.

use proc_macro2::TokenStream;
use quote::ToTokens;
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

/// A bound with the tokens it was written as (`-1` is two tokens), so that
/// an error underlines all of it.
#[derive(Clone)]
pub struct Bound {
    pub value: Num,
    pub tokens: TokenStream,
}

/// `length(..)` or `range(..)` as written.
#[derive(Clone)]
pub struct BoundsAttr {
    /// The attribute name, for spans and messages.
    pub name: Ident,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
}

/// `pattern("...")` as written.
#[derive(Clone)]
pub struct PatternAttr {
    pub name: Ident,
    pub regex: LitStr,
}

/// The constraints that can stand on a value (a field, or a list's items).
#[derive(Clone, Default)]
pub struct RuleAttrs {
    pub length: Option<BoundsAttr>,
    pub range: Option<BoundsAttr>,
    pub pattern: Option<PatternAttr>,
}

/// `each(..)` as written.
#[derive(Clone)]
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
/// A near miss such as `#[lenght(..)]` counts: it is reported as a typo, and
/// stripping it spares the user a second "cannot find attribute" error.
pub fn is_helper(attr: &Attribute) -> bool {
    attr.path()
        .get_ident()
        .is_some_and(|i| FIELD_ATTRS.iter().any(|n| i == n) || misspelled_helper(i).is_some())
}

/// The field attribute a name is a typo of: at most two edits away, and long
/// enough that a foreign attribute (`doc`, `cfg`) is never mistaken for one.
fn misspelled_helper(name: &Ident) -> Option<&'static str> {
    let name = name.to_string();
    if name.len() < 4 {
        return None;
    }
    FIELD_ATTRS
        .iter()
        .map(|c| (edit_distance(&name, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The candidate a misspelled argument most likely meant: one that it
/// abbreviates or extends (`minimum` for `min`), or at most two edits away.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| {
            let affix = word.len() >= 3 && (word.starts_with(c) || c.starts_with(word.as_str()));
            (if affix { 0 } else { edit_distance(&word, c) }, *c)
        })
        .filter(|(d, c)| *d <= 2 && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two neighbours (`lenght`) each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
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
                        let hint = match closest(&inner.to_string(), &["length", "range", "pattern"]) {
                            Some(meant) => format!("did you mean `{meant}(..)`? "),
                            None if inner == "base64" || inner == "rename" || inner == "each" => {
                                format!("`{inner}` applies to the list field, not to its items; ")
                            }
                            None => String::new(),
                        };
                        return Err(syn::Error::new_spanned(
                            &inner,
                            format!("unknown rule `{inner}` in `each`; {hint}`each` takes `length(..)`, `range(..)` or `pattern(..)`"),
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
            _ => match misspelled_helper(&name) {
                Some(meant) => cx.error_spanned_by(
                    &name,
                    format!(
                        "unknown field attribute `{name}`; did you mean `{meant}`? {}",
                        example(meant)
                    ),
                ),
                None => out.passthrough.push(attr.clone()),
            },
        }
    }
    out
}

/// How a field attribute is written, for "did you mean" messages.
fn example(name: &str) -> &'static str {
    match name {
        "range" => "Write `#[range(min, max)]`",
        "length" => "Write `#[length(min, max)]`",
        "pattern" => "Write `#[pattern(\"regex\")]`",
        "base64" => "Write `#[base64]`",
        "rename" => "Write `#[rename = \"wireName\"]`",
        _ => "Write `#[each(length(..), range(..), pattern(..))]`",
    }
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
                let hint = match closest(&key.to_string(), &["min", "max"]) {
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
                cx.error_spanned_by(expr, NOT_A_NUMBER);
                return None;
            }
        },
        _ => {
            cx.error_spanned_by(expr, NOT_A_NUMBER);
            return None;
        }
    };
    let tokens = expr.to_token_stream();
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
    Some(Bound { value, tokens })
}

/// Bounds are read when the macro expands, before any constant has a value.
const NOT_A_NUMBER: &str = "a bound must be a number literal, such as `0` or `20971520`: the macro reads bounds before constants are evaluated, so write the value itself";

/// The arguments of the item attribute, as written.
#[derive(Default)]
pub struct ItemArgs {
    pub target: Option<LitStr>,
    pub output: Option<Type>,
    pub errors: Option<(Ident, Vec<Path>)>,
    pub service: Option<Path>,
    pub krate: Option<LitStr>,
    pub code: Option<LitStr>,
    /// Keys that were written but could not be read (malformed, or a typo of
    /// the key): their own error is reported already.
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

/// Which macro each item argument belongs to, for "goes on" hints.
const ARG_HOMES: &[(&str, &str)] = &[
    ("target", "aws_operation"),
    ("output", "aws_operation"),
    ("errors", "aws_operation"),
    ("service", "aws_operation"),
    ("code", "aws_error"),
];

/// How each item argument is written.
fn arg_usage(key: &str) -> &'static str {
    match key {
        "target" => {
            "`target` takes a string: `target = \"AmazonEC2ContainerRegistry_V20150921.OperationName\"`"
        }
        "output" => "`output` takes the response type: `output = DescribeThingResponse`",
        "errors" => {
            "`errors` takes a list of `#[aws_error]` types: `errors(ServerException, ..)`, or `errors()`"
        }
        "service" => {
            "`service` takes a type that implements `ecrkit::Service`: `service = MyService`"
        }
        "crate" => "`crate` takes a path as a string: `crate = \"ecrkit\"`",
        _ => "`code` takes the error code as a string: `code = \"ThrottlingException\"`",
    }
}

/// The message for a key `macro_name` does not take, and the key it is a
/// typo of, if any.
fn unknown_arg(key: &Ident, macro_name: &str, allowed: &[&str]) -> (String, Option<String>) {
    let k = key.to_string();
    let list = match allowed {
        [only] => format!("`#[{macro_name}]` takes only `{only}`"),
        [init @ .., last] => {
            let init = init.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>();
            format!("`#[{macro_name}]` takes {} and `{last}`", init.join(", "))
        }
        [] => format!("`#[{macro_name}]` takes no arguments"),
    };
    if let Some((_, home)) = ARG_HOMES.iter().find(|(a, _)| *a == k) {
        return (
            format!("`{k}` goes on `#[{home}]`, not `#[{macro_name}]`; {list}"),
            None,
        );
    }
    match closest(&k, allowed) {
        Some(meant) => (
            format!("unknown argument `{k}`; did you mean `{meant}`? {list}"),
            Some(meant.to_owned()),
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

/// Reads the value of one known key into `out`.
fn item_arg(cx: &Ctxt, out: &mut ItemArgs, key: &Ident, input: ParseStream) -> syn::Result<()> {
    let k = key.to_string();
    let usage = || syn::Error::new(input.span(), arg_usage(&k));
    if k == "errors" {
        if !input.peek(syn::token::Paren) {
            return Err(usage());
        }
        let content;
        syn::parenthesized!(content in input);
        let list = Punctuated::<Path, Token![,]>::parse_terminated(&content).map_err(|e| {
            // Drain the list, so the error is reported once.
            let _ = content.parse::<TokenStream>();
            syn::Error::new(e.span(), arg_usage("errors"))
        });
        if out.errors.is_some() {
            cx.error_spanned_by(
                key,
                "`errors` is given twice; list every error in one `errors(..)`",
            );
        }
        out.errors = Some((key.clone(), list?.into_iter().collect()));
        return Ok(());
    }
    if input.peek(syn::token::Paren) {
        return Err(usage());
    }
    input.parse::<Token![=]>().map_err(|_| usage())?;
    let dup = match k.as_str() {
        "target" => out
            .target
            .replace(input.parse().map_err(|_| usage())?)
            .is_some(),
        "crate" => out
            .krate
            .replace(input.parse().map_err(|_| usage())?)
            .is_some(),
        "code" => out
            .code
            .replace(input.parse().map_err(|_| usage())?)
            .is_some(),
        "output" => out
            .output
            .replace(input.parse().map_err(|_| usage())?)
            .is_some(),
        "service" => out
            .service
            .replace(input.parse().map_err(|_| usage())?)
            .is_some(),
        _ => false,
    };
    if dup {
        cx.error_spanned_by(key, format!("`{k}` is given twice; keep one"));
    }
    Ok(())
}

/// Parses `target = "..", output = T, errors(..), service = S, crate = "..", code = ".."`,
/// accepting only the keys in `allowed`. An argument that cannot be read is
/// reported and skipped, so the others are still read and checked.
pub fn item_args(cx: &Ctxt, tokens: TokenStream, macro_name: &str, allowed: &[&str]) -> ItemArgs {
    let mut out = ItemArgs::default();
    let parser = |input: ParseStream| -> syn::Result<()> {
        while !input.is_empty() {
            let key = input.call(Ident::parse_any)?;
            let k = key.to_string();
            if !allowed.contains(&k.as_str()) {
                let (message, meant) = unknown_arg(&key, macro_name, allowed);
                cx.error_spanned_by(&key, message);
                out.attempted.extend(meant);
                skip_argument(input)?;
            } else if let Err(e) = item_arg(cx, &mut out, &key, input) {
                cx.syn_error(e);
                out.attempted.push(k);
                skip_argument(input)?;
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
