//! The items declared through the renamed dependency work at run time.

use core_renamed::validate::Validator;
use core_renamed::{ModeledError, Operation, Service};
use renamed::{Caption, Color, Label, Paint, Ping, Renamed, WetPaintException};

fn write_body<O: Operation>(op: &O) -> String {
    let mut buf = Vec::new();
    op.write_body(&mut buf).expect("serializes");
    String::from_utf8(buf).expect("JSON is UTF-8")
}

#[test]
fn valid_request_serializes_with_wire_names() {
    let paint = Paint {
        wall: "north".into(),
        coats: 2,
        blob: b"hi".to_vec(),
        labels: Some(vec![Label {
            key: "a".into(),
            weight: Some(0.5),
        }]),
        tags: Some(vec!["x".into()]),
        color: Some(Color::Red),
    };
    Validator::check("Paint", &paint).expect("valid");
    assert_eq!(
        write_body(&paint),
        r#"{"wall":"north","coats":2,"blob":"aGk=","labels":[{"key":"a","weight":0.5}],"TagList":["x"],"color":"RED"}"#
    );
    assert_eq!(write_body(&Ping), "{}");
}

#[test]
fn every_violation_is_reported_with_its_path() {
    let paint = Paint {
        wall: String::new(),
        coats: 4,
        blob: vec![0; 5],
        labels: Some(vec![Label {
            key: "UPPER".into(),
            weight: Some(2.0),
        }]),
        tags: Some(vec![String::new()]),
        color: Some(Color::Unknown("BLUE".into())),
    };
    let err = Validator::check("Paint", &paint).expect_err("invalid");
    let paths: Vec<_> = err.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "wall",
            "wall",
            "coats",
            "blob",
            "labels[0].key",
            "labels[0].weight",
            "TagList[0]",
            "color",
        ],
        "{err}"
    );
}

#[test]
fn operation_service_schema_and_errors() {
    assert_eq!(<Paint as Operation>::TARGET, "Renamed_20240101.Paint");
    assert_eq!(<Paint as Operation>::NAME, "Paint");
    assert_eq!(
        <<Paint as Operation>::Service as Service>::INFO,
        Renamed::INFO
    );
    let wire: Vec<_> = Paint::SCHEMA.members.iter().map(|m| m.wire_name).collect();
    assert_eq!(
        wire,
        ["wall", "coats", "blob", "labels", "TagList", "color"]
    );
    assert_eq!(Paint::SCHEMA.errors, ["WetPaint"]);
    assert_eq!(<WetPaintException as ModeledError>::CODE, "WetPaint");
    assert_eq!(Color::from("GREEN"), Color::Green);
    assert_eq!(Color::from("BLUE").to_string(), "BLUE");
}

#[test]
fn unicode_classes_run_on_the_full_engine() {
    let ok = Caption {
        text: "Grüße aus Köln ολα".into(),
    };
    Validator::check("Caption", &ok).expect("letters of any script match \\p{L}");
    let bad = Caption {
        text: "R2-D2".into(),
    };
    let err = Validator::check("Caption", &bad).expect_err("digits are not letters");
    assert_eq!(err.violations.len(), 1, "{err}");
    assert_eq!(err.violations[0].path, "text");
}
