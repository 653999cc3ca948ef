//! The math of every metric, on plain slices: what `Predictions` computes each epoch, public so
//! that results can be checked against it.

/// Softmax of one row of logits, in f64 (stable: the largest logit is subtracted first).
pub fn softmax(row: &[f32]) -> Vec<f64> {
    let max = row
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let exp: Vec<f64> = row.iter().map(|&v| (f64::from(v) - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// Probabilities from row-major logits: the softmax of each row of `width`, or the sigmoid
/// of the one logit when `width` is 1 (a single-output binary model's `P(class 1)`).
pub fn probabilities(logits: &[f32], width: usize) -> Vec<f32> {
    if width == 1 {
        return logits
            .iter()
            .map(|&z| (1.0 / (1.0 + (-f64::from(z)).exp())) as f32)
            .collect();
    }
    logits
        .chunks_exact(width.max(1))
        .flat_map(softmax)
        .map(|p| p as f32)
        .collect()
}

/// Index of the largest value; `None` if a NaN is present (a NaN prediction is never right).
pub fn argmax(row: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in row.iter().enumerate() {
        if v.is_nan() {
            return None;
        }
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Share of rows (`width` logits each) whose true class is ranked among the `k` best.
pub fn top_k_accuracy(outputs: &[f32], width: usize, labels: &[usize], k: usize) -> f64 {
    let hits = labels
        .iter()
        .zip(outputs.chunks_exact(width))
        .filter(|(&l, row)| {
            let own = row[l];
            !own.is_nan() && row.iter().filter(|&&v| v > own || v.is_nan()).count() < k
        })
        .count();
    hits as f64 / labels.len().max(1) as f64
}

/// Scores sorted descending with their labels, grouped by equal score: each group's
/// (positives, negatives). Each NaN score is a group of its own.
fn threshold_groups(scores: &[f64], positive: &[bool]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut last: Option<f64> = None;
    for i in order {
        if last != Some(scores[i]) || scores[i].is_nan() {
            groups.push((0, 0));
            last = Some(scores[i]);
        }
        let g = groups.last_mut().expect("a group was just pushed");
        if positive[i] {
            g.0 += 1;
        } else {
            g.1 += 1;
        }
    }
    groups
}

/// ROC AUC: the trapezoid over distinct thresholds, i.e. the probability that a random
/// positive scores above a random negative, ties counted 1/2. NaN without both classes.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> f64 {
    let (mut tp, mut fp, mut area) = (0.0, 0.0, 0.0);
    for (p, n) in threshold_groups(scores, positive) {
        let (p, n) = (p as f64, n as f64);
        // Each negative of this group pairs with the positives above it and half of its own.
        area += n * (tp + p / 2.0);
        tp += p;
        fp += n;
    }
    if tp == 0.0 || fp == 0.0 {
        return f64::NAN;
    }
    area / (tp * fp)
}

/// Average precision (sklearn's): `sum_k (R_k - R_{k-1}) P_k` over distinct thresholds,
/// highest first. NaN without a positive.
pub fn average_precision(scores: &[f64], positive: &[bool]) -> f64 {
    let total = positive.iter().filter(|&&p| p).count() as f64;
    if total == 0.0 {
        return f64::NAN;
    }
    let (mut tp, mut seen, mut ap) = (0.0, 0.0, 0.0);
    for (p, n) in threshold_groups(scores, positive) {
        tp += p as f64;
        seen += (p + n) as f64;
        ap += (p as f64 / total) * (tp / seen);
    }
    ap
}

/// Per-class `(precision, recall, f1)` of predicted against true classes; 0 where undefined.
pub fn per_class_prf(
    predicted: &[Option<usize>],
    labels: &[usize],
    classes: usize,
) -> Vec<(f64, f64, f64)> {
    let mut tp = vec![0usize; classes];
    let mut pred = vec![0usize; classes];
    let mut real = vec![0usize; classes];
    for (&p, &l) in predicted.iter().zip(labels) {
        real[l] += 1;
        // A prediction beyond the classes (a wider output layer) is wrong for every class.
        if let Some(p) = p.filter(|&p| p < classes) {
            pred[p] += 1;
            if p == l {
                tp[l] += 1;
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    (0..classes)
        .map(|c| {
            let (p, r) = (ratio(tp[c], pred[c]), ratio(tp[c], real[c]));
            let f1 = if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            };
            (p, r, f1)
        })
        .collect()
}

/// Mean of `-ln p(true class)` over rows of probabilities, `p` clipped to `[1e-15, 1-1e-15]`.
pub fn log_loss(probabilities: &[Vec<f64>], labels: &[usize]) -> f64 {
    let sum: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(row, &l)| -row[l].clamp(1e-15, 1.0 - 1e-15).ln())
        .sum();
    sum / labels.len().max(1) as f64
}

/// Mean of `f(prediction - target)` over every value.
fn mean_error(outputs: &[f32], targets: &[f32], f: impl Fn(f64) -> f64) -> f64 {
    let sum: f64 = outputs
        .iter()
        .zip(targets)
        .map(|(&y, &t)| f(f64::from(y) - f64::from(t)))
        .sum();
    sum / targets.len().max(1) as f64
}

/// Mean squared error over every value.
pub fn mse(outputs: &[f32], targets: &[f32]) -> f64 {
    mean_error(outputs, targets, |e| e * e)
}

/// Mean absolute error over every value.
pub fn mae(outputs: &[f32], targets: &[f32]) -> f64 {
    mean_error(outputs, targets, f64::abs)
}

/// R² per output column (`width` values per row), averaged over the columns.
pub fn r2(outputs: &[f32], targets: &[f32], width: usize) -> f64 {
    let rows = targets.len() / width.max(1);
    let mut total = 0.0;
    for c in 0..width {
        let col = |v: &[f32], r: usize| f64::from(v[r * width + c]);
        let mean = (0..rows).map(|r| col(targets, r)).sum::<f64>() / rows.max(1) as f64;
        let ss_tot: f64 = (0..rows).map(|r| (col(targets, r) - mean).powi(2)).sum();
        let ss_res: f64 = (0..rows)
            .map(|r| (col(targets, r) - col(outputs, r)).powi(2))
            .sum();
        total += match (ss_tot == 0.0, ss_res == 0.0) {
            (false, _) => 1.0 - ss_res / ss_tot,
            (true, true) => 1.0,
            (true, false) => 0.0,
        };
    }
    total / width.max(1) as f64
}

/// Accuracy as Keras counts it: the first largest logit must be the true class (a tie with
/// a lower class is wrong, a NaN row is wrong).
pub fn accuracy(outputs: &[f32], width: usize, labels: &[usize]) -> f64 {
    let hits = labels
        .iter()
        .zip(outputs.chunks_exact(width))
        .filter(|(&l, row)| argmax(row) == Some(l))
        .count();
    hits as f64 / labels.len().max(1) as f64
}
