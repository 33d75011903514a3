use ecrkit::aws_shape;

#[aws_shape]
pub struct Filter {
    #[pattern(r"\p{NotAProperty}+")]
    pub value: String,
}

fn main() {}
