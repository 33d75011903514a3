use ecrkit::aws_enum;

#[aws_enum]
pub enum Mutability {
    #[rename = "MUTABLE"]
    Mutable,
    #[rename = "IMMUTABLE"]
    Immutable,
}

fn main() {}
