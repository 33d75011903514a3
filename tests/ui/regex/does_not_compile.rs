use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[pattern("[a-z0-9]+(/[a-z0-9]+")]
    pub repository_name: String,
}

fn main() {}
