//! A shape nested in a list, and `each(..)` on a list of strings and on the
//! values of a map; the violations carry the wire path down to the item.

use std::collections::BTreeMap;

use ecrkit::validate::Validator;
use ecrkit::aws_shape;

#[aws_shape]
pub struct Tag {
    #[length(1, 128)]
    #[rename = "Key"]
    pub key: String,
    #[length(0, 256)]
    #[rename = "Value"]
    pub value: String,
}

#[aws_shape]
pub struct Tagged {
    #[length(max = 2)]
    pub tags: Option<Vec<Tag>>,
    #[each(length(1, 4), pattern("^[a-z]+$"))]
    pub names: Vec<String>,
    #[length(max = 5)]
    #[each(length(max = 3))]
    pub labels: Option<BTreeMap<String, String>>,
}

fn tag(key: &str) -> Tag {
    Tag { key: key.into(), value: String::new() }
}

fn main() {
    let ok = Tagged {
        tags: Some(vec![tag("a")]),
        names: vec!["abc".into()],
        labels: None,
    };
    assert!(Validator::check("Tagged", &ok).is_ok());

    let bad = Tagged {
        tags: Some(vec![tag("a"), tag(""), tag("c")]),
        names: vec!["ok".into(), "TOOLONG".into()],
        labels: Some(BTreeMap::from([("a".into(), "ok".into()), ("b".into(), "long".into())])),
    };
    let err = Validator::check("Tagged", &bad).unwrap_err();
    let paths: Vec<_> = err.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        ["tags", "tags[1].Key", "names[1]", "names[1]", "labels[\"b\"]"],
        "{err}"
    );
}
