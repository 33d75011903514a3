use ecrkit::{aws_constraint, aws_shape};

/// A repository name.
#[aws_constraint(length(2, 256), pattern("[a-z0-9]+"))]
pub struct RepositoryName;

#[aws_shape]
pub struct Repo {
    #[constraints(RepositoryNmae)]
    pub name: String,
}

fn main() {}
