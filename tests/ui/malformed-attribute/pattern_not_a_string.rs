use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[pattern(a-z)]
    pub repository_name: String,
}

fn main() {}
