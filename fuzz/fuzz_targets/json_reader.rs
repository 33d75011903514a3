#![no_main]
//! The runtime's JSON reader against serde_json on the same bytes (a
//! differential oracle: serde_json is only the reference here, ecrkit
//! does not use it). Both must accept or both refuse, and what both accept
//! must read as the same value. The one difference allowed is serde_json's
//! refusal of a number beyond f64, which the reader keeps as text in a
//! `JsonValue` (and refuses where a typed member has to hold it).

use ecrkit::json::{JsonValue, from_json};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn same(ours: &JsonValue, theirs: &Value) -> bool {
    match (ours, theirs) {
        (JsonValue::Null, Value::Null) => true,
        (JsonValue::Bool(a), Value::Bool(b)) => a == b,
        (JsonValue::String(a), Value::String(b)) => a == b,
        (JsonValue::Number(text), Value::Number(n)) => same_number(text, n),
        (JsonValue::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (JsonValue::Object(members), Value::Object(map)) => {
            // Both keep the last of a repeated key.
            let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.len() == map.len()
                && keys.iter().all(|k| match (ours.get(k), map.get(*k)) {
                    (Some(o), Some(t)) => same(o, t),
                    _ => false,
                })
        }
        _ => false,
    }
}

fn same_number(text: &str, n: &serde_json::Number) -> bool {
    if let Some(i) = n.as_i64() {
        return text.parse::<i64>() == Ok(i) || text.parse::<f64>() == Ok(i as f64);
    }
    if let Some(u) = n.as_u64() {
        return text.parse::<u64>() == Ok(u);
    }
    n.as_f64().is_some_and(|f| text.parse::<f64>() == Ok(f))
}

fuzz_target!(|data: &[u8]| {
    let ours = from_json::<JsonValue>(data);
    let theirs = serde_json::from_slice::<Value>(data);
    match (&ours, &theirs) {
        (Ok(o), Ok(t)) => assert!(same(o, t), "different values: {o:?} vs {t:?}"),
        (Err(_), Err(_)) => {}
        (Ok(o), Err(e)) => assert!(
            e.to_string().starts_with("number out of range"),
            "accepted what serde_json refuses ({e}): {o:?}"
        ),
        (Err(e), Ok(t)) => panic!("refused what serde_json accepts ({e}): {t:?}"),
    }
});
