//! The comparison of declared schemas with the model, both ways, and its report.

use super::*;

#[derive(Default)]
pub(crate) struct Report {
    pub(crate) operations: usize,
    pub(crate) members: usize,
    pub(crate) constraints: usize,
    pub(crate) differences: Vec<String>,
    pub(crate) allowed: Vec<String>,
}

pub(crate) struct Comparison<'m> {
    pub(crate) shapes: &'m serde_json::Map<String, Value>,
    pub(crate) report: Report,
    /// (model shape, Rust type) pairs already compared: a shape shared by
    /// several operations is compared once, and named by the first one.
    pub(crate) seen: HashSet<(String, &'static str)>,
}

impl Comparison<'_> {
    pub(crate) fn diff(&mut self, at: &At, what: String) {
        self.report.differences.push(format!("{at}: {what}"));
    }

    pub(crate) fn shape(&self, name: &str) -> &Value {
        self.shapes
            .get(name)
            .unwrap_or_else(|| panic!("the model names shape {name} but does not define it"))
    }

    pub(crate) fn structure(&mut self, at: &At, model_name: &str, schema: &'static Schema) {
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

    pub(crate) fn member(&mut self, at: &At, model_name: &str, m: &Member) {
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
    pub(crate) fn value(
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
    pub(crate) fn facets(
        &mut self,
        at: &At,
        what: &str,
        model_name: &str,
        model: &Facets,
        ours: &Facets,
    ) {
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

pub(crate) fn count(f: &Facets) -> usize {
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

pub(crate) fn describe(f: &Facets) -> String {
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
pub(crate) fn compare(model: &Value, operations: &[&'static Schema]) -> Report {
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
