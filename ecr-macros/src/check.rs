//! Builds the checked model from the parsed item, one small rule per
//! function, recording every violation in the [`Ctxt`].

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;

use crate::attr::{self, BoundsAttr, ItemArgs, Num, RuleAttrs};
use crate::ctxt::Ctxt;
use crate::ir::{
    EnumModel, Field, ItemKind, OperationModel, PatternRule, Rules, StructModel, TypeShape,
    Variant, classify, lower_camel,
};

/// The runtime path: `crate = "..."`, or `::ecrkit`.
pub fn root(cx: &Ctxt, args: &ItemArgs) -> TokenStream {
    match &args.krate {
        Some(lit) => match lit.parse::<syn::Path>() {
            Ok(path) => path.into_token_stream(),
            Err(_) => {
                cx.error_spanned_by(
                    lit,
                    "`crate` takes a path as a string, such as `crate = \"ecrkit\"`",
                );
                quote!(::ecrkit)
            }
        },
        None => quote!(::ecrkit),
    }
}

/// Rule: the macros declare concrete types; no generics or lifetimes.
fn no_generics(cx: &Ctxt, kind: ItemKind, generics: &syn::Generics) {
    for param in &generics.params {
        let what = match param {
            syn::GenericParam::Lifetime(_) => "lifetime parameters",
            syn::GenericParam::Type(_) => "generic type parameters",
            syn::GenericParam::Const(_) => "const parameters",
        };
        cx.error_spanned_by(
            param,
            format!("`#[{}]` does not support {what}: declare a concrete type with owned fields (`String`, not `&str`)", kind.macro_name()),
        );
    }
    if let Some(w) = &generics.where_clause {
        cx.error_spanned_by(
            w,
            format!(
                "`#[{}]` does not support `where` clauses: remove it and declare a concrete type",
                kind.macro_name()
            ),
        );
    }
}

/// Checks a struct item for `aws_operation`, `aws_shape` or `aws_error`.
pub fn struct_item(
    cx: &Ctxt,
    kind: ItemKind,
    args: &ItemArgs,
    item: &syn::ItemStruct,
) -> StructModel {
    no_generics(cx, kind, &item.generics);
    let (fields, unit) = match &item.fields {
        syn::Fields::Named(named) => (named.named.iter().map(|f| field(cx, f)).collect(), false),
        syn::Fields::Unit => (Vec::new(), true),
        syn::Fields::Unnamed(u) => {
            cx.error_spanned_by(
                u,
                format!(
                    "`#[{}]` needs named fields, whose names become the wire names: `struct {} {{ repository_name: String }}`",
                    kind.macro_name(),
                    item.ident
                ),
            );
            (Vec::new(), false)
        }
    };
    unique_wire_names(cx, &fields);
    let operation = (kind == ItemKind::Operation)
        .then(|| operation(cx, args, item))
        .flatten();
    let error_code = args.code.as_ref().map(|c| c.value());
    StructModel {
        kind,
        ident: item.ident.clone(),
        vis: item.vis.clone(),
        attrs: item.attrs.clone(),
        fields,
        unit,
        root: root(cx, args),
        operation,
        error_code,
    }
}

/// Rule: two fields may not share a wire name.
fn unique_wire_names(cx: &Ctxt, fields: &[Field]) {
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| g.wire_name == f.wire_name) {
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "two fields have the wire name `{}`; give one a `#[rename = \"..\"]`",
                    f.wire_name
                ),
            );
        }
    }
}

/// The `X-Amz-Target` prefix of the default service (`ecrkit::Ecr`).
const ECR_TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921";

