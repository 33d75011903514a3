use ecrkit::{aws_operation, aws_shape};

#[aws_shape]
pub struct Out {
    pub x: Option<String>,
}

#[aws_operation(target = "Ping", output = Out)]
pub struct Ping {
    #[range(1, 10)]
    pub repository_name: String,
    #[length(10, 1)]
    pub tags: Vec<String>,
    #[pattern("(unclosed")]
    pub image_tag: Option<String>,
    #[range(0, 300)]
    pub level: u8,
    #[base64]
    pub count: i64,
}

fn main() {}
