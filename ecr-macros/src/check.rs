//! Builds the checked model from the parsed item, one small rule per
//! function, recording every violation in the [`Ctxt`]. The value rules
//! (`length`, `range`, `pattern`, `constraints`) are in `rules`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use crate::ir::{
    ConstraintModel, EnumModel, Field, HostPrefix, ItemKind, OperationModel, Rules, StructModel,
    Target, TimestampFormat, Variant, lower_camel,
};
use crate::parse::{self, ItemArgs};
use crate::rules::{self, On};
use crate::suggest;
use crate::types::{TypeShape, classify};

/// The runtime path: `crate = "..."`, or `::ecrkit`.
pub fn root(cx: &Ctxt, args: &ItemArgs) -> TokenStream {
    match args.attrs.str("crate") {
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
        .then(|| operation(cx, args, item, &fields))
        .flatten();
    if kind != ItemKind::Operation {
        host_labels_need_an_operation(cx, &fields);
    }
    StructModel {
        kind,
        ident: item.ident.clone(),
        vis: item.vis.clone(),
        attrs: item.attrs.clone(),
        fields,
        unit,
        root: root(cx, args),
        operation,
        error_code: args.attrs.str("code").map(syn::LitStr::value),
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

/// Rule: `#[host_label]` fields belong to operations.
fn host_labels_need_an_operation(cx: &Ctxt, fields: &[Field]) {
    for f in fields.iter().filter(|f| f.host_label) {
        cx.error_spanned_by(
            &f.ident,
            "`#[host_label]` goes on a field of an `#[aws_operation]` with a `host_prefix`",
        );
    }
}

/// The `X-Amz-Target` prefix of the default service (`ecrkit::Ecr`).
const ECR_TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921";

/// Rule: an operation's target is `Prefix.Name` (by default the service's
/// prefix and the struct's name); it names its output and errors; its host
/// prefix and compression are Smithy's.
fn operation(
    cx: &Ctxt,
    args: &ItemArgs,
    item: &syn::ItemStruct,
    fields: &[Field],
) -> Option<OperationModel> {
    let service = args.attrs.path("service").cloned();
    let target = target(cx, args, item, service.is_some());
    if args.attrs.ty("output").is_none() && !args.missing_is_explained("output") {
        cx.error_at(
            Span::call_site(),
            "missing `output`: write `output = YourResponse`, a type declared with `#[aws_shape]`",
        );
    }
    if args.attrs.paths("errors").is_none() && !args.missing_is_explained("errors") {
        cx.error_at(
            Span::call_site(),
            "missing `errors(..)`: list the modeled exceptions, `errors(ServerException, ..)`, or write `errors()` if there are none",
        );
    }
    let host_prefix = host_prefix(cx, args, fields);
    let request_compression = request_compression(cx, args);
    let (target, name) = target?;
    Some(OperationModel {
        target,
        name,
        output: args.attrs.ty("output")?.clone(),
        errors: args.attrs.paths("errors")?.to_vec(),
        service,
        host_prefix,
        request_compression,
    })
}

/// The target and the operation name it ends with.
fn target(
    cx: &Ctxt,
    args: &ItemArgs,
    item: &syn::ItemStruct,
    named_service: bool,
) -> Option<(Target, String)> {
    let Some(lit) = args.attrs.str("target") else {
        if args.missing_is_explained("target") {
            return None;
        }
        let name = item.ident.to_string();
        // ECR's prefix is the macro's to know; a named service's is a
        // constant of its own, joined when the program compiles.
        let target = if named_service {
            Target::FromService
        } else {
            Target::Literal {
                value: format!("{ECR_TARGET_PREFIX}.{name}"),
                span: item.ident.span(),
            }
        };
        return Some((target, name));
    };
    let value = lit.value();
    let well_formed = value.split_once('.').filter(|(prefix, name)| {
        !prefix.is_empty()
            && !name.is_empty()
            && !name.contains('.')
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    });
    let Some((prefix, name)) = well_formed else {
        cx.error_spanned_by(
            lit,
            format!("`target` must be `ServicePrefix.OperationName` (the X-Amz-Target header), such as \"AmazonEC2ContainerRegistry_V20150921.{}\", or left out for the service's prefix and the struct's name", item.ident),
        );
        return None;
    };
    if !named_service && prefix != ECR_TARGET_PREFIX {
        cx.error_at(
            lit.span(),
            format!(
                "this `target` is not ECR's: write \"{ECR_TARGET_PREFIX}.{name}\", or name the operation's service with `service = YourService`"
            ),
        );
        return None;
    }
    let name = name.to_owned();
    Some((
        Target::Literal {
            value,
            span: lit.span(),
        },
        name,
    ))
}

/// Rule: a host prefix is host-name characters and `{Label}`s, each label
/// naming a `#[host_label]` field by its wire name, and every such field
/// named by one.
fn host_prefix(cx: &Ctxt, args: &ItemArgs, fields: &[Field]) -> Option<HostPrefix> {
    let labelled: Vec<&Field> = fields.iter().filter(|f| f.host_label).collect();
    let Some(lit) = args.attrs.str("host_prefix") else {
        for f in labelled {
            cx.error_spanned_by(
                &f.ident,
                "`#[host_label]` needs the operation's `host_prefix = \"..{Label}..\"` to name it",
            );
        }
        return None;
    };
    let template = lit.value();
    let mut labels = Vec::new();
    let mut rest = template.as_str();
    let mut ok = !template.is_empty();
    while let Some(open) = rest.find('{') {
        ok &= rest[..open]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        let Some(close) = rest[open..].find('}') else {
            ok = false;
            break;
        };
        let label = &rest[open + 1..open + close];
        match labelled.iter().find(|f| f.wire_name == label) {
            Some(f) => labels.push((label.to_owned(), f.ident.clone())),
            None => {
                let hint = suggest::closest(label, labelled.iter().map(|f| f.wire_name.as_str()))
                    .map(|m| format!("did you mean `{{{m}}}`? "))
                    .unwrap_or_default();
                cx.error_spanned_by(
                    lit,
                    format!("`{{{label}}}` in `host_prefix` names no `#[host_label]` field; {hint}a label is the wire name of a required `String` field marked `#[host_label]`"),
                );
            }
        }
        rest = &rest[open + close + 1..];
    }
    ok &= rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !ok {
        cx.error_spanned_by(
            lit,
            "`host_prefix` is host name characters (letters, digits, `-`, `.`) and `{Label}`s, such as \"data-{AccountId}.\"",
        );
        return None;
    }
    for f in &labelled {
        if !labels.iter().any(|(_, i)| i == &f.ident) {
            cx.error_spanned_by(
                &f.ident,
                format!("`#[host_label]` field `{}` is not named in `host_prefix`: add `{{{}}}` to it, or remove the attribute", f.ident, f.wire_name),
            );
        }
    }
    Some(HostPrefix { template, labels })
}

/// Rule: request compression is `gzip`, the one algorithm Smithy defines.
fn request_compression(cx: &Ctxt, args: &ItemArgs) -> Option<String> {
    let lit = args.attrs.str("request_compression")?;
    if lit.value() != "gzip" {
        cx.error_spanned_by(
            lit,
            "`request_compression` takes \"gzip\", the one encoding Smithy's requestCompression trait defines",
        );
        return None;
    }
    Some(lit.value())
}

fn type_name(ty: &syn::Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

fn field(cx: &Ctxt, f: &syn::Field) -> Field {
    let raw = parse::field_attrs(cx, &f.attrs);
    // Named fields always have an ident.
    let ident = f
        .ident
        .clone()
        .unwrap_or_else(|| syn::Ident::new("_", f.span()));
    let ftype = classify(&f.ty);
    let on = On {
        shape: &ftype.shape,
        name: type_name(&f.ty),
    };
    let value_rules = rules::check(cx, &raw.attrs, &on);
    let each = match raw.attrs.rules("each") {
        None => Rules::default(),
        Some((name, each)) => match ftype.shape.item() {
            Some(item) => {
                let on = On {
                    shape: &item,
                    name: format!("the items of `{}`", type_name(&f.ty)),
                };
                rules::check(cx, each, &on)
            }
            None => {
                cx.error_spanned_by(
                    name,
                    format!(
                        "`each` constrains the items of a `Vec` or the values of a map, and `{}` is neither; to constrain the field itself, write the rule on it, such as `#[length(..)]`",
                        type_name(&f.ty)
                    ),
                );
                Rules::default()
            }
        },
    };
    if let Some(b) = raw.attrs.flag("base64").filter(|_| !ftype.shape.is_blob()) {
        cx.error_spanned_by(
            b,
            format!(
                "`#[base64]` goes on a blob field (`bytes::Bytes` or `Vec<u8>`, optionally in `Option`), not `{}`; other types are written as JSON without it",
                type_name(&f.ty)
            ),
        );
    }
    let timestamp_format = timestamp_format(cx, &raw.attrs, &ftype.shape, &f.ty);
    let host_label = host_label(cx, &raw.attrs, &ftype, &f.ty);
    let wire_name = match raw.attrs.str("rename") {
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
        base64: raw.attrs.has("base64"),
        timestamp_format,
        host_label,
        attrs: raw.passthrough,
    }
}

/// Rule: a timestamp format is one of Smithy's, on a `Timestamp` (or lists
/// and maps of them).
fn timestamp_format(
    cx: &Ctxt,
    raw: &parse::Attrs,
    shape: &TypeShape,
    ty: &syn::Type,
) -> Option<TimestampFormat> {
    let lit = raw.str("timestamp_format")?;
    let value = lit.value();
    let Some(format) = TimestampFormat::ALL
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, f)| *f)
    else {
        let names = TimestampFormat::ALL.iter().map(|(n, _)| *n);
        let hint = suggest::closest(&value, names)
            .map(|m| format!("did you mean \"{m}\"? "))
            .unwrap_or_default();
        cx.error_spanned_by(
            lit,
            format!("unknown timestamp format \"{value}\"; {hint}Smithy's formats are \"date-time\" (RFC 3339), \"http-date\" (IMF-fixdate) and \"epoch-seconds\""),
        );
        return None;
    };
    if !shape.holds_timestamp() {
        cx.error_spanned_by(
            lit,
            format!(
                "`timestamp_format` goes on a `Timestamp` field (or a list or map of them), not `{}`",
                type_name(ty)
            ),
        );
        return None;
    }
    Some(format)
}

/// Rule: a host label is a required `String`. A misplaced one still
/// counts as a label (its error is reported here, not again at the prefix).
fn host_label(
    cx: &Ctxt,
    raw: &parse::Attrs,
    ftype: &crate::types::FieldType,
    ty: &syn::Type,
) -> bool {
    let Some(name) = raw.flag("host_label") else {
        return false;
    };
    if ftype.optional || ftype.shape != TypeShape::String {
        cx.error_spanned_by(
            name,
            format!(
                "`#[host_label]` goes on a required `String` field (its value becomes part of the host name), not `{}`",
                type_name(ty)
            ),
        );
    }
    true
}

/// Checks an `#[aws_enum]`: unit variants with wire names, plus `Unknown(String)`.
pub fn enum_item(cx: &Ctxt, args: &ItemArgs, item: &syn::ItemEnum) -> EnumModel {
    no_generics(cx, ItemKind::Enum, &item.generics);
    let mut variants = Vec::new();
    let mut unknown_attrs = None;
    for v in &item.variants {
        let (rename, attrs) = parse::variant_rename(cx, &v.attrs);
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

/// Checks an `#[aws_constraint(..)]`: a unit struct naming a set of
/// `length`, `range` and `pattern` rules, with at least one, and `range`
/// not beside the other two (a value is a number or has a length).
pub fn constraint_item(cx: &Ctxt, args: &ItemArgs, item: &syn::ItemStruct) -> ConstraintModel {
    no_generics(cx, ItemKind::Constraint, &item.generics);
    if !matches!(item.fields, syn::Fields::Unit) {
        cx.error_spanned_by(
            &item.fields,
            format!(
                "`#[aws_constraint(..)]` goes on a unit struct, which names the set: `pub struct {};`",
                item.ident
            ),
        );
    }
    let mut out = Rules::default();
    if let Some((name, b)) = args.attrs.bounds("length") {
        out.length = rules::lengths(cx, name, b);
    }
    if let Some((name, b)) = args.attrs.bounds("range") {
        out.range = rules::ordered(cx, name, b).then(|| {
            (
                b.min.as_ref().map(|x| x.value),
                b.max.as_ref().map(|x| x.value),
            )
        });
    }
    if let Some(lit) = args.attrs.str("pattern") {
        out.pattern = rules::regex(cx, lit);
    }
    if let Some((name, _)) = args.attrs.bounds("range")
        && (args.attrs.has("length") || args.attrs.has("pattern"))
    {
        cx.error_spanned_by(
            name,
            "a constraint set is for numbers (`range`) or for values with a length (`length`, `pattern`), not both",
        );
    }
    if !["length", "range", "pattern"]
        .iter()
        .any(|n| args.attrs.has(n))
        && !args.incomplete
    {
        cx.error_at(
            Span::call_site(),
            "`#[aws_constraint(..)]` needs its constraints: `length(..)`, `pattern(..)` or `range(..)`, such as `#[aws_constraint(length(2, 256), pattern(\"[a-z]+\"))]`",
        );
    }
    ConstraintModel {
        ident: item.ident.clone(),
        vis: item.vis.clone(),
        attrs: item.attrs.clone(),
        rules: out,
        root: root(cx, args),
    }
}
