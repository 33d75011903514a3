use ecrkit::aws_shape;

#[aws_shape]
pub struct Repo {
    #[each(length(1, 10))]
    pub repository_name: String,
}

fn main() {}
