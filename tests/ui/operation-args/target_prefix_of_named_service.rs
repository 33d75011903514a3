use ecrkit::{Service, ServiceInfo, aws_operation, aws_shape};

pub struct DynamoDb;

impl Service for DynamoDb {
    const INFO: ServiceInfo = ServiceInfo {
        signing_name: "dynamodb",
        endpoint_prefix: "dynamodb",
        json_version: "1.0",
        target_prefix: "DynamoDB_20120810",
        env_name: "DYNAMODB",
        query_compatible: false,
    };
}

#[aws_shape]
pub struct GetItemOutput {
    pub item: Option<String>,
}

// A DynamoDB operation with ECR's target prefix.
#[aws_operation(
    target = "AmazonEC2ContainerRegistry_V20150921.GetItem",
    output = GetItemOutput,
    errors(),
    service = DynamoDb
)]
pub struct GetItem {
    pub table_name: String,
}

fn main() {}
