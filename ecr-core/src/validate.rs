//! Client-side validation of requests against the model's constraints.
//!
//! The macros turn each constraint into one call on a [`Validator`], which
//! keeps the wire path of the member being checked (`imageIds[3].imageTag`)
//! and collects every violation, so a caller sees all of them at once.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

use crate::schema::Number;

/// What the client does with a request that breaks the model's constraints.
///
/// AWS SDKs do not validate lengths, ranges or patterns, because a client
/// built from an older model could reject values the service now accepts.
/// This client validates by default and lets a caller step back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValidationMode {
    /// Reject the request before it is sent (the default).
    #[default]
    Enforce,
    /// Log each violation with `tracing::warn!` and send anyway.
    Warn,
    /// Do not validate.
    Off,
}

/// One broken constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The member's wire path, such as `imageIds[3].imageTag`.
    pub path: String,
    /// What was expected, in words: `length must be at least 2, got 1`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every violation found in one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The operation or shape that was validated.
    pub shape: &'static str,
    /// The violations, in member order.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} request: ", self.shape)?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        f.write_str(
            " (the client checks the service model's constraints before sending; \
             use ValidationMode::Warn or ValidationMode::Off in the client config to send anyway)",
        )
    }
}

impl std::error::Error for ValidationError {}

/// One step of a member's wire path.
#[derive(Debug, Clone)]
pub enum Segment {
    /// A structure member.
    Field(&'static str),
    /// A list index.
    Index(usize),
    /// A map key.
    Key(String),
}

/// Collects violations while walking a request.
#[derive(Debug, Default)]
pub struct Validator {
    path: Vec<Segment>,
    violations: Vec<Violation>,
}

impl Validator {
    /// A validator with no violations.
    pub fn new() -> Self {
        Self::default()
    }

    /// The violations found so far.
    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    /// Validates a whole value and returns its violations.
    pub fn check<T: Validate + ?Sized>(
        shape: &'static str,
        value: &T,
    ) -> Result<(), ValidationError> {
        let mut v = Validator::new();
        value.validate_into(&mut v);
        if v.violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                shape,
                violations: v.violations,
            })
        }
    }

    fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Segment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(itoa::Buffer::new().format(*i));
                    out.push(']');
                }
                Segment::Key(k) => {
                    out.push('[');
                    out.push_str(&format!("{k:?}"));
                    out.push(']');
                }
            }
        }
        out
    }

    /// Records a violation at the current path.
    pub fn report(&mut self, message: String) {
        let path = self.path_string();
        self.violations.push(Violation { path, message });
    }

    /// Runs `f` with `name` pushed on the path.
    pub fn field(&mut self, name: &'static str, f: impl FnOnce(&mut Self)) {
        self.enter(name);
        f(self);
        self.leave();
    }

    /// Pushes the member `name` on the path; [`leave`](Self::leave) pops it.
    pub fn enter(&mut self, name: &'static str) {
        self.path.push(Segment::Field(name));
    }

    /// Pops what the last [`enter`](Self::enter) pushed.
    pub fn leave(&mut self) {
        self.path.pop();
    }

    /// Checks a length constraint; `None` values are skipped.
    pub fn length<T: HasLength + ?Sized>(&mut self, value: &T, min: Option<u64>, max: Option<u64>) {
        let Some(len) = value.length() else { return };
        let len = len as u64;
        let unit = value.unit();
        if let Some(min) = min.filter(|&m| len < m) {
            self.report(format!("length must be at least {min} {unit}, got {len}"));
        }
        if let Some(max) = max.filter(|&m| len > m) {
            self.report(format!("length must be at most {max} {unit}, got {len}"));
        }
    }

    /// Checks an inclusive numeric range; `None` values are skipped.
    pub fn range<T: InRange + ?Sized>(
        &mut self,
        value: &T,
        min: Option<T::Num>,
        max: Option<T::Num>,
    ) {
        let Some(n) = value.number() else { return };
        if let Some(min) = min.filter(|m| n < *m) {
            self.report(format!("must be at least {min}, got {n}"));
        }
        if let Some(max) = max.filter(|m| n > *m) {
            self.report(format!("must be at most {max}, got {n}"));
        }
    }

    /// Checks an inclusive range given as [`Number`]s (a named constraint
    /// set's, which does not know the member's type); `None` values are
    /// skipped.
    pub fn range_number<T: AsNumber + ?Sized>(
        &mut self,
        value: &T,
        min: Option<Number>,
        max: Option<Number>,
    ) {
        let Some(n) = value.as_number() else { return };
        if let Some(min) = min.filter(|m| n.less_than(m)) {
            self.report(format!("must be at least {min}, got {n}"));
        }
        if let Some(max) = max.filter(|m| m.less_than(&n)) {
            self.report(format!("must be at most {max}, got {n}"));
        }
    }

    /// Checks that a string matches a pattern (unanchored, as Smithy's
    /// `pattern` trait defines it); `None` values are skipped.
    pub fn pattern<T: AsStr + ?Sized>(&mut self, value: &T, pattern: &Pattern) {
        let Some(s) = value.as_str() else { return };
        if !pattern.is_match(s) {
            self.report(format!(
                "must match the pattern {}, got {s:?}",
                pattern.source
            ));
        }
    }

    /// Runs `f` on every item of a list (`[i]` on the path) or every value
    /// of a map (`["key"]` on the path), for `#[each(..)]`.
    pub fn each<T, L: Items<T> + ?Sized>(&mut self, items: &L, mut f: impl FnMut(&mut Self, &T)) {
        items.visit(&mut |segment, item| {
            self.path.push(segment);
            f(self, item);
            self.path.pop();
        });
    }

    /// Validates a nested value (a shape, list of shapes, map of shapes, enum).
    pub fn nested<T: Validate + ?Sized>(&mut self, value: &T) {
        value.validate_into(self);
    }
}

