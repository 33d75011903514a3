//! What a field's type is, read from its syntax: the macro sees tokens, not
//! types, so it knows the standard names (`String`, `i64`, `Vec<T>`,
//! `Option<T>`, ...) and the runtime's (`Timestamp`, `Document`, `Bytes`);
//! anything else is a declared shape or enum.

use syn::Type;

/// What a field's type is, read from its syntax.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeShape {
    String,
    /// `bytes::Bytes`.
    Bytes,
    /// `Vec<u8>`: a blob with `#[base64]`, a list of numbers without.
    VecU8,
    Bool,
    Int {
        name: String,
        min: i128,
        max: i128,
    },
    Float {
        name: String,
    },
    Timestamp,
    /// `Document` (untyped JSON: `serde_json::Value`).
    Document,
    List(Box<TypeShape>),
    Map(Box<TypeShape>),
    /// A declared shape or enum.
    Other,
}

impl TypeShape {
    pub fn is_numeric(&self) -> bool {
        matches!(self, TypeShape::Int { .. } | TypeShape::Float { .. })
    }
    pub fn has_length(&self) -> bool {
        matches!(
            self,
            TypeShape::String
                | TypeShape::Bytes
                | TypeShape::VecU8
                | TypeShape::List(_)
                | TypeShape::Map(_)
        )
    }
    pub fn is_blob(&self) -> bool {
        matches!(self, TypeShape::Bytes | TypeShape::VecU8)
    }
    /// Whether values of this type are or hold floats (awsJson writes NaN
    /// and the infinities as strings, through the runtime's float adapter).
    pub fn holds_float(&self) -> bool {
        match self {
            TypeShape::Float { .. } => true,
            TypeShape::List(t) | TypeShape::Map(t) => t.holds_float(),
            _ => false,
        }
    }
    /// Whether values of this type are or hold timestamps.
    pub fn holds_timestamp(&self) -> bool {
        match self {
            TypeShape::Timestamp => true,
            TypeShape::List(t) | TypeShape::Map(t) => t.holds_timestamp(),
            _ => false,
        }
    }
    /// Whether values of this type can hold shapes or enums with rules of their own.
    pub fn may_nest(&self) -> bool {
        match self {
            TypeShape::Other => true,
            TypeShape::List(t) | TypeShape::Map(t) => t.may_nest(),
            _ => false,
        }
    }
    /// The list item or map value type, for `each`.
    pub fn item(&self) -> Option<TypeShape> {
        match self {
            TypeShape::List(t) | TypeShape::Map(t) => Some((**t).clone()),
            TypeShape::VecU8 => Some(TypeShape::Int {
                name: "u8".into(),
                min: 0,
                max: 255,
            }),
            _ => None,
        }
    }
}

/// A field's type: optional or required, and what it holds.
#[derive(Clone, Debug)]
pub struct FieldType {
    pub optional: bool,
    pub shape: TypeShape,
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn generic_args(seg: &syn::PathSegment) -> Vec<&Type> {
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads a field type: `Option<T>` marks it optional, `Box<T>` is transparent.
pub fn classify(ty: &Type) -> FieldType {
    if let Some(seg) = last_segment(ty) {
        let args = generic_args(seg);
        if seg.ident == "Option" && args.len() == 1 {
            return FieldType {
                optional: true,
                shape: shape_of(args[0]),
            };
        }
    }
    FieldType {
        optional: false,
        shape: shape_of(ty),
    }
}

fn shape_of(ty: &Type) -> TypeShape {
    let Some(seg) = last_segment(ty) else {
        return TypeShape::Other;
    };
    let args = generic_args(seg);
    let name = seg.ident.to_string();
    let int = |min: i128, max: i128| TypeShape::Int {
        name: name.clone(),
        min,
        max,
    };
    match (name.as_str(), args.as_slice()) {
        ("String", []) => TypeShape::String,
        ("Bytes", []) => TypeShape::Bytes,
        ("bool", []) => TypeShape::Bool,
        ("i8", []) => int(i8::MIN.into(), i8::MAX.into()),
        ("i16", []) => int(i16::MIN.into(), i16::MAX.into()),
        ("i32", []) => int(i32::MIN.into(), i32::MAX.into()),
        ("i64", []) => int(i64::MIN.into(), i64::MAX.into()),
        ("u8", []) => int(0, u8::MAX.into()),
        ("u16", []) => int(0, u16::MAX.into()),
        ("u32", []) => int(0, u32::MAX.into()),
        ("u64", []) => int(0, u64::MAX.into()),
        ("f32" | "f64", []) => TypeShape::Float { name },
        ("Timestamp", []) => TypeShape::Timestamp,
        ("Document", []) => TypeShape::Document,
        ("Box", [inner]) => shape_of(inner),
        ("Vec", [inner]) if matches!(shape_of(inner), TypeShape::Int { ref name, .. } if name == "u8") => {
            TypeShape::VecU8
        }
        ("Vec", [inner]) => TypeShape::List(Box::new(shape_of(inner))),
        ("HashMap" | "BTreeMap", [_, value]) => TypeShape::Map(Box::new(shape_of(value))),
        _ => TypeShape::Other,
    }
}
