//! The catalog: for each constrained member, a valid request and the same request with one constraint broken.

use super::*;

/// Valid sample values, keyed by the model's pattern (as the model writes it).
/// A pattern missing here falls back to every other sample and then to
/// generated strings; the test fails if no valid value is found.
pub(crate) const SAMPLES: &[(&str, &[&str])] = &[
    (r"^\S+$", &["dGVzdA=="]),
    (
        r"^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr\-pullthroughcache\/[a-zA-Z0-9\/_+=.@-]+$",
        &[
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
        ],
    ),
    (r"^[0-9a-zA-Z._*-]{1,128}$", &["release-*"]),
    (
        r"^$|arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-z0-9-]+",
        &["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
    ),
    (
        r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+",
        &["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ),
    (
        r"^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?|ROOT)$",
        &["ecr-public", "ROOT"],
    ),
    (
        r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[\w+=,.@-]+(/[\w+=,.@-]+)*$",
        &["arn:aws:iam::123456789012:role/ecr-push"],
    ),
    (r"[0-9a-z-]{2,25}", &["us-west-2"]),
    (r"[0-9]{12}", &["123456789012"]),
    (
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        &["0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"],
    ),
    (
        r"^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$",
        &["team-a/app"],
    ),
    (
        r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*",
        &["team-a/web-app"],
    ),
    (r"^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$", &["team-a/*"]),
    (
        r"^arn:aws(-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\/signing-profiles\/[a-zA-Z0-9_]{2,}$",
        &["arn:aws:signer:us-east-1:123456789012:/signing-profiles/MyProfile"],
    ),
    (
        r"^(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*$",
        &["team-a/*"],
    ),
];

/// Characters used to pad a sample to a length.
pub(crate) const PADS: &[&str] = &["a", "0", "z", "*", "-", ".", "_", "A"];
/// Characters tried for a value that must contain no match of a pattern.
pub(crate) const NON_MATCHING: &[&str] =
    &[" ", "!", "~", "#", "%", "^", "\u{e9}", "A", "_", "a", "0"];

#[derive(Clone, Debug)]
pub(crate) enum Step {
    Member(String),
    Index,
    MapValue(String),
}

pub(crate) fn path_string(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Member(m) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(m);
            }
            Step::Index => out.push_str("[0]"),
            Step::MapValue(k) => out.push_str(&format!("[{k:?}]")),
        }
    }
    out
}

pub(crate) enum Break {
    /// Remove the member (a missing required member).
    Remove,
    /// Put this value at the path.
    Set(Value),
}

pub(crate) struct Case {
    pub(crate) op: String,
    pub(crate) path: Vec<Step>,
    pub(crate) what: String,
    pub(crate) brk: Break,
}

pub(crate) struct Catalog<'m> {
    pub(crate) shapes: &'m Map<String, Value>,
    pub(crate) cases: Vec<Case>,
    /// Cases that cannot be built, with the reason.
    pub(crate) skipped: Vec<String>,
    /// Values that break a second constraint of the same member because no
    /// value of that length satisfies the other one.
    pub(crate) notes: BTreeSet<String>,
    /// Problems of the test's own making (no valid sample, bad pattern).
    pub(crate) errors: BTreeSet<String>,
}

pub(crate) fn zeros_base64(n: usize) -> String {
    let mut s = "AAAA".repeat(n / 3);
    match n % 3 {
        1 => s.push_str("AA=="),
        2 => s.push_str("AAA="),
        _ => {}
    }
    s
}

pub(crate) fn len_of(s: &str) -> u64 {
    s.chars().count() as u64
}

