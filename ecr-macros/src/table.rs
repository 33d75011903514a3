//! Every attribute and item argument of the DSL, one entry each: its name,
//! how its value is written, where it goes, how it is written in words and
//! an example. Parsing (`parse`), usage messages and "did you mean"
//! suggestions all read this table, so a new attribute is one entry here
//! and one rule in `check`.

use crate::ir::ItemKind;

/// How an attribute's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `#[name]`.
    Flag,
    /// `#[name(min, max)]`, `#[name(min = a)]`, `#[name(max = b)]`.
    Bounds,
    /// `#[name("text")]`.
    ParenStr,
    /// `#[name = "text"]`, or `name = "text"` among item arguments.
    EqStr,
    /// `name = Type` (item arguments).
    EqType,
    /// `name = path::To` (item arguments).
    EqPath,
    /// `#[name(path::To)]`.
    ParenPath,
    /// `name(A, B, ..)`: a list of paths, maybe empty (item arguments).
    PathList,
    /// `#[name(rule(..), ..)]`: rules for every item of a list.
    Rules,
}

/// One attribute or argument.
#[derive(Debug)]
pub struct Spec {
    /// Its name.
    pub name: &'static str,
    /// How its value is written.
    pub form: Form,
    /// The macros whose item takes it as an argument; empty for a field
    /// attribute.
    pub macros: &'static [ItemKind],
    /// Whether it may stand inside `each(..)`.
    pub in_each: bool,
    /// What it goes on, in words.
    pub on: &'static str,
    /// How it is written, in words.
    pub usage: &'static str,
    /// An example.
    pub example: &'static str,
}

use ItemKind::{Constraint, Enum, Error, Operation, Shape};

const ALL: &[ItemKind] = &[Operation, Shape, Enum, Error, Constraint];

/// Field attributes (several may stand on one field). `range`, `length` and
/// `pattern` are also the arguments of `#[aws_constraint(..)]`.
pub const FIELD_ATTRS: &[Spec] = &[
    Spec {
        name: "range",
        form: Form::Bounds,
        macros: &[],
        in_each: true,
        on: "integer and float fields",
        usage: "`#[range(min, max)]`, `#[range(min = ..)]` or `#[range(max = ..)]`",
        example: "#[range(1, 1000)]",
    },
    Spec {
        name: "length",
        form: Form::Bounds,
        macros: &[],
        in_each: true,
        on: "`String`, blob, `Vec` and map fields",
        usage: "`#[length(min, max)]`, `#[length(min = ..)]` or `#[length(max = ..)]`",
        example: "#[length(2, 256)]",
    },
    Spec {
        name: "pattern",
        form: Form::ParenStr,
        macros: &[],
        in_each: true,
        on: "`String` fields",
        usage: "`#[pattern(\"regex\")]`",
        example: "#[pattern(r\"[a-z0-9]+\")]",
    },
    Spec {
        name: "constraints",
        form: Form::ParenPath,
        macros: &[],
        in_each: true,
        on: "string, number, blob, list and map fields",
        usage: "`#[constraints(Name)]`, naming a type declared with `#[aws_constraint(..)]`",
        example: "#[constraints(RepositoryName)]",
    },
    Spec {
        name: "base64",
        form: Form::Flag,
        macros: &[],
        in_each: false,
        on: "blob fields (`bytes::Bytes` or `Vec<u8>`)",
        usage: "`#[base64]`",
        example: "#[base64]",
    },
    Spec {
        name: "rename",
        form: Form::EqStr,
        macros: &[],
        in_each: false,
        on: "any field, and enum variants",
        usage: "`#[rename = \"wireName\"]`",
        example: "#[rename = \"Key\"]",
    },
    Spec {
        name: "timestamp_format",
        form: Form::ParenStr,
        macros: &[],
        in_each: false,
        on: "`Timestamp` fields (and lists and maps of them)",
        usage: "`#[timestamp_format(\"date-time\")]`, `(\"http-date\")` or `(\"epoch-seconds\")`",
        example: "#[timestamp_format(\"date-time\")]",
    },
    Spec {
        name: "host_label",
        form: Form::Flag,
        macros: &[],
        in_each: false,
        on: "required `String` fields of an operation with a `host_prefix`",
        usage: "`#[host_label]`",
        example: "#[host_label]",
    },
    Spec {
        name: "each",
        form: Form::Rules,
        macros: &[],
        in_each: false,
        on: "`Vec` and map fields",
        usage: "`#[each(length(..), range(..), pattern(..), constraints(..))]`",
        example: "#[each(length(1, 128))]",
    },
];

