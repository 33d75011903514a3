//! Reading: response bodies, with a pull reader instead of serde.
//!
//! Why not serde: a derived `Deserialize` is generic over the deserializer
//! and expands to a visitor, a field enum and a map loop per structure; for
//! the ~230 shapes of ECR that was half of ecrkit's build. Here a shape's
//! reader is one closure over its member names, handed to the one
//! non-generic [`JsonReader::object`]; the grammar lives in the runtime once.
//!
//! The reader works on the body as bytes (checked to be UTF-8 once), borrows
//! strings that have no escapes, limits nesting to [`MAX_DEPTH`], and its
//! errors name the member path and byte offset but never quote a value
//! (which may be a secret); member names in the path are kept only when
//! they are short printable ASCII.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use bytes::Bytes;

use crate::types::Timestamp;

/// How deeply arrays and objects may nest: a hostile body cannot exhaust the
/// stack. The same limit as serde_json's (127 levels; 128 is refused).
pub const MAX_DEPTH: usize = 127;

/// A body that does not read as the expected value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    message: Cow<'static, str>,
    offset: usize,
    path: String,
}

impl JsonError {
    fn new(message: impl Into<Cow<'static, str>>, offset: usize) -> Self {
        Self {
            message: message.into(),
            offset,
            path: String::new(),
        }
    }

    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset in the body where it was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The member path of the value, such as `repositories[2].createdAt`;
    /// empty for the top-level value.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the body ended before the value did (a truncated response).
    pub fn is_eof(&self) -> bool {
        self.message == EOF
    }

