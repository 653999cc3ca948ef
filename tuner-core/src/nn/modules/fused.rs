//! Fused CPU kernels for dense networks: `act(x W^T + b)` (then dropout) as one taped op, and
//! a stand-alone activation or dropout as another. The product runs on gemm into a buffer
//! already holding the bias; the activation, its derivative and the dropout mask are applied
//! in the same pass over that buffer, so a layer costs one gemm and one element-wise sweep
//! forward, and one multiply plus two gemms (one when the input is data) backward.
//!
//! What the backward pass needs is the input and the derivative of the whole epilogue
//! (`act'(z)` times the dropout factor), both in pooled buffers; nothing else is kept.

use super::matmul::{matmul, matmul_on};
use super::profile::{timed, Phase};
use super::spatial::{scratch_values, KernelFloat, Scratch};
use super::{Dense, Width};
use crate::nn::spec::Activation;
use dfdx::prelude::{
    Cpu, CpuError, Dim, HasShape, PutTape, RandomU64, SplitTape, Tape, Tensor, TensorFromVec,
};
use dfdx::tensor_ops::ReshapeTo;

/// What runs on a layer's output in the same pass: an activation, then (while training)
/// inverted dropout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epilogue {
    /// The element-wise activation (`Linear` for none).
    pub activation: Activation,
    /// Drop probability while gradients are traced; 0 for none.
    pub dropout: f64,
}

impl Epilogue {
    /// Neither an activation nor dropout.
    pub const IDENTITY: Epilogue = Epilogue {
        activation: Activation::Linear,
        dropout: 0.0,
    };

    /// Applies the epilogue to `out` in place; with `deriv`, writes its derivative there.
    fn apply<E: KernelFloat>(&self, device: &Cpu, out: &mut [E], deriv: Option<&mut Scratch<E>>) {
        match deriv {
            Some(d) => {
                activate_split(self.activation, out, Some(&mut d[..]));
                if self.dropout > 0.0 {
                    E::dropout(self.dropout, device.random_u64(), out, Some(&mut d[..]));
                }
            }
            None => activate_split(self.activation, out, None),
        }
    }
}

/// Below this many values an activation runs on one thread.
const SPLIT_ACTIVATION_FROM: usize = 1 << 14;

/// `E::activate` on equal contiguous parts of `z` (and `deriv`), one per thread of the current
/// pool: element-wise, so the values do not depend on the split.
fn activate_split<E: KernelFloat>(activation: Activation, z: &mut [E], deriv: Option<&mut [E]>) {
    let threads = rayon::current_num_threads();
    if activation == Activation::Linear || threads < 2 || z.len() < SPLIT_ACTIVATION_FROM {
        return E::activate(activation, z, deriv);
    }
    let part = z.len().div_ceil(threads);
    rayon::in_place_scope(|s| {
        let mut derivs = deriv.map(|d| d.chunks_mut(part));
        let mut parts = z
            .chunks_mut(part)
            .map(|z| (z, derivs.as_mut().and_then(Iterator::next)));
        let first = parts.next();
        for (z, d) in parts {
            s.spawn(move |_| E::activate(activation, z, d));
        }
        if let Some((z, d)) = first {
            E::activate(activation, z, d);
        }
    })
}

/// `d <- d * g` (the chain rule through the epilogue), in place.
fn chain<E: KernelFloat>(d: &mut [E], g: &[E]) {
    for (d, &g) in d.iter_mut().zip(g) {
        *d *= g;
    }
}

/// `g <- g + v`: a gradient computed apart added to the one on the tape.
fn add_into<E: KernelFloat>(g: &mut [E], v: &[E]) {
    for (g, &v) in g.iter_mut().zip(v) {
        *g += v;
    }
}

