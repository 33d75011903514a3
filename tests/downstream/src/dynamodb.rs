//! Amazon DynamoDB (awsJson1.0), declared downstream with the DSL.
//!
//! The JSON version is a property of the service descriptor: the same
//! client sends these with `application/x-amz-json-1.0` and the ECR and
//! CloudWatch Logs operations with `application/x-amz-json-1.1`. DynamoDB's
//! members are PascalCase on the wire, hence `#[rename]` on every field.
//! Members and constraints follow botocore's `dynamodb/2012-08-10`
//! model (a subset of the members).

use ecrkit::{Service, ServiceInfo, Timestamp, aws_enum, aws_error, aws_operation, aws_shape};

/// The DynamoDB service descriptor.
#[derive(Debug, Clone, Copy)]
pub struct DynamoDb;

impl Service for DynamoDb {
    const INFO: ServiceInfo = ServiceInfo {
        signing_name: "dynamodb",
        endpoint_prefix: "dynamodb",
        json_version: "1.0",
        target_prefix: "DynamoDB_20120810",
        env_name: "DYNAMODB",
        query_compatible: false,
    };
}

// --- Errors -----------------------------------------------------------------

/// The table is being created, updated or deleted, or already exists.
#[aws_error]
#[derive(Debug, Clone)]
pub struct ResourceInUseException {
    /// The service's message.
    pub message: Option<String>,
}

/// The table does not exist.
#[aws_error]
#[derive(Debug, Clone)]
pub struct ResourceNotFoundException {
    /// The service's message.
    pub message: Option<String>,
}

/// Too many control-plane operations at once.
#[aws_error]
#[derive(Debug, Clone)]
pub struct LimitExceededException {
    /// The service's message.
    pub message: Option<String>,
}

/// The service failed (a fault).
#[aws_error]
#[derive(Debug, Clone)]
pub struct InternalServerError {
    /// The service's message.
    pub message: Option<String>,
}

// --- Shapes -------------------------------------------------------------------

/// The type of a key attribute.
#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarAttributeType {
    /// String.
    #[rename = "S"]
    S,
    /// Number.
    #[rename = "N"]
    N,
    /// Binary.
    #[rename = "B"]
    B,
    /// A type this client does not know.
    Unknown(String),
}

/// The role of a key attribute.
#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum KeyType {
    /// The partition key.
    #[rename = "HASH"]
    Hash,
    /// The sort key.
    #[rename = "RANGE"]
    Range,
    /// A role this client does not know.
    Unknown(String),
}

/// How reads and writes are billed.
#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum BillingMode {
    /// Provisioned capacity.
    #[rename = "PROVISIONED"]
    Provisioned,
    /// On demand.
    #[rename = "PAY_PER_REQUEST"]
    PayPerRequest,
    /// A mode this client does not know.
    Unknown(String),
}

/// The state of a table.
#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum TableStatus {
    /// Being created.
    #[rename = "CREATING"]
    Creating,
    /// Being updated.
    #[rename = "UPDATING"]
    Updating,
    /// Being deleted.
    #[rename = "DELETING"]
    Deleting,
    /// Ready.
    #[rename = "ACTIVE"]
    Active,
    /// Its KMS key is not accessible.
    #[rename = "INACCESSIBLE_ENCRYPTION_CREDENTIALS"]
    InaccessibleEncryptionCredentials,
    /// Being archived.
    #[rename = "ARCHIVING"]
    Archiving,
    /// Archived.
    #[rename = "ARCHIVED"]
    Archived,
    /// Replication is not authorized.
    #[rename = "REPLICATION_NOT_AUTHORIZED"]
    ReplicationNotAuthorized,
    /// A status this client does not know.
    Unknown(String),
}

/// The storage class of a table.
#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum TableClass {
    /// Standard.
    #[rename = "STANDARD"]
    Standard,
    /// Standard, infrequent access.
    #[rename = "STANDARD_INFREQUENT_ACCESS"]
    StandardInfrequentAccess,
    /// A class this client does not know.
    Unknown(String),
}

/// An attribute used in a key schema or an index.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDefinition {
    /// The attribute name.
    #[rename = "AttributeName"]
    #[length(1, 255)]
    pub attribute_name: String,
    /// Its type.
    #[rename = "AttributeType"]
    pub attribute_type: ScalarAttributeType,
}

/// One element of a key schema.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct KeySchemaElement {
    /// The attribute name.
    #[rename = "AttributeName"]
    #[length(1, 255)]
    pub attribute_name: String,
    /// Partition or sort key.
    #[rename = "KeyType"]
    pub key_type: KeyType,
}

/// Provisioned capacity, for `BillingMode::Provisioned`.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionedThroughput {
    /// Read capacity units.
    #[rename = "ReadCapacityUnits"]
    #[range(min = 1)]
    pub read_capacity_units: i64,
    /// Write capacity units.
    #[rename = "WriteCapacityUnits"]
    #[range(min = 1)]
    pub write_capacity_units: i64,
}

/// A tag.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// The key.
    #[rename = "Key"]
    #[length(1, 128)]
    pub key: String,
    /// The value.
    #[rename = "Value"]
    #[length(0, 256)]
    pub value: String,
}

