use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[lenght(2, 256)]
    pub repository_name: String,
}

fn main() {}
