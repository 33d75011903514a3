use ecrkit::{aws_operation, aws_shape};

#[aws_shape]
pub struct Out {
    pub x: Option<String>,
}

#[aws_operation(target = "Ping", output = Out, errors())]
pub struct Ping;

// Code that names what the macro generates should not add errors of its own.
pub fn code(e: &PingError) -> &str {
    ecrkit::OperationError::code(e)
}

fn main() {}
