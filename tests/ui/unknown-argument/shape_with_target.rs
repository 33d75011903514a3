use ecrkit::aws_shape;

#[aws_shape(target = "AmazonEC2ContainerRegistry_V20150921.Tag")]
pub struct Tag {
    pub key: Option<String>,
}

fn main() {}
