use ecrkit::aws_shape;

#[aws_shape]
pub struct Registry {
    #[pattern("[0-9]{12}")]
    pub registry_id: u64,
}

fn main() {}
