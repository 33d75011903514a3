use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[length(min = 256, max = 2)]
    pub repository_name: String,
}

fn main() {}