impl<'m> Catalog<'m> {
    pub(crate) fn shape(&self, name: &str) -> &'m Value {
        self.shapes
            .get(name)
            .unwrap_or_else(|| panic!("the model names shape {name} but does not define it"))
    }

    pub(crate) fn bounds(shape: &Value) -> (Option<i128>, Option<i128>) {
        let get = |k: &str| {
            shape
                .get(k)
                .and_then(|v| v.as_i64().map(i128::from).or(v.as_u64().map(i128::from)))
        };
        (get("min"), get("max"))
    }

    pub(crate) fn regex(&mut self, pattern: &str) -> Option<Regex> {
        match Regex::new(pattern) {
            Ok(re) => Some(re),
            Err(e) => {
                self.errors.insert(format!(
                    "pattern {pattern:?} does not compile with the runtime's regex features ({e}); \
                     the runtime would accept every value"
                ));
                None
            }
        }
    }

    pub(crate) fn samples(pattern: Option<&str>) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        if let Some(p) = pattern {
            if let Some((_, s)) = SAMPLES.iter().find(|(k, _)| *k == p) {
                out.extend(s.iter());
            }
            for (_, s) in SAMPLES {
                out.extend(s.iter());
            }
        }
        out.push("example");
        out
    }

    /// Candidate strings of exactly `n` characters, built from the samples.
    pub(crate) fn of_len(samples: &[&str], n: usize) -> Vec<String> {
        let mut out = Vec::new();
        for s in samples {
            let l = s.chars().count();
            if l >= n {
                out.push(s.chars().take(n).collect());
            } else {
                for pad in PADS {
                    out.push(format!("{s}{}", pad.repeat(n - l)));
                }
            }
        }
        for pad in PADS {
            out.push(pad.repeat(n));
        }
        out
    }

    /// A string of `n` characters that matches the pattern if one can be
    /// built; the flag says whether it does.
    pub(crate) fn string_of_len(&mut self, shape: &Value, n: usize) -> (String, bool) {
        let pattern = shape.get("pattern").and_then(Value::as_str);
        let re = pattern.and_then(|p| self.regex(p));
        let samples = Self::samples(pattern);
        let candidates = Self::of_len(&samples, n);
        match &re {
            None => (candidates[0].clone(), true),
            Some(re) => match candidates.iter().find(|c| re.is_match(c)) {
                Some(c) => (c.clone(), true),
                None => (candidates[0].clone(), false),
            },
        }
    }

    pub(crate) fn valid_string(&mut self, name: &str, shape: &Value) -> String {
        if let Some(values) = shape.get("enum").and_then(Value::as_array) {
            return values[0].as_str().expect("enum value").to_string();
        }
        let (min, max) = Self::bounds(shape);
        let (min, max) = (min.unwrap_or(0).max(0) as u64, max.map(|m| m as u64));
        let in_bounds = |s: &str| len_of(s) >= min && max.is_none_or(|m| len_of(s) <= m);
        let pattern = shape.get("pattern").and_then(Value::as_str);
        let re = pattern.and_then(|p| self.regex(p));
        let ok = |s: &str| in_bounds(s) && re.as_ref().is_none_or(|re| re.is_match(s));
        if let Some(s) = Self::samples(pattern).into_iter().find(|s| ok(s)) {
            return s.to_string();
        }
        let lo = min.max(1);
        let hi = max.unwrap_or(lo + 64).min(lo + 64);
        for n in lo..=hi {
            let (s, matches) = self.string_of_len(shape, n as usize);
            if matches {
                return s;
            }
        }
        self.errors.insert(format!(
            "no valid value for {name} (pattern {pattern:?}); add one to SAMPLES"
        ));
        "a".repeat(lo as usize)
    }

    /// A valid value of a shape: structures carry their required members
    /// only, lists and maps hold the fewest items their bounds allow (at
    /// least one, so that their items are reachable).
    pub(crate) fn valid(&mut self, name: &str, depth: usize) -> Value {
        assert!(depth < 32, "the model's shapes nest too deep at {name}");
        let shape = self.shape(name);
        let (min, max) = Self::bounds(shape);
        match shape["type"].as_str().unwrap_or("") {
            "structure" => {
                let mut obj = Map::new();
                let required: Vec<String> = shape
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                for m in required {
                    let target = shape["members"][&m]["shape"]
                        .as_str()
                        .expect("member shape");
                    let v = self.valid(target, depth + 1);
                    obj.insert(m, v);
                }
                Value::Object(obj)
            }
            "string" => Value::String(self.valid_string(name, shape)),
            "blob" => {
                let n = 3i128.clamp(min.unwrap_or(0), max.unwrap_or(i128::MAX));
                Value::String(zeros_base64(n as usize))
            }
            "boolean" => Value::Bool(true),
            "timestamp" => Value::from(1_700_000_000i64),
            "integer" | "long" => {
                let n = 1i128.clamp(min.unwrap_or(i128::MIN), max.unwrap_or(i128::MAX));
                Value::from(n as i64)
            }
            "float" | "double" => {
                let lo = shape.get("min").and_then(Value::as_f64).unwrap_or(f64::MIN);
                let hi = shape.get("max").and_then(Value::as_f64).unwrap_or(f64::MAX);
                Value::from(1.0f64.clamp(lo, hi))
            }
            "list" => {
                let n = min.unwrap_or(0).max(1).min(max.unwrap_or(i128::MAX)) as usize;
                let item = shape["member"]["shape"].as_str().expect("list member");
                let v = self.valid(item, depth + 1);
                Value::Array(vec![v; n])
            }
            "map" => {
                let mut obj = Map::new();
                let n = min.unwrap_or(0).max(1).min(max.unwrap_or(i128::MAX)) as usize;
                let key_shape = shape["key"]["shape"].as_str().expect("map key").to_string();
                let value_shape = shape["value"]["shape"]
                    .as_str()
                    .expect("map value")
                    .to_string();
                let keys = self.map_keys(&key_shape, n);
                for k in keys {
                    let v = self.valid(&value_shape, depth + 1);
                    obj.insert(k, v);
                }
                Value::Object(obj)
            }
            other => panic!("shape {name} has type {other}, which this test does not know"),
        }
    }

    /// `n` distinct valid keys of a map.
    pub(crate) fn map_keys(&mut self, key_shape: &str, n: usize) -> Vec<String> {
        let shape = self.shape(key_shape);
        if let Some(values) = shape.get("enum").and_then(Value::as_array) {
            return values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .cycle()
                .take(n)
                .collect();
        }
        let first = self.valid_string(key_shape, shape);
        (0..n)
            .map(|i| {
                if i == 0 {
                    first.clone()
                } else {
                    format!("{first}{i}")
                }
            })
            .collect()
    }

    pub(crate) fn push(&mut self, op: &str, path: &[Step], what: String, brk: Break) {
        self.cases.push(Case {
            op: op.to_string(),
            path: path.to_vec(),
            what,
            brk,
        });
    }

    pub(crate) fn skip(&mut self, op: &str, path: &[Step], what: &str, why: String) {
        self.skipped
            .push(format!("{op}: {} ({what}): {why}", path_string(path)));
    }

    /// The cases of one value's own constraints.
    pub(crate) fn value_cases(&mut self, op: &str, path: &[Step], name: &str) {
        let shape = self.shape(name);
        let ty = shape["type"].as_str().unwrap_or("");
        let (min, max) = Self::bounds(shape);
        if let Some(values) = shape.get("enum").and_then(Value::as_array) {
            let mut bogus = "NOT_A_KNOWN_VALUE".to_string();
            while values.iter().any(|v| v == bogus.as_str()) {
                bogus.push('_');
            }
            self.push(
                op,
                path,
                format!("unknown {name} value"),
                Break::Set(Value::String(bogus)),
            );
        }
        match ty {
            "string" => {
                let note = |c: &mut Self, n: usize, what: &str| {
                    c.notes.insert(format!(
                        "{op}: {} ({what}): no value of {n} characters matches {name}'s pattern; \
                         the value breaks the pattern too",
                        path_string(path)
                    ));
                };
                if let Some(min) = min.filter(|&m| m > 0) {
                    let n = (min - 1) as usize;
                    let (s, matches) = self.string_of_len(shape, n);
                    let what = format!("length {n} below {name}'s min {min}");
                    if !matches {
                        note(self, n, &what);
                    }
                    self.push(op, path, what, Break::Set(Value::String(s)));
                }
                if let Some(max) = max {
                    let n = (max + 1) as usize;
                    let (s, matches) = self.string_of_len(shape, n);
                    let what = format!("length {n} above {name}'s max {max}");
                    if !matches {
                        note(self, n, &what);
                    }
                    self.push(op, path, what, Break::Set(Value::String(s)));
                }
                if let Some(pattern) = shape.get("pattern").and_then(Value::as_str) {
                    let what = format!("mismatch of {name}'s pattern {pattern:?}");
                    let Some(re) = self.regex(pattern) else {
                        return;
                    };
                    let lo = min.unwrap_or(0).max(1) as usize;
                    let fits = |s: &str| {
                        let l = len_of(s) as i128;
                        l >= min.unwrap_or(0) && max.is_none_or(|m| l <= m)
                    };
                    let mut candidates: Vec<String> =
                        NON_MATCHING.iter().map(|c| c.repeat(lo)).collect();
                    candidates.push(String::new());
                    match candidates.into_iter().find(|s| fits(s) && !re.is_match(s)) {
                        Some(s) => self.push(op, path, what, Break::Set(Value::String(s))),
                        None => {
                            let why = if re.is_match("") {
                                "the pattern matches the empty string, so every value contains a match \
                                 (patterns are not anchored)"
                                    .to_string()
                            } else {
                                format!(
                                    "no value of the allowed length without a match was found among {NON_MATCHING:?}"
                                )
                            };
                            self.skip(op, path, &what, why);
                        }
                    }
                }
            }
            "blob" => {
                if let Some(min) = min.filter(|&m| m > 0) {
                    let n = (min - 1) as usize;
                    self.push(
                        op,
                        path,
                        format!("{n} bytes below {name}'s min {min}"),
                        Break::Set(zeros_base64(n).into()),
                    );
                }
                if let Some(max) = max {
                    let n = (max + 1) as usize;
                    self.push(
                        op,
                        path,
                        format!("{n} bytes above {name}'s max {max}"),
                        Break::Set(zeros_base64(n).into()),
                    );
                }
            }
            "integer" | "long" => {
                let (lo, hi) = if ty == "integer" {
                    (i32::MIN as i128, i32::MAX as i128)
                } else {
                    (i64::MIN as i128, i64::MAX as i128)
                };
                for (bound, v, word) in [
                    (min, min.map(|m| m - 1), "below"),
                    (max, max.map(|m| m + 1), "above"),
                ] {
                    let (Some(bound), Some(v)) = (bound, v) else {
                        continue;
                    };
                    let what = format!(
                        "{v} {word} {name}'s {} {bound}",
                        if word == "below" { "min" } else { "max" }
                    );
                    if v < lo || v > hi {
                        self.skip(op, path, &what, format!("{v} does not fit a {ty}"));
                    } else {
                        self.push(op, path, what, Break::Set(Value::from(v as i64)));
                    }
                }
            }
            "float" | "double" => {
                if let Some(m) = shape.get("min").and_then(Value::as_f64) {
                    self.push(
                        op,
                        path,
                        format!("{} below {name}'s min {m}", m - 1.0),
                        Break::Set(Value::from(m - 1.0)),
                    );
                }
                if let Some(m) = shape.get("max").and_then(Value::as_f64) {
                    self.push(
                        op,
                        path,
                        format!("{} above {name}'s max {m}", m + 1.0),
                        Break::Set(Value::from(m + 1.0)),
                    );
                }
            }
            "list" => {
                let item = shape["member"]["shape"]
                    .as_str()
                    .expect("list member")
                    .to_string();
                if let Some(min) = min.filter(|&m| m > 0) {
                    let v = self.valid(&item, 1);
                    let n = (min - 1) as usize;
                    self.push(
                        op,
                        path,
                        format!("{n} items below {name}'s min {min}"),
                        Break::Set(Value::Array(vec![v; n])),
                    );
                }
                if let Some(max) = max {
                    let v = self.valid(&item, 1);
                    let n = (max + 1) as usize;
                    self.push(
                        op,
                        path,
                        format!("{n} items above {name}'s max {max}"),
                        Break::Set(Value::Array(vec![v; n])),
                    );
                }
            }
            "map" => {
                let key = shape["key"]["shape"].as_str().expect("map key").to_string();
                let value = shape["value"]["shape"]
                    .as_str()
                    .expect("map value")
                    .to_string();
                for (n, what) in [
                    (
                        min.filter(|&m| m > 0).map(|m| m - 1),
                        format!("entries below {name}'s min {min:?}"),
                    ),
                    (
                        max.map(|m| m + 1),
                        format!("entries above {name}'s max {max:?}"),
                    ),
                ] {
                    let Some(n) = n else { continue };
                    let keys = self.map_keys(&key, n as usize);
                    if keys.iter().collect::<BTreeSet<_>>().len() < n as usize {
                        self.skip(
                            op,
                            path,
                            &what,
                            format!("the key enum has fewer than {n} values"),
                        );
                        continue;
                    }
                    let mut obj = Map::new();
                    for k in keys {
                        let v = self.valid(&value, 1);
                        obj.insert(k, v);
                    }
                    self.push(
                        op,
                        path,
                        format!("{n} {what}"),
                        Break::Set(Value::Object(obj)),
                    );
                }
            }
            _ => {}
        }
    }

    /// The cases inside a value: structure members, list items, map values.
    pub(crate) fn descend(&mut self, op: &str, path: &[Step], name: &str, stack: &mut Vec<String>) {
        if stack.iter().any(|s| s == name) {
            self.skip(
                op,
                path,
                "recursion",
                format!("{name} contains itself; walked once"),
            );
            return;
        }
        let shape = self.shape(name);
        match shape["type"].as_str().unwrap_or("") {
            "structure" => {
                stack.push(name.to_string());
                let required: BTreeSet<&str> = shape
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let members = shape["members"].as_object().cloned().unwrap_or_default();
                for (m, member) in &members {
                    let mut mpath = path.to_vec();
                    mpath.push(Step::Member(m.clone()));
                    if required.contains(m.as_str()) {
                        self.push(op, &mpath, format!("required {m} missing"), Break::Remove);
                    }
                    let target = member["shape"].as_str().expect("member shape");
                    self.value_cases(op, &mpath, target);
                    self.descend(op, &mpath, target, stack);
                }
                stack.pop();
            }
            "list" => {
                let item = shape["member"]["shape"].as_str().expect("list member");
                let mut ipath = path.to_vec();
                ipath.push(Step::Index);
                self.value_cases(op, &ipath, item);
                self.descend(op, &ipath, item, stack);
            }
            "map" => {
                let key = shape["key"]["shape"].as_str().expect("map key").to_string();
                let value = shape["value"]["shape"].as_str().expect("map value");
                let k = self.map_keys(&key, 1).remove(0);
                let mut vpath = path.to_vec();
                vpath.push(Step::MapValue(k));
                self.value_cases(op, &vpath, value);
                self.descend(op, &vpath, value, stack);
            }
            _ => {}
        }
    }

    /// Makes sure every container on `path` exists in `request` (optional
    /// structures and lists are created with valid values).
    pub(crate) fn ensure(&mut self, request: &mut Value, shape_name: &str, path: &[Step]) {
        let Some((step, rest)) = path.split_first() else {
            return;
        };
        let shape = self.shape(shape_name);
        let (child, next_shape): (&mut Value, String) = match step {
            Step::Member(m) => {
                let target = shape["members"][m]["shape"]
                    .as_str()
                    .expect("member shape")
                    .to_string();
                let obj = request.as_object_mut().expect("a structure value");
                if !obj.contains_key(m) {
                    let v = self.valid(&target, 1);
                    obj.insert(m.clone(), v);
                }
                (obj.get_mut(m).unwrap(), target)
            }
            Step::Index => {
                let item = shape["member"]["shape"]
                    .as_str()
                    .expect("list member")
                    .to_string();
                let arr = request.as_array_mut().expect("a list value");
                if arr.is_empty() {
                    let v = self.valid(&item, 1);
                    arr.push(v);
                }
                (&mut arr[0], item)
            }
            Step::MapValue(k) => {
                let value = shape["value"]["shape"]
                    .as_str()
                    .expect("map value")
                    .to_string();
                let obj = request.as_object_mut().expect("a map value");
                if !obj.contains_key(k) {
                    let v = self.valid(&value, 1);
                    obj.insert(k.clone(), v);
                }
                (obj.get_mut(k).unwrap(), value)
            }
        };
        self.ensure(child, &next_shape, rest);
    }
}