/// Provisioned capacity as a table description reports it.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionedThroughputDescription {
    /// The last increase.
    #[rename = "LastIncreaseDateTime"]
    pub last_increase_date_time: Option<Timestamp>,
    /// The last decrease.
    #[rename = "LastDecreaseDateTime"]
    pub last_decrease_date_time: Option<Timestamp>,
    /// Decreases so far today.
    #[rename = "NumberOfDecreasesToday"]
    pub number_of_decreases_today: Option<i64>,
    /// Read capacity units.
    #[rename = "ReadCapacityUnits"]
    pub read_capacity_units: Option<i64>,
    /// Write capacity units.
    #[rename = "WriteCapacityUnits"]
    pub write_capacity_units: Option<i64>,
}

/// A table, as `CreateTable` and `DescribeTable` return it.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct TableDescription {
    /// The key attributes.
    #[rename = "AttributeDefinitions"]
    pub attribute_definitions: Option<Vec<AttributeDefinition>>,
    /// The name.
    #[rename = "TableName"]
    pub table_name: Option<String>,
    /// The key schema.
    #[rename = "KeySchema"]
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// The state.
    #[rename = "TableStatus"]
    pub table_status: Option<TableStatus>,
    /// When it was created.
    #[rename = "CreationDateTime"]
    pub creation_date_time: Option<Timestamp>,
    /// Provisioned capacity.
    #[rename = "ProvisionedThroughput"]
    pub provisioned_throughput: Option<ProvisionedThroughputDescription>,
    /// Approximate size in bytes.
    #[rename = "TableSizeBytes"]
    pub table_size_bytes: Option<i64>,
    /// Approximate number of items.
    #[rename = "ItemCount"]
    pub item_count: Option<i64>,
    /// The ARN.
    #[rename = "TableArn"]
    pub table_arn: Option<String>,
    /// The table id.
    #[rename = "TableId"]
    pub table_id: Option<String>,
    /// Whether the table is protected from deletion.
    #[rename = "DeletionProtectionEnabled"]
    pub deletion_protection_enabled: Option<bool>,
}

// --- CreateTable ----------------------------------------------------------------

/// The response of `CreateTable`.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTableOutput {
    /// The new table.
    #[rename = "TableDescription"]
    pub table_description: Option<TableDescription>,
}

/// Creates a table.
#[aws_operation(
    service = DynamoDb,
    target = "DynamoDB_20120810.CreateTable",
    output = CreateTableOutput,
    errors(ResourceInUseException, LimitExceededException, InternalServerError),
)]
#[derive(Debug, Clone, Default)]
pub struct CreateTable {
    /// The attributes of the key schema and indexes.
    #[rename = "AttributeDefinitions"]
    pub attribute_definitions: Option<Vec<AttributeDefinition>>,
    /// The table name (or, in the model's newer form, an ARN).
    #[rename = "TableName"]
    #[length(1, 1024)]
    pub table_name: String,
    /// The primary key.
    #[rename = "KeySchema"]
    #[length(min = 1)]
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// How reads and writes are billed.
    #[rename = "BillingMode"]
    pub billing_mode: Option<BillingMode>,
    /// Provisioned capacity, for `BillingMode::Provisioned`.
    #[rename = "ProvisionedThroughput"]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// Tags.
    #[rename = "Tags"]
    pub tags: Option<Vec<Tag>>,
    /// The storage class.
    #[rename = "TableClass"]
    pub table_class: Option<TableClass>,
    /// Whether the table is protected from deletion.
    #[rename = "DeletionProtectionEnabled"]
    pub deletion_protection_enabled: Option<bool>,
}

// --- ListTables -----------------------------------------------------------------

/// The response of `ListTables`.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct ListTablesOutput {
    /// The table names.
    #[rename = "TableNames"]
    pub table_names: Option<Vec<String>>,
    /// Where the next page starts.
    #[rename = "LastEvaluatedTableName"]
    pub last_evaluated_table_name: Option<String>,
}

/// Lists the tables of the account in the region.
#[aws_operation(
    service = DynamoDb,
    target = "DynamoDB_20120810.ListTables",
    output = ListTablesOutput,
    errors(InternalServerError),
)]
#[derive(Debug, Clone, Default)]
pub struct ListTables {
    /// Start after this table (the previous page's `LastEvaluatedTableName`).
    #[rename = "ExclusiveStartTableName"]
    #[length(3, 255)]
    #[pattern("[a-zA-Z0-9_.-]+")]
    pub exclusive_start_table_name: Option<String>,
    /// The most names to return.
    #[rename = "Limit"]
    #[range(1, 100)]
    pub limit: Option<i32>,
}

// --- DescribeTable --------------------------------------------------------------

/// The response of `DescribeTable`.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeTableOutput {
    /// The table.
    #[rename = "Table"]
    pub table: Option<TableDescription>,
}

/// Describes a table.
#[aws_operation(
    service = DynamoDb,
    target = "DynamoDB_20120810.DescribeTable",
    output = DescribeTableOutput,
    errors(ResourceNotFoundException, InternalServerError),
)]
#[derive(Debug, Clone, Default)]
pub struct DescribeTable {
    /// The table name or ARN.
    #[rename = "TableName"]
    #[length(1, 1024)]
    pub table_name: String,
}