    // Paths are built as an error travels up, so reading pays nothing for
    // them. A member name goes in only if it looks like one (printable
    // ASCII, at most 64 characters): a name is still text of the body, and a
    // path must not carry a line break or a secret-sized blob into a log.
    fn within_key(mut self, key: &str) -> Self {
        if !self.path.is_empty() && !self.path.starts_with('[') {
            self.path.insert(0, '.');
        }
        let plain = !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_graphic());
        self.path
            .insert_str(0, if plain { key } else { "{member}" });
        self
    }

    fn within_index(mut self, index: usize) -> Self {
        if !self.path.is_empty() && !self.path.starts_with('[') {
            self.path.insert(0, '.');
        }
        self.path.insert_str(0, &format!("[{index}]"));
        self
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for JsonError {}

const EOF: &str = "the body ends early";

/// A pull reader over one JSON document.
///
/// Each `read_*`-style method consumes exactly one value. Structures are
/// read with [`JsonReader::object`], which hands every member to a closure;
/// a closure that does not know a member calls [`JsonReader::skip`].
pub struct JsonReader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> JsonReader<'a> {
    /// A reader of `body`, which must be UTF-8.
    pub fn new(body: &'a [u8]) -> Result<Self, JsonError> {
        let text = std::str::from_utf8(body)
            .map_err(|e| JsonError::new("the body is not UTF-8", e.valid_up_to()))?;
        Ok(Self::from_str(text))
    }

    /// A reader of `text`.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// An error at the current position.
    pub fn error(&self, message: impl Into<Cow<'static, str>>) -> JsonError {
        JsonError::new(message, self.pos)
    }

    /// The error for a required member the object did not have.
    pub fn missing(&self, member: &str) -> JsonError {
        self.error(format!("missing member `{member}`"))
    }

    /// The value of a required member, or the error that it is missing.
    pub fn required<T>(&self, slot: Option<T>, member: &str) -> Result<T, JsonError> {
        match slot {
            Some(value) => Ok(value),
            None => Err(self.missing(member)),
        }
    }

    /// Reads a member's value into its slot. Generated readers call this
    /// (and its base64 siblings) once per member: one copy per member type,
    /// shared by every shape, instead of the same code in every shape.
    #[inline(never)]
    pub fn read_into<T: FromJson>(&mut self, slot: &mut Option<T>) -> Result<(), JsonError> {
        *slot = Some(T::read_json(self)?);
        Ok(())
    }

    /// Reads a required `#[base64]` member into its slot.
    #[inline(never)]
    pub fn read_base64_into<T: FromBase64>(
        &mut self,
        slot: &mut Option<T>,
    ) -> Result<(), JsonError> {
        *slot = Some(T::from_decoded(self.base64()?));
        Ok(())
    }

    /// Reads an optional `#[base64]` member into its slot; `null` is `None`.
    #[inline(never)]
    pub fn read_base64_opt_into<T: FromBase64>(
        &mut self,
        slot: &mut Option<Option<T>>,
    ) -> Result<(), JsonError> {
        *slot = Some(if self.null()? {
            None
        } else {
            Some(T::from_decoded(self.base64()?))
        });
        Ok(())
    }

    /// Reads a base64 string and decodes it.
    pub fn base64(&mut self) -> Result<Vec<u8>, JsonError> {
        let at = self.value_start();
        let text = self.string()?;
        base64_simd::STANDARD
            .decode_to_vec(text.as_bytes())
            .map_err(|_| JsonError::new("invalid base64 in a blob member", at))
    }

    /// Where the next value starts (after white space): the offset its
    /// errors give.
    fn value_start(&mut self) -> usize {
        self.peek();
        self.pos
    }

    /// The next byte after white space, not consumed.
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// "expected X, found Y" for the value at the current position.
    fn expected(&mut self, what: &str) -> JsonError {
        let found = match self.peek() {
            None => return self.error(EOF),
            Some(b'{') => "an object",
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            Some(b'-' | b'0'..=b'9') => "a number",
            Some(_) => "a character that starts no JSON value",
        };
        self.error(format!("expected {what}, found {found}"))
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else if word.starts_with(&self.text[self.pos..]) {
            Err(JsonError::new(EOF, self.text.len()))
        } else {
            Err(self.error("invalid literal"))
        }
    }

    /// Consumes a `null` if one is next: `Ok(true)`; otherwise consumes nothing.
    pub fn null(&mut self) -> Result<bool, JsonError> {
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// After the top-level value: only white space may follow.
    pub fn finish(mut self) -> Result<(), JsonError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters after the value")),
        }
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        Ok(())
    }

    /// Reads an object, handing each member's name to `each`, which must
    /// consume the member's value (read it, or [`JsonReader::skip`] it).
    pub fn object(
        &mut self,
        each: &mut dyn FnMut(&mut Self, &str) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.peek() != Some(b'{') {
            return Err(self.expected("an object"));
        }
        self.enter()?;
        self.pos += 1;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.expected("a member name"));
            }
            let key = self.string()?;
            if self.peek() != Some(b':') {
                return Err(self.expected("`:`"));
            }
            self.pos += 1;
            each(self, &key).map_err(|e| e.within_key(&key))?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.expected("`,` or `}`")),
            }
        }
    }

    /// Reads an array, handing each item's index to `each`, which must
    /// consume the item.
    pub fn array(
        &mut self,
        each: &mut dyn FnMut(&mut Self, usize) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if self.peek() != Some(b'[') {
            return Err(self.expected("an array"));
        }
        self.enter()?;
        self.pos += 1;
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            each(self, index).map_err(|e| e.within_index(index))?;
            index += 1;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.expected("`,` or `]`")),
            }
        }
    }

    /// Reads a string; borrowed from the body unless it has escapes.
    pub fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.expected("a string"));
        }
        let bytes = self.bytes();
        let start = self.pos + 1;
        let mut i = start;
        // The common case: no escape, borrowed as is. Slicing at ASCII
        // quotes keeps to character boundaries.
        loop {
            match bytes.get(i) {
                None => return Err(JsonError::new(EOF, bytes.len())),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Borrowed(&self.text[start..i]));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1f) => {
                    return Err(JsonError::new("control character in a string", i));
                }
                Some(_) => i += 1,
            }
        }
        let mut owned = String::with_capacity(i - start + 16);
        owned.push_str(&self.text[start..i]);
        let mut run = i;
        loop {
            match bytes.get(i) {
                None => return Err(JsonError::new(EOF, bytes.len())),
                Some(b'"') => {
                    owned.push_str(&self.text[run..i]);
                    self.pos = i + 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    owned.push_str(&self.text[run..i]);
                    i = self.unescape(i, &mut owned)?;
                    run = i;
                }
                Some(0x00..=0x1f) => {
                    return Err(JsonError::new("control character in a string", i));
                }
                Some(_) => i += 1,
            }
        }
    }

    /// Decodes the escape at `at` (a backslash) into `out`; returns the
    /// offset after it.
    fn unescape(&self, at: usize, out: &mut String) -> Result<usize, JsonError> {
        let bytes = self.bytes();
        let Some(&kind) = bytes.get(at + 1) else {
            return Err(JsonError::new(EOF, bytes.len()));
        };
        let c = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4(at + 2)?;
                let (code, next) = if (0xD800..0xDC00).contains(&high) {
                    // A surrogate pair: `\uD83D\uDE00`.
                    if bytes.len() < at + 8 {
                        return Err(JsonError::new(EOF, bytes.len()));
                    }
                    if bytes.get(at + 6) != Some(&b'\\') || bytes.get(at + 7) != Some(&b'u') {
                        return Err(JsonError::new("unpaired surrogate in a \\u escape", at));
                    }
                    let low = self.hex4(at + 8)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(JsonError::new("unpaired surrogate in a \\u escape", at));
                    }
                    (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00), at + 12)
                } else {
                    (high, at + 6)
                };
                let c = char::from_u32(code)
                    .ok_or_else(|| JsonError::new("unpaired surrogate in a \\u escape", at))?;
                out.push(c);
                return Ok(next);
            }
            _ => return Err(JsonError::new("invalid escape in a string", at)),
        };
        out.push(c);
        Ok(at + 2)
    }

    fn hex4(&self, at: usize) -> Result<u32, JsonError> {
        let bytes = self.bytes();
        let Some(digits) = bytes.get(at..at + 4) else {
            return Err(JsonError::new(EOF, bytes.len()));
        };
        digits.iter().try_fold(0u32, |acc, &d| {
            let v = (d as char)
                .to_digit(16)
                .ok_or_else(|| JsonError::new("invalid \\u escape", at))?;
            Ok(acc * 16 + v)
        })
    }

    /// Reads `true` or `false`.
    pub fn bool(&mut self) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b't') => self.literal("true").map(|()| true),
            Some(b'f') => self.literal("false").map(|()| false),
            _ => Err(self.expected("a boolean")),
        }
    }

    /// Reads a number, checked against JSON's grammar; returns its text.
    pub fn number(&mut self) -> Result<&'a str, JsonError> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.expected("a number"));
        }
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        if bytes[i] == b'-' {
            i += 1;
        }
        let int_start = i;
        let int_digits = digits(&mut i);
        let bad = |at: usize| {
            if at >= bytes.len() {
                JsonError::new(EOF, bytes.len())
            } else {
                JsonError::new("invalid number", at)
            }
        };
        if int_digits == 0 {
            return Err(bad(i));
        }
        if int_digits > 1 && bytes[int_start] == b'0' {
            return Err(JsonError::new("invalid number", int_start + 1));
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(bad(i));
            }
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return Err(bad(i));
            }
        }
        self.pos = i;
        Ok(&self.text[start..i])
    }

    /// Reads an integer: a number with no fraction or exponent that fits
    /// an `i64`.
    pub fn integer(&mut self) -> Result<i64, JsonError> {
        let at = self.value_start();
        let text = self.number()?;
        if text.contains(['.', 'e', 'E']) {
            return Err(JsonError::new(
                "expected an integer, found a number with a fraction or exponent",
                at,
            ));
        }
        text.parse()
            .map_err(|_| JsonError::new("integer out of range for i64", at))
    }

    /// Reads a floating-point number; awsJson sends NaN and the infinities
    /// as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
    pub fn float(&mut self) -> Result<f64, JsonError> {
        let at = self.value_start();
        if self.peek() == Some(b'"') {
            return match &*self.string()? {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                _ => Err(JsonError::new(
                    "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", found another string",
                    at,
                )),
            };
        }
        let text = self.number()?;
        // Rust's parser rounds correctly, like serde_json's `float_roundtrip`.
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(JsonError::new("number out of range", at)),
        }
    }

    /// Consumes one value of any kind.
    pub fn skip(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'{') => self.object(&mut |r, _| r.skip()),
            Some(b'[') => self.array(&mut |r, _| r.skip()),
            Some(b'"') => self.string().map(drop),
            Some(b't' | b'f') => self.bool().map(drop),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => Err(self.expected("a value")),
        }
    }
}

