use ecrkit::aws_enum;

#[aws_enum]
pub enum Mutability {
    Mutable = 1,
    Immutable = 2,
    Unknown(String),
}

fn main() {}
