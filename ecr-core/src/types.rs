//! Value types of the wire format that Rust's standard library lacks.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
