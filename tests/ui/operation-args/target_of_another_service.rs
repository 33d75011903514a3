use ecrkit::{aws_operation, aws_shape};

#[aws_shape]
pub struct GetItemOutput {
    pub item: Option<String>,
}

// No `service = ..`: the operation is ECR's, and this target is DynamoDB's.
#[aws_operation(target = "DynamoDB_20120810.GetItem", output = GetItemOutput, errors())]
pub struct GetItem {
    pub table_name: String,
}

fn main() {}
