//! Softmax cross-entropy on logits in one pass per row, with its gradient from the kept
//! probabilities: the same loss as dfdx's `cross_entropy_with_logits_loss` (the batch mean of
//! `-sum_j t_j log softmax(y)_j`) without its chain of broadcast, exp, log and mean ops.

use super::profile::{timed, Phase};
use super::spatial::{KernelFloat, Scratch};
use super::Width;
use dfdx::prelude::{
    Cpu, CpuError, Dim, HasShape, PutTape, SplitTape, Tape, Tensor, TensorFromVec,
};
use dfdx::tensor_ops::ReshapeTo;

/// The mean over the batch of `-sum_j t_j log softmax(logits)_j`; `targets` holds one row of
/// target weights per sample (one-hot, or scaled by a sample weight). When traced, the
/// gradient `(sum_j t_j * softmax - t) / n` is added to the logits' on the backward pass.
///
/// Panics if `targets` is not as long as the logits.
pub fn softmax_cross_entropy<B: Dim, E: KernelFloat, T: Tape<E, Cpu>>(
    logits: Tensor<(B, Width), E, Cpu, T>,
    targets: &[E],
) -> Result<Tensor<(), E, Cpu, T>, CpuError> {
    let logits = logits.try_contiguous()?;
    let (logits, mut tape) = logits.split_tape();
    let (batch, width) = *logits.shape();
    let (n, w) = (batch.size(), width.size());
    assert_eq!(targets.len(), n * w, "one target row per logits row");
    let mut probs = Scratch::overwritten(n * w);
    logits.copy_into(&mut probs);
    let mut total = 0.0f64;
    let rows = probs.chunks_exact_mut(w).zip(targets.chunks_exact(w));
    timed(Phase::Elementwise, || {
        rows.for_each(|(row, t)| {
            let max = row.iter().fold(E::neg_infinity(), |m, &v| m.max(v));
            // sum_j t_j (lse - y_j), lse = max + ln sum_j e^(y_j - max)
            let dot = row
                .iter()
                .zip(t)
                .fold(E::zero(), |a, (&y, &t)| a + t * (y - max));
            row.iter_mut().for_each(|v| *v -= max);
            E::exp_slice(row);
            let sum = row.iter().fold(E::zero(), |a, &v| a + v);
            let mass = t.iter().fold(E::zero(), |a, &v| a + v);
            total += (mass * sum.ln() - dot).to_f64().unwrap_or(f64::NAN);
            let inv = E::one() / sum;
            row.iter_mut().for_each(|v| *v *= inv);
        })
    });
    let mean = E::from_f64(total / n.max(1) as f64).unwrap_or(E::nan());
    let loss = logits.device().try_tensor_from_vec(vec![mean], ())?;
    if T::OWNS_TAPE {
        let targets = Scratch::copied(targets);
        let (x_id, loss_id) = (logits.ghost(), loss.ghost());
        tape.add_backward_op(move |grads| {
            let g = grads.get_or_alloc_mut(&loss_id)?[0];
            let scale = g / E::from_usize(n).expect("batch size as a float");
            let gx = grads.get_or_alloc_mut(&x_id)?;
            timed(Phase::Elementwise, || {
                for ((gx, p), t) in gx
                    .chunks_exact_mut(w)
                    .zip(probs.chunks_exact(w))
                    .zip(targets.chunks_exact(w))
                {
                    let mass = t.iter().fold(E::zero(), |a, &v| a + v);
                    for ((gx, &p), &t) in gx.iter_mut().zip(p).zip(t) {
                        *gx += (mass * p - t) * scale;
                    }
                }
            });
            Ok(())
        });
    }
    Ok(loss.put_tape(tape))
}
