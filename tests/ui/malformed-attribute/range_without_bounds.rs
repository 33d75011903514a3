use ecrkit::aws_shape;

#[aws_shape]
pub struct Page {
    #[range]
    pub max_results: Option<i32>,
}

fn main() {}
