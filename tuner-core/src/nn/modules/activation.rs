//! Element-wise kernels over a whole buffer in one pass: activations (with their derivatives
//! when training) and inverted dropout, written so that LLVM vectorises them.
//!
//! `f32` runs on branch-free approximations (an exponential by range reduction and a Cephes
//! polynomial, the Abramowitz-Stegun erf) whose loops compile to SIMD; the same loop is built
//! once more with AVX2 and FMA and chosen at run time when the CPU has them, so a plain
//! `x86-64` build still runs 8 lanes wide. `f64` (gradient checks, small models) uses libm.
//! The derivative is written beside the value, so the backward pass is one multiply.

use crate::nn::spec::Activation;

/// Element types with activation and dropout kernels (`f32`, `f64`).
pub trait Activate: Copy {
    #[doc(hidden)]
    fn activate(activation: Activation, z: &mut [Self], deriv: Option<&mut [Self]>);
    #[doc(hidden)]
    fn dropout(rate: f64, seed: u64, y: &mut [Self], deriv: Option<&mut [Self]>);
    #[doc(hidden)]
    fn exp_slice(x: &mut [Self]);
}

/// `1.5 * 2^23`: adding it rounds an `f32` below 2^22 to an integer, in the low mantissa bits.
const ROUND: f32 = 12_582_912.0;

/// `e^x` to ~2 ulp on `[-87, 88]` (clamped outside, NaN kept): `2^n * p(r)`, `r = x - n ln 2`.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    // `clamp` keeps NaN.
    let x = x.clamp(-87.0, 88.0);
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    let bits = (t.to_bits() as i32 - 0x4B40_0000 + 127) << 23;
    p * f32::from_bits(bits as u32)
}

/// `erf(|x|)` for the Abramowitz-Stegun form (|error| < 1.5e-7) and the `e^{-x^2}` it used,
/// which GELU's derivative needs as well.
#[inline(always)]
fn erf_abs_f32(x: f32) -> (f32, f32) {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let mut p = 1.061_405_4_f32;
    p = p * t - 1.453_152;
    p = p * t + 1.421_413_8;
    p = p * t - 0.284_496_74;
    p = p * t + 0.254_829_6;
    let g = exp_f32(-a * a);
    (1.0 - p * t * g, g)
}

/// `tanh(x)`: an odd polynomial near 0 (where `1 - 2/(e^2x + 1)` cancels), that form beyond.
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
    let x2 = x * x;
    let small = x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)));
    let large = 1.0 - 2.0 / (exp_f32(2.0 * x) + 1.0);
    if x2 < 0.0025 {
        small
    } else {
        large
    }
}

#[inline(always)]
fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// One pass of `activation` over `z`, writing `f'(z)` into `deriv` if given.
#[inline(always)]
fn activate_f32(activation: Activation, z: &mut [f32], deriv: Option<&mut [f32]>) {
    const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;
    macro_rules! each {
        (|$v:ident| $value:expr, |$a:ident, $u:ident| $slope:expr) => {
            match deriv {
                Some(d) => {
                    for (x, d) in z.iter_mut().zip(d.iter_mut()) {
                        let $v = *x;
                        let $a = $value;
                        let $u = $v;
                        *d = $slope;
                        *x = $a;
                    }
                }
                None => {
                    for x in z.iter_mut() {
                        let $v = *x;
                        *x = $value;
                    }
                }
            }
        };
    }
    match activation {
        Activation::Linear => {
            if let Some(d) = deriv {
                d.fill(1.0);
            }
        }
        Activation::Relu => each!(|v| if v > 0.0 { v } else { 0.0 }, |_a, u| if u > 0.0 {
            1.0
        } else {
            0.0
        }),
        Activation::LeakyRelu(alpha) => {
            let alpha = alpha as f32;
            each!(
                |v| if v > 0.0 { v } else { alpha * v },
                |_a, u| if u > 0.0 { 1.0 } else { alpha }
            )
        }
        Activation::Elu(alpha) => {
            let alpha = alpha as f32;
            each!(
                |v| if v > 0.0 {
                    v
                } else {
                    alpha * (exp_f32(v) - 1.0)
                },
                |a, u| if u > 0.0 { 1.0 } else { a + alpha }
            )
        }
        Activation::Tanh => each!(|v| tanh_f32(v), |a, _u| 1.0 - a * a),
        Activation::Sigmoid => each!(|v| sigmoid_f32(v), |a, _u| a * (1.0 - a)),
        Activation::Gelu => match deriv {
            // x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2; slope Phi(x) + x phi(x).
            Some(d) => {
                for (x, d) in z.iter_mut().zip(d.iter_mut()) {
                    let v = *x;
                    let (e, g) = erf_abs_f32(v * std::f32::consts::FRAC_1_SQRT_2);
                    let e = if v < 0.0 { -e } else { e };
                    let phi_cdf = 0.5 * (1.0 + e);
                    *d = phi_cdf + v * FRAC_1_SQRT_2PI * g;
                    *x = v * phi_cdf;
                }
            }
            None => {
                for x in z.iter_mut() {
                    let v = *x;
                    let (e, _) = erf_abs_f32(v * std::f32::consts::FRAC_1_SQRT_2);
                    let e = if v < 0.0 { -e } else { e };
                    *x = v * 0.5 * (1.0 + e);
                }
            }
        },
    }
}

