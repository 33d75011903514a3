use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[rename("repoName")]
    pub repository_name: String,
}

fn main() {}
