//! A modeled exception with a field besides `message`.

use ecrkit::{aws_error, ModeledError};

#[aws_error]
#[derive(Debug, Clone)]
pub struct InvalidLayerPartException {
    pub message: Option<String>,
    pub registry_id: Option<String>,
    pub upload_id: Option<String>,
    pub last_valid_byte_received: Option<i64>,
}

/// An exception whose code differs from its type name.
#[aws_error(code = "ThrottlingException")]
#[derive(Debug, Clone)]
pub struct Throttled {
    pub message: Option<String>,
}

fn main() {
    assert_eq!(InvalidLayerPartException::CODE, "InvalidLayerPartException");
    assert_eq!(Throttled::CODE, "ThrottlingException");
    let e = InvalidLayerPartException {
        message: Some("part out of order".into()),
        registry_id: None,
        upload_id: None,
        last_valid_byte_received: Some(41),
    };
    assert_eq!(e.to_string(), "InvalidLayerPartException: part out of order");
    let _: &dyn std::error::Error = &e;
}
