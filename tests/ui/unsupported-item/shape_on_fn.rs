use ecr_core::aws_shape;

#[aws_shape]
pub fn tag() {}

fn main() {}
