//! DynamoDB's whole API, generated from its model by `tools/gen_service.py`
//! (the `dynamodb-api` crate, on ecrkit alone), end to end against a live
//! moto server on 127.0.0.1: create a table, put items with nested attribute
//! values (maps, lists, numbers, strings, binaries and sets of each), get,
//! query and scan them, batch-write, delete, and drop the table; and a
//! modeled error (`ResourceNotFoundException`) for a table that is gone.

use std::collections::HashMap;

use dynamodb_api::{
    AttributeDefinition, AttributeValue, BatchWriteItem, BillingMode, CreateTable, DeleteItem,
    DeleteRequest, DeleteTable, DescribeTable, DescribeTableError, GetItem, KeySchemaElement,
    KeyType, ListTables, PutItem, PutRequest, Query, ScalarAttributeType, Scan, TableStatus,
    WriteRequest,
};
use ecr_tests::Moto;
use ecrkit::Error;

fn s(v: &str) -> AttributeValue {
    AttributeValue {
        s: Some(v.into()),
        ..Default::default()
    }
}

fn n(v: i64) -> AttributeValue {
    AttributeValue {
        n: Some(v.to_string()),
        ..Default::default()
    }
}

fn item(pk: &str, sk: i64, extra: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
    let mut item: HashMap<String, AttributeValue> =
        [("pk".to_owned(), s(pk)), ("sk".to_owned(), n(sk))].into();
    for (k, v) in extra {
        item.insert((*k).to_owned(), v.clone());
    }
    item
}

