//! A string enum keeps unknown values in `Unknown(String)`.

use ecrkit::aws_enum;

#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum TagMutability {
    #[rename = "MUTABLE"]
    Mutable,
    #[rename = "IMMUTABLE"]
    Immutable,
    /// Values added to the service after this client was built.
    Unknown(String),
}

fn main() {
    assert_eq!(TagMutability::VALUES, ["MUTABLE", "IMMUTABLE"]);
    assert_eq!(TagMutability::from("IMMUTABLE"), TagMutability::Immutable);
    assert_eq!(TagMutability::Mutable.as_str(), "MUTABLE");
    let later = TagMutability::from("IMMUTABLE_WITH_EXCLUSION");
    assert_eq!(later, TagMutability::Unknown("IMMUTABLE_WITH_EXCLUSION".into()));
    assert_eq!(later.to_string(), "IMMUTABLE_WITH_EXCLUSION");
}
