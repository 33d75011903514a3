//! How awsJson values map onto serde: the adapters the macros name in the
//! `#[serde(with = ..)]` of a member, and the deserializer wrapper every
//! declared structure is read through.
//!
//! serde and serde_json do the work; these say what awsJson means where its
//! rules differ from serde's defaults
//! (<https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html>):
//! blobs are base64 strings, floats may be the strings `"NaN"`,
//! `"Infinity"` and `"-Infinity"`, and a structure is always a JSON object
//! (serde's derive also accepts an array, members by position).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;
use bytes::Bytes;
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// A deserializer that reads structures from JSON objects only. Generated
/// structures deserialize through it: awsJson structures are objects, so
/// `[null, "x"]` must not read as one.
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

/// Reads a string enum: the known value it names, or `Unknown` with the
/// text (through `From<&str>`, which the macro generates). One visitor for
/// every enum; it borrows the text when the body has no escapes.
pub fn deserialize_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct EnumVisitor<T>(PhantomData<T>);
    impl<T: for<'a> From<&'a str>> Visitor<'_> for EnumVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
    }
    deserializer.deserialize_str(EnumVisitor(PhantomData))
}

/// Reads a structure without members (a unit struct): any JSON value, as
/// there is nothing in it to read.
pub fn deserialize_unit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
    de::IgnoredAny::deserialize(deserializer).map(drop)
}

/// Writes a structure without members: `{}`.
pub fn serialize_unit<S: Serializer>(name: &'static str, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    serializer.serialize_struct(name, 0)?.end()
}

pub mod base64_blob;
pub mod base64_list;
pub mod float;
pub mod timestamp;

macro_rules! timestamp_adapter {
    ($module:ident, $format:ident, $doc:literal) => {
        #[doc = $doc]
        pub mod $module {
            use super::timestamp::{Values, $format};
            use serde::{Deserializer, Serializer};

            /// The `serialize_with` of such a member.
            pub fn serialize<T: Values<$format>, S: Serializer>(
                value: &T,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                value.write(serializer)
            }

            /// The `deserialize_with` of such a member.
            pub fn deserialize<'de, T: Values<$format>, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<T, D::Error> {
                T::read(deserializer)
            }
        }
    };
}

timestamp_adapter!(
    date_time,
    DateTime,
    "`#[timestamp_format(\"date-time\")]`: RFC 3339 strings."
);
timestamp_adapter!(
    http_date,
    HttpDate,
    "`#[timestamp_format(\"http-date\")]`: IMF-fixdate strings."
);
timestamp_adapter!(
    epoch_seconds,
    EpochSeconds,
    "`#[timestamp_format(\"epoch-seconds\")]`: seconds since the epoch."
);

/// Why [`split_at_blob`] could not cut a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot stream the blob member into this request body: {0}")]
pub struct BlobSplitError(String);

