//! A dynamic set of hyperparameter values: the live parameters of one trial, by name.

use super::{SpaceError, Value, ValueType};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The values of one trial's live parameters (inactive parameters are absent).
///
/// ```
/// use tuner_space::{HyperParameters, Value};
///
/// let mut hp = HyperParameters::new();
/// hp.insert("units", 64);
/// hp.insert("activation", "relu");
/// assert_eq!(hp.get_as::<i64>("units")?, 64);
/// assert_eq!(hp.get("activation"), Some(&Value::from("relu")));
/// assert!(hp.get_as::<f64>("dropout").is_err()); // not set: inactive or unknown
/// assert_eq!(serde_json::to_string(&hp)?, r#"{"activation":"relu","units":64}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HyperParameters {
    /// Sorted by name; names are shared with the space they were drawn from, so a draw
    /// allocates no strings (a map would cost most of a typed sample's time).
    values: Vec<(Arc<str>, Value)>,
}

impl HyperParameters {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Values already sorted by name with no name twice (the space's draws).
    pub(crate) fn from_sorted(values: Vec<(Arc<str>, Value)>) -> Self {
        debug_assert!(values.windows(2).all(|w| w[0].0 < w[1].0));
        Self { values }
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.values.binary_search_by(|(k, _)| (**k).cmp(name))
    }

    /// The value of `name`, if it is set (live).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.find(name).ok().map(|i| &self.values[i].1)
    }

    /// Sets `name` to `value`, returning the previous value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let name: String = name.into();
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.values[i].1, value.into())),
            Err(i) => {
                self.values.insert(i, (Arc::from(name), value.into()));
                None
            }
        }
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.find(name).ok().map(|i| self.values.remove(i).1)
    }

    /// Whether `name` has a value (is live).
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Number of values set.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(k, v)| (&**k, v))
    }

    /// A canonical string of the values, equal exactly when the sets are equal: for
    /// duplicate detection. Types are tagged and floats written by their exact shortest
    /// round-trip digits, so `1` (int) and `1.0` (float) differ.
    pub fn key(&self) -> String {
        let mut key = String::new();
        for (name, value) in self.iter() {
            if !key.is_empty() {
                key.push(';');
            }
            let value = match value {
                Value::Int(v) => format!("i:{v}"),
                Value::Float(v) => format!("f:{v:?}"),
                Value::Str(v) => format!("s:{v:?}"),
                Value::Bool(v) => format!("b:{v}"),
            };
            key.push_str(&format!("{name:?}={value}"));
        }
        key
    }

    /// The value of `name` as a typed value.
    pub fn get_as<T: FromValue>(&self, name: &str) -> Result<T, SpaceError> {
        let value = self
            .get(name)
            .ok_or_else(|| SpaceError::Missing(name.to_owned()))?;
        T::from_value(name, value)
    }
}

impl FromIterator<(String, Value)> for HyperParameters {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        // A map first, so a repeated name keeps its last value as inserts would.
        let map: BTreeMap<String, Value> = iter.into_iter().collect();
        Self {
            values: map.into_iter().map(|(k, v)| (Arc::from(k), v)).collect(),
        }
    }
}

/// A Rust type that a hyperparameter value converts to and from (typed params fields).
pub trait FromValue: Sized {
    /// Reads `value` (of parameter `name`, for the error message).
    fn from_value(name: &str, value: &Value) -> Result<Self, SpaceError>;
    /// Writes `self` as a value.
    fn to_value(&self) -> Value;
}

fn wrong(name: &str, expected: ValueType, value: &Value) -> SpaceError {
    SpaceError::WrongType {
        name: name.to_owned(),
        expected,
        found: value.value_type(),
    }
}

impl FromValue for i64 {
    fn from_value(name: &str, value: &Value) -> Result<Self, SpaceError> {
        value
            .as_int()
            .ok_or_else(|| wrong(name, ValueType::Int, value))
    }
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}

impl FromValue for f64 {
    fn from_value(name: &str, value: &Value) -> Result<Self, SpaceError> {
        value
            .as_float()
            .ok_or_else(|| wrong(name, ValueType::Float, value))
    }
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
}

impl FromValue for bool {
    fn from_value(name: &str, value: &Value) -> Result<Self, SpaceError> {
        value
            .as_bool()
            .ok_or_else(|| wrong(name, ValueType::Bool, value))
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FromValue for String {
    fn from_value(name: &str, value: &Value) -> Result<Self, SpaceError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong(name, ValueType::Str, value))
    }
    fn to_value(&self) -> Value {
        Value::Str(self.clone())
    }
}

/// JSON (and every serde format) sees a plain map from name to value.
impl Serialize for HyperParameters {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for HyperParameters {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(deserializer)?;
        Ok(map.into_iter().collect())
    }
}
