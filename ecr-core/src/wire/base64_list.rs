//! `#[base64]` on a list or map of blobs: every item a base64 string.

use super::base64_blob::Blob;
use super::*;

/// A list or string-keyed map of blobs, or an `Option` of one.
pub trait Blobs: Sized {
    /// Writes the value.
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads the value.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

struct Ser<'a, B>(&'a B);
impl<B: Blob> Serialize for Ser<'_, B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        base64_blob::serialize(self.0, serializer)
    }
}
struct De<B>(B);
impl<'de, B: Blob> Deserialize<'de> for De<B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        base64_blob::deserialize(deserializer).map(De)
    }
}

impl<B: Blob> Blobs for Vec<B> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Ser))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<De<B>>::deserialize(deserializer).map(|v| v.into_iter().map(|d| d.0).collect())
    }
}
impl<B: Blob> Blobs for HashMap<String, B> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(k, v)| (k, Ser(v))))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        HashMap::<String, De<B>>::deserialize(deserializer)
            .map(|m| m.into_iter().map(|(k, d)| (k, d.0)).collect())
    }
}
impl<B: Blob> Blobs for BTreeMap<String, B> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(k, v)| (k, Ser(v))))
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, De<B>>::deserialize(deserializer)
            .map(|m| m.into_iter().map(|(k, d)| (k, d.0)).collect())
    }
}
impl<T: Blobs> Blobs for Option<T> {
    fn write<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.write(serializer),
            None => serializer.serialize_none(),
        }
    }
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Wrap<T>(T);
        impl<'de, T: Blobs> Deserialize<'de> for Wrap<T> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                T::read(deserializer).map(Wrap)
            }
        }
        Option::<Wrap<T>>::deserialize(deserializer).map(|v| v.map(|w| w.0))
    }
}

/// The `serialize_with` of such a member.
pub fn serialize<T: Blobs, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    value.write(serializer)
}

/// The `deserialize_with` of such a member.
pub fn deserialize<'de, T: Blobs, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    T::read(deserializer)
}
