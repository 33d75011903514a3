use ecrkit::aws_shape;

#[aws_shape]
pub struct Event {
    #[timestamp_format("date-time")]
    pub at: Option<String>,
}

fn main() {}