/// Reads the whole of `body` as a `T`; white space may surround it, nothing
/// else may follow it.
pub fn from_json<T: FromJson>(body: &[u8]) -> Result<T, JsonError> {
    // The document's framing is not generic: one copy, not one per type.
    let mut value = None;
    read_document(body, &mut |r| {
        value = Some(T::read_json(r)?);
        Ok(())
    })?;
    value.ok_or_else(|| JsonError::new(EOF, 0))
}

fn read_document(
    body: &[u8],
    read: &mut dyn FnMut(&mut JsonReader<'_>) -> Result<(), JsonError>,
) -> Result<(), JsonError> {
    let mut reader = JsonReader::new(body)?;
    read(&mut reader)?;
    reader.finish()
}

/// A value that can be read from JSON. The macros implement it for every
/// declared shape, enum and error.
pub trait FromJson: Sized {
    /// Reads one value.
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError>;
}

impl FromJson for String {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        r.string().map(Cow::into_owned)
    }
}

impl FromJson for bool {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        r.bool()
    }
}

macro_rules! int_from_json {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
                let at = r.value_start();
                let v = r.integer()?;
                <$t>::try_from(v).map_err(|_| {
                    JsonError::new(concat!("integer out of range for ", stringify!($t)), at)
                })
            }
        }
    )*};
}
int_from_json!(i8, i16, i32, u8, u16, u32);

