use ecrkit::aws_shape;

#[aws_shape]
pub struct Page {
    #[range(1000, 1)]
    pub max_results: Option<i32>,
}

fn main() {}
