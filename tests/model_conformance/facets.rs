//! A member's constraints, on either side, as values that compare: numbers, facets, paths.

use super::*;

/// A numeric bound, compared by value (an integer bound equals the same
/// floating-point bound).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a == b,
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

impl Num {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(x) => x,
        }
    }
    pub(crate) fn from_json(v: &Value) -> Num {
        if let Some(i) = v.as_i64() {
            Num::Int(i as i128)
        } else if let Some(u) = v.as_u64() {
            Num::Int(u as i128)
        } else {
            Num::Float(v.as_f64().expect("a numeric bound"))
        }
    }
}

impl From<Number> for Num {
    fn from(n: Number) -> Num {
        match n {
            Number::Int(i) => Num::Int(i),
            Number::Float(x) => Num::Float(x),
        }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => write!(f, "{x}"),
        }
    }
}

/// One constraint split into its facets; each facet present on either side
/// is one "constraint compared".
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Facets {
    pub(crate) length_min: Option<u64>,
    pub(crate) length_max: Option<u64>,
    pub(crate) range_min: Option<Num>,
    pub(crate) range_max: Option<Num>,
    pub(crate) pattern: Option<String>,
    /// Our side only: more than one constraint of the same kind.
    pub(crate) duplicates: Vec<String>,
}

impl Facets {
    pub(crate) fn from_schema(constraints: &[Constraint]) -> Facets {
        let mut f = Facets::default();
        let (mut length, mut range, mut pattern) = (false, false, false);
        for c in constraints {
            match *c {
                Constraint::Length { min, max } => {
                    if std::mem::replace(&mut length, true) {
                        f.duplicates.push("length".into());
                    }
                    // A minimum length of 0 is no constraint: same as absent.
                    f.length_min = min.filter(|&m| m != 0);
                    f.length_max = max;
                }
                Constraint::Range { min, max } => {
                    if std::mem::replace(&mut range, true) {
                        f.duplicates.push("range".into());
                    }
                    f.range_min = min.map(Num::from);
                    f.range_max = max.map(Num::from);
                }
                Constraint::Pattern(p) => {
                    if std::mem::replace(&mut pattern, true) {
                        f.duplicates.push("pattern".into());
                    }
                    f.pattern = Some(p.to_string());
                }
            }
        }
        f
    }

    /// The model's constraints of a shape: `min`/`max` are a length on
    /// strings, blobs, lists and maps and a range on numbers.
    pub(crate) fn from_model(shape: &Value) -> Facets {
        let mut f = Facets::default();
        let ty = shape["type"].as_str().unwrap_or("");
        let (min, max) = (shape.get("min"), shape.get("max"));
        match ty {
            "integer" | "long" | "float" | "double" | "short" | "byte" | "bigInteger"
            | "bigDecimal" => {
                f.range_min = min.map(Num::from_json);
                f.range_max = max.map(Num::from_json);
            }
            _ => {
                // `min: 0` in the model equals no minimum on our side.
                f.length_min = min.and_then(Value::as_u64).filter(|&m| m != 0);
                f.length_max = max.and_then(Value::as_u64);
            }
        }
        f.pattern = shape
            .get("pattern")
            .and_then(Value::as_str)
            .map(str::to_string);
        f
    }

    pub(crate) fn is_empty(&self) -> bool {
        *self == Facets::default()
    }
}

/// Where a difference was found: `Operation: member.path` or
/// `Operation output: member.path`.
#[derive(Clone)]
pub(crate) struct At {
    pub(crate) op: String,
    pub(crate) path: String,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.op)
        } else {
            write!(f, "{}: {}", self.op, self.path)
        }
    }
}

impl At {
    pub(crate) fn member(&self, name: &str) -> At {
        let path = if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{}", self.path, name)
        };
        At {
            op: self.op.clone(),
            path,
        }
    }
    pub(crate) fn suffix(&self, s: &str) -> At {
        At {
            op: self.op.clone(),
            path: format!("{}{}", self.path, s),
        }
    }
}
