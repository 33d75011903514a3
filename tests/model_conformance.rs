//! Model conformance: the generated `SCHEMA` of every declared ECR operation
//! against botocore's ECR model (`service-2.json` from the pinned botocore
//! sdist that `scripts/setup.sh` extracts), compared both ways.
//!
//! For each operation: the target, the input members (wire name, requiredness,
//! type, enum values, length/range/pattern constraints, list item constraints,
//! nested structures recursively), the output members the same way, and the
//! modeled error codes (as sets). Every model operation must be declared and
//! every declared operation must be in the model.
//!
//! Equivalences and omissions, on purpose:
//! - A length `min: 0` in the model is no constraint at all (a length is never
//!   negative), so it equals an absent minimum on our side (and the other way
//!   round). A range minimum of 0 is a real constraint and is compared as is.
//! - Map keys are not in our schema: `Kind::Map` always has `String` keys, and
//!   the model's key shapes (strings and string enums, unconstrained in ECR)
//!   are not compared. Map values are compared like list items (type, enum
//!   values, nested shapes). `#[each(..)]` applies to lists only today, so a
//!   map member's `item_constraints` is empty and a model constraint on map
//!   values is reported as a difference; should the DSL let `each` constrain
//!   map values, they are compared against `item_constraints`.
//! - A shape shared by several operations is compared once (per model shape
//!   and Rust type), and a difference in it names the first operation and
//!   member path that reach it; `M` and `C` count those distinct comparisons.
//!   Paths write list items as `[]` and map values as `{}`.
//! - The one documented difference (DESIGN.md, "Validation policy"):
//!   UploadLayerPart's `partFirstByte`/`partLastByte` carry a maximum of
//!   1152921504606846976 (2^60) that the model lacks. It is counted apart and
//!   printed on its own line; any other difference fails the test.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use ecrkit::__private::{Constraint, Kind, Member, Number};
use ecrkit::Schema;
use serde_json::Value;

/// 2^60: the Dart generator's stand-in for "no maximum".
const TWO_POW_60: i128 = 1_152_921_504_606_846_976;

fn model_path(service: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/oracles/botocore/botocore/data")
        .join(service)
        .join("service-2.json")
}

fn load_model() -> Value {
    load("ecr/2015-09-21")
}

fn load(service: &str) -> Value {
    let path = model_path(service);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read botocore's {service} model at {}: {e}; run scripts/setup.sh first \
             (it fetches the pinned botocore sdist and extracts it under target/oracles)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("service-2.json is valid JSON")
}

/// A numeric bound, compared by value (an integer bound equals the same
/// floating-point bound).
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a == b,
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(x) => x,
        }
    }
    fn from_json(v: &Value) -> Num {
        if let Some(i) = v.as_i64() {
            Num::Int(i as i128)
        } else if let Some(u) = v.as_u64() {
            Num::Int(u as i128)
        } else {
            Num::Float(v.as_f64().expect("a numeric bound"))
        }
    }
}

impl From<Number> for Num {
    fn from(n: Number) -> Num {
        match n {
            Number::Int(i) => Num::Int(i),
            Number::Float(x) => Num::Float(x),
        }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => write!(f, "{x}"),
        }
    }
}

/// One constraint split into its facets; each facet present on either side
/// is one "constraint compared".
#[derive(Debug, Default, PartialEq)]
struct Facets {
    length_min: Option<u64>,
    length_max: Option<u64>,
    range_min: Option<Num>,
    range_max: Option<Num>,
    pattern: Option<String>,
    /// Our side only: more than one constraint of the same kind.
    duplicates: Vec<String>,
}

impl Facets {
    fn from_schema(constraints: &[Constraint]) -> Facets {
        let mut f = Facets::default();
        let (mut length, mut range, mut pattern) = (false, false, false);
        for c in constraints {
            match *c {
                Constraint::Length { min, max } => {
                    if std::mem::replace(&mut length, true) {
                        f.duplicates.push("length".into());
                    }
                    // A minimum length of 0 is no constraint: same as absent.
                    f.length_min = min.filter(|&m| m != 0);
                    f.length_max = max;
                }
                Constraint::Range { min, max } => {
                    if std::mem::replace(&mut range, true) {
                        f.duplicates.push("range".into());
                    }
                    f.range_min = min.map(Num::from);
                    f.range_max = max.map(Num::from);
                }
                Constraint::Pattern(p) => {
                    if std::mem::replace(&mut pattern, true) {
                        f.duplicates.push("pattern".into());
                    }
                    f.pattern = Some(p.to_string());
                }
            }
        }
        f
    }

