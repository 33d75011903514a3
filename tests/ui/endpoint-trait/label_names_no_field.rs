use ecrkit::{aws_operation, aws_shape};

#[aws_shape]
pub struct Out {}

#[aws_operation(host_prefix = "data-{AcountId}.", output = Out, errors())]
pub struct GetData {
    #[host_label]
    #[rename = "AccountId"]
    pub account_id: String,
}

fn main() {}
