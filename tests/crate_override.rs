//! Where the macros find the runtime.
//!
//! - With nothing imported: every attribute written as `#[ecrkit::..]`.
//! - With `crate = "..."` naming a module that re-exports the runtime, the
//!   way serde's `test_serde_path.rs` tests `#[serde(crate = "..")]`.
//!
//! The renamed-dependency case (`ecrkit` as `core_renamed`, where no
//! `ecrkit` exists at all) is the `renamed` workspace crate in
//! `tests/renamed/`, with its own tests.

/// Nothing imported: the attributes are named by their full path.
mod fully_qualified {
    /// A nested shape.
    #[ecrkit::aws_shape]
    #[derive(Debug, Clone, PartialEq)]
    pub struct Item {
        #[length(1, 4)]
        pub name: String,
    }

    /// An enum.
    #[ecrkit::aws_enum]
    #[derive(Debug, Clone, PartialEq)]
    pub enum Size {
        #[rename = "SMALL"]
        Small,
        Unknown(String),
    }

    /// An exception.
    #[ecrkit::aws_error]
    #[derive(Debug, Clone)]
    pub struct NopeException {
        pub message: Option<String>,
    }

    /// The output.
    #[ecrkit::aws_shape]
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ListOutput {
        pub items: Option<Vec<Item>>,
    }

    /// An operation of the default service (ECR).
    #[ecrkit::aws_operation(
        target = "AmazonEC2ContainerRegistry_V20150921.ListItems",
        output = ListOutput,
        errors(NopeException),
    )]
    #[derive(Debug, Clone, Default)]
    pub struct ListItems {
        #[length(max = 2)]
        pub items: Vec<Item>,
        pub size: Option<Size>,
        #[range(1, 10)]
        pub max_results: Option<i32>,
    }
}

/// A module that stands in for the runtime, as serde's tests use
/// `fake_serde`.
mod runtime {
    pub use ecrkit::*;
}

/// `crate = "crate::runtime"` on every macro.
mod overridden {
    #[ecrkit::aws_enum(crate = "crate::runtime")]
    #[derive(Debug, Clone, PartialEq)]
    pub enum Flavor {
        #[rename = "SWEET"]
        Sweet,
        Unknown(String),
    }

    #[ecrkit::aws_shape(crate = "crate::runtime")]
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct TasteOutput {
        #[base64]
        pub sample: Option<Vec<u8>>,
        pub score: Option<f64>,
    }

    #[ecrkit::aws_error(crate = "crate::runtime")]
    #[derive(Debug, Clone)]
    pub struct SourException {
        pub message: Option<String>,
    }

    #[ecrkit::aws_operation(
        crate = "crate::runtime",
        target = "AmazonEC2ContainerRegistry_V20150921.Taste",
        output = TasteOutput,
        errors(SourException),
    )]
    #[derive(Debug, Clone, Default)]
    pub struct Taste {
        #[length(1, 8)]
        #[pattern("^[a-z]+$")]
        pub name: String,
        pub flavor: Option<Flavor>,
        #[each(range(0, 9))]
        pub digits: Option<Vec<i32>>,
    }
}

#[test]
fn fully_qualified_attributes_validate() {
    use fully_qualified::{Item, ListItems, Size};
    let ok = ListItems {
        items: vec![Item { name: "a".into() }],
        size: Some(Size::Small),
        max_results: Some(5),
    };
    assert!(ecrkit::validate::Validator::check("ListItems", &ok).is_ok());

    let bad = ListItems {
        items: vec![
            Item {
                name: String::new(),
            },
            Item { name: "a".into() },
            Item {
                name: "toolong".into(),
            },
        ],
        size: Some(Size::Unknown("HUGE".into())),
        max_results: Some(11),
    };
    let err = ecrkit::validate::Validator::check("ListItems", &bad).expect_err("invalid");
    let paths: Vec<_> = err.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "items",
            "items[0].name",
            "items[2].name",
            "size",
            "maxResults"
        ],
        "{err}"
    );
    assert_eq!(
        <ListItems as ecrkit::Operation>::TARGET,
        "AmazonEC2ContainerRegistry_V20150921.ListItems"
    );
}

#[test]
fn crate_path_override_validates_and_serializes() {
    use ecrkit::Operation;
    use overridden::{Flavor, SourException, Taste, TasteOutput};

    let taste = Taste {
        name: "mango".into(),
        flavor: Some(Flavor::Sweet),
        digits: Some(vec![1, 2]),
    };
    assert!(runtime::validate::Validator::check("Taste", &taste).is_ok());
    let mut body = Vec::new();
    taste.write_body(&mut body).expect("serializes");
    assert_eq!(
        String::from_utf8(body).expect("UTF-8"),
        r#"{"name":"mango","flavor":"SWEET","digits":[1,2]}"#
    );

    let bad = Taste {
        name: "Mango".into(),
        flavor: None,
        digits: Some(vec![10]),
    };
    let err = runtime::validate::Validator::check("Taste", &bad).expect_err("invalid");
    let paths: Vec<_> = err.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["name", "digits[0]"], "{err}");

    // Output and error parsing go through the overridden path too.
    let out: TasteOutput =
        ecrkit::protocol::parse_output(br#"{"sample":"aGk=","score":"NaN"}"#).expect("parses");
    assert_eq!(out.sample.as_deref(), Some(&b"hi"[..]));
    assert!(out.score.is_some_and(f64::is_nan));
    assert_eq!(
        <SourException as ecrkit::ModeledError>::CODE,
        "SourException"
    );
}
