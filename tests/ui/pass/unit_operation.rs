//! A unit-like operation: no fields, sends `{}`.

use ecrkit::{aws_operation, aws_shape, Operation};

#[aws_shape]
pub struct GetNothingResponse {
    pub registry_id: Option<String>,
}

#[aws_operation(
    target = "AmazonEC2ContainerRegistry_V20150921.GetNothing",
    output = GetNothingResponse,
    errors(),
)]
pub struct GetNothing;

fn main() {
    let mut body = Vec::new();
    GetNothing.write_body(&mut body).expect("serializes");
    assert_eq!(body, b"{}");
    assert!(ecrkit::validate::Validator::check("GetNothing", &GetNothing).is_ok());
    assert!(GetNothing::SCHEMA.members.is_empty());
}
