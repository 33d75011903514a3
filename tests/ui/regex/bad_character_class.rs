use ecrkit::aws_shape;

#[aws_shape]
pub struct Image {
    #[pattern("[z-a]+")]
    pub image_tag: Option<String>,
}

fn main() {}
