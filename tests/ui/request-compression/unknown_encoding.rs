use ecrkit::{aws_operation, aws_shape};

#[aws_shape]
pub struct Out {}

#[aws_operation(request_compression = "br", output = Out, errors())]
pub struct PutLogs {
    pub data: String,
}

fn main() {}
