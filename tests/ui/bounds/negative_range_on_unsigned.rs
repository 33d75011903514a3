use ecrkit::aws_shape;

#[aws_shape]
pub struct Part {
    #[range(-1, 10)]
    pub part_count: u32,
}

fn main() {}
