use ecrkit::{aws_error, aws_operation, aws_shape};

#[aws_shape]
pub struct Out {
    pub x: Option<String>,
}

#[aws_error]
#[derive(Debug)]
pub struct ServerException {
    pub message: Option<String>,
}

#[aws_operation(
    target = "AmazonEC2ContainerRegistry_V20150921.Ping",
    output = Out,
    errors = ServerException,
)]
pub struct Ping;

fn main() {}