    /// The model's constraints of a shape: `min`/`max` are a length on
    /// strings, blobs, lists and maps and a range on numbers.
    fn from_model(shape: &Value) -> Facets {
        let mut f = Facets::default();
        let ty = shape["type"].as_str().unwrap_or("");
        let (min, max) = (shape.get("min"), shape.get("max"));
        match ty {
            "integer" | "long" | "float" | "double" | "short" | "byte" | "bigInteger"
            | "bigDecimal" => {
                f.range_min = min.map(Num::from_json);
                f.range_max = max.map(Num::from_json);
            }
            _ => {
                // `min: 0` in the model equals no minimum on our side.
                f.length_min = min.and_then(Value::as_u64).filter(|&m| m != 0);
                f.length_max = max.and_then(Value::as_u64);
            }
        }
        f.pattern = shape
            .get("pattern")
            .and_then(Value::as_str)
            .map(str::to_string);
        f
    }

    fn is_empty(&self) -> bool {
        *self == Facets::default()
    }
}

/// Where a difference was found: `Operation: member.path` or
/// `Operation output: member.path`.
#[derive(Clone)]
struct At {
    op: String,
    path: String,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.op)
        } else {
            write!(f, "{}: {}", self.op, self.path)
        }
    }
}

impl At {
    fn member(&self, name: &str) -> At {
        let path = if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{}", self.path, name)
        };
        At {
            op: self.op.clone(),
            path,
        }
    }
    fn suffix(&self, s: &str) -> At {
        At {
            op: self.op.clone(),
            path: format!("{}{}", self.path, s),
        }
    }
}

#[derive(Default)]
struct Report {
    operations: usize,
    members: usize,
    constraints: usize,
    differences: Vec<String>,
    allowed: Vec<String>,
}

struct Comparison<'m> {
    shapes: &'m serde_json::Map<String, Value>,
    report: Report,
    /// (model shape, Rust type) pairs already compared: a shape shared by
    /// several operations is compared once, and named by the first one.
    seen: HashSet<(String, &'static str)>,
}

