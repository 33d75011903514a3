use ecrkit::aws_enum;

#[aws_enum]
pub enum Mutability {
    #[length(1, 10)]
    Mutable,
    Unknown(String),
}

fn main() {}
