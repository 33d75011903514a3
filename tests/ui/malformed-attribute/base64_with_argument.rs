use ecrkit::aws_shape;

#[aws_shape]
pub struct Part {
    #[base64(standard)]
    pub blob: Vec<u8>,
}

fn main() {}