/// A 32-bit integer hash with good avalanche (Wellons' `lowbias32`): multiplies and shifts
/// on 32-bit lanes, which AVX2 has.
#[inline(always)]
fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7FEB_352D);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846C_A68B);
    x ^ (x >> 16)
}

/// Whether element `i` is kept under the key `(k1, k2)` and drop threshold `cut` (of 2^32).
#[inline(always)]
fn kept(i: usize, k1: u32, k2: u32, cut: u64) -> bool {
    let h = mix32(mix32((i as u32) ^ k1).wrapping_add(k2));
    u64::from(h) >= cut
}

/// Inverted dropout in one pass: each value is zeroed with probability `rate`, the rest
/// scaled by `1 / (1 - rate)`; the same factor goes into `deriv`. The mask is a hash of the
/// element's index and `seed`, so no mask is stored or allocated.
#[inline(always)]
fn dropout_generic<E: Copy + std::ops::Mul<Output = E>>(
    rate: f64,
    seed: u64,
    y: &mut [E],
    deriv: Option<&mut [E]>,
    zero: E,
    scale: E,
) {
    let (k1, k2) = (seed as u32, (seed >> 32) as u32);
    let cut = (rate * 4_294_967_296.0) as u64;
    match deriv {
        Some(d) => {
            for (i, (y, d)) in y.iter_mut().zip(d.iter_mut()).enumerate() {
                let f = if kept(i, k1, k2, cut) { scale } else { zero };
                *y = *y * f;
                *d = *d * f;
            }
        }
        None => {
            for (i, y) in y.iter_mut().enumerate() {
                let f = if kept(i, k1, k2, cut) { scale } else { zero };
                *y = *y * f;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn activate_avx2(activation: Activation, z: &mut [f32], deriv: Option<&mut [f32]>) {
    activate_f32(activation, z, deriv)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dropout_avx2(rate: f64, seed: u64, y: &mut [f32], deriv: Option<&mut [f32]>) {
    dropout_generic(rate, seed, y, deriv, 0.0, (1.0 / (1.0 - rate)) as f32)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn exp_avx2(x: &mut [f32]) {
    x.iter_mut().for_each(|v| *v = exp_f32(*v));
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

impl Activate for f32 {
    fn activate(activation: Activation, z: &mut [f32], deriv: Option<&mut [f32]>) {
        if let Some(d) = &deriv {
            assert_eq!(d.len(), z.len(), "one derivative per value");
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU was just found to have AVX2 and FMA.
            return unsafe { activate_avx2(activation, z, deriv) };
        }
        activate_f32(activation, z, deriv)
    }

    fn dropout(rate: f64, seed: u64, y: &mut [f32], deriv: Option<&mut [f32]>) {
        if let Some(d) = &deriv {
            assert_eq!(d.len(), y.len(), "one derivative per value");
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU was just found to have AVX2 and FMA.
            return unsafe { dropout_avx2(rate, seed, y, deriv) };
        }
        dropout_generic(rate, seed, y, deriv, 0.0, (1.0 / (1.0 - rate)) as f32)
    }

    fn exp_slice(x: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU was just found to have AVX2 and FMA.
            return unsafe { exp_avx2(x) };
        }
        x.iter_mut().for_each(|v| *v = exp_f32(*v));
    }
}

impl Activate for f64 {
    fn activate(activation: Activation, z: &mut [f64], deriv: Option<&mut [f64]>) {
        let f = |v: f64| -> (f64, f64) {
            match activation {
                Activation::Linear => (v, 1.0),
                Activation::Relu => {
                    if v > 0.0 {
                        (v, 1.0)
                    } else {
                        (0.0, 0.0)
                    }
                }
                Activation::LeakyRelu(a) => {
                    if v > 0.0 {
                        (v, 1.0)
                    } else {
                        (a * v, a)
                    }
                }
                Activation::Elu(a) => {
                    if v > 0.0 {
                        (v, 1.0)
                    } else {
                        let e = v.exp();
                        (a * (e - 1.0), a * e)
                    }
                }
                Activation::Tanh => {
                    let t = v.tanh();
                    (t, 1.0 - t * t)
                }
                Activation::Sigmoid => {
                    let s = 1.0 / (1.0 + (-v).exp());
                    (s, s * (1.0 - s))
                }
                Activation::Gelu => {
                    let cdf = 0.5 * (1.0 + libm::erf(v * std::f64::consts::FRAC_1_SQRT_2));
                    let pdf = (-0.5 * v * v).exp() / (2.0 * std::f64::consts::PI).sqrt();
                    (v * cdf, cdf + v * pdf)
                }
            }
        };
        match deriv {
            Some(d) => {
                assert_eq!(d.len(), z.len(), "one derivative per value");
                for (x, d) in z.iter_mut().zip(d.iter_mut()) {
                    (*x, *d) = f(*x);
                }
            }
            None => z.iter_mut().for_each(|x| *x = f(*x).0),
        }
    }

    fn dropout(rate: f64, seed: u64, y: &mut [f64], deriv: Option<&mut [f64]>) {
        dropout_generic(rate, seed, y, deriv, 0.0, 1.0 / (1.0 - rate))
    }

    fn exp_slice(x: &mut [f64]) {
        x.iter_mut().for_each(|v| *v = v.exp());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<f32> {
        (-4000..=4000).map(|i| i as f32 * 0.0025).collect()
    }

    #[test]
    fn f32_kernels_match_libm() {
        let xs = grid();
        for (act, exact) in [
            (Activation::Tanh, (|v: f64| v.tanh()) as fn(f64) -> f64),
            (Activation::Sigmoid, |v| 1.0 / (1.0 + (-v).exp())),
            (Activation::Gelu, |v| {
                v * 0.5 * (1.0 + libm::erf(v / std::f64::consts::SQRT_2))
            }),
            (Activation::Elu(1.0), |v| {
                if v > 0.0 {
                    v
                } else {
                    v.exp() - 1.0
                }
            }),
        ] {
            let mut z = xs.clone();
            let mut d = vec![0.0; xs.len()];
            f32::activate(act, &mut z, Some(&mut d));
            let mut z2 = xs.clone();
            f32::activate(act, &mut z2, None);
            assert_eq!(
                z, z2,
                "{act}: values do not depend on whether slopes are wanted"
            );
            for (i, &x) in xs.iter().enumerate() {
                let want = exact(f64::from(x));
                let err = (f64::from(z[i]) - want).abs();
                assert!(
                    err <= 4e-7 * want.abs().max(1.0),
                    "{act}({x}) = {} vs {want}",
                    z[i]
                );
                let h = 1e-4;
                // ELU's second derivative jumps at 0, so a central difference there is off by
                // h/4: its slope at the kink is checked exactly below instead.
                if matches!(act, Activation::Elu(_)) && x.abs() <= 2.0 * h as f32 {
                    continue;
                }
                let slope = (exact(f64::from(x) + h) - exact(f64::from(x) - h)) / (2.0 * h);
                assert!(
                    (f64::from(d[i]) - slope).abs() < 2e-5,
                    "{act}'({x}) = {} vs {slope}",
                    d[i]
                );
            }
            if matches!(act, Activation::Elu(_)) {
                let zero = xs.iter().position(|&x| x == 0.0).unwrap();
                assert!((d[zero] - 1.0).abs() < 1e-6, "elu'(0) = {}", d[zero]);
            }
        }
    }

    #[test]
    fn exp_keeps_nan_and_saturates() {
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(tanh_f32(f32::NAN).is_nan());
        assert_eq!(tanh_f32(100.0), 1.0);
        assert_eq!(tanh_f32(-100.0), -1.0);
        assert!(exp_f32(-1000.0) < 1e-37);
        assert!(exp_f32(1000.0) > 1e38);
    }

    #[test]
    fn dropout_keeps_the_expected_share_and_scales() {
        let n = 200_000;
        let mut y = vec![1.0f32; n];
        let mut d = vec![2.0f32; n];
        f32::dropout(0.3, 99, &mut y, Some(&mut d));
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / n as f64;
        assert!((kept - 0.7).abs() < 0.005, "kept {kept}");
        for (a, b) in y.iter().zip(&d) {
            assert!(
                *a == 0.0 && *b == 0.0
                    || (*a - 1.0 / 0.7).abs() < 1e-6 && (*b - 2.0 / 0.7).abs() < 1e-5
            );
        }
        let mut again = vec![1.0f32; n];
        f32::dropout(0.3, 99, &mut again, None);
        assert_eq!(y, again, "the mask is a function of the seed");
        let mut other = vec![1.0f32; n];
        f32::dropout(0.3, 100, &mut other, None);
        assert_ne!(y, other);
    }
}
