//! The value rules (`length`, `range`, `pattern`, `constraints`) checked
//! against the type they stand on, one small function per rule, each
//! stating it; every violation goes to the [`Ctxt`].

use quote::ToTokens;

use crate::ctxt::Ctxt;
use crate::ir::Num;
use crate::ir::{PatternRule, Rules};
use crate::parse::{Attrs, Bound, Bounds};
use crate::types::TypeShape;

/// The type a rule stands on, for messages: the field's type as written,
/// or "the items of `Vec<String>`".
pub struct On<'a> {
    pub shape: &'a TypeShape,
    pub name: String,
}

/// Checks every value rule of `raw` against `on`.
pub fn check(cx: &Ctxt, raw: &Attrs, on: &On<'_>) -> Rules {
    let mut out = Rules::default();
    if let Some((name, b)) = raw.bounds("length") {
        out.length = length(cx, name, b, on);
    }
    if let Some((name, b)) = raw.bounds("range") {
        out.range = range(cx, name, b, on);
    }
    if let (Some(lit), Some(written)) = (raw.str("pattern"), raw.get("pattern")) {
        out.pattern = pattern(cx, &written.name, lit, on);
    }
    if let Some(path) = raw.path("constraints") {
        out.named = named(cx, raw, path, on);
    }
    out
}

/// Rule: `constraints(Name)` stands alone on a value that a constraint set
/// can check (a string, number, blob, list or map).
fn named(cx: &Ctxt, raw: &Attrs, path: &syn::Path, on: &On<'_>) -> Option<syn::Path> {
    let inline: Vec<&str> = ["length", "range", "pattern"]
        .into_iter()
        .filter(|n| raw.has(n))
        .collect();
    if !inline.is_empty() {
        cx.error_spanned_by(
            path,
            format!(
                "`constraints({})` and `{}` on one value: write every constraint in the set, or every one here",
                path.to_token_stream().to_string().replace(' ', ""),
                inline.join("`, `")
            ),
        );
        return None;
    }
    if !(on.shape.has_length() || on.shape.is_numeric()) {
        cx.error_spanned_by(
            path,
            format!(
                "`constraints(..)` needs a string, number, blob, list or map, not `{}`",
                on.name
            ),
        );
        return None;
    }
    Some(path.clone())
}

/// Rule: `length` needs a string, blob, list or map; bounds are
/// non-negative integers with min ≤ max.
pub fn length(
    cx: &Ctxt,
    name: &syn::Ident,
    b: &Bounds,
    on: &On<'_>,
) -> Option<(Option<u64>, Option<u64>)> {
    if !on.shape.has_length() {
        let hint = if on.shape.is_numeric() {
            "; for a number use `range(..)`"
        } else {
            ""
        };
        cx.error_spanned_by(
            name,
            format!(
                "`length` needs a `String`, blob, `Vec` or map field, not `{}`{hint}",
                on.name
            ),
        );
        return None;
    }
    lengths(cx, name, b)
}

/// The bounds of a `length` as counts, min ≤ max (also for a constraint set,
/// which has no field type).
pub fn lengths(cx: &Ctxt, name: &syn::Ident, b: &Bounds) -> Option<(Option<u64>, Option<u64>)> {
    let count = |bound: &Option<Bound>| -> Option<Option<u64>> {
        match bound {
            None => Some(None),
            Some(Bound {
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
            Some(Bound { tokens, .. }) => {
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
            name,
            format!("`length` min ({lo}) is greater than max ({hi}); the smaller bound comes first: `length({hi}, {lo})`"),
        );
        return None;
    }
    Some((min, max))
}

/// Rule: `range` needs a numeric field; bounds fit its type, min ≤ max.
pub fn range(
    cx: &Ctxt,
    name: &syn::Ident,
    b: &Bounds,
    on: &On<'_>,
) -> Option<(Option<Num>, Option<Num>)> {
    if !on.shape.is_numeric() {
        let hint = if on.shape.has_length() {
            "; for a length use `length(..)`"
        } else {
            ""
        };
        cx.error_spanned_by(
            name,
            format!(
                "`range` needs a numeric field (an integer or float type), not `{}`{hint}",
                on.name
            ),
        );
        return None;
    }
    let mut ok = true;
    for bound in [&b.min, &b.max].into_iter().flatten() {
        match (on.shape, bound.value) {
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
    ok &= ordered(cx, name, b);
    ok.then(|| {
        (
            b.min.as_ref().map(|x| x.value),
            b.max.as_ref().map(|x| x.value),
        )
    })
}

/// Rule: a range's min is not greater than its max.
pub fn ordered(cx: &Ctxt, name: &syn::Ident, b: &Bounds) -> bool {
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
                name,
                format!(
                    "`range` min ({lo}) is greater than max ({hi}); the smaller bound comes first: `range({hi}, {lo})`",
                    lo = lo.value,
                    hi = hi.value
                ),
            );
            return false;
        }
    }
    true
}

/// Rule: `pattern` needs a string.
pub fn pattern(
    cx: &Ctxt,
    name: &syn::Ident,
    lit: &syn::LitStr,
    on: &On<'_>,
) -> Option<PatternRule> {
    if *on.shape != TypeShape::String {
        let hint = if on.shape.is_numeric() {
            "; for a number use `range(..)`"
        } else {
            ""
        };
        cx.error_spanned_by(
            name,
            format!("`pattern` needs a `String` field, not `{}`{hint}", on.name),
        );
        return None;
    }
    regex(cx, lit)
}

/// Rule: a pattern's regex compiles on the runtime's engine (regex-lite),
/// or, with Unicode classes only, on the full engine of the runtime's
/// `unicode-patterns` feature.
pub fn regex(cx: &Ctxt, lit: &syn::LitStr) -> Option<PatternRule> {
    let written = lit.value();
    let engine = crate::dialect::for_engine(&written);
    // What the engine compiles; errors quote it.
    let source = engine.clone().unwrap_or_else(|| written.clone());
    let rule = |unicode| PatternRule {
        source: written.clone(),
        engine: engine.clone(),
        unicode,
        span: lit.span(),
    };
    // A syntax error first, with where it is; then what the runtime's
    // engine (regex-lite) cannot run. Unicode classes alone can still run on
    // the full engine, behind ecrkit's `unicode-patterns` feature.
    if let Err(e) = regex_syntax::ast::parse::Parser::new().parse(&source) {
        cx.error_spanned_by(lit, regex_error(&source, &e));
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
                lit,
                "this regex does not compile: unknown Unicode property in `\\p{..}`; use a general category such as `\\p{L}` or `\\p{Nd}`, or write the class out, such as `[a-zA-Z]`",
            );
            None
        }
        _ => {
            cx.error_spanned_by(
                lit,
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
