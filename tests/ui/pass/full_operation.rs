//! An operation with every field attribute, several on one field.

use ecrkit::{aws_enum, aws_error, aws_operation, aws_shape, Operation};

#[aws_shape]
#[derive(Debug, Clone)]
pub struct PutThingResponse {
    pub repository_name: Option<String>,
    pub created_at: Option<ecrkit::Timestamp>,
}

#[aws_error]
#[derive(Debug, Clone)]
pub struct ServerException {
    pub message: Option<String>,
}

#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum Mutability {
    #[rename = "MUTABLE"]
    Mutable,
    #[rename = "IMMUTABLE"]
    Immutable,
    Unknown(String),
}

#[aws_operation(
    target = "AmazonEC2ContainerRegistry_V20150921.PutThing",
    output = PutThingResponse,
    errors(ServerException),
)]
#[derive(Debug, Clone)]
pub struct PutThing {
    /// `length` and `pattern` together.
    #[length(2, 256)]
    #[pattern(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")]
    pub repository_name: String,
    /// `base64` with a byte length.
    #[base64]
    #[length(max = 20971520)]
    pub layer_part_blob: Vec<u8>,
    /// An optional blob.
    #[base64]
    pub other_blob: Option<Vec<u8>>,
    /// Integer range, both forms.
    #[range(0, 1152921504606846976)]
    pub part_first_byte: i64,
    #[range(min = 1)]
    pub part_count: Option<u32>,
    #[range(max = 1000)]
    pub max_results: Option<i32>,
    /// A float range.
    #[range(min = 0.5, max = 2)]
    pub ratio: Option<f64>,
    /// A wire name that is not the lowerCamelCase default.
    #[rename = "registryId"]
    #[pattern("[0-9]{12}")]
    pub registry: Option<String>,
    /// `each` with every rule, plus a length on the list itself.
    #[length(1, 100)]
    #[each(length(max = 100), pattern("[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+"))]
    pub digests: Vec<String>,
    #[each(range(0, 10))]
    pub levels: Option<Vec<u8>>,
    pub mutability: Option<Mutability>,
}

fn main() {
    assert_eq!(PutThing::TARGET, "AmazonEC2ContainerRegistry_V20150921.PutThing");
    assert_eq!(<PutThing as Operation>::NAME, "PutThing");
    let wire: Vec<_> = PutThing::SCHEMA.members.iter().map(|m| m.wire_name).collect();
    assert_eq!(
        wire,
        [
            "repositoryName",
            "layerPartBlob",
            "otherBlob",
            "partFirstByte",
            "partCount",
            "maxResults",
            "ratio",
            "registryId",
            "digests",
            "levels",
            "mutability",
        ]
    );
}
