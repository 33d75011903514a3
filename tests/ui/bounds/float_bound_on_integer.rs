use ecrkit::aws_shape;

#[aws_shape]
pub struct Page {
    #[range(min = 0.5)]
    pub max_results: Option<i32>,
}

fn main() {}
