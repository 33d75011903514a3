use ecrkit::aws_constraint;

/// Nothing in it.
#[aws_constraint()]
pub struct Empty;

/// A number and a length at once.
#[aws_constraint(range(1, 2), length(1, 2))]
pub struct Both;

/// Fields are not a set's.
#[aws_constraint(length(1, 2))]
pub struct WithFields {
    pub x: String,
}

fn main() {}
