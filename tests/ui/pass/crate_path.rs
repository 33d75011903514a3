//! `crate = "ecrkit"` names the runtime explicitly, on every macro.

use ecrkit::{aws_enum, aws_error, aws_operation, aws_shape};

#[aws_shape(crate = "ecrkit")]
pub struct Out {
    #[length(max = 10)]
    pub x: Option<String>,
}

#[aws_enum(crate = "ecrkit")]
pub enum Kind {
    A,
    Unknown(String),
}

#[aws_error(crate = "ecrkit", code = "Boom")]
#[derive(Debug)]
pub struct BoomException {
    pub message: Option<String>,
}

#[aws_operation(
    target = "AmazonEC2ContainerRegistry_V20150921.Ping",
    output = Out,
    errors(BoomException),
    crate = "ecrkit",
)]
pub struct Ping {
    #[length(1, 3)]
    pub name: String,
    pub kind: Option<Kind>,
}

fn main() {
    let ping = Ping { name: "abc".into(), kind: Some(Kind::A) };
    assert!(ecrkit::validate::Validator::check("Ping", &ping).is_ok());
    assert_eq!(<BoomException as ecrkit::ModeledError>::CODE, "Boom");
}