impl<E: KernelFloat> Dense<E, Cpu> {
    /// `epilogue(x W^T + b)` for a batch, recorded on the tape as one op when traced. With
    /// `input_grad` false the input's gradient is not computed (the input is data).
    ///
    /// Panics if samples do not hold `inputs()` values.
    pub fn try_fused<B: Dim, T: Tape<E, Cpu>>(
        &self,
        x: Tensor<(B, Width), E, Cpu, T>,
        epilogue: Epilogue,
        input_grad: bool,
    ) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError> {
        let (units, inputs) = (self.units(), self.inputs());
        let x = x.try_contiguous()?;
        let (x, mut tape) = x.split_tape();
        let batch = x.shape().0;
        let n = batch.size();
        assert_eq!(
            x.shape().1.size(),
            inputs,
            "the dense layer takes {inputs} values per sample"
        );
        let xs = scratch_values(&x);
        let weight = scratch_values(&self.weight);
        let mut out = vec![E::zero(); n * units];
        timed(Phase::Elementwise, || {
            let bias = scratch_values(&self.bias);
            for row in out.chunks_exact_mut(units) {
                row.copy_from_slice(&bias);
            }
        });
        // out (n x units) += x (n x inputs) * W^T (inputs x units)
        timed(Phase::Gemm, || {
            matmul(
                (n, inputs, units),
                &xs,
                [inputs, 1],
                &weight,
                [1, inputs],
                &mut out,
                [units, 1],
                true,
            )
        });
        let mut deriv = T::OWNS_TAPE.then(|| Scratch::overwritten(n * units));
        timed(Phase::Elementwise, || {
            epilogue.apply(x.device(), &mut out, deriv.as_mut())
        });
        let out = x.device().try_tensor_from_vec(out, (batch, Width(units)))?;
        if let Some(mut d) = deriv {
            let (x_id, w_id, b_id, out_id) = (
                x.ghost(),
                self.weight.ghost(),
                self.bias.ghost(),
                out.ghost(),
            );
            tape.add_backward_op(move |grads| {
                let g_out = grads.get_or_alloc_mut(&out_id)?;
                timed(Phase::Elementwise, || chain(&mut d, g_out));
                let g_bias = grads.get_or_alloc_mut(&b_id)?;
                timed(Phase::Elementwise, || {
                    for row in d.chunks_exact(units) {
                        for (gb, &v) in g_bias.iter_mut().zip(row) {
                            *gb += v;
                        }
                    }
                });
                // dW (units x inputs) += dZ^T (units x n) * x (n x inputs), and
                // dx (n x inputs) += dZ (n x units) * W (units x inputs): the two products
                // are independent and equally long, so with two or more threads each gets
                // half of them. dx goes to a buffer added in after, whatever the thread
                // count, so that its sum is done in one order (the parallel-trials rule).
                let threads = rayon::current_num_threads();
                let g_weight = grads.get_or_alloc_mut(&w_id)?;
                let dw = |threads: usize, g_weight: &mut [E]| {
                    matmul_on(
                        threads,
                        (units, n, inputs),
                        &d,
                        [1, units],
                        &xs,
                        [inputs, 1],
                        g_weight,
                        [inputs, 1],
                        true,
                    )
                };
                if input_grad {
                    let mut g_x_part = Scratch::overwritten(n * inputs);
                    let dx = |threads: usize, g_x: &mut [E]| {
                        matmul_on(
                            threads,
                            (n, units, inputs),
                            &d,
                            [units, 1],
                            &weight,
                            [inputs, 1],
                            g_x,
                            [inputs, 1],
                            false,
                        )
                    };
                    let half = threads / 2;
                    timed(Phase::Gemm, || {
                        if half == 0 {
                            dw(1, g_weight);
                            dx(1, &mut g_x_part);
                        } else {
                            rayon::in_place_scope(|s| {
                                s.spawn(|_| dw(half, g_weight));
                                dx(threads - half, &mut g_x_part)
                            })
                        }
                    });
                    let g_x = grads.get_or_alloc_mut(&x_id)?;
                    timed(Phase::Elementwise, || add_into(g_x, &g_x_part));
                } else {
                    timed(Phase::Gemm, || dw(threads, g_weight));
                }
                drop(xs);
                Ok(())
            });
        }
        Ok(out.put_tape(tape))
    }
}

/// `epilogue(x)` element by element (an activation or dropout after a layer other than a
/// dense one), recorded as one op when traced; the identity when there is nothing to do.
pub fn try_epilogue<S: dfdx::shapes::Shape, E: KernelFloat, T: Tape<E, Cpu>>(
    x: Tensor<S, E, Cpu, T>,
    epilogue: Epilogue,
) -> Result<Tensor<S, E, Cpu, T>, CpuError> {
    let dropout = T::OWNS_TAPE && epilogue.dropout > 0.0;
    if epilogue.activation == Activation::Linear && !dropout {
        return Ok(x);
    }
    let epilogue = Epilogue {
        dropout: if dropout { epilogue.dropout } else { 0.0 },
        ..epilogue
    };
    let x = x.try_contiguous()?;
    let (x, mut tape) = x.split_tape();
    let shape = *x.shape();
    let mut out = vec![E::zero(); shape.num_elements()];
    x.copy_into(&mut out);
    let mut deriv = T::OWNS_TAPE.then(|| Scratch::overwritten(out.len()));
    timed(Phase::Elementwise, || {
        epilogue.apply(x.device(), &mut out, deriv.as_mut())
    });
    let out = x.device().try_tensor_from_vec(out, shape)?;
    if let Some(mut d) = deriv {
        let (x_id, out_id) = (x.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            let g_out = grads.get_or_alloc_mut(&out_id)?;
            timed(Phase::Elementwise, || chain(&mut d, g_out));
            let g_in = grads.get_or_alloc_mut(&x_id)?;
            timed(Phase::Elementwise, || add_into(g_in, &d));
            Ok(())
        });
    }
    Ok(out.put_tape(tape))
}
