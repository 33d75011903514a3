use ecrkit::aws_shape;

const MAX: i32 = 1000;

#[aws_shape]
pub struct Page {
    #[range(1, MAX)]
    pub max_results: Option<i32>,
}

fn main() {}
