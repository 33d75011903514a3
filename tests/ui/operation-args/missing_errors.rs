use ecrkit::{aws_operation, aws_shape};

#[aws_shape]
pub struct Out {
    pub x: Option<String>,
}

#[aws_operation(target = "AmazonEC2ContainerRegistry_V20150921.Ping", output = Out)]
pub struct Ping;

fn main() {}