impl BlobSplitError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// The JSON of `value` (a request whose blob member `wire_name` is empty),
/// cut around that blob's text: the bytes up to and including its opening
/// quote, and the bytes from its closing quote on. A writer streams base64
/// between the two and gets what serde_json would write for the request
/// with the blob in it, without the blob ever being one value in memory.
///
/// The member is found as `"<wire_name>":""` after a `{` or `,`: inside a
/// string value serde_json escapes every quote, so the pattern can only be
/// the member itself.
pub fn split_at_blob<T: Serialize>(
    value: &T,
    wire_name: &str,
) -> Result<(Vec<u8>, Vec<u8>), BlobSplitError> {
    let body = serde_json::to_vec(value).map_err(|e| BlobSplitError::new(e.to_string()))?;
    let pattern = format!("\"{wire_name}\":\"\"");
    let mut found = None;
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&body[from..], pattern.as_bytes()).map(|i| i + from) {
        if at > 0 && matches!(body[at - 1], b'{' | b',') {
            if found.is_some() {
                return Err(BlobSplitError::new(format!("`{wire_name}` appears twice")));
            }
            found = Some(at);
        }
        from = at + 1;
    }
    let at = found.ok_or_else(|| {
        BlobSplitError::new(format!(
            "no empty `{wire_name}` member in the serialized request"
        ))
    })?;
    // Through the blob's opening quote; the tail starts at its closing one.
    let cut = at + pattern.len() - 1;
    Ok((body[..cut].to_vec(), body[cut..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Floats {
        #[serde(with = "float")]
        one: f64,
        #[serde(with = "float", default, skip_serializing_if = "Option::is_none")]
        maybe: Option<f32>,
        #[serde(with = "float")]
        list: Vec<f64>,
        #[serde(with = "float")]
        map: BTreeMap<String, f64>,
    }

    #[test]
    fn floats_travel_as_awsjson_writes_them() {
        let v = Floats {
            one: f64::INFINITY,
            maybe: Some(1234.5),
            list: vec![f64::NEG_INFINITY, 0.25],
            map: [("a".to_owned(), f64::NAN)].into_iter().collect(),
        };
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(
            text,
            r#"{"one":"Infinity","maybe":1234.5,"list":["-Infinity",0.25],"map":{"a":"NaN"}}"#
        );
        let back: Floats = serde_json::from_str(&text).unwrap();
        assert_eq!(back.one, f64::INFINITY);
        assert_eq!(back.maybe, Some(1234.5));
        assert_eq!(back.list[0], f64::NEG_INFINITY);
        assert!(back.map["a"].is_nan());
        let e = serde_json::from_str::<Floats>(r#"{"one":"nan","list":[],"map":{}}"#).unwrap_err();
        assert!(e.to_string().contains("expected a number"), "{e}");
        let v: Floats =
            serde_json::from_str(r#"{"one":3,"maybe":null,"list":[],"map":{}}"#).unwrap();
        assert_eq!((v.one, v.maybe), (3.0, None));
    }

    #[derive(Serialize)]
    struct Request<'a> {
        name: &'a str,
        #[serde(with = "base64_blob")]
        blob: Bytes,
        last: u64,
    }

    #[test]
    fn a_body_is_cut_around_its_blob() {
        let request = Request {
            name: r#"x","blob":"","#,
            blob: Bytes::new(),
            last: 41,
        };
        let (head, tail) = split_at_blob(&request, "blob").unwrap();
        assert_eq!(head, br#"{"name":"x\",\"blob\":\"\",","blob":""#);
        assert_eq!(tail, br#"","last":41}"#);
        let whole = [&head[..], b"aGk=", &tail[..]].concat();
        let full = Request {
            blob: Bytes::from_static(b"hi"),
            ..request
        };
        assert_eq!(whole, serde_json::to_vec(&full).unwrap());
        assert!(
            split_at_blob(&full, "blob").is_err(),
            "the blob must be empty"
        );
        assert!(split_at_blob(&request, "other").is_err());
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Blobs {
        #[serde(with = "base64_blob")]
        required: Bytes,
        // Boxed: the adapter sees through a `Box`.
        #[allow(clippy::box_collection)]
        #[serde(with = "base64_blob", default, skip_serializing_if = "Option::is_none")]
        optional: Option<Box<Vec<u8>>>,
    }

    #[test]
    fn blobs_are_base64_strings() {
        let v = Blobs {
            required: Bytes::from_static(b"hi"),
            optional: Some(Box::new(vec![0xff])),
        };
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(text, r#"{"required":"aGk=","optional":"/w=="}"#);
        assert_eq!(serde_json::from_str::<Blobs>(&text).unwrap(), v);
        let v: Blobs = serde_json::from_str(r#"{"required":"","optional":null}"#).unwrap();
        assert_eq!(v.optional, None);
        let e = serde_json::from_str::<Blobs>(r#"{"required":"!!"}"#).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid base64 in a blob member"),
            "{e}"
        );
        assert!(serde_json::from_str::<Blobs>(r#"{"required":null}"#).is_err());
    }
}
