use ecrkit::aws_shape;

#[aws_shape]
pub struct Tag {
    #[length(minimum = 1)]
    pub key: String,
}

fn main() {}