impl FromJson for u64 {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        let at = r.value_start();
        let text = r.number()?;
        if text.contains(['.', 'e', 'E']) {
            return Err(JsonError::new(
                "expected an integer, found a number with a fraction or exponent",
                at,
            ));
        }
        text.parse()
            .map_err(|_| JsonError::new("integer out of range for u64", at))
    }
}

impl FromJson for i64 {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        r.integer()
    }
}

impl FromJson for f64 {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        r.float()
    }
}

impl FromJson for f32 {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        r.float().map(|v| v as f32)
    }
}

impl FromJson for Timestamp {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        let at = r.value_start();
        let text = r.number().map_err(|e| {
            if e.is_eof() {
                e
            } else {
                JsonError::new("expected a timestamp in epoch seconds", at)
            }
        })?;
        let out_of_range = || JsonError::new("timestamp out of range", at);
        if text.contains(['.', 'e', 'E']) {
            let v: f64 = text.parse().map_err(|_| out_of_range())?;
            Timestamp::from_secs_f64(v).ok_or_else(out_of_range)
        } else {
            text.parse()
                .map(Timestamp::from_secs)
                .map_err(|_| out_of_range())
        }
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        if r.null()? {
            Ok(None)
        } else {
            T::read_json(r).map(Some)
        }
    }
}

impl<T: FromJson> FromJson for Box<T> {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        T::read_json(r).map(Box::new)
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        let mut items = Vec::new();
        r.array(&mut |r, _| {
            items.push(T::read_json(r)?);
            Ok(())
        })?;
        Ok(items)
    }
}

/// A JSON object as a map; a repeated key keeps its last value.
fn read_map<T: FromJson, M: Default + Extend<(String, T)>>(
    r: &mut JsonReader<'_>,
) -> Result<M, JsonError> {
    let mut map = M::default();
    r.object(&mut |r, key| {
        map.extend([(key.to_owned(), T::read_json(r)?)]);
        Ok(())
    })?;
    Ok(map)
}

impl<T: FromJson> FromJson for HashMap<String, T> {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        read_map(r)
    }
}

impl<T: FromJson> FromJson for BTreeMap<String, T> {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        read_map(r)
    }
}

/// A blob member that arrives as a base64 string (`#[base64]`).
pub trait FromBase64: Sized {
    /// Builds the value from decoded bytes.
    fn from_decoded(bytes: Vec<u8>) -> Self;
}

impl FromBase64 for Bytes {
    fn from_decoded(bytes: Vec<u8>) -> Self {
        bytes.into()
    }
}

impl FromBase64 for Vec<u8> {
    fn from_decoded(bytes: Vec<u8>) -> Self {
        bytes
    }
}

impl<T: FromBase64> FromBase64 for Box<T> {
    fn from_decoded(bytes: Vec<u8>) -> Self {
        Box::new(T::from_decoded(bytes))
    }
}

/// Any JSON value, for documents whose shape is not declared (the error
/// body's code and message, `credential_process` output).
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its text (so that no precision is lost).
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsonValue>),
    /// An object, members in their order.
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    /// The member `key` of an object (the last one, if repeated).
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match self {
            JsonValue::Object(members) => {
                members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }
}