/// Item arguments: `#[aws_operation(target = .., ..)]` and the others.
pub const ITEM_ARGS: &[Spec] = &[
    Spec {
        name: "target",
        form: Form::EqStr,
        macros: &[Operation],
        in_each: false,
        on: "`#[aws_operation]`",
        usage: "`target = \"ServicePrefix.OperationName\"` (the X-Amz-Target header; by default the service's prefix, a dot and the struct's name)",
        example: "target = \"AmazonEC2ContainerRegistry_V20150921.DescribeImages\"",
    },
    Spec {
        name: "output",
        form: Form::EqType,
        macros: &[Operation],
        in_each: false,
        on: "`#[aws_operation]`",
        usage: "`output = DescribeThingResponse`, a type declared with `#[aws_shape]`",
        example: "output = DescribeImagesResponse",
    },
    Spec {
        name: "errors",
        form: Form::PathList,
        macros: &[Operation],
        in_each: false,
        on: "`#[aws_operation]`",
        usage: "`errors(ServerException, ..)`, a list of `#[aws_error]` types, or `errors()`",
        example: "errors(ServerException, RepositoryNotFoundException)",
    },
    Spec {
        name: "service",
        form: Form::EqPath,
        macros: &[Operation],
        in_each: false,
        on: "`#[aws_operation]`",
        usage: "`service = MyService`, a type that implements `ecrkit::Service`",
        example: "service = DynamoDb",
    },
    Spec {
        name: "host_prefix",
        form: Form::EqStr,
        macros: &[Operation],
        in_each: false,
        on: "`#[aws_operation]`",
        usage: "`host_prefix = \"data.{Label}.\"`, Smithy's endpoint trait: `{Label}` names a `#[host_label]` field by its wire name",
        example: "host_prefix = \"data-{AccountId}.\"",
    },
    Spec {
        name: "request_compression",
        form: Form::EqStr,
        macros: &[Operation],
        in_each: false,
        on: "`#[aws_operation]`",
        usage: "`request_compression = \"gzip\"`, Smithy's requestCompression trait",
        example: "request_compression = \"gzip\"",
    },
    Spec {
        name: "code",
        form: Form::EqStr,
        macros: &[Error],
        in_each: false,
        on: "`#[aws_error]`",
        usage: "`code = \"ThrottlingException\"`, the error code when it is not the struct's name",
        example: "code = \"Customized\"",
    },
    Spec {
        name: "crate",
        form: Form::EqStr,
        macros: ALL,
        in_each: false,
        on: "every macro",
        usage: "`crate = \"path\"`, where the runtime is (as with serde's `crate = ..`)",
        example: "crate = \"ecrkit\"",
    },
];

/// The field attribute called `name`.
pub fn field_attr(name: &str) -> Option<&'static Spec> {
    FIELD_ATTRS.iter().find(|s| s.name == name)
}

/// The item argument called `name`, whatever macro it belongs to.
pub fn item_arg(name: &str) -> Option<&'static Spec> {
    ITEM_ARGS.iter().find(|s| s.name == name)
}

/// The arguments `kind`'s macro takes. `#[aws_constraint]` takes the value
/// rules of a field (`range`, `length`, `pattern`) besides `crate`.
pub fn args_of(kind: ItemKind) -> Vec<&'static Spec> {
    let mut specs: Vec<&'static Spec> = ITEM_ARGS
        .iter()
        .filter(|s| s.macros.contains(&kind))
        .collect();
    if kind == ItemKind::Constraint {
        specs.extend(
            FIELD_ATTRS
                .iter()
                .filter(|s| matches!(s.name, "range" | "length" | "pattern")),
        );
    }
    specs
}
