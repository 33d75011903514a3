//! The DSL through a renamed dependency: `ecrkit` is `core_renamed` here
//! and nothing is imported, so every attribute is written with its full
//! path and `crate = "core_renamed"` (serde's `test_serde_path.rs`
//! pattern). If generated code named `::ecrkit` anywhere, this crate
//! would not build.

#![deny(missing_docs)]

/// A service of our own, so `service = ..` is covered too.
#[derive(Debug, Clone, Copy)]
pub struct Renamed;

impl core_renamed::Service for Renamed {
    const INFO: core_renamed::ServiceInfo = core_renamed::ServiceInfo {
        signing_name: "renamed",
        endpoint_prefix: "renamed",
        json_version: "1.0",
        target_prefix: "Renamed_20240101",
        env_name: "RENAMED",
        query_compatible: false,
    };
}

/// A string enum.
#[core_renamed::aws_enum(crate = "core_renamed")]
#[derive(Debug, Clone, PartialEq)]
pub enum Color {
    /// Red.
    #[rename = "RED"]
    Red,
    /// Green.
    #[rename = "GREEN"]
    Green,
    /// Anything else.
    Unknown(String),
}

/// A nested shape with constraints of its own.
#[core_renamed::aws_shape(crate = "core_renamed")]
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The key.
    #[length(1, 8)]
    #[pattern("^[a-z]+$")]
    pub key: String,
    /// A weight (floats take the runtime's NaN-aware reader).
    #[range(min = 0, max = 1)]
    pub weight: Option<f64>,
}

/// A pattern with Unicode classes: the full engine, through the
/// `unicode-patterns` feature (and the renamed crate path).
#[core_renamed::aws_shape(crate = "core_renamed")]
#[derive(Debug, Clone, PartialEq)]
pub struct Caption {
    /// Letters and spaces of any script.
    #[pattern(r"^[\p{L}\p{Zs}]+$")]
    pub text: String,
}

/// The response.
#[core_renamed::aws_shape(crate = "core_renamed")]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PaintOutput {
    /// Echoed bytes (base64 on the wire).
    #[base64]
    pub echoed: Option<Vec<u8>>,
    /// When it was painted.
    pub painted_at: Option<core_renamed::Timestamp>,
    /// The color.
    pub color: Option<Color>,
}

/// A modeled exception with a field.
#[core_renamed::aws_error(crate = "core_renamed", code = "WetPaint")]
#[derive(Debug, Clone)]
pub struct WetPaintException {
    /// The message.
    pub message: Option<String>,
    /// Minutes until dry.
    pub minutes_left: Option<i32>,
}

/// An operation with every field attribute.
#[core_renamed::aws_operation(
    crate = "core_renamed",
    service = Renamed,
    target = "Renamed_20240101.Paint",
    output = PaintOutput,
    errors(WetPaintException),
)]
#[derive(Debug, Clone, Default)]
pub struct Paint {
    /// The wall.
    #[length(1, 16)]
    #[pattern("[a-z]+")]
    pub wall: String,
    /// Coats.
    #[range(1, 3)]
    pub coats: i32,
    /// Raw bytes.
    #[base64]
    #[length(max = 4)]
    pub blob: Vec<u8>,
    /// Labels.
    #[length(max = 2)]
    pub labels: Option<Vec<Label>>,
    /// Tags, each checked.
    #[rename = "TagList"]
    #[each(length(1, 3))]
    pub tags: Option<Vec<String>>,
    /// The color.
    pub color: Option<Color>,
}

/// A unit operation (sends `{}`).
#[core_renamed::aws_operation(
    crate = "core_renamed",
    service = Renamed,
    target = "Renamed_20240101.Ping",
    output = PaintOutput,
    errors(),
)]
#[derive(Debug, Clone, Copy)]
pub struct Ping;
