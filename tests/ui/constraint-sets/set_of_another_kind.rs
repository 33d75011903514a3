use ecrkit::{aws_constraint, aws_shape};

/// How many results.
#[aws_constraint(range(1, 1000))]
pub struct MaxResults;

#[aws_shape]
pub struct Page {
    #[constraints(MaxResults)]
    pub token: Option<String>,
}

fn main() {}
