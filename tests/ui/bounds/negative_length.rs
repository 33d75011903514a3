use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[length(-1, 256)]
    pub repository_name: String,
}

fn main() {}
