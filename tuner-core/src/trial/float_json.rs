//! Floats in JSON, every value exact: finite ones as numbers (serde_json's round-trip
//! parsing), the others as the strings Optuna and Python's `json` use.

use serde_json::Value as Json;

/// A float as JSON; non-finite values (which JSON lacks) as the strings Python's `json` reads.
pub fn float_json(v: f64) -> Json {
    if v.is_finite() {
        Json::from(v)
    } else if v.is_nan() {
        Json::from("NaN")
    } else if v > 0.0 {
        Json::from("Infinity")
    } else {
        Json::from("-Infinity")
    }
}

/// Reads [`float_json`] back.
pub fn json_float(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}