/// A type whose values can break constraints of their own: shapes, enums,
/// and containers of them.
pub trait Validate {
    /// Adds this value's violations to `v`.
    fn validate_into(&self, v: &mut Validator);
}

macro_rules! no_nested_rules {
    ($($t:ty),*) => {$( impl Validate for $t { fn validate_into(&self, _: &mut Validator) {} } )*};
}
no_nested_rules!(
    String,
    str,
    bool,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64,
    bytes::Bytes,
    crate::types::Timestamp,
    serde_json::Value
);

impl<T: Validate> Validate for Option<T> {
    fn validate_into(&self, v: &mut Validator) {
        if let Some(x) = self {
            x.validate_into(v)
        }
    }
}
impl<T: Validate + ?Sized> Validate for Box<T> {
    fn validate_into(&self, v: &mut Validator) {
        (**self).validate_into(v)
    }
}
impl<T: Validate> Validate for Vec<T> {
    fn validate_into(&self, v: &mut Validator) {
        for (i, item) in self.iter().enumerate() {
            v.path.push(Segment::Index(i));
            item.validate_into(v);
            v.path.pop();
        }
    }
}
impl<T: Validate> Validate for HashMap<String, T> {
    fn validate_into(&self, v: &mut Validator) {
        for (k, item) in self {
            v.path.push(Segment::Key(k.clone()));
            item.validate_into(v);
            v.path.pop();
        }
    }
}
impl<T: Validate> Validate for BTreeMap<String, T> {
    fn validate_into(&self, v: &mut Validator) {
        for (k, item) in self {
            v.path.push(Segment::Key(k.clone()));
            item.validate_into(v);
            v.path.pop();
        }
    }
}

/// A value with a length: strings count Unicode scalar values, blobs bytes,
/// lists and maps entries (as Smithy's `length` trait defines them).
pub trait HasLength {
    /// The length, or `None` for an absent value.
    fn length(&self) -> Option<usize>;
    /// The unit, for messages.
    fn unit(&self) -> &'static str;
}
impl HasLength for String {
    fn length(&self) -> Option<usize> {
        Some(self.chars().count())
    }
    fn unit(&self) -> &'static str {
        "characters"
    }
}
impl HasLength for bytes::Bytes {
    fn length(&self) -> Option<usize> {
        Some(self.len())
    }
    fn unit(&self) -> &'static str {
        "bytes"
    }
}
impl<T> HasLength for Vec<T> {
    fn length(&self) -> Option<usize> {
        Some(self.len())
    }
    fn unit(&self) -> &'static str {
        if std::any::type_name::<T>() == "u8" {
            "bytes"
        } else {
            "items"
        }
    }
}
impl<T> HasLength for HashMap<String, T> {
    fn length(&self) -> Option<usize> {
        Some(self.len())
    }
    fn unit(&self) -> &'static str {
        "entries"
    }
}
impl<T> HasLength for BTreeMap<String, T> {
    fn length(&self) -> Option<usize> {
        Some(self.len())
    }
    fn unit(&self) -> &'static str {
        "entries"
    }
}
impl<T: HasLength> HasLength for Option<T> {
    fn length(&self) -> Option<usize> {
        self.as_ref().and_then(HasLength::length)
    }
    fn unit(&self) -> &'static str {
        self.as_ref().map_or("", HasLength::unit)
    }
}

