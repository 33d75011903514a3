use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    pub repository_name: String,
    #[rename = "repositoryName"]
    pub name: String,
}

fn main() {}