/// Rule: an operation names its target (`Prefix.Name`), output and errors.
fn operation(cx: &Ctxt, args: &ItemArgs, item: &syn::ItemStruct) -> Option<OperationModel> {
    let target = match &args.target {
        None if args.missing_is_explained("target") => None,
        None => {
            cx.error_at(
                Span::call_site(),
                "missing `target`: write `#[aws_operation(target = \"AmazonEC2ContainerRegistry_V20150921.OperationName\", ..)]`",
            );
            None
        }
        Some(lit) => {
            let value = lit.value();
            match value.split_once('.') {
                Some((prefix, name))
                    if !prefix.is_empty()
                        && !name.is_empty()
                        && !name.contains('.')
                        && value
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
                {
                    Some((value.clone(), name.to_owned(), lit.span()))
                }
                _ => {
                    cx.error_spanned_by(
                        lit,
                        format!("`target` must be `ServicePrefix.OperationName` (the X-Amz-Target header), such as \"AmazonEC2ContainerRegistry_V20150921.{}\"", item.ident),
                    );
                    None
                }
            }
        }
    };
    if args.output.is_none() && !args.missing_is_explained("output") {
        cx.error_at(
            Span::call_site(),
            "missing `output`: write `output = YourResponse`, a type declared with `#[aws_shape]`",
        );
    }
    if args.errors.is_none() && !args.missing_is_explained("errors") {
        cx.error_at(
            Span::call_site(),
            "missing `errors(..)`: list the modeled exceptions, `errors(ServerException, ..)`, or write `errors()` if there are none",
        );
    }
    let (target, name, target_span) = target?;
    // The default service is ECR, whose prefix the macro knows: say at once
    // which prefix a target needs. A named service's prefix is a constant of
    // its own, checked where the operation is expanded.
    if args.service.is_none() && !target.starts_with(&format!("{ECR_TARGET_PREFIX}.")) {
        cx.error_at(
            target_span,
            format!(
                "this `target` is not ECR's: write \"{ECR_TARGET_PREFIX}.{name}\", or name the operation's service with `service = YourService`"
            ),
        );
        return None;
    }
    Some(OperationModel {
        target,
        target_span,
        name,
        output: args.output.clone()?,
        errors: args.errors.as_ref()?.1.clone(),
        service: args.service.clone(),
    })
}

fn field(cx: &Ctxt, f: &syn::Field) -> Field {
    let raw = attr::field_attrs(cx, &f.attrs);
    // Named fields always have an ident.
    let ident = f
        .ident
        .clone()
        .unwrap_or_else(|| syn::Ident::new("_", f.span()));
    let ftype = classify(&f.ty);
    let value_rules = rules(cx, &raw.rules, &ftype.shape, &f.ty);
    let each = match &raw.each {
        None => Rules::default(),
        Some(each) => match ftype.shape.item() {
            Some(item) => rules(cx, &each.rules, &item, &f.ty),
            None => {
                cx.error_spanned_by(
                    &each.name,
                    format!(
                        "`each` constrains the items of a `Vec` or the values of a map, and `{}` is neither; to constrain the field itself, write the rule on it, such as `#[length(..)]`",
                        type_name(&f.ty)
                    ),
                );
                Rules::default()
            }
        },
    };
    if let Some(b) = raw.base64.as_ref().filter(|_| !ftype.shape.is_blob()) {
        cx.error_spanned_by(
            b,
            format!(
                "`#[base64]` goes on a blob field (`bytes::Bytes` or `Vec<u8>`, optionally in `Option`), not `{}`; other types are written as JSON without it",
                type_name(&f.ty)
            ),
        );
    }
    let wire_name = match &raw.rename {
        Some(lit) if lit.value().is_empty() => {
            cx.error_spanned_by(lit, "`rename` needs a non-empty wire name");
            lit.value()
        }
        Some(lit) => lit.value(),
        None => lower_camel(&ident),
    };
    Field {
        ident,
        vis: f.vis.clone(),
        ty: f.ty.clone(),
        ftype,
        wire_name,
        rules: value_rules,
        each,
        base64: raw.base64.is_some(),
        attrs: raw.passthrough,
    }
}

fn rules(cx: &Ctxt, raw: &RuleAttrs, shape: &TypeShape, ty: &syn::Type) -> Rules {
    let mut out = Rules::default();
    if let Some(b) = &raw.length {
        out.length = length(cx, b, shape, ty);
    }
    if let Some(b) = &raw.range {
        out.range = range(cx, b, shape, ty);
    }
    if let Some(p) = &raw.pattern {
        out.pattern = pattern(cx, p, shape, ty);
    }
    out
}

