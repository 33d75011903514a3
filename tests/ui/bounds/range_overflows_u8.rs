use ecrkit::aws_shape;

#[aws_shape]
pub struct Level {
    #[range(0, 300)]
    pub level: u8,
}

fn main() {}
