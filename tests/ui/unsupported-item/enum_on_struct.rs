use ecrkit::aws_enum;

#[aws_enum]
pub struct Mutability {
    pub value: String,
}

fn main() {}
