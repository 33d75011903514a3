use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[range(2, 256)]
    pub repository_name: String,
}

fn main() {}
