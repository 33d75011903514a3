//! awsJson bodies: requests are written straight into one byte buffer,
//! responses are read with a small pull reader. Neither goes through serde:
//! the runtime holds the JSON grammar once, and the code the macros generate
//! per shape stays a list of member names.

mod read;
mod write;

pub use read::{FromBase64, FromJson, JsonError, JsonReader, JsonValue, MAX_DEPTH, from_json};
pub use write::{AsBlob, JsonWriter, ToJson};
