//! A learning curve: each reported epoch's metrics, in epoch order, with its best epoch, the
//! average over a trial's executions and an exact JSON form.

use super::Metrics;
use super::{float_json, json_float};
use crate::objective::Objectives;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::ops::Deref;
use thiserror::Error;

/// A learning curve: `(epoch, metrics)` pairs in epoch order.
///
/// It serialises exactly as the `Vec<(u32, Metrics)>` it wraps (stored trials keep loading),
/// and reads as a slice of those pairs.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct Curve(Vec<(u32, Metrics)>);

/// A learning curve's JSON (see [`Curve::to_json`]) that does not read back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CurveJsonError {
    /// The JSON is not an array of epochs.
    #[error("a learning curve must be a JSON array of [epoch, metrics] pairs")]
    NotAnArray,
    /// One entry is not `[epoch, {name: number}]`.
    #[error(
        "entry {0} of the learning curve is not [epoch, {{metric: value}}] with a u32 epoch and \
         numeric (or \"NaN\"/\"Infinity\"/\"-Infinity\") values"
    )]
    BadEntry(usize),
}

impl Curve {
    /// An empty curve.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `epoch`'s metrics, replacing an earlier report of the same epoch (a re-reported
    /// epoch counts once, with its latest values) and keeping epoch order.
    pub fn insert(&mut self, epoch: u32, metrics: Metrics) {
        match self.0.last() {
            Some((last, _)) if *last < epoch => self.0.push((epoch, metrics)),
            None => self.0.push((epoch, metrics)),
            _ => match self.0.binary_search_by_key(&epoch, |(e, _)| *e) {
                Ok(i) => self.0[i].1 = metrics,
                Err(i) => self.0.insert(i, (epoch, metrics)),
            },
        }
    }

    /// The metrics reported at `epoch`, if it was reported.
    pub fn at(&self, epoch: u32) -> Option<&Metrics> {
        self.0.iter().find(|(e, _)| *e == epoch).map(|(_, m)| m)
    }

    /// One metric's values, by epoch (epochs without it are left out).
    pub fn metric(&self, name: &str) -> Vec<(u32, f64)> {
        self.0
            .iter()
            .filter_map(|(e, m)| m.get(name).map(|v| (*e, *v)))
            .collect()
    }

    /// The epoch with the best scalar score for `objectives`, and that score: epochs missing
    /// the objective or scoring NaN never win, infinities compete (as a trial's told value
    /// does in Optuna); the earliest of equal bests.
    pub fn best(&self, objectives: &Objectives) -> Option<(u32, f64)> {
        self.best_where(objectives, |v| !v.is_nan())
    }

    /// As [`best`](Self::best), but only finite scores compete: the epoch whose weights are
    /// worth checkpointing (a model that reached an infinite loss is not).
    pub fn best_finite(&self, objectives: &Objectives) -> Option<(u32, f64)> {
        self.best_where(objectives, f64::is_finite)
    }

    fn best_where(
        &self,
        objectives: &Objectives,
        keep: impl Fn(f64) -> bool,
    ) -> Option<(u32, f64)> {
        let direction = objectives.direction();
        let mut best: Option<(u32, f64)> = None;
        for (epoch, metrics) in &self.0 {
            let Some(v) = objectives.score(metrics).filter(|v| keep(*v)) else {
                continue;
            };
            if best.is_none_or(|(_, b)| direction.better(v, b)) {
                best = Some((*epoch, v));
            }
        }
        best
    }

    /// Averages several executions' curves epoch by epoch, metric by metric (KerasTuner's
    /// `executions_per_trial`): each value is the mean over the executions that reported it,
    /// so an execution that stopped early or skipped a metric does not drag the mean to 0.
    pub fn average<C: AsRef<[(u32, Metrics)]>>(curves: &[C]) -> Curve {
        let mut sums: BTreeMap<u32, BTreeMap<String, (f64, u32)>> = BTreeMap::new();
        for curve in curves {
            for (epoch, metrics) in curve.as_ref() {
                let slot = sums.entry(*epoch).or_default();
                for (name, v) in metrics {
                    let s = slot.entry(name.clone()).or_insert((0.0, 0));
                    s.0 += v;
                    s.1 += 1;
                }
            }
        }
        let epochs = sums.into_iter().map(|(epoch, m)| {
            let avg = m
                .into_iter()
                .map(|(k, (sum, n))| (k, sum / n as f64))
                .collect();
            (epoch, avg)
        });
        Curve(epochs.collect())
    }

