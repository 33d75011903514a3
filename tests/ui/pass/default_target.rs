use ecrkit::{Operation, Service, ServiceInfo, aws_operation, aws_shape};

#[aws_shape]
pub struct Out {
    pub x: Option<String>,
}

// No `target`: ECR's prefix, a dot and the struct's name.
#[aws_operation(output = Out, errors())]
pub struct Ping;

pub struct Logs;

impl Service for Logs {
    const INFO: ServiceInfo = ServiceInfo {
        signing_name: "logs",
        endpoint_prefix: "logs",
        json_version: "1.1",
        target_prefix: "Logs_20140328",
        env_name: "CLOUDWATCH_LOGS",
        query_compatible: false,
    };
}

// A named service's prefix, joined when the program compiles.
#[aws_operation(service = Logs, output = Out, errors())]
pub struct PutLogEvents;

fn main() {
    assert_eq!(
        <Ping as Operation>::TARGET,
        "AmazonEC2ContainerRegistry_V20150921.Ping"
    );
    assert_eq!(
        <PutLogEvents as Operation>::TARGET,
        "Logs_20140328.PutLogEvents"
    );
    assert_eq!(PutLogEvents::SCHEMA.target, Some("Logs_20140328.PutLogEvents"));
}
