//! Writing: request bodies, straight into one byte buffer.
//!
//! Serialization does not go through `serde_json::Value` or an intermediate
//! `String`: every member is appended to the request's body buffer, and blobs
//! are base64-encoded directly into the buffer's spare capacity. That is what
//! keeps a 20 MiB `UploadLayerPart` at one encoding pass.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use crate::types::Timestamp;

/// Appends JSON to a byte buffer; keeps track of where commas go.
pub struct JsonWriter<'a> {
    buf: &'a mut Vec<u8>,
    /// One entry per open object or array: has it had a member yet?
    needs_comma: Vec<bool>,
    /// A key was just written: the next value needs no comma.
    value_follows_key: bool,
}

impl<'a> JsonWriter<'a> {
    /// Starts writing at the end of `buf`.
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Self {
            buf,
            needs_comma: Vec::with_capacity(8),
            value_follows_key: false,
        }
    }

    fn separate(&mut self) {
        if let Some(needs) = self.needs_comma.last_mut() {
            if *needs {
                self.buf.push(b',');
            }
            *needs = true;
        }
    }

    /// Opens an object (`{`).
    pub fn begin_object(&mut self) {
        self.begin_value();
        self.buf.push(b'{');
        self.needs_comma.push(false);
    }

    /// Closes the innermost object.
    pub fn end_object(&mut self) {
        self.needs_comma.pop();
        self.buf.push(b'}');
    }

    /// Opens an array (`[`).
    pub fn begin_array(&mut self) {
        self.begin_value();
        self.buf.push(b'[');
        self.needs_comma.push(false);
    }

    /// Closes the innermost array.
    pub fn end_array(&mut self) {
        self.needs_comma.pop();
        self.buf.push(b']');
    }

    /// Writes an object key; the value written next belongs to it.
    pub fn key(&mut self, key: &str) {
        self.separate();
        self.write_escaped(key);
        self.buf.push(b':');
        self.value_follows_key = true;
    }

    /// Starts a value: inside an array it needs a separating comma,
    /// after a key it does not.
    fn begin_value(&mut self) {
        if std::mem::take(&mut self.value_follows_key) {
            return;
        }
        self.separate();
    }

    /// Writes an escaped JSON string.
    pub fn string(&mut self, value: &str) {
        self.begin_value();
        self.write_escaped(value);
    }

    fn write_escaped(&mut self, value: &str) {
        self.buf.reserve(value.len() + 2);
        self.buf.push(b'"');
        let bytes = value.as_bytes();
        // Runs that need no escape are copied whole; JSON escapes only the
        // quote, the backslash and control characters.
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short = match b {
                b'"' => b'"',
                b'\\' => b'\\',
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                0x08 => b'b',
                0x0c => b'f',
                0x00..=0x1f => 0,
                _ => continue,
            };
            self.buf.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            if short == 0 {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.buf.extend_from_slice(b"\\u00");
                self.buf.push(HEX[usize::from(b >> 4)]);
                self.buf.push(HEX[usize::from(b & 0xf)]);
            } else {
                self.buf.push(b'\\');
                self.buf.push(short);
            }
        }
        self.buf.extend_from_slice(&bytes[start..]);
        self.buf.push(b'"');
    }

    /// Writes a boolean.
    pub fn bool(&mut self, value: bool) {
        self.begin_value();
        self.buf
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    /// Writes an integer.
    pub fn integer(&mut self, value: i64) {
        self.begin_value();
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// Writes a float; NaN and the infinities travel as the strings
    /// `"NaN"`, `"Infinity"` and `"-Infinity"`, as awsJson defines them.
    pub fn float(&mut self, value: f64) {
        self.begin_value();
        if value.is_nan() {
            self.buf.extend_from_slice(b"\"NaN\"");
        } else if value.is_infinite() {
            self.buf.extend_from_slice(if value > 0.0 {
                b"\"Infinity\""
            } else {
                b"\"-Infinity\""
            });
        } else {
            use std::io::Write;
            let _ = write!(self.buf, "{value}");
        }
    }

    /// Writes bytes as a base64 JSON string, encoding straight into the buffer.
    pub fn base64(&mut self, bytes: &[u8]) {
        self.begin_value();
        self.buf
            .reserve(base64_simd::STANDARD.encoded_length(bytes.len()) + 2);
        self.buf.push(b'"');
        self.base64_raw(bytes);
        self.buf.push(b'"');
    }

    /// Appends the base64 text of `bytes` with no quotes, encoding into the
    /// buffer's spare capacity (for a blob written in pieces).
    pub fn base64_raw(&mut self, bytes: &[u8]) {
        let encoded = base64_simd::STANDARD.encoded_length(bytes.len());
        self.buf.reserve(encoded);
        let start = self.buf.len();
        let spare = self.buf.spare_capacity_mut();
        let written = base64_simd::STANDARD
            .encode(
                bytes,
                base64_simd::Out::from_uninit_slice(&mut spare[..encoded]),
            )
            .len();
        // SAFETY: `encode` initialised exactly `written` bytes after `start`.
        unsafe { self.buf.set_len(start + written) };
    }

    /// Writes a timestamp as epoch seconds (awsJson's default format).
    pub fn timestamp(&mut self, value: &Timestamp) {
        let (secs, nanos) = (value.secs(), value.subsec_nanos());
        if nanos == 0 {
            self.integer(secs);
        } else {
            self.float(value.as_secs_f64());
        }
    }

    /// Writes a member whose value is absent as nothing at all.
    pub fn member<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) {
        if value.is_absent() {
            return;
        }
        self.key(key);
        value.write_json(self);
    }

    /// Writes a blob member as base64, or nothing when it is absent.
    pub fn member_base64<T: AsBlob + ?Sized>(&mut self, key: &str, value: &T) {
        if let Some(bytes) = value.as_blob() {
            self.key(key);
            self.base64(bytes);
        }
    }
}