fn type_name(ty: &syn::Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

/// Rule: `length` needs a string, blob, list or map; bounds are
/// non-negative integers with min ≤ max.
fn length(
    cx: &Ctxt,
    b: &BoundsAttr,
    shape: &TypeShape,
    ty: &syn::Type,
) -> Option<(Option<u64>, Option<u64>)> {
    if !shape.has_length() {
        let hint = if shape.is_numeric() {
            "; for a number use `range(..)`"
        } else {
            ""
        };
        cx.error_spanned_by(
            &b.name,
            format!(
                "`length` needs a `String`, blob, `Vec` or map field, not `{}`{hint}",
                type_name(ty)
            ),
        );
        return None;
    }
    let count = |bound: &Option<attr::Bound>| -> Option<Option<u64>> {
        match bound {
            None => Some(None),
            Some(attr::Bound {
                value: Num::Int(v),
                tokens,
            }) => match u64::try_from(*v) {
                Ok(v) => Some(Some(v)),
                Err(_) => {
                    cx.error_spanned_by(
                        tokens,
                        "a length bound is a count: it must be a non-negative integer, such as `0`",
                    );
                    None
                }
            },
            Some(attr::Bound { tokens, .. }) => {
                cx.error_spanned_by(
                    tokens,
                    "a length bound is a count: it must be an integer, such as `1`",
                );
                None
            }
        }
    };
    let (min, max) = (count(&b.min), count(&b.max));
    let (min, max) = (min?, max?);
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        cx.error_spanned_by(
            &b.name,
            format!("`length` min ({lo}) is greater than max ({hi}); the smaller bound comes first: `length({hi}, {lo})`"),
        );
        return None;
    }
    Some((min, max))
}

/// Rule: `range` needs a numeric field; bounds fit its type, min ≤ max.
fn range(
    cx: &Ctxt,
    b: &BoundsAttr,
    shape: &TypeShape,
    ty: &syn::Type,
) -> Option<(Option<Num>, Option<Num>)> {
    if !shape.is_numeric() {
        let hint = if shape.has_length() {
            "; for a length use `length(..)`"
        } else {
            ""
        };
        cx.error_spanned_by(
            &b.name,
            format!(
                "`range` needs a numeric field (an integer or float type), not `{}`{hint}",
                type_name(ty)
            ),
        );
        return None;
    }
    let mut ok = true;
    for bound in [&b.min, &b.max].into_iter().flatten() {
        match (shape, bound.value) {
            (TypeShape::Int { name, min, max }, Num::Int(v)) if v < *min || v > *max => {
                let hint = if v < 0 && *min == 0 {
                    "use a signed integer type, such as `i64`"
                } else {
                    "use a wider integer type, such as `i64`"
                };
                cx.error_spanned_by(
                    &bound.tokens,
                    format!("bound {v} does not fit in `{name}` ({min}..={max}); {hint}"),
                );
                ok = false;
            }
            (TypeShape::Int { name, .. }, Num::Float(v)) => {
                cx.error_spanned_by(
                    &bound.tokens,
                    format!("bound {v} is not an integer, but the field is `{name}`; write an integer bound, or make the field `f64`"),
                );
                ok = false;
            }
            (TypeShape::Float { name }, Num::Float(v))
                if name == "f32" && v.is_finite() && (v as f32).is_infinite() =>
            {
                cx.error_spanned_by(
                    &bound.tokens,
                    format!("bound {v} does not fit in `f32`; make the field `f64`"),
                );
                ok = false;
            }
            _ => {}
        }
    }
    let as_f64 = |n: Num| match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    };
    if let (Some(lo), Some(hi)) = (&b.min, &b.max) {
        let greater = match (lo.value, hi.value) {
            (Num::Int(a), Num::Int(c)) => a > c,
            (a, c) => as_f64(a) > as_f64(c),
        };
        if greater {
            cx.error_spanned_by(
                &b.name,
                format!(
                    "`range` min ({lo}) is greater than max ({hi}); the smaller bound comes first: `range({hi}, {lo})`",
                    lo = lo.value,
                    hi = hi.value
                ),
            );
            ok = false;
        }
    }
    ok.then(|| {
        (
            b.min.as_ref().map(|x| x.value),
            b.max.as_ref().map(|x| x.value),
        )
    })
}

