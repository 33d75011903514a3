use ecrkit::aws_shape;

#[aws_shape]
pub struct Page {
    #[length(1, 1000)]
    pub max_results: Option<i32>,
}

fn main() {}
