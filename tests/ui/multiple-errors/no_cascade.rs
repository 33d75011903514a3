use ecrkit::{aws_operation, aws_shape, Client, Operation};

#[aws_shape]
#[derive(Debug)]
pub struct Out {
    pub x: Option<String>,
}

#[aws_operation(
    target = "AmazonEC2ContainerRegistry_V20150921.Ping",
    output = Out,
    errors(),
)]
#[derive(Debug, Default)]
pub struct Ping {
    #[range(1, 2)]
    pub name: String,
}

// Code that uses what the macro generates: one mistake above, one error.
pub async fn call(client: &Client) -> Option<String> {
    let request = Ping::default();
    request.validate().ok()?;
    let _ = Ping::SCHEMA.members.len();
    let _ = <Ping as Operation>::NAME;
    let out = request.send(client).await.ok()?;
    let _: Option<&PingError> = None;
    out.x
}

fn main() {}
