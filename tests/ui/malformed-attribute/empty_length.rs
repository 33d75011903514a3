use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[length()]
    pub repository_name: String,
}

fn main() {}
