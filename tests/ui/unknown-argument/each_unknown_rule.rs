use ecrkit::aws_shape;

#[aws_shape]
pub struct Digests {
    #[each(lenght(1, 100))]
    pub digests: Vec<String>,
}

fn main() {}
