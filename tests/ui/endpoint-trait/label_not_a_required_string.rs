use ecrkit::{aws_operation, aws_shape};

#[aws_shape]
pub struct Out {}

#[aws_operation(host_prefix = "{label}.", output = Out, errors())]
pub struct GetData {
    #[host_label]
    pub label: Option<String>,
}

fn main() {}
