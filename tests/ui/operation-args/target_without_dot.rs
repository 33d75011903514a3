use ecrkit::{aws_operation, aws_shape};

#[aws_shape]
pub struct Out {
    pub x: Option<String>,
}

#[aws_operation(target = "Ping", output = Out, errors())]
pub struct Ping;

fn main() {}
