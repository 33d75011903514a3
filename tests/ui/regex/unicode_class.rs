use ecrkit::aws_shape;

#[aws_shape]
pub struct Filter {
    #[pattern(r"^\p{L}+$")]
    pub value: String,
}

fn main() {}