/// A numeric value with bounds of type `Num`.
pub trait InRange {
    /// The bound type.
    type Num: PartialOrd + fmt::Display + Copy;
    /// The value, or `None` for an absent value.
    fn number(&self) -> Option<Self::Num>;
}
macro_rules! in_range {
    ($($t:ty),*) => {$(
        impl InRange for $t {
            type Num = $t;
            fn number(&self) -> Option<$t> { Some(*self) }
        }
    )*};
}
in_range!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);
impl<T: InRange> InRange for Option<T> {
    type Num = T::Num;
    fn number(&self) -> Option<T::Num> {
        self.as_ref().and_then(InRange::number)
    }
}

/// A numeric value as a [`Number`], for a named constraint set's `range`.
pub trait AsNumber {
    /// The value, or `None` for an absent value.
    fn as_number(&self) -> Option<Number>;
}
macro_rules! as_number {
    ($($t:ty => $v:ident),*) => {$(
        impl AsNumber for $t {
            fn as_number(&self) -> Option<Number> { Some(Number::$v((*self).into())) }
        }
    )*};
}
as_number!(i8 => Int, i16 => Int, i32 => Int, i64 => Int, u8 => Int, u16 => Int, u32 => Int, u64 => Int, f32 => Float, f64 => Float);
impl<T: AsNumber> AsNumber for Option<T> {
    fn as_number(&self) -> Option<Number> {
        self.as_ref().and_then(AsNumber::as_number)
    }
}

impl Number {
    /// `self < other`, comparing integers exactly and anything with a float
    /// as floats.
    fn less_than(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a < b,
            (a, b) => a.as_f64() < b.as_f64(),
        }
    }

    fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::Float(f) => *f,
        }
    }
}

/// A named set of constraints, declared once with `#[aws_constraint(..)]`
/// and named by members with `#[constraints(Name)]`.
pub trait NamedConstraint {
    /// The set's name.
    const NAME: &'static str;
    /// Its constraints, for schemas.
    const CONSTRAINTS: &'static [crate::schema::Constraint];
}

/// A constraint set that checks strings (`length`, `pattern`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a constraint set for strings",
    label = "named here on a `String` member",
    note = "a set for strings is declared with `#[aws_constraint(length(..), pattern(..))]`"
)]
pub trait StringConstraint: NamedConstraint {
    /// Checks a value, reporting to `v`.
    fn check<T: HasLength + AsStr + ?Sized>(value: &T, v: &mut Validator);
}

/// A constraint set that checks numbers (`range`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a constraint set for numbers",
    label = "named here on a numeric member",
    note = "a set for numbers is declared with `#[aws_constraint(range(..))]`"
)]
pub trait NumberConstraint: NamedConstraint {
    /// Checks a value, reporting to `v`.
    fn check<T: AsNumber + ?Sized>(value: &T, v: &mut Validator);
}

/// A constraint set that checks lengths only, so blobs, lists and maps too.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a constraint set for blobs, lists or maps",
    label = "named here on a blob, list or map member",
    note = "such a set has a `length(..)` and nothing else: `#[aws_constraint(length(..))]`"
)]
pub trait LengthConstraint: NamedConstraint {
    /// Checks a value, reporting to `v`.
    fn check<T: HasLength + ?Sized>(value: &T, v: &mut Validator);
}

