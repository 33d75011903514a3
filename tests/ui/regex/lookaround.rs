use ecrkit::aws_shape;

#[aws_shape]
pub struct Tag {
    #[pattern(r"^(?!aws:)[a-zA-Z0-9+\-=._:/]+$")]
    pub key: String,
}

fn main() {}
