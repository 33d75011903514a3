use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[length(2, min = 3)]
    pub repository_name: String,
}

fn main() {}
