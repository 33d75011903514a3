//! `#[base64]` members: bytes that travel as a base64 string (the standard
//! alphabet, with padding). `None` is not written; `null` reads as `None`.

use super::*;

/// A blob member's type: `bytes::Bytes`, `Vec<u8>`, a `Box` of one, or
/// an `Option` of one.
pub trait Blob: Sized {
    /// The bytes; `None` for an absent member.
    fn bytes(&self) -> Option<&[u8]>;
    /// The value of decoded bytes.
    fn from_bytes(bytes: Vec<u8>) -> Self;
    /// The value of `null`; `None` where null is not a value.
    fn null() -> Option<Self> {
        None
    }
}

impl Blob for Bytes {
    fn bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
    fn from_bytes(bytes: Vec<u8>) -> Self {
        bytes.into()
    }
}
impl Blob for Vec<u8> {
    fn bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
    fn from_bytes(bytes: Vec<u8>) -> Self {
        bytes
    }
}
impl<T: Blob> Blob for Box<T> {
    fn bytes(&self) -> Option<&[u8]> {
        (**self).bytes()
    }
    fn from_bytes(bytes: Vec<u8>) -> Self {
        Box::new(T::from_bytes(bytes))
    }
}
impl<T: Blob> Blob for Option<T> {
    fn bytes(&self) -> Option<&[u8]> {
        self.as_ref().and_then(Blob::bytes)
    }
    fn from_bytes(bytes: Vec<u8>) -> Self {
        Some(T::from_bytes(bytes))
    }
    fn null() -> Option<Self> {
        Some(None)
    }
}

/// The bytes of `value`, as the blob's base64 text.
pub fn serialize<T: Blob, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    match value.bytes() {
        // Straight into the output, without an intermediate String.
        Some(bytes) => serializer.collect_str(&base64::display::Base64Display::new(
            bytes,
            &base64::engine::general_purpose::STANDARD,
        )),
        None => serializer.serialize_none(),
    }
}

/// The bytes of a base64 string.
pub fn deserialize<'de, T: Blob, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    struct BlobVisitor<T>(PhantomData<T>);
    impl<'de, T: Blob> Visitor<'de> for BlobVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a base64 string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            base64::engine::general_purpose::STANDARD
                .decode(v)
                .map(T::from_bytes)
                .map_err(|_| E::custom("invalid base64 in a blob member"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            T::null().ok_or_else(|| E::invalid_type(de::Unexpected::Unit, &self))
        }
        fn visit_none<E: de::Error>(self) -> Result<T, E> {
            self.visit_unit()
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
            d.deserialize_str(self)
        }
    }
    deserializer.deserialize_option(BlobVisitor(PhantomData))
}