/// Rule: `pattern` needs a string, and its regex must compile.
fn pattern(
    cx: &Ctxt,
    p: &attr::PatternAttr,
    shape: &TypeShape,
    ty: &syn::Type,
) -> Option<PatternRule> {
    if *shape != TypeShape::String {
        let hint = if shape.is_numeric() {
            "; for a number use `range(..)`"
        } else {
            ""
        };
        cx.error_spanned_by(
            &p.name,
            format!(
                "`pattern` needs a `String` field, not `{}`{hint}",
                type_name(ty)
            ),
        );
        return None;
    }
    let source = p.regex.value();
    let rule = |unicode| PatternRule {
        source: source.clone(),
        unicode,
        span: p.regex.span(),
    };
    // A syntax error first, with where it is; then what the runtime's
    // engine (regex-lite) cannot run. Unicode classes alone can still run on
    // the full engine, behind ecrkit's `unicode-patterns` feature.
    if let Err(e) = regex_syntax::ast::parse::Parser::new().parse(&source) {
        cx.error_spanned_by(&p.regex, regex_error(&source, &e));
        return None;
    }
    let lite = match regex_lite::Regex::new(&source) {
        Ok(_) => return Some(rule(false)),
        Err(e) => e,
    };
    let unicode_class = source.contains("\\p") || source.contains("\\P");
    match regex_syntax::Parser::new().parse(&source) {
        Ok(_) if unicode_class => Some(rule(true)),
        Err(regex_syntax::Error::Translate(e))
            if matches!(
                e.kind(),
                regex_syntax::hir::ErrorKind::UnicodePropertyNotFound
                    | regex_syntax::hir::ErrorKind::UnicodePropertyValueNotFound
            ) =>
        {
            cx.error_spanned_by(
                &p.regex,
                "this regex does not compile: unknown Unicode property in `\\p{..}`; use a general category such as `\\p{L}` or `\\p{Nd}`, or write the class out, such as `[a-zA-Z]`",
            );
            None
        }
        _ => {
            cx.error_spanned_by(
                &p.regex,
                format!("this regex is not supported by the runtime's engine (regex-lite): {lite}"),
            );
            None
        }
    }
}

/// Says what is wrong with a regex and where, since the span cannot point
/// inside the string literal.
fn regex_error(source: &str, e: &regex_syntax::ast::Error) -> String {
    let (kind, span) = (e.kind().to_string(), *e.span());
    let (start, end) = (span.start.offset, span.end.offset);
    let at = match source.get(start..end).filter(|s| !s.is_empty()) {
        Some(s) => s,
        None => source[start..]
            .chars()
            .next()
            .map_or("", |c| &source[start..start + c.len_utf8()]),
    };
    if at.is_empty() {
        format!("this regex does not compile: {kind}, at its end")
    } else {
        format!(
            "this regex does not compile: {kind}, at `{at}` (character {})",
            source[..start].chars().count() + 1
        )
    }
}

/// Checks an `#[aws_enum]`: unit variants with wire names, plus `Unknown(String)`.
pub fn enum_item(cx: &Ctxt, args: &ItemArgs, item: &syn::ItemEnum) -> EnumModel {
    no_generics(cx, ItemKind::Enum, &item.generics);
    let mut variants = Vec::new();
    let mut unknown_attrs = None;
    for v in &item.variants {
        let (rename, attrs) = attr::variant_rename(cx, &v.attrs);
        match &v.fields {
            syn::Fields::Unit => {
                let wire = rename.map_or_else(|| v.ident.to_string(), |r| r.value());
                if variants.iter().any(|x: &Variant| x.wire == wire) {
                    cx.error_spanned_by(&v.ident, format!("two variants have the wire value \"{wire}\""));
                }
                if let Some((_, e)) = &v.discriminant {
                    cx.error_spanned_by(e, "`#[aws_enum]` values are strings: use `#[rename = \"..\"]`, not a discriminant");
                }
                variants.push(Variant { ident: v.ident.clone(), wire, attrs });
            }
            syn::Fields::Unnamed(u) if v.ident == "Unknown" && u.unnamed.len() == 1 && type_name(&u.unnamed[0].ty) == "String" => {
                unknown_attrs = Some(attrs);
            }
            _ => cx.error_spanned_by(
                v,
                "`#[aws_enum]` variants are unit variants, plus one `Unknown(String)` for values this client does not know",
            ),
        }
    }
    if unknown_attrs.is_none() {
        cx.error_spanned_by(
            &item.ident,
            "`#[aws_enum]` needs an `Unknown(String)` variant, which keeps values the service added after this client was built",
        );
    }
    EnumModel {
        ident: item.ident.clone(),
        vis: item.vis.clone(),
        attrs: item.attrs.clone(),
        variants,
        unknown_attrs: unknown_attrs.unwrap_or_default(),
        root: root(cx, args),
    }
}
