use ecrkit::aws_shape;

#[aws_shape]
pub struct Part {
    #[base64]
    pub part_first_byte: i64,
}

fn main() {}