/// Fills an operation's host prefix (Smithy's endpoint trait): each
/// `{label}` of `template` becomes its member's value, which must be a
/// host label (letters, digits and `-`, 1 to 63 characters, not starting or
/// ending with `-`), so that a value cannot steer the request to another
/// host. Checked whatever the validation mode.
pub fn host_prefix(
    operation: &'static str,
    template: &str,
    labels: &[(&'static str, &str)],
) -> Result<String, ValidationError> {
    let mut out = template.to_owned();
    let mut violations = Vec::new();
    for (label, value) in labels {
        let ok = (1..=63).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if !ok {
            violations.push(Violation {
                path: (*label).to_owned(),
                message: format!(
                    "must be a host label (letters, digits and `-`, 1 to 63 characters, not starting or ending with `-`) to go into the host name, got {value:?}"
                ),
            });
        }
        out = out.replace(&format!("{{{label}}}"), value);
    }
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(ValidationError {
            shape: operation,
            violations,
        })
    }
}

/// A string value for `pattern`.
pub trait AsStr {
    /// The string, or `None` for an absent value.
    fn as_str(&self) -> Option<&str>;
}
impl AsStr for String {
    fn as_str(&self) -> Option<&str> {
        Some(self)
    }
}
impl<T: AsStr> AsStr for Option<T> {
    fn as_str(&self) -> Option<&str> {
        self.as_ref().and_then(AsStr::as_str)
    }
}

/// A list or map, for `#[each(..)]`; `None` gives no items.
pub trait Items<T> {
    /// Calls `f` with each item and its path segment.
    fn visit(&self, f: &mut dyn FnMut(Segment, &T));
}
impl<T> Items<T> for Vec<T> {
    fn visit(&self, f: &mut dyn FnMut(Segment, &T)) {
        for (i, item) in self.iter().enumerate() {
            f(Segment::Index(i), item);
        }
    }
}
impl<T> Items<T> for HashMap<String, T> {
    fn visit(&self, f: &mut dyn FnMut(Segment, &T)) {
        for (k, item) in self {
            f(Segment::Key(k.clone()), item);
        }
    }
}
impl<T> Items<T> for BTreeMap<String, T> {
    fn visit(&self, f: &mut dyn FnMut(Segment, &T)) {
        for (k, item) in self {
            f(Segment::Key(k.clone()), item);
        }
    }
}
impl<T, L: Items<T>> Items<T> for Option<L> {
    fn visit(&self, f: &mut dyn FnMut(Segment, &T)) {
        if let Some(items) = self {
            items.visit(f);
        }
    }
}

/// A regex compiled on first use; the macros check at expansion time that it
/// compiles.
#[derive(Debug)]
pub struct Pattern {
    source: &'static str,
    unicode: bool,
    compiled: OnceLock<Option<Engine>>,
}

/// The engine a pattern runs on.
#[derive(Debug)]
enum Engine {
    Lite(regex_lite::Regex),
    #[cfg(feature = "unicode-patterns")]
    Full(regex::Regex),
}

impl Engine {
    fn compile(source: &str, unicode: bool) -> Option<Self> {
        #[cfg(feature = "unicode-patterns")]
        if unicode {
            return regex::Regex::new(source).ok().map(Engine::Full);
        }
        let _ = unicode;
        regex_lite::Regex::new(source).ok().map(Engine::Lite)
    }

    fn is_match(&self, s: &str) -> bool {
        match self {
            Engine::Lite(re) => re.is_match(s),
            #[cfg(feature = "unicode-patterns")]
            Engine::Full(re) => re.is_match(s),
        }
    }
}

impl Pattern {
    /// A pattern from its source text, run on regex-lite.
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            unicode: false,
            compiled: OnceLock::new(),
        }
    }

    /// A pattern with Unicode classes (`\p{L}`), run on the full `regex`
    /// engine. The macros use it for such patterns.
    #[cfg(feature = "unicode-patterns")]
    pub const fn unicode(source: &'static str) -> Self {
        Self {
            source,
            unicode: true,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `s` contains a match. A regex that the runtime's engine cannot
    /// compile (the macro compiled it with the same engine) matches everything,
    /// so that a client never rejects a value on its own mistake.
    pub fn is_match(&self, s: &str) -> bool {
        self.compiled
            .get_or_init(|| Engine::compile(self.source, self.unicode))
            .as_ref()
            .is_none_or(|re| re.is_match(s))
    }
}

/// Formats a [`Number`] bound.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn perl_classes_are_ascii_as_in_the_models_dialect() {
        static WORD: Pattern = Pattern::new(r"^[\w+=,.@-]+$");
        assert!(WORD.is_match("role_name+1@x"));
        assert!(
            !WORD.is_match("rôle"),
            "\\w must not match a non-ASCII letter"
        );
        static NON_SPACE: Pattern = Pattern::new(r"^\S+$");
        assert!(NON_SPACE.is_match("arn:aws:kms"));
        assert!(!NON_SPACE.is_match("two words"));
        static LITERAL: Pattern = Pattern::new("^é+$");
        assert!(LITERAL.is_match("éé"), "literal non-ASCII characters match");
    }
}