impl FromJson for JsonValue {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        Ok(match r.peek() {
            Some(b'{') => {
                let mut members = Vec::new();
                r.object(&mut |r, key| {
                    members.push((key.to_owned(), JsonValue::read_json(r)?));
                    Ok(())
                })?;
                JsonValue::Object(members)
            }
            Some(b'[') => JsonValue::Array(Vec::read_json(r)?),
            Some(b'"') => JsonValue::String(String::read_json(r)?),
            Some(b't' | b'f') => JsonValue::Bool(r.bool()?),
            Some(b'n') => {
                r.literal("null")?;
                JsonValue::Null
            }
            Some(b'-' | b'0'..=b'9') => JsonValue::Number(r.number()?.to_owned()),
            _ => return Err(r.expected("a value")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_borrow_unless_escaped() {
        let mut r = JsonReader::from_str(r#" "plain" "a\"b\\c\/\n\u00e9\ud83d\ude00" "#);
        assert!(matches!(r.string().unwrap(), Cow::Borrowed("plain")));
        assert_eq!(r.string().unwrap(), "a\"b\\c/\n\u{e9}\u{1f600}");
        r.finish().unwrap();
    }

    #[test]
    fn rejects_what_json_forbids() {
        for bad in [
            "\"\\ud800\"", // lone high surrogate
            "\"\\udc00\"", // lone low surrogate
            "\"\\x\"",     // unknown escape
            "\"a\u{1}b\"", // raw control character
            "01",          // leading zero
            "1.",          // no fraction digits
            "-",           // sign only
            "1e",          // no exponent digits
            "tru",         // truncated literal
            "[1,]",        // trailing comma
            "{\"a\" 1}",   // no colon
            "{\"a\":1,}",  // trailing comma
            "{1:2}",       // unquoted key
            "[1] x",       // trailing characters
            "",            // nothing
        ] {
            assert!(
                from_json::<JsonValue>(bad.as_bytes()).is_err(),
                "{bad:?} was accepted"
            );
        }
        assert_eq!(
            from_json::<JsonValue>(b"\"\xff\"").unwrap_err().message(),
            "the body is not UTF-8"
        );
    }

    #[test]
    fn truncated_bodies_say_so() {
        for cut in ["{\"a\": [1, 2", "\"abc", "{\"a\"", "nul", "[1.5e"] {
            let e = from_json::<JsonValue>(cut.as_bytes()).unwrap_err();
            assert!(e.is_eof(), "{cut:?}: {e}");
        }
    }

    #[test]
    fn numbers_keep_their_types() {
        assert_eq!(from_json::<i32>(b"-2147483648").unwrap(), i32::MIN);
        assert!(
            from_json::<i32>(b"2147483648")
                .unwrap_err()
                .message()
                .contains("out of range for i32")
        );
        assert!(
            from_json::<i64>(b"1.0")
                .unwrap_err()
                .message()
                .contains("fraction")
        );
        assert!(from_json::<u8>(b"-1").is_err());
        assert_eq!(from_json::<f64>(b"1e2").unwrap(), 100.0);
        assert_eq!(from_json::<f64>(b"0.1").unwrap(), 0.1);
        assert!(from_json::<f64>(b"\"NaN\"").unwrap().is_nan());
        assert_eq!(
            from_json::<f64>(b"\"-Infinity\"").unwrap(),
            f64::NEG_INFINITY
        );
        assert!(from_json::<f64>(b"\"nan\"").is_err());
        assert!(from_json::<f64>(b"1e400").is_err());
        assert_eq!(
            from_json::<Timestamp>(b"1.5").unwrap(),
            Timestamp::from_secs_f64(1.5).unwrap()
        );
        assert_eq!(
            from_json::<Timestamp>(b"86400").unwrap(),
            Timestamp::from_secs(86400)
        );
        assert!(from_json::<Timestamp>(b"\"2026-01-01\"").is_err());
    }

    #[test]
    fn errors_name_the_path_and_never_the_value() {
        let e = from_json::<HashMap<String, Vec<Option<i32>>>>(
            br#"{"a": [1, null], "b": [3, "S3CR3T"]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path(), "b[1]");
        assert_eq!(e.offset(), 26);
        let text = e.to_string();
        assert_eq!(text, "b[1]: expected a number, found a string at byte 26");
        assert!(!text.contains("S3CR3T"));
    }

    #[test]
    fn offsets_point_at_the_value_not_the_white_space_before_it() {
        let e = from_json::<HashMap<String, i32>>(br#"{"count":     1.5}"#).unwrap_err();
        assert_eq!(e.offset(), 14, "{e}");
        let e = from_json::<Timestamp>(b"   \"x\"").unwrap_err();
        assert_eq!(e.offset(), 3, "{e}");
        let mut r = JsonReader::from_str("  \"!!\"");
        assert_eq!(r.base64().unwrap_err().offset(), 2);
    }

    #[test]
    fn syntax_errors_are_not_mistaken_for_truncation() {
        for (body, offset) in [("01", 1), ("-01", 2), ("[01", 2)] {
            let e = from_json::<JsonValue>(body.as_bytes()).unwrap_err();
            assert!(!e.is_eof(), "{body}: {e}");
            assert_eq!(
                (e.message(), e.offset()),
                ("invalid number", offset),
                "{body}"
            );
        }
        for cut in ["\"\\ud83d", "\"\\ud83d\\", "\"\\ud83d\\u12"] {
            let e = from_json::<JsonValue>(cut.as_bytes()).unwrap_err();
            assert!(e.is_eof(), "{cut}: {e}");
        }
    }

    #[test]
    fn u64_takes_its_whole_range() {
        assert_eq!(from_json::<u64>(b"18446744073709551615").unwrap(), u64::MAX);
        assert_eq!(
            from_json::<u64>(b"18446744073709551616")
                .unwrap_err()
                .message(),
            "integer out of range for u64"
        );
        assert!(from_json::<u64>(b"-1").is_err());
        assert!(from_json::<u64>(b"1e3").is_err());
    }

    #[test]
    fn paths_keep_only_plain_member_names() {
        let e = from_json::<HashMap<String, i32>>(b"{\"SECRET\\nINJECTED\": \"x\"}").unwrap_err();
        assert_eq!(e.path(), "{member}");
        let long = format!("{{\"{}\": \"x\"}}", "k".repeat(65));
        let e = from_json::<HashMap<String, i32>>(long.as_bytes()).unwrap_err();
        assert_eq!(e.path(), "{member}");
        let e = from_json::<HashMap<String, Vec<i32>>>(br#"{"org.example.name": [1, "x"]}"#)
            .unwrap_err();
        assert_eq!(e.path(), "org.example.name[1]");
    }

    #[test]
    fn nesting_is_limited() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let e = from_json::<JsonValue>(deep.as_bytes()).unwrap_err();
        assert_eq!(e.message(), "nested too deeply");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        from_json::<JsonValue>(ok.as_bytes()).unwrap();
        // Skipping an unknown member is limited too.
        let mut r = JsonReader::from_str(&deep);
        assert!(r.skip().is_err());
    }

    #[test]
    fn values_and_skips() {
        let v: JsonValue = from_json(br#"{"a": [true, null, -1.5e3, "x"], "a": {}}"#).unwrap();
        assert_eq!(v.get("a"), Some(&JsonValue::Object(vec![])));
        let mut r = JsonReader::from_str(r#"{"skip": {"x": [1, {"y": "\u0041"}]}, "keep": "k"}"#);
        let mut keep = None;
        r.object(&mut |r, key| {
            if key == "keep" {
                keep = Some(String::read_json(r)?);
                Ok(())
            } else {
                r.skip()
            }
        })
        .unwrap();
        assert_eq!(keep.as_deref(), Some("k"));
    }

    #[test]
    fn base64_members() {
        let mut r = JsonReader::from_str(r#""aGk=" null "!!""#);
        let (mut required, mut optional) = (None::<Vec<u8>>, None::<Option<Bytes>>);
        r.read_base64_into(&mut required).unwrap();
        assert_eq!(required.as_deref(), Some(&b"hi"[..]));
        r.read_base64_opt_into(&mut optional).unwrap();
        assert_eq!(optional, Some(None));
        assert_eq!(
            r.read_base64_into(&mut required).unwrap_err().message(),
            "invalid base64 in a blob member"
        );
    }
}
