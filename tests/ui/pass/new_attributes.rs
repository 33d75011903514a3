use ecrkit::{
    Document, Operation, Timestamp, aws_constraint, aws_operation, aws_shape,
};

/// A repository name, declared once.
#[aws_constraint(length(2, 256), pattern("^[a-z0-9]+$"))]
pub struct RepositoryName;

/// How many results.
#[aws_constraint(range(1, 1000))]
pub struct MaxResults;

/// A list of at most three.
#[aws_constraint(length(max = 3))]
pub struct Few;

#[aws_shape]
#[derive(Debug, PartialEq)]
pub struct Event {
    #[timestamp_format("date-time")]
    pub at: Option<Timestamp>,
    #[timestamp_format("http-date")]
    pub seen: Option<Timestamp>,
    #[timestamp_format("epoch-seconds")]
    pub epoch: Option<Timestamp>,
    #[timestamp_format("date-time")]
    pub history: Option<Vec<Timestamp>>,
    pub details: Option<Document>,
}

#[aws_operation(
    host_prefix = "data-{AccountId}.",
    request_compression = "gzip",
    output = Event,
    errors(),
)]
#[derive(Debug, Default)]
pub struct GetEvents {
    #[host_label]
    #[rename = "AccountId"]
    pub account_id: String,
    #[constraints(RepositoryName)]
    pub repository_name: String,
    #[constraints(MaxResults)]
    pub max_results: Option<i32>,
    #[constraints(Few)]
    #[each(constraints(RepositoryName))]
    pub others: Option<Vec<String>>,
}

fn main() {
    let t = Timestamp::from_secs(946_845_296);
    let event = Event {
        at: Some(t),
        seen: Some(t),
        epoch: Some(t),
        history: Some(vec![t]),
        details: Some(serde_json::json!({"any": [1, "json"]})),
    };
    let text = serde_json::to_string(&event).unwrap();
    assert_eq!(
        text,
        r#"{"at":"2000-01-02T20:34:56Z","seen":"Sun, 02 Jan 2000 20:34:56 GMT","epoch":946845296,"history":["2000-01-02T20:34:56Z"],"details":{"any":[1,"json"]}}"#
    );
    assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), event);

    let request = GetEvents {
        account_id: "123456789012".into(),
        repository_name: "x".into(),
        max_results: Some(0),
        others: Some(vec!["ok".into(), "BAD".into(), "c".into(), "d".into()]),
    };
    let err = request.validate().unwrap_err();
    let found: Vec<_> = err.violations.iter().map(|v| v.to_string()).collect();
    assert_eq!(
        found,
        [
            "repositoryName: length must be at least 2 characters, got 1",
            "maxResults: must be at least 1, got 0",
            "others: length must be at most 3 items, got 4",
            "others[1]: must match the pattern ^[a-z0-9]+$, got \"BAD\"",
            "others[2]: length must be at least 2 characters, got 1",
            "others[3]: length must be at least 2 characters, got 1",
        ]
    );
    assert!(<GetEvents as Operation>::REQUEST_COMPRESSION);
    assert_eq!(
        request.host_prefix().unwrap().unwrap(),
        "data-123456789012."
    );
    let bad = GetEvents {
        account_id: "evil.example.com/".into(),
        ..GetEvents::default()
    };
    let err = bad.host_prefix().unwrap().unwrap_err();
    assert_eq!(err.violations[0].path, "AccountId");
    // The set's constraints are the members' in the schema.
    let member = GetEvents::SCHEMA.member("repositoryName").unwrap();
    assert_eq!(member.constraints.len(), 2);
}