impl Comparison<'_> {
    fn diff(&mut self, at: &At, what: String) {
        self.report.differences.push(format!("{at}: {what}"));
    }

    fn shape(&self, name: &str) -> &Value {
        self.shapes
            .get(name)
            .unwrap_or_else(|| panic!("the model names shape {name} but does not define it"))
    }

    fn structure(&mut self, at: &At, model_name: &str, schema: &'static Schema) {
        if !self.seen.insert((model_name.to_string(), schema.name)) {
            return;
        }
        let shape = self.shape(model_name).clone();
        if shape["type"] != "structure" {
            self.diff(
                at,
                format!(
                    "declared as structure {}, the model's {model_name} is a {}",
                    schema.name, shape["type"]
                ),
            );
            return;
        }
        let empty = serde_json::Map::new();
        let members = shape["members"].as_object().unwrap_or(&empty);
        let required: BTreeSet<&str> = shape
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut seen_wire = BTreeSet::new();
        for m in schema.members {
            if !seen_wire.insert(m.wire_name) {
                self.diff(&at.member(m.wire_name), "declared twice".into());
            }
        }
        for name in members.keys() {
            if schema.member(name).is_none() {
                self.diff(
                    &at.member(name),
                    format!(
                        "in the model ({model_name}), not declared in {}",
                        schema.name
                    ),
                );
            }
        }
        for m in schema.members {
            let mat = at.member(m.wire_name);
            let Some(member) = members.get(m.wire_name) else {
                self.diff(
                    &mat,
                    format!(
                        "declared in {} (field {}), not in the model's {model_name}",
                        schema.name, m.field
                    ),
                );
                continue;
            };
            self.report.members += 1;
            let model_required = required.contains(m.wire_name);
            if m.required != model_required {
                self.diff(
                    &mat,
                    format!(
                        "declared {}, the model has it {}",
                        if m.required { "required" } else { "optional" },
                        if model_required {
                            "required"
                        } else {
                            "optional"
                        }
                    ),
                );
            }
            let target = member["shape"].as_str().expect("member shape").to_string();
            self.member(&mat, &target, m);
        }
    }

    fn member(&mut self, at: &At, model_name: &str, m: &Member) {
        self.value(
            at,
            model_name,
            m.kind,
            Some(m.constraints),
            Some(m.item_constraints),
        );
    }

    /// Compares a value: its type, enum values and constraints, then what it
    /// contains. `constraints` is `None` for a list item or map value, whose
    /// constraints the caller has compared already; `items` is our slot for
    /// list item constraints (`None` below a member, where the schema has no
    /// slot).
    fn value(
        &mut self,
        at: &At,
        model_name: &str,
        kind: Kind,
        constraints: Option<&[Constraint]>,
        items: Option<&[Constraint]>,
    ) {
        let shape = self.shape(model_name).clone();
        let model_type = shape["type"].as_str().unwrap_or("?").to_string();
        if kind.type_name() != model_type {
            self.diff(
                at,
                format!(
                    "declared type {}, the model's {model_name} is {model_type}",
                    kind.type_name()
                ),
            );
            return;
        }
        // Enum values.
        let model_enum: Option<BTreeSet<&str>> = shape
            .get("enum")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_str).collect());
        match (kind, &model_enum) {
            (Kind::Enum(values), Some(model_values)) => {
                let ours: BTreeSet<&str> = values.iter().copied().collect();
                let missing: Vec<_> = model_values.difference(&ours).collect();
                let extra: Vec<_> = ours.difference(model_values).collect();
                if !missing.is_empty() || !extra.is_empty() {
                    self.diff(
                        at,
                        format!("enum {model_name}: values missing {missing:?}, not in the model {extra:?}"),
                    );
                }
            }
            (Kind::Enum(values), None) => self.diff(
                at,
                format!("declared an enum {values:?}, the model's {model_name} is a plain string"),
            ),
            (_, Some(model_values)) => self.diff(
                at,
                format!(
                    "declared a plain string, the model's {model_name} is an enum {model_values:?}"
                ),
            ),
            _ => {}
        }
        if let Some(constraints) = constraints {
            self.facets(
                at,
                "",
                model_name,
                &Facets::from_model(&shape),
                &Facets::from_schema(constraints),
            );
        }

        let item_slot = items.unwrap_or(&[]);
        match kind {
            Kind::List(item) => {
                let item_shape = shape["member"]["shape"]
                    .as_str()
                    .expect("list member")
                    .to_string();
                let item_at = at.suffix("[]");
                let model_items = Facets::from_model(self.shape(&item_shape));
                if items.is_none() && !model_items.is_empty() {
                    // A list of lists: the schema has no slot below the first level.
                    self.diff(
                        &item_at,
                        format!(
                            "the model constrains the items ({model_items:?}); the schema cannot"
                        ),
                    );
                } else {
                    self.facets(
                        at,
                        "item ",
                        &item_shape,
                        &model_items,
                        &Facets::from_schema(item_slot),
                    );
                }
                self.value(&item_at, &item_shape, item(), None, None);
            }
            Kind::Map(value) => {
                // Map keys are not in our schema: they are always `String`,
                // and the model's key shapes are not compared.
                let value_shape = shape["value"]["shape"]
                    .as_str()
                    .expect("map value")
                    .to_string();
                let value_at = at.suffix("{}");
                let model_values = Facets::from_model(self.shape(&value_shape));
                if item_slot.is_empty() && !model_values.is_empty() {
                    // Today `#[each(..)]` applies to lists only, so the schema
                    // has no slot for constraints on map values; if it gains
                    // one (item_constraints on a map member), it is compared
                    // in the branch below.
                    self.report.constraints += count(&model_values);
                    self.diff(
                        &value_at,
                        format!(
                            "the model constrains the map values ({value_shape}: {}); not declared \
                             (the schema has no slot for map value constraints)",
                            describe(&model_values)
                        ),
                    );
                } else if items.is_some() {
                    self.facets(
                        at,
                        "map value ",
                        &value_shape,
                        &model_values,
                        &Facets::from_schema(item_slot),
                    );
                } else if !model_values.is_empty() {
                    self.diff(
                        &value_at,
                        format!(
                            "the model constrains the map values ({value_shape}: {}); the schema \
                             has no slot at this depth",
                            describe(&model_values)
                        ),
                    );
                }
                self.value(&value_at, &value_shape, value(), None, None);
            }
            Kind::Structure(schema) => {
                if !item_slot.is_empty() {
                    self.diff(at, format!("item constraints {item_slot:?} on a structure"));
                }
                self.structure(at, model_name, schema());
            }
            _ => {
                if !item_slot.is_empty() {
                    self.diff(
                        at,
                        format!("item constraints {item_slot:?} on a {}", kind.type_name()),
                    );
                }
            }
        }
    }

    /// Compares facet by facet; `what` is "" or "item ".
    fn facets(&mut self, at: &At, what: &str, model_name: &str, model: &Facets, ours: &Facets) {
        for d in &ours.duplicates {
            self.diff(at, format!("{what}{d} declared more than once"));
        }
        fn check<T: PartialEq + std::fmt::Display>(
            c: &mut Comparison<'_>,
            at: &At,
            model_name: &str,
            label: String,
            model: &Option<T>,
            ours: &Option<T>,
        ) -> bool {
            if model.is_none() && ours.is_none() {
                return true;
            }
            c.report.constraints += 1;
            if model == ours {
                return true;
            }
            let show = |v: &Option<T>| v.as_ref().map_or("none".to_string(), |v| v.to_string());
            c.diff(
                at,
                format!(
                    "{label}: declared {}, the model ({model_name}) has {}",
                    show(ours),
                    show(model)
                ),
            );
            false
        }
        check(
            self,
            at,
            model_name,
            format!("{what}length min"),
            &model.length_min,
            &ours.length_min,
        );
        check(
            self,
            at,
            model_name,
            format!("{what}length max"),
            &model.length_max,
            &ours.length_max,
        );
        check(
            self,
            at,
            model_name,
            format!("{what}range min"),
            &model.range_min,
            &ours.range_min,
        );
        // The one documented difference: 2^60 on UploadLayerPart's byte positions.
        let allowed = at.op == "UploadLayerPart"
            && (at.path == "partFirstByte" || at.path == "partLastByte")
            && what.is_empty()
            && model.range_max.is_none()
            && ours.range_max == Some(Num::Int(TWO_POW_60));
        if allowed {
            self.report.constraints += 1;
            self.report.allowed.push(at.to_string());
        } else {
            check(
                self,
                at,
                model_name,
                format!("{what}range max"),
                &model.range_max,
                &ours.range_max,
            );
        }
        let quote = |p: &Option<String>| p.as_ref().map(|p| format!("{p:?}"));
        check(
            self,
            at,
            model_name,
            format!("{what}pattern"),
            &quote(&model.pattern),
            &quote(&ours.pattern),
        );
    }
}

