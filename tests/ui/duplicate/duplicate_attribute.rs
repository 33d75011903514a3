use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[length(min = 2)]
    #[length(max = 256)]
    pub repository_name: String,
}

fn main() {}
