//! Amazon DynamoDB's whole API (`dynamodb/2012-08-10`, every operation),
//! declared with ecrkit's DSL by `tools/gen_service.py` from botocore's
//! model when this crate builds. It depends on `ecrkit` alone, without its
//! default features (none of ECR's API): what a crate declaring another
//! awsJson service builds. `tests/model_conformance.rs` compares it with
//! the model both ways, and `tests/dynamodb_e2e.rs` runs it against moto.

// Generated: every item has a doc comment of the generator's, and the
// lints below are about the model's shape (DynamoDB's structures are large
// and many), not about code a person wrote.
#[allow(clippy::large_enum_variant, clippy::too_many_lines)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/dynamodb.rs"));
}

pub use generated::*;
