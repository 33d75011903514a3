use ecrkit::{Timestamp, aws_shape};

#[aws_shape]
pub struct Event {
    #[timestamp_format("iso8601")]
    pub at: Option<Timestamp>,
}

fn main() {}
