use ecr_core::aws_shape;

#[aws_shape]
pub struct Image {
    #[pattern("(?i)^latest$")]
    pub image_tag: Option<String>,
}

fn main() {}
