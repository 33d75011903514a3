//! The checked model the expander works from. Illegal states are not
//! representable here: a field's bounds are already ordered and fit its
//! type, a timestamp format is one of Smithy's, a host prefix's labels name
//! host-label fields.

use proc_macro2::{Span, TokenStream};
use syn::{Attribute, Ident, Path, Type, Visibility};

use crate::types::FieldType;

/// Which macro is running.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ItemKind {
    Operation,
    Shape,
    Enum,
    Error,
    Constraint,
}

impl ItemKind {
    pub fn macro_name(self) -> &'static str {
        match self {
            ItemKind::Operation => "aws_operation",
            ItemKind::Shape => "aws_shape",
            ItemKind::Enum => "aws_enum",
            ItemKind::Error => "aws_error",
            ItemKind::Constraint => "aws_constraint",
        }
    }
}

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

/// Checked constraints on one value.
#[derive(Clone, Default)]
pub struct Rules {
    pub length: Option<(Option<u64>, Option<u64>)>,
    pub range: Option<(Option<Num>, Option<Num>)>,
    pub pattern: Option<PatternRule>,
    /// A named constraint set (`#[constraints(Name)]`), instead of the three
    /// above.
    pub named: Option<Path>,
}

impl Rules {
    pub fn is_empty(&self) -> bool {
        self.length.is_none()
            && self.range.is_none()
            && self.pattern.is_none()
            && self.named.is_none()
    }
}

/// A checked `pattern`.
#[derive(Clone)]
pub struct PatternRule {
    /// The regex, as written (and as the schema keeps it).
    pub source: String,
    /// The regex in the engine's dialect, where the model's form has no
    /// Rust spelling (`dialect`); `None` when it is `source`.
    pub engine: Option<String>,
    /// It uses Unicode classes (`\p{..}`), which regex-lite cannot run: the
    /// runtime's `unicode-patterns` feature must be on.
    pub unicode: bool,
    /// The literal, for errors about it.
    pub span: Span,
}

/// Smithy's `@timestampFormat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampFormat {
    DateTime,
    HttpDate,
    EpochSeconds,
}

impl TimestampFormat {
    /// The formats, by their Smithy names.
    pub const ALL: &'static [(&'static str, TimestampFormat)] = &[
        ("date-time", TimestampFormat::DateTime),
        ("http-date", TimestampFormat::HttpDate),
        ("epoch-seconds", TimestampFormat::EpochSeconds),
    ];

    /// The runtime's serde adapter for it (`wire::<module>`).
    pub fn adapter(self) -> &'static str {
        match self {
            TimestampFormat::DateTime => "date_time",
            TimestampFormat::HttpDate => "http_date",
            TimestampFormat::EpochSeconds => "epoch_seconds",
        }
    }
}

/// A checked field.
pub struct Field {
    pub ident: Ident,
    pub vis: Visibility,
    pub ty: Type,
    pub ftype: FieldType,
    pub wire_name: String,
    pub rules: Rules,
    pub each: Rules,
    pub base64: bool,
    pub timestamp_format: Option<TimestampFormat>,
    pub host_label: bool,
    pub attrs: Vec<Attribute>,
}

/// Where an operation's `X-Amz-Target` comes from.
pub enum Target {
    /// Written, or (for ECR, whose prefix the macro knows) derived.
    Literal { value: String, span: Span },
    /// The named service's prefix, a dot and the struct's name, joined when
    /// the program compiles.
    FromService,
}

/// A checked endpoint trait: the template and the fields its labels name.
pub struct HostPrefix {
    pub template: String,
    /// `(label as written, field)`, in template order.
    pub labels: Vec<(String, Ident)>,
}

/// A checked operation header.
pub struct OperationModel {
    pub target: Target,
    pub name: String,
    pub output: Type,
    pub errors: Vec<Path>,
    pub service: Option<Path>,
    pub host_prefix: Option<HostPrefix>,
    pub request_compression: Option<String>,
}

/// A checked struct item.
pub struct StructModel {
    pub kind: ItemKind,
    pub ident: Ident,
    pub vis: Visibility,
    pub attrs: Vec<Attribute>,
    pub fields: Vec<Field>,
    pub unit: bool,
    pub root: TokenStream,
    pub operation: Option<OperationModel>,
    pub error_code: Option<String>,
}

/// A checked enum variant.
pub struct Variant {
    pub ident: Ident,
    pub wire: String,
    pub attrs: Vec<Attribute>,
}

/// A checked `#[aws_enum]`.
pub struct EnumModel {
    pub ident: Ident,
    pub vis: Visibility,
    pub attrs: Vec<Attribute>,
    pub variants: Vec<Variant>,
    pub unknown_attrs: Vec<Attribute>,
    pub root: TokenStream,
}

/// A checked `#[aws_constraint(..)]`: a named set of constraints on a unit
/// struct.
pub struct ConstraintModel {
    pub ident: Ident,
    pub vis: Visibility,
    pub attrs: Vec<Attribute>,
    pub rules: Rules,
    pub root: TokenStream,
}

/// `layer_part_blob` → `layerPartBlob`.
pub fn lower_camel(ident: &Ident) -> String {
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