/// A value with every kind of attribute, nested.
fn nested() -> AttributeValue {
    let inner = AttributeValue {
        m: Some(HashMap::from([
            ("name".to_owned(), s("layer")),
            ("size".to_owned(), n(52_428_800)),
            (
                "blob".to_owned(),
                AttributeValue {
                    b: Some(vec![0, 1, 2, 0xfe, 0xff]),
                    ..Default::default()
                },
            ),
            (
                "tags".to_owned(),
                AttributeValue {
                    ss: Some(vec!["a".into(), "b".into()]),
                    ..Default::default()
                },
            ),
            (
                "digests".to_owned(),
                AttributeValue {
                    bs: Some(vec![vec![1, 2], vec![3]]),
                    ..Default::default()
                },
            ),
            (
                "nothing".to_owned(),
                AttributeValue {
                    null: Some(true),
                    ..Default::default()
                },
            ),
        ])),
        ..Default::default()
    };
    AttributeValue {
        l: Some(vec![
            inner,
            AttributeValue {
                bool: Some(false),
                ..Default::default()
            },
            AttributeValue {
                ns: Some(vec!["1".into(), "2.5".into()]),
                ..Default::default()
            },
        ]),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_through_its_items_against_moto() {
    let moto = Moto::start();
    let client = moto.client();
    let table = "layers";

    let created = CreateTable {
        table_name: table.into(),
        attribute_definitions: Some(vec![
            AttributeDefinition {
                attribute_name: "pk".into(),
                attribute_type: ScalarAttributeType::S,
            },
            AttributeDefinition {
                attribute_name: "sk".into(),
                attribute_type: ScalarAttributeType::N,
            },
        ]),
        key_schema: Some(vec![
            KeySchemaElement {
                attribute_name: "pk".into(),
                key_type: KeyType::Hash,
            },
            KeySchemaElement {
                attribute_name: "sk".into(),
                key_type: KeyType::Range,
            },
        ]),
        billing_mode: Some(BillingMode::PayPerRequest),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("CreateTable");
    let description = created.table_description.expect("a table description");
    assert_eq!(description.table_name.as_deref(), Some(table));
    let described = DescribeTable {
        table_name: table.into(),
    }
    .send(&client)
    .await
    .expect("DescribeTable");
    assert_eq!(
        described.table.and_then(|t| t.table_status),
        Some(TableStatus::Active)
    );
    let listed = ListTables::default()
        .send(&client)
        .await
        .expect("ListTables");
    assert_eq!(listed.table_names, Some(vec![table.to_owned()]));

    // Put, then get back the nested value as it went in.
    let first = item("repo-a", 1, &[("layers", nested())]);
    PutItem {
        table_name: table.into(),
        item: first.clone(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("PutItem");
    let got = GetItem {
        table_name: table.into(),
        key: item("repo-a", 1, &[]),
        consistent_read: Some(true),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("GetItem");
    assert_eq!(
        got.item.as_ref(),
        Some(&first),
        "the nested value round-trips"
    );

    // Batch-write three more (two in one partition), and delete none yet.
    let batch: Vec<WriteRequest> = [("repo-a", 2), ("repo-a", 3), ("repo-b", 1)]
        .iter()
        .map(|(pk, sk)| WriteRequest {
            put_request: Some(PutRequest {
                item: item(pk, *sk, &[("size", n(sk * 100))]),
            }),
            delete_request: None,
        })
        .collect();
    let written = BatchWriteItem {
        request_items: HashMap::from([(table.to_owned(), batch)]),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("BatchWriteItem");
    assert!(
        written
            .unprocessed_items
            .is_none_or(|u| u.values().all(Vec::is_empty)),
        "every write was processed"
    );

    // Query one partition, in key order.
    let queried = Query {
        table_name: table.into(),
        key_condition_expression: Some("pk = :pk AND sk >= :from".into()),
        expression_attribute_values: Some(HashMap::from([
            (":pk".to_owned(), s("repo-a")),
            (":from".to_owned(), n(2)),
        ])),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("Query");
    assert_eq!(queried.count, Some(2));
    let keys: Vec<_> = queried
        .items
        .unwrap_or_default()
        .iter()
        .map(|i| i["sk"].n.clone().unwrap_or_default())
        .collect();
    assert_eq!(keys, ["2", "3"]);

    // Scan everything, with a filter.
    let scanned = Scan {
        table_name: table.into(),
        // `size` is a reserved word: named through an expression name.
        filter_expression: Some("attribute_exists(#size)".into()),
        expression_attribute_names: Some(HashMap::from([("#size".to_owned(), "size".to_owned())])),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("Scan");
    assert_eq!(scanned.count, Some(3), "the three with a size");
    let all = Scan {
        table_name: table.into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("Scan all");
    assert_eq!(all.count, Some(4));

    // Delete one item directly and one through a batch.
    let deleted = DeleteItem {
        table_name: table.into(),
        key: item("repo-a", 1, &[]),
        return_values: Some(dynamodb_api::ReturnValue::AllOld),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("DeleteItem");
    assert_eq!(
        deleted.attributes.as_ref(),
        Some(&first),
        "ALL_OLD returns the item"
    );
    BatchWriteItem {
        request_items: HashMap::from([(
            table.to_owned(),
            vec![WriteRequest {
                put_request: None,
                delete_request: Some(DeleteRequest {
                    key: item("repo-b", 1, &[]),
                }),
            }],
        )]),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("BatchWriteItem delete");
    let left = Scan {
        table_name: table.into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("Scan after deletes");
    assert_eq!(left.count, Some(2));

    DeleteTable {
        table_name: table.into(),
    }
    .send(&client)
    .await
    .expect("DeleteTable");
    match (DescribeTable {
        table_name: table.into(),
    })
    .send(&client)
    .await
    {
        Err(Error::Service {
            error: DescribeTableError::ResourceNotFoundException(_),
            meta,
        }) => assert_eq!(meta.status, 400),
        other => panic!("expected ResourceNotFoundException, got {other:?}"),
    }
}

#[test]
fn validation_uses_the_models_constraints() {
    // TableName: a name or an ARN, 1..=1024 characters (the model's).
    let bad = GetItem {
        table_name: String::new(),
        key: HashMap::new(),
        ..Default::default()
    };
    let err = bad.validate().expect_err("an empty table name");
    let found: Vec<_> = err.violations.iter().map(|v| v.to_string()).collect();
    assert_eq!(
        found,
        ["TableName: length must be at least 1 characters, got 0"]
    );
}
