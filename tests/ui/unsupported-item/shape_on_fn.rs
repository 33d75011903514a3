use ecrkit::aws_shape;

#[aws_shape]
pub fn tag() {}

fn main() {}