fn count(f: &Facets) -> usize {
    [
        f.length_min.is_some(),
        f.length_max.is_some(),
        f.range_min.is_some(),
        f.range_max.is_some(),
        f.pattern.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count()
}

fn describe(f: &Facets) -> String {
    let mut parts = Vec::new();
    if let Some(v) = f.length_min {
        parts.push(format!("length min {v}"));
    }
    if let Some(v) = f.length_max {
        parts.push(format!("length max {v}"));
    }
    if let Some(v) = f.range_min {
        parts.push(format!("range min {v}"));
    }
    if let Some(v) = f.range_max {
        parts.push(format!("range max {v}"));
    }
    if let Some(v) = &f.pattern {
        parts.push(format!("pattern {v:?}"));
    }
    parts.join(", ")
}

/// Compares `operations` with `model`, both ways.
fn compare(model: &Value, operations: &[&'static Schema]) -> Report {
    let shapes = model["shapes"].as_object().expect("model shapes");
    let model_ops = model["operations"].as_object().expect("model operations");
    let prefix = model["metadata"]["targetPrefix"]
        .as_str()
        .expect("targetPrefix");
    let mut c = Comparison {
        shapes,
        report: Report::default(),
        seen: HashSet::new(),
    };

    // Declared operations by name (the part of the target after the dot).
    let mut declared: BTreeMap<String, &'static Schema> = BTreeMap::new();
    for schema in operations {
        let at = At {
            op: schema.name.to_string(),
            path: String::new(),
        };
        let Some(target) = schema.target else {
            c.diff(&at, "in OPERATIONS without a target".into());
            continue;
        };
        let name = target.rsplit('.').next().unwrap_or(target).to_string();
        if declared.insert(name.clone(), schema).is_some() {
            c.diff(&at, format!("target {target} declared twice"));
        }
    }
    for name in model_ops.keys() {
        if !declared.contains_key(name) {
            c.diff(
                &At {
                    op: name.clone(),
                    path: String::new(),
                },
                "in the model, not declared in OPERATIONS".into(),
            );
        }
    }
    for (name, schema) in &declared {
        let at = At {
            op: name.clone(),
            path: String::new(),
        };
        let Some(op) = model_ops.get(name) else {
            c.diff(&at, format!("declared ({}), not in the model", schema.name));
            continue;
        };
        c.report.operations += 1;
        if schema.name != name {
            c.diff(
                &at,
                format!("declared as type {}, expected {name}", schema.name),
            );
        }
        let target = format!("{prefix}.{name}");
        if schema.target != Some(target.as_str()) {
            c.diff(
                &at,
                format!("target {:?}, the model's is {target:?}", schema.target),
            );
        }

        // Input.
        match op.get("input").and_then(|i| i["shape"].as_str()) {
            Some(input) => c.structure(&at, input, schema),
            None if schema.members.is_empty() => {}
            None => c.diff(&at, "declares members; the model has no input".into()),
        }

        // Output.
        let out_at = At {
            op: format!("{name} output"),
            path: String::new(),
        };
        match (
            op.get("output").and_then(|o| o["shape"].as_str()),
            schema.output,
        ) {
            (Some(output), Some(f)) => c.structure(&out_at, output, f()),
            (Some(output), None) => c.diff(
                &out_at,
                format!("the model's output is {output}; none declared"),
            ),
            (None, Some(f)) if !f().members.is_empty() => c.diff(
                &out_at,
                format!("declared {}; the model has no output", f().name),
            ),
            (None, _) => {}
        }

        // Errors, as sets of codes.
        let model_errors: BTreeSet<String> = op
            .get("errors")
            .and_then(Value::as_array)
            .map(|errs| {
                errs.iter()
                    .map(|e| {
                        let shape = e["shape"].as_str().expect("error shape");
                        c.shape(shape)
                            .get("error")
                            .and_then(|e| e.get("code"))
                            .and_then(Value::as_str)
                            .unwrap_or(shape)
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ours: BTreeSet<String> = schema.errors.iter().map(|s| s.to_string()).collect();
        let missing: Vec<_> = model_errors.difference(&ours).collect();
        let extra: Vec<_> = ours.difference(&model_errors).collect();
        if !missing.is_empty() {
            c.diff(
                &at,
                format!("errors in the model, not declared: {missing:?}"),
            );
        }
        if !extra.is_empty() {
            c.diff(&at, format!("errors declared, not in the model: {extra:?}"));
        }
    }
    c.report
}

#[test]
fn ecr_model_conformance() {
    let model = load_model();
    let report = compare(&model, ecrkit::ecr::OPERATIONS);
    for d in &report.differences {
        println!("difference: {d}");
    }
    // The one documented difference, on its own line.
    assert!(
        report.allowed.len() <= 2,
        "the allowed difference matched more than the two byte positions: {:?}",
        report.allowed
    );
    if !report.allowed.is_empty() {
        println!(
            "allowed difference (DESIGN.md, Validation policy): {} carry range max 1152921504606846976 (2^60), \
             the model has no maximum",
            report.allowed.join(" and ")
        );
    }
    println!(
        "ECR model conformance: {} operations, {} members, {} constraints compared, {} differences",
        report.operations,
        report.members,
        report.constraints,
        report.differences.len()
    );
    assert!(
        report.differences.is_empty(),
        "{} difference(s) between ecrkit::ecr::OPERATIONS and botocore's ECR model \
         (fix tools/gen_ecr.py and regenerate):\n{}",
        report.differences.len(),
        report.differences.join("\n")
    );
}

/// DynamoDB's whole API, generated by tools/gen_service.py into the
/// `dynamodb-api` crate, against its model: the same comparison, both ways,
/// with no allowed difference.
#[test]
fn dynamodb_model_conformance() {
    let model = load("dynamodb/2012-08-10");
    let report = compare(&model, dynamodb_api::OPERATIONS);
    for d in &report.differences {
        println!("difference: {d}");
    }
    println!(
        "DynamoDB model conformance: {} operations, {} members, {} constraints compared, {} differences",
        report.operations,
        report.members,
        report.constraints,
        report.differences.len() + report.allowed.len()
    );
    assert!(
        report.differences.is_empty() && report.allowed.is_empty(),
        "{} difference(s) between dynamodb_api::OPERATIONS and botocore's DynamoDB model \
         (fix tools/gen_service.py):\n{}",
        report.differences.len() + report.allowed.len(),
        report
            .differences
            .iter()
            .chain(&report.allowed)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The comparison can fail: a changed copy of the model yields a difference
/// for each kind of change.
#[test]
fn a_changed_model_yields_differences() {
    let model = load_model();
    let baseline = compare(&model, ecrkit::ecr::OPERATIONS).differences;
    let baseline: BTreeSet<String> = baseline.into_iter().collect();

    type Mutation = (&'static str, &'static str, fn(&mut Value));
    let mutations: &[Mutation] = &[
        ("a length max", "RepositoryName", |m| {
            m["shapes"]["RepositoryName"]["max"] = 255.into()
        }),
        ("a length min", "RepositoryName", |m| {
            m["shapes"]["RepositoryName"]["min"] = 3.into()
        }),
        ("a pattern", "RepositoryName", |m| {
            m["shapes"]["RepositoryName"]["pattern"] = "[a-z]+".into()
        }),
        ("a range max", "MaxResults", |m| {
            m["shapes"]["MaxResults"]["max"] = 999.into()
        }),
        ("an item constraint", "BatchedOperationLayerDigest", |m| {
            m["shapes"]["BatchedOperationLayerDigest"]["max"] = 999.into()
        }),
        ("an enum value", "TagStatus", |m| {
            m["shapes"]["TagStatus"]["enum"]
                .as_array_mut()
                .unwrap()
                .push("BOGUS".into())
        }),
        ("a requiredness", "repositoryName", |m| {
            m["shapes"]["DescribeImagesRequest"]["required"] = Value::Array(vec![])
        }),
        ("a wire name", "imageIds", |m| {
            let members = m["shapes"]["BatchGetImageRequest"]["members"]
                .as_object_mut()
                .unwrap();
            let v = members.remove("imageIds").unwrap();
            members.insert("imageIdentifiers".into(), v);
        }),
        ("a type", "maxResults", |m| {
            m["shapes"]["MaxResults"]["type"] = "long".into()
        }),
        ("an output member", "DescribeRepositories output", |m| {
            m["shapes"]["DescribeRepositoriesResponse"]["members"]
                .as_object_mut()
                .unwrap()
                .insert("extra".into(), serde_json::json!({"shape": "String"}));
        }),
        ("an error", "PutImage", |m| {
            m["operations"]["PutImage"]["errors"]
                .as_array_mut()
                .unwrap()
                .pop();
        }),
        ("an operation", "Frobnicate", |m| {
            let op = m["operations"]["ListImages"].clone();
            m["operations"]
                .as_object_mut()
                .unwrap()
                .insert("Frobnicate".into(), op);
        }),
        ("a removed operation", "ListImages", |m| {
            m["operations"]
                .as_object_mut()
                .unwrap()
                .remove("ListImages");
        }),
        ("the 2^60 stand-in on another member", "partSize", |m| {
            // Not the allowed difference: an output member, and a real max.
            m["shapes"]["PartSize"]["max"] = 5.into();
        }),
    ];
    for (what, needle, mutate) in mutations {
        let mut changed = model.clone();
        mutate(&mut changed);
        let diffs: Vec<String> = compare(&changed, ecrkit::ecr::OPERATIONS)
            .differences
            .into_iter()
            .filter(|d| !baseline.contains(d))
            .collect();
        assert!(
            !diffs.is_empty(),
            "changing {what} in the model gave no difference"
        );
        assert!(
            diffs.iter().any(|d| d.contains(needle)),
            "changing {what}: no difference names {needle}: {diffs:?}"
        );
    }

    // And the allowed difference is allowed only as documented: a model that
    // gained the same maximum makes it an ordinary match, and a different
    // maximum on our side would be a difference.
    let mut changed = model.clone();
    changed["shapes"]["PartSize"]["max"] = serde_json::json!(TWO_POW_60 as i64);
    let report = compare(&changed, ecrkit::ecr::OPERATIONS);
    assert!(
        report.allowed.iter().all(|a| !a.contains("partFirstByte")),
        "{:?}",
        report.allowed
    );
}
