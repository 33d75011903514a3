//! `validate` reports every violation at once, with wire paths and the
//! bound that was broken.

use ecrkit::validate::Validator;
use ecrkit::{aws_enum, aws_operation, aws_shape, Violation};

#[aws_shape]
pub struct Out {
    pub x: Option<String>,
}

#[aws_enum]
pub enum Mutability {
    #[rename = "MUTABLE"]
    Mutable,
    Unknown(String),
}

#[aws_operation(
    target = "AmazonEC2ContainerRegistry_V20150921.Check",
    output = Out,
    errors(),
)]
pub struct Check {
    #[length(2, 256)]
    #[pattern("^[a-z]+$")]
    pub repository_name: String,
    #[range(1, 1000)]
    pub max_results: Option<i32>,
    #[range(min = 0.5)]
    pub ratio: Option<f64>,
    pub mutability: Option<Mutability>,
}

fn violation(path: &str, message: &str) -> Violation {
    Violation { path: path.into(), message: message.into() }
}

fn main() {
    let good = Check {
        repository_name: "repo".into(),
        max_results: Some(10),
        ratio: None,
        mutability: Some(Mutability::Mutable),
    };
    assert!(Validator::check("Check", &good).is_ok());

    let bad = Check {
        repository_name: "A".into(),
        max_results: Some(0),
        ratio: Some(0.25),
        mutability: Some(Mutability::Unknown("FROZEN".into())),
    };
    let err = Validator::check("Check", &bad).unwrap_err();
    assert_eq!(err.shape, "Check");
    let v = &err.violations;
    assert_eq!(v.len(), 5, "{err}");
    assert_eq!(v[0], violation("repositoryName", "length must be at least 2 characters, got 1"));
    assert_eq!(v[1].path, "repositoryName");
    assert!(v[1].message.starts_with("must match the pattern ^[a-z]+$"), "{}", v[1]);
    assert_eq!(v[2], violation("maxResults", "must be at least 1, got 0"));
    assert_eq!(v[3], violation("ratio", "must be at least 0.5, got 0.25"));
    assert_eq!(v[4].path, "mutability");
    assert!(v[4].message.contains("\"FROZEN\" is not a known Mutability value"), "{}", v[4]);
}
