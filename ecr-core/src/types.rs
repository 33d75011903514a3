//! Value types of the wire format that Rust's standard library lacks.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A Smithy `document`: untyped JSON, as serde_json holds it. A member of
/// this type is written and read as it is (`null`, numbers, strings,
/// arrays and objects alike).
pub type Document = serde_json::Value;

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

impl From<Timestamp> for SystemTime {
    fn from(time: Timestamp) -> Self {
        time.to_system_time()
    }
}

impl Timestamp {
    fn smithy(&self) -> aws_smithy_types::DateTime {
        aws_smithy_types::DateTime::from_secs_and_nanos(self.secs, self.nanos)
    }

    /// The RFC 3339 form in UTC (`2026-12-01T06:07:08.963Z`), with as many
    /// fraction digits as the instant needs (none for a whole second).
    pub fn to_rfc3339(&self) -> String {
        self.smithy()
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            // Only years past 9999 have no RFC 3339 form.
            .unwrap_or_else(|_| format!("{}s since the epoch", self.secs))
    }

    /// Parses an RFC 3339 date-time in UTC (`2026-12-01T06:07:08.963Z`).
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampParseError> {
        Self::parse(text, aws_smithy_types::date_time::Format::DateTime)
    }

    /// Parses an RFC 3339 date-time with any UTC offset
    /// (`2019-12-16T22:48:18-01:00`, or `Z`).
    pub fn parse_rfc3339_with_offset(text: &str) -> Result<Self, TimestampParseError> {
        Self::parse(
            text,
            aws_smithy_types::date_time::Format::DateTimeWithOffset,
        )
    }

    /// The HTTP date of this instant (IMF-fixdate, whole seconds:
    /// `Tue, 01 Dec 2026 06:07:08 GMT`).
    pub fn to_http_date(&self) -> String {
        self.smithy()
            .fmt(aws_smithy_types::date_time::Format::HttpDate)
            .unwrap_or_else(|_| format!("{}s since the epoch", self.secs))
    }

    /// Parses an HTTP date (IMF-fixdate, `Tue, 01 Dec 2026 06:07:08 GMT`).
    pub fn parse_http_date(text: &str) -> Result<Self, TimestampParseError> {
        Self::parse(text, aws_smithy_types::date_time::Format::HttpDate)
    }

    fn parse(
        text: &str,
        format: aws_smithy_types::date_time::Format,
    ) -> Result<Self, TimestampParseError> {
        aws_smithy_types::DateTime::from_str(text, format)
            .map(|t| Self {
                secs: t.secs(),
                nanos: t.subsec_nanos(),
            })
            .map_err(|e| TimestampParseError(e.to_string()))
    }
}

/// A date-time text that is not a valid timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a timestamp: {0}")]
pub struct TimestampParseError(String);

impl std::str::FromStr for Timestamp {
    type Err = TimestampParseError;

    /// Parses RFC 3339 (`2026-12-01T06:07:08.963Z`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_rfc3339(text)
    }
}

/// `Timestamp(2026-12-01T06:07:08.963Z)`: the instant in UTC, every digit
/// of it (the epoch seconds are [`Timestamp::secs`]).
impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_rfc3339())
    }
}

/// RFC 3339 in UTC: `2026-12-01T06:07:08.963Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// awsJson's default: seconds since the epoch, a whole number when the
/// instant is a whole second, else a fractional one.
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.nanos == 0 {
            serializer.serialize_i64(self.secs)
        } else {
            serializer.serialize_f64(self.as_secs_f64())
        }
    }
}

/// Seconds since the epoch, whole or fractional (rounded to the millisecond).
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Unexpected, Visitor};
        struct EpochVisitor;
        impl Visitor<'_> for EpochVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp in epoch seconds")
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp::from_secs(v))
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .map(Timestamp::from_secs)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &"a timestamp in range"))
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<Timestamp, E> {
                Timestamp::from_secs_f64(v)
                    .ok_or_else(|| E::invalid_value(Unexpected::Float(v), &"a timestamp in range"))
            }
        }
        deserializer.deserialize_any(EpochVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_rfc3339_and_parses_back() {
        let t = Timestamp::from_secs_f64(1_796_105_228.963).unwrap();
        assert_eq!(t.to_string(), "2026-12-01T06:07:08.963Z");
        assert_eq!(format!("{t:?}"), "Timestamp(2026-12-01T06:07:08.963Z)");
        assert_eq!("2026-12-01T06:07:08.963Z".parse::<Timestamp>().unwrap(), t);
        assert_eq!(Timestamp::from_secs(0).to_string(), "1970-01-01T00:00:00Z");
        assert!("yesterday".parse::<Timestamp>().is_err());
        assert_eq!(
            Timestamp::parse_http_date("Tue, 01 Dec 2026 06:07:08 GMT").unwrap(),
            Timestamp::from_secs(1_796_105_228)
        );
    }

    #[test]
    fn converts_to_and_from_system_time() {
        let t = Timestamp::from_secs_f64(-1.5).unwrap();
        let s: SystemTime = t.into();
        assert_eq!(Timestamp::from(s), t);
        let now = SystemTime::now();
        let back: SystemTime = Timestamp::from(now).into();
        assert_eq!(back, now);
    }

    #[test]
    fn travels_as_epoch_seconds() {
        let whole = Timestamp::from_secs(1_796_105_228);
        assert_eq!(serde_json::to_string(&whole).unwrap(), "1796105228");
        let frac = Timestamp::from_secs_f64(1.5).unwrap();
        assert_eq!(serde_json::to_string(&frac).unwrap(), "1.5");
        assert_eq!(serde_json::from_str::<Timestamp>("1.5").unwrap(), frac);
        assert_eq!(
            serde_json::from_str::<Timestamp>("1796105228").unwrap(),
            whole
        );
        assert!(serde_json::from_str::<Timestamp>("\"2026-01-01\"").is_err());
    }
}