/// A value that can be written as an awsJson value.
pub trait ToJson {
    /// Appends this value.
    fn write_json(&self, w: &mut JsonWriter<'_>);
    /// An absent value (`None`) is not serialized at all.
    fn is_absent(&self) -> bool {
        false
    }
}

/// A blob field: bytes that travel as base64.
pub trait AsBlob {
    /// The bytes, or `None` when the member is absent.
    fn as_blob(&self) -> Option<&[u8]>;
}

impl AsBlob for Bytes {
    fn as_blob(&self) -> Option<&[u8]> {
        Some(self)
    }
}
impl AsBlob for Vec<u8> {
    fn as_blob(&self) -> Option<&[u8]> {
        Some(self)
    }
}
impl<T: AsBlob> AsBlob for Box<T> {
    fn as_blob(&self) -> Option<&[u8]> {
        (**self).as_blob()
    }
}
impl<T: AsBlob> AsBlob for Option<T> {
    fn as_blob(&self) -> Option<&[u8]> {
        self.as_ref().and_then(AsBlob::as_blob)
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        (**self).write_json(w)
    }
    fn is_absent(&self) -> bool {
        (**self).is_absent()
    }
}
impl<T: ToJson + ?Sized> ToJson for Box<T> {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        (**self).write_json(w)
    }
    fn is_absent(&self) -> bool {
        (**self).is_absent()
    }
}
impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        if let Some(v) = self {
            v.write_json(w)
        }
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}
impl ToJson for str {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.string(self)
    }
}
impl ToJson for String {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.string(self)
    }
}
impl ToJson for bool {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.bool(*self)
    }
}
macro_rules! int_to_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn write_json(&self, w: &mut JsonWriter<'_>) {
                w.integer(i64::from(*self))
            }
        }
    )*};
}
int_to_json!(i8, i16, i32, i64, u8, u16, u32);
impl ToJson for u64 {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.begin_value();
        w.buf
            .extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
    }
}
impl ToJson for f32 {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        // Through the shortest decimal of the f32, so 1234.5f32 stays 1234.5.
        match format!("{self}").parse::<f64>() {
            Ok(v) => w.float(v),
            Err(_) => w.float(f64::from(*self)),
        }
    }
}
impl ToJson for f64 {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.float(*self)
    }
}
impl ToJson for Timestamp {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.timestamp(self)
    }
}
impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.begin_array();
        for item in self {
            item.write_json(w);
        }
        w.end_array();
    }
}
impl<T: ToJson> ToJson for HashMap<String, T> {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.begin_object();
        for (k, v) in self {
            w.key(k);
            v.write_json(w);
        }
        w.end_object();
    }
}
impl<T: ToJson> ToJson for BTreeMap<String, T> {
    fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.begin_object();
        for (k, v) in self {
            w.key(k);
            v.write_json(w);
        }
        w.end_object();
    }
}
