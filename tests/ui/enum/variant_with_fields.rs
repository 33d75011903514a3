use ecrkit::aws_enum;

#[aws_enum]
pub enum Mutability {
    Mutable,
    Immutable { since: String },
    Unknown(String),
}

fn main() {}