    /// The curve as JSON, `[[epoch, {metric: value}], ...]`, exact for every float (NaN and
    /// the infinities as strings, as the storage writes them).
    pub fn to_json(&self) -> Json {
        Json::Array(
            self.0
                .iter()
                .map(|(e, m)| {
                    let map: serde_json::Map<String, Json> =
                        m.iter().map(|(k, v)| (k.clone(), float_json(*v))).collect();
                    Json::Array(vec![Json::from(*e), Json::Object(map)])
                })
                .collect(),
        )
    }

    /// Reads [`to_json`](Self::to_json) back, bit for bit (every NaN as the one NaN).
    pub fn from_json(json: &Json) -> Result<Curve, CurveJsonError> {
        let entries = json.as_array().ok_or(CurveJsonError::NotAnArray)?;
        let entry = |item: &Json| -> Option<(u32, Metrics)> {
            let epoch = u32::try_from(item.get(0)?.as_u64()?).ok()?;
            let metrics = item
                .get(1)?
                .as_object()?
                .iter()
                .map(|(k, v)| json_float(v).map(|f| (k.clone(), f)))
                .collect::<Option<Metrics>>()?;
            Some((epoch, metrics))
        };
        let epochs = entries
            .iter()
            .enumerate()
            .map(|(i, item)| entry(item).ok_or(CurveJsonError::BadEntry(i)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Curve::from(epochs))
    }

    /// The `(epoch, metrics)` pairs.
    pub fn into_vec(self) -> Vec<(u32, Metrics)> {
        self.0
    }
}

impl Deref for Curve {
    type Target = [(u32, Metrics)];

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl AsRef<[(u32, Metrics)]> for Curve {
    fn as_ref(&self) -> &[(u32, Metrics)] {
        &self.0
    }
}

impl From<Vec<(u32, Metrics)>> for Curve {
    /// Puts the pairs in epoch order (a stable sort: pairs of one epoch keep their order).
    fn from(mut epochs: Vec<(u32, Metrics)>) -> Self {
        if !epochs.is_sorted_by_key(|(e, _)| *e) {
            epochs.sort_by_key(|(e, _)| *e);
        }
        Curve(epochs)
    }
}

impl From<Curve> for Vec<(u32, Metrics)> {
    fn from(curve: Curve) -> Self {
        curve.0
    }
}

impl FromIterator<(u32, Metrics)> for Curve {
    fn from_iter<I: IntoIterator<Item = (u32, Metrics)>>(iter: I) -> Self {
        Curve::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for Curve {
    type Item = (u32, Metrics);
    type IntoIter = std::vec::IntoIter<(u32, Metrics)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Curve {
    type Item = &'a (u32, Metrics);
    type IntoIter = std::slice::Iter<'a, (u32, Metrics)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de> Deserialize<'de> for Curve {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<(u32, Metrics)>::deserialize(d).map(Curve::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Objective;

    fn m(pairs: &[(&str, f64)]) -> Metrics {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn loss_curve(values: &[f64]) -> Curve {
        values
            .iter()
            .enumerate()
            .map(|(e, v)| (e as u32, m(&[("loss", *v)])))
            .collect()
    }

    #[test]
    fn best_skips_nan_and_missing_but_lets_infinities_compete() {
        let min: Objectives = Objective::minimize("loss").into();
        let mut c = loss_curve(&[f64::NAN, 0.7, f64::NEG_INFINITY, 0.2]);
        assert_eq!(c.best(&min), Some((2, f64::NEG_INFINITY)));
        assert_eq!(c.best_finite(&min), Some((3, 0.2)));
        c.insert(4, m(&[("acc", 0.9)]));
        assert_eq!(c.best_finite(&min), Some((3, 0.2)));
        let max: Objectives = Objective::maximize("loss").into();
        let c = loss_curve(&[0.5, f64::INFINITY, f64::NAN]);
        assert_eq!(c.best(&max), Some((1, f64::INFINITY)));
        assert_eq!(c.best_finite(&max), Some((0, 0.5)));
        let none = loss_curve(&[f64::NAN, f64::INFINITY]);
        assert_eq!(none.best_finite(&min), None);
        assert_eq!(loss_curve(&[f64::NAN]).best(&min), None);
        assert_eq!(Curve::new().best(&min), None);
    }

    #[test]
    fn ties_go_to_the_earliest_epoch() {
        let max: Objectives = Objective::maximize("loss").into();
        let c = loss_curve(&[0.3, 0.8, 0.8, 0.1]);
        assert_eq!(c.best(&max), Some((1, 0.8)));
        assert_eq!(c.best_finite(&max), Some((1, 0.8)));
    }

    #[test]
    fn several_objectives_score_the_sum_of_their_losses() {
        let objs =
            Objectives::new(vec![Objective::minimize("a"), Objective::maximize("b")]).unwrap();
        let c: Curve = vec![
            (0, m(&[("a", 1.0), ("b", 0.5)])),
            (1, m(&[("a", 1.0), ("b", 2.0)])),
            (2, m(&[("a", 0.0)])),
        ]
        .into();
        assert_eq!(c.best(&objs), Some((1, -1.0)));
    }

    #[test]
    fn insert_keeps_epoch_order_and_replaces_a_re_reported_epoch() {
        let mut c = Curve::new();
        for (e, v) in [(2, 0.2), (0, 0.0), (5, 0.5), (3, 0.3), (2, 0.25)] {
            c.insert(e, m(&[("loss", v)]));
        }
        let epochs: Vec<u32> = c.iter().map(|(e, _)| *e).collect();
        assert_eq!(epochs, [0, 2, 3, 5]);
        assert_eq!(c.at(2), Some(&m(&[("loss", 0.25)])));
        assert_eq!(c.at(4), None);
        assert_eq!(c.metric("loss"), [(0, 0.0), (2, 0.25), (3, 0.3), (5, 0.5)]);
        assert!(c.metric("acc").is_empty());
    }

    #[test]
    fn average_over_executions_uses_what_each_epoch_has() {
        let a: Curve = vec![
            (0, m(&[("loss", 1.0), ("acc", 0.5)])),
            (1, m(&[("loss", 0.5)])),
        ]
        .into();
        let b: Curve = vec![(0, m(&[("loss", 3.0)])), (1, m(&[("loss", 1.5)]))].into();
        // Stopped after one epoch, and reported epoch 3 that no one else has.
        let c: Curve = vec![(0, m(&[("loss", 2.0)])), (3, m(&[("loss", 9.0)]))].into();
        let avg = Curve::average(&[a.clone(), b.clone(), c]);
        let want: Curve = vec![
            (0, m(&[("loss", 2.0), ("acc", 0.5)])),
            (1, m(&[("loss", 1.0)])),
            (3, m(&[("loss", 9.0)])),
        ]
        .into();
        assert_eq!(avg, want);
        let vecs = vec![a.into_vec(), b.into_vec()];
        assert_eq!(
            Curve::average(&vecs),
            Curve::from(vec![
                (0, m(&[("loss", 2.0), ("acc", 0.5)])),
                (1, m(&[("loss", 1.0)]))
            ])
        );
        assert!(Curve::average::<Curve>(&[]).is_empty());
    }

    #[test]
    fn json_round_trips_bit_for_bit() {
        let tricky = [
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            1.0 / 3.0,
        ];
        let c: Curve = tricky
            .iter()
            .enumerate()
            .map(|(e, v)| (e as u32 * 2, m(&[("loss", *v), ("acc", -v)])))
            .collect();
        let text = c.to_json().to_string();
        let back = Curve::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back.len(), c.len());
        for ((e1, m1), (e2, m2)) in c.iter().zip(back.iter()) {
            assert_eq!(e1, e2);
            assert_eq!(m1.keys().collect::<Vec<_>>(), m2.keys().collect::<Vec<_>>());
            for (k, v) in m1 {
                // NaN is written as "NaN": its sign and payload are not kept.
                if v.is_nan() {
                    assert!(m2[k].is_nan(), "epoch {e1}, {k}");
                } else {
                    assert_eq!(v.to_bits(), m2[k].to_bits(), "epoch {e1}, {k}");
                }
            }
        }
        assert!(
            text.starts_with("[[0,{\"acc\":-0.30000000000000004,\"loss\":0.30000000000000004}]")
        );
    }

    #[test]
    fn bad_json_says_which_entry() {
        let json: Json =
            serde_json::from_str(r#"[[0, {"loss": 1.0}], [1, {"loss": "x"}]]"#).unwrap();
        assert_eq!(Curve::from_json(&json), Err(CurveJsonError::BadEntry(1)));
        assert_eq!(
            Curve::from_json(&Json::from("no")),
            Err(CurveJsonError::NotAnArray)
        );
        let json: Json = serde_json::from_str(r#"[[-1, {}]]"#).unwrap();
        assert_eq!(Curve::from_json(&json), Err(CurveJsonError::BadEntry(0)));
    }

    #[test]
    fn serde_form_is_the_plain_pairs() {
        let c = loss_curve(&[0.5, 0.25]);
        let pairs: Vec<(u32, Metrics)> = c.clone().into();
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            serde_json::to_string(&pairs).unwrap()
        );
        let text = r#"[[1,{"loss":0.25}],[0,{"loss":0.5}]]"#;
        let back: Curve = serde_json::from_str(text).unwrap();
        assert_eq!(back, c, "read back in epoch order");
    }
}
