//! Value types of the wire format that Rust's standard library lacks.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserializer, Visitor};

/// A point in time as AWS JSON services send it: seconds since the Unix
/// epoch, possibly fractional.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// A timestamp from whole seconds since the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Self { secs, nanos: 0 }
    }

    /// A timestamp from fractional seconds since the epoch, rounded to the
    /// millisecond as AWS services send it. `None` for NaN or out of range.
    pub fn from_secs_f64(value: f64) -> Option<Self> {
        if !value.is_finite() || value.abs() > 1e15 {
            return None;
        }
        let millis = (value * 1000.0).round() as i64;
        let secs = millis.div_euclid(1000);
        let nanos = (millis.rem_euclid(1000) * 1_000_000) as u32;
        Some(Self { secs, nanos })
    }

    /// Whole seconds since the epoch (rounded down).
    pub const fn secs(&self) -> i64 {
        self.secs
    }

    /// The nanoseconds past [`Timestamp::secs`].
    pub const fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Fractional seconds since the epoch.
    pub fn as_secs_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// The same instant as a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        if self.secs >= 0 {
            UNIX_EPOCH + Duration::new(self.secs as u64, self.nanos)
        } else {
            UNIX_EPOCH - Duration::from_secs(self.secs.unsigned_abs())
                + Duration::from_nanos(u64::from(self.nanos))
        }
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(d) => Self {
                secs: d.as_secs() as i64,
                nanos: d.subsec_nanos(),
            },
            Err(e) => {
                let d = e.duration();
                let nanos = d.subsec_nanos();
                if nanos == 0 {
                    Self {
                        secs: -(d.as_secs() as i64),
                        nanos: 0,
                    }
                } else {
                    Self {
                        secs: -(d.as_secs() as i64) - 1,
                        nanos: 1_000_000_000 - nanos,
                    }
                }
            }
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            write!(f, "{}", self.secs)
        } else {
            write!(f, "{}.{:03}", self.secs, self.nanos / 1_000_000)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EpochVisitor;
        impl Visitor<'_> for EpochVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp in epoch seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp::from_secs(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .map(Timestamp::from_secs)
                    .map_err(|_| E::custom("timestamp out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                Timestamp::from_secs_f64(v).ok_or_else(|| E::custom("timestamp out of range"))
            }
        }
        deserializer.deserialize_any(EpochVisitor)
    }
}

/// A blob member that arrives as a base64 string.
pub trait FromBase64: Sized {
    /// Builds the value from decoded bytes.
    fn from_decoded(bytes: Vec<u8>) -> Self;
}

impl FromBase64 for bytes::Bytes {
    fn from_decoded(bytes: Vec<u8>) -> Self {
        bytes.into()
    }
}

impl FromBase64 for Vec<u8> {
    fn from_decoded(bytes: Vec<u8>) -> Self {
        bytes
    }
}

/// Deserializes a base64 blob member (`#[base64]`); `null` or absence gives
/// `None` for an `Option`.
pub trait DeBase64<'de>: Sized {
    /// Reads the member.
    fn de_base64<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

fn decode_base64<E: de::Error>(text: &str) -> Result<Vec<u8>, E> {
    base64_simd::STANDARD
        .decode_to_vec(text.as_bytes())
        .map_err(|_| E::custom("invalid base64 in a blob member"))
}

impl<'de, T: FromBase64> DeBase64<'de> for T {
    fn de_base64<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        decode_base64(&text).map(T::from_decoded)
    }
}

/// The `deserialize_with` target of `#[base64]` fields.
pub fn de_base64<'de, D: Deserializer<'de>, T: DeBase64<'de>>(d: D) -> Result<T, D::Error> {
    T::de_base64(d)
}

/// The `deserialize_with` target of optional `#[base64]` fields.
pub fn de_base64_opt<'de, D: Deserializer<'de>, T: FromBase64>(
    d: D,
) -> Result<Option<T>, D::Error> {
    let text = <Option<std::borrow::Cow<'de, str>> as serde::Deserialize>::deserialize(d)?;
    match text {
        None => Ok(None),
        Some(text) => decode_base64(&text).map(|b| Some(T::from_decoded(b))),
    }
}

/// A float member: awsJson sends NaN and the infinities as the strings
/// `"NaN"`, `"Infinity"` and `"-Infinity"`.
pub trait FromF64: Sized {
    /// Narrows the parsed value.
    fn from_f64(value: f64) -> Self;
}

impl FromF64 for f64 {
    fn from_f64(value: f64) -> Self {
        value
    }
}

impl FromF64 for f32 {
    fn from_f64(value: f64) -> Self {
        value as f32
    }
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum FloatText<'a> {
    Number(f64),
    #[serde(borrow)]
    Text(std::borrow::Cow<'a, str>),
}

fn float_from<E: de::Error>(v: FloatText<'_>) -> Result<f64, E> {
    match v {
        FloatText::Number(n) => Ok(n),
        FloatText::Text(t) => match t.as_ref() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => Err(E::custom(format!(
                "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", got {other:?}"
            ))),
        },
    }
}

/// The `deserialize_with` target of float fields.
pub fn de_float<'de, D: Deserializer<'de>, T: FromF64>(d: D) -> Result<T, D::Error> {
    let v = <FloatText<'de> as serde::Deserialize>::deserialize(d)?;
    float_from(v).map(T::from_f64)
}

/// The `deserialize_with` target of optional float fields.
pub fn de_float_opt<'de, D: Deserializer<'de>, T: FromF64>(d: D) -> Result<Option<T>, D::Error> {
    match <Option<FloatText<'de>> as serde::Deserialize>::deserialize(d)? {
        None => Ok(None),
        Some(v) => float_from(v).map(|f| Some(T::from_f64(f))),
    }
}

/// A deserializer that reads structures from JSON objects only. serde's
/// derived `Deserialize` also accepts a sequence (members by position);
/// awsJson structures are always objects, so `[null, "x"]` must not read
/// as one. Generated shapes deserialize through it.
pub struct MapOnly<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}
