//! Float members, and lists and maps of them: NaN and the infinities travel
//! as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`, which serde_json
//! would write as `null` and refuse to read.

use super::*;

/// A type holding floats: `f32`, `f64`, and `Option`, `Box`, `Vec` and
/// string-keyed maps of them.
pub trait FloatValue: Sized {
    /// Writes the value.
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads the value.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

fn write_f64<S: Serializer>(v: f64, serializer: S) -> Result<S::Ok, S::Error> {
    if v.is_nan() {
        serializer.serialize_str("NaN")
    } else if v.is_infinite() {
        serializer.serialize_str(if v > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        serializer.serialize_f64(v)
    }
}

fn read_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    struct FloatVisitor;
    impl Visitor<'_> for FloatVisitor {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, \"NaN\", \"Infinity\" or \"-Infinity\"")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            match v {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                _ => Err(E::invalid_value(de::Unexpected::Other("a string"), &self)),
            }
        }
    }
    deserializer.deserialize_any(FloatVisitor)
}

impl FloatValue for f64 {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_f64(*self, serializer)
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_f64(deserializer)
    }
}

impl FloatValue for f32 {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.is_finite() {
            // The shortest decimal of the f32: 1234.5f32 stays 1234.5.
            serializer.serialize_f32(*self)
        } else {
            write_f64(f64::from(*self), serializer)
        }
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_f64(deserializer).map(|v| v as f32)
    }
}

/// Serializes a `T` through its [`FloatValue`] impl.
struct Ser<'a, T>(&'a T);
impl<T: FloatValue> Serialize for Ser<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.write(serializer)
    }
}

/// Deserializes a `T` through its [`FloatValue`] impl.
struct De<T>(T);
impl<'de, T: FloatValue> Deserialize<'de> for De<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::read(deserializer).map(De)
    }
}

impl<T: FloatValue> FloatValue for Option<T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.write(serializer),
            None => serializer.serialize_none(),
        }
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<De<T>>::deserialize(deserializer).map(|v| v.map(|De(v)| v))
    }
}

impl<T: FloatValue> FloatValue for Box<T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).write(serializer)
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::read(deserializer).map(Box::new)
    }
}

impl<T: FloatValue> FloatValue for Vec<T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Ser))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<De<T>>::deserialize(deserializer).map(|v| v.into_iter().map(|De(v)| v).collect())
    }
}

impl<T: FloatValue> FloatValue for HashMap<String, T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(k, v)| (k, Ser(v))))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        HashMap::<String, De<T>>::deserialize(deserializer)
            .map(|m| m.into_iter().map(|(k, De(v))| (k, v)).collect())
    }
}

impl<T: FloatValue> FloatValue for BTreeMap<String, T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(k, v)| (k, Ser(v))))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, De<T>>::deserialize(deserializer)
            .map(|m| m.into_iter().map(|(k, De(v))| (k, v)).collect())
    }
}

/// The `serialize_with` of a float member.
pub fn serialize<T: FloatValue, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.write(serializer)
}

/// The `deserialize_with` of a float member.
pub fn deserialize<'de, T: FloatValue, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    T::read(deserializer)
}
