//! Timestamps in the formats of Smithy's `@timestampFormat`, for members
//! that name one (`#[timestamp_format("date-time")]`): the adapters
//! [`date_time`], [`http_date`] and [`epoch_seconds`], for a `Timestamp`
//! and lists and maps of them. Without a format a `Timestamp` is epoch
//! seconds (its own serde impls).

use super::*;
use crate::types::Timestamp;

/// One of Smithy's formats.
pub trait Format {
    /// Writes one timestamp.
    fn write<S: Serializer>(t: &Timestamp, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads one timestamp.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error>;
}

fn text<'de, D: Deserializer<'de>>(
    deserializer: D,
    what: &'static str,
    parse: fn(&str) -> Option<Timestamp>,
) -> Result<Timestamp, D::Error> {
    struct TextVisitor(&'static str, fn(&str) -> Option<Timestamp>);
    impl Visitor<'_> for TextVisitor {
        type Value = Timestamp;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
            (self.1)(v).ok_or_else(|| E::invalid_value(de::Unexpected::Other("a string"), &self))
        }
    }
    deserializer.deserialize_str(TextVisitor(what, parse))
}

/// RFC 3339 (`2026-12-01T06:07:08.963Z`); reading also takes offsets
/// (`2019-12-16T22:48:18-01:00`).
pub struct DateTime;
impl Format for DateTime {
    fn write<S: Serializer>(t: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&t.to_rfc3339())
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        text(deserializer, "an RFC 3339 date-time", |s| {
            Timestamp::parse_rfc3339_with_offset(s).ok()
        })
    }
}

/// IMF-fixdate (`Tue, 01 Dec 2026 06:07:08 GMT`).
pub struct HttpDate;
impl Format for HttpDate {
    fn write<S: Serializer>(t: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&t.to_http_date())
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        text(deserializer, "an HTTP date", |s| {
            Timestamp::parse_http_date(s).ok()
        })
    }
}

/// Seconds since the epoch (as a `Timestamp` without a format).
pub struct EpochSeconds;
impl Format for EpochSeconds {
    fn write<S: Serializer>(t: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        t.serialize(serializer)
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        Timestamp::deserialize(deserializer)
    }
}

/// A type holding timestamps: `Timestamp`, and `Option`, `Box`, `Vec`
/// and string-keyed maps of them.
pub trait Values<F: Format>: Sized {
    /// Writes the value.
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads the value.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

impl<F: Format> Values<F> for Timestamp {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        F::write(self, serializer)
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        F::read(deserializer)
    }
}

struct Ser<'a, T, F>(&'a T, PhantomData<F>);
impl<T: Values<F>, F: Format> Serialize for Ser<'_, T, F> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.write(serializer)
    }
}
struct De<T, F>(T, PhantomData<F>);
impl<'de, T: Values<F>, F: Format> Deserialize<'de> for De<T, F> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::read(deserializer).map(|v| De(v, PhantomData))
    }
}

impl<F: Format, T: Values<F>> Values<F> for Option<T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.write(serializer),
            None => serializer.serialize_none(),
        }
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<De<T, F>>::deserialize(deserializer).map(|v| v.map(|d| d.0))
    }
}
impl<F: Format, T: Values<F>> Values<F> for Box<T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).write(serializer)
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::read(deserializer).map(Box::new)
    }
}
impl<F: Format, T: Values<F>> Values<F> for Vec<T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(|v| Ser::<T, F>(v, PhantomData)))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<De<T, F>>::deserialize(deserializer).map(|v| v.into_iter().map(|d| d.0).collect())
    }
}
impl<F: Format, T: Values<F>> Values<F> for HashMap<String, T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(k, v)| (k, Ser::<T, F>(v, PhantomData))))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        HashMap::<String, De<T, F>>::deserialize(deserializer)
            .map(|m| m.into_iter().map(|(k, d)| (k, d.0)).collect())
    }
}
impl<F: Format, T: Values<F>> Values<F> for BTreeMap<String, T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(k, v)| (k, Ser::<T, F>(v, PhantomData))))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, De<T, F>>::deserialize(deserializer)
            .map(|m| m.into_iter().map(|(k, d)| (k, d.0)).collect())
    }
}
