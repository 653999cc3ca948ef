//! Gaussian-process regression: the posterior at new points (with gradients for local
//! refinement), and the kriging believer that accounts for other workers' running trials.

use super::kernel::{feature_sq_grad, matern52, matern52_dr2, scaled_sq, KernelParams};
use super::linalg::{Cholesky, Dense};

/// Jitter added (relative to the signal variance) when the kernel matrix will not factor.
const JITTERS: [f64; 4] = [0.0, 1e-8, 1e-6, 1e-4];
/// Candidates scored per batch: bounds the `n x batch` scratch matrix.
const BATCH: usize = 256;

/// A GP conditioned on its training points.
#[derive(Debug, Clone)]
pub(crate) struct Gp {
    features: usize,
    /// Training inputs, row-major `n x features`.
    x: Vec<f64>,
    y: Vec<f64>,
    categorical: Vec<bool>,
    params: KernelParams,
    /// Noise plus whatever jitter the factorisation needed.
    diag: f64,
    chol: Cholesky,
    alpha: Vec<f64>,
}

impl Gp {
    /// Conditions on `x` (row-major, `features` wide) and targets `y`; `None` only if the
    /// kernel matrix cannot be factored even with jitter.
    pub fn new(
        x: Vec<f64>,
        features: usize,
        y: Vec<f64>,
        categorical: Vec<bool>,
        params: KernelParams,
    ) -> Option<Self> {
        let n = y.len();
        debug_assert_eq!(x.len(), n * features);
        let mut k = Dense::zeros(n, n);
        for i in 0..n {
            let xi = &x[i * features..(i + 1) * features];
            for j in 0..i {
                let xj = &x[j * features..(j + 1) * features];
                let v = params.scale * matern52(scaled_sq(xi, xj, &params.inv_sq_ls, &categorical));
                k.set(i, j, v);
                k.set(j, i, v);
            }
        }
        for jitter in JITTERS {
            let diag = params.noise + jitter * params.scale;
            for i in 0..n {
                k.set(i, i, params.scale + diag);
            }
            if let Some(chol) = Cholesky::new(&k) {
                let alpha = chol.solve_vec(&y);
                return Some(Self {
                    features,
                    x,
                    y,
                    categorical,
                    params,
                    diag,
                    chol,
                    alpha,
                });
            }
        }
        None
    }

    /// The number of features of a point.
    pub fn features(&self) -> usize {
        self.features
    }

    /// The smallest posterior mean among the training points `rows`.
    pub fn min_mean_among(&self, rows: &[usize]) -> f64 {
        rows.iter()
            .filter(|&&i| i < self.len())
            .map(|&i| self.y[i] - self.diag * self.alpha[i])
            .fold(f64::INFINITY, f64::min)
    }

    /// The number of training points.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.features..(i + 1) * self.features]
    }

    fn cross(&self, z: &[f64]) -> Vec<f64> {
        (0..self.len())
            .map(|i| {
                let r2 = scaled_sq(z, self.row(i), &self.params.inv_sq_ls, &self.categorical);
                self.params.scale * matern52(r2)
            })
            .collect()
    }

    /// The posterior mean at each training point: `y_i - diag * alpha_i`.
    pub fn means_at_data(&self) -> Vec<f64> {
        (0..self.len())
            .map(|i| self.y[i] - self.diag * self.alpha[i])
            .collect()
    }

    /// The smallest posterior mean at the training points (the incumbent under noise):
    /// `mean_i = y_i - diag * alpha_i`.
    pub fn min_mean_at_data(&self, first: usize) -> f64 {
        (0..first.min(self.len()))
            .map(|i| self.y[i] - self.diag * self.alpha[i])
            .fold(f64::INFINITY, f64::min)
    }

    /// Posterior mean and latent variance at each row of `zs` (row-major).
    pub fn predict(&self, zs: &[f64]) -> Vec<(f64, f64)> {
        let m = zs.len() / self.features.max(1);
        let n = self.len();
        let mut out = Vec::with_capacity(m);
        let floor = 1e-12 * self.params.scale;
        let mut start = 0;
        while start < m {
            let count = BATCH.min(m - start);
            let mut ks = Dense::zeros(n, count);
            for c in 0..count {
                let z = &zs[(start + c) * self.features..(start + c + 1) * self.features];
                ks.col_mut(c).copy_from_slice(&self.cross(z));
            }
            let means: Vec<f64> = (0..count).map(|c| dot(ks.col(c), &self.alpha)).collect();
            self.chol.solve_lower(&mut ks);
            for (c, mean) in means.into_iter().enumerate() {
                let v = ks.col(c);
                let var = (self.params.scale - dot(v, v)).max(floor);
                out.push((mean, var));
            }
            start += count;
        }
        out
    }

    /// Posterior mean, variance and their gradients with respect to the features listed in
    /// `vars` (numeric and active in `z`).
    pub fn predict_grad(&self, z: &[f64], vars: &[usize]) -> (f64, f64, Vec<f64>, Vec<f64>) {
        let n = self.len();
        let mut k = Vec::with_capacity(n);
        let mut dk_dr2 = Vec::with_capacity(n);
        for i in 0..n {
            let r2 = scaled_sq(z, self.row(i), &self.params.inv_sq_ls, &self.categorical);
            k.push(self.params.scale * matern52(r2));
            dk_dr2.push(self.params.scale * matern52_dr2(r2));
        }
        let mean = dot(&k, &self.alpha);
        let mut v = Dense::zeros(n, 1);
        v.col_mut(0).copy_from_slice(&k);
        self.chol.solve_lower(&mut v);
        let var_raw = self.params.scale - dot(v.col(0), v.col(0));
        self.chol.solve_upper(&mut v);
        let w = v.col(0);
        let mut dmean = vec![0.0; vars.len()];
        let mut dvar = vec![0.0; vars.len()];
        for i in 0..n {
            let xi = self.row(i);
            for (slot, &f) in vars.iter().enumerate() {
                let dk = dk_dr2[i] * self.params.inv_sq_ls[f] * feature_sq_grad(z[f], xi[f]);
                dmean[slot] += self.alpha[i] * dk;
                dvar[slot] -= 2.0 * w[i] * dk;
            }
        }
        let floor = 1e-12 * self.params.scale;
        if var_raw < floor {
            dvar.iter_mut().for_each(|d| *d = 0.0);
        }
        (mean, var_raw.max(floor), dmean, dvar)
    }

    /// The kriging believer: the same GP with `running` (row-major) added as observations at
    /// their own posterior mean, which leaves the mean unchanged and shrinks the variance
    /// around points other workers are already evaluating.
    pub fn believe(&self, running: &[f64]) -> Gp {
        let r = running.len() / self.features.max(1);
        if r == 0 {
            return self.clone();
        }
        let means: Vec<f64> = self.predict(running).into_iter().map(|p| p.0).collect();
        let n = self.len();
        let mut cross = Dense::zeros(n, r);
        for c in 0..r {
            let z = &running[c * self.features..(c + 1) * self.features];
            cross.col_mut(c).copy_from_slice(&self.cross(z));
        }
        let mut corner = Dense::zeros(r, r);
        for a in 0..r {
            for b in 0..r {
                let za = &running[a * self.features..(a + 1) * self.features];
                let zb = &running[b * self.features..(b + 1) * self.features];
                let mut v = self.params.scale
                    * matern52(scaled_sq(za, zb, &self.params.inv_sq_ls, &self.categorical));
                if a == b {
                    v += self.diag;
                }
                corner.set(a, b, v);
            }
        }
        let Some(chol) = self.chol.extend(&cross, &corner) else {
            // Running points that duplicate each other exactly: keep the plain posterior.
            return self.clone();
        };
        let mut x = self.x.clone();
        x.extend_from_slice(running);
        let mut y = self.y.clone();
        y.extend(means);
        let alpha = chol.solve_vec(&y);
        Gp {
            features: self.features,
            x,
            y,
            categorical: self.categorical.clone(),
            params: self.params.clone(),
            diag: self.diag,
            chol,
            alpha,
        }
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(noise: f64) -> KernelParams {
        KernelParams {
            inv_sq_ls: vec![4.0],
            scale: 1.5,
            noise,
        }
    }

    #[test]
    fn posterior_matches_the_closed_form_for_two_points() {
        // k(a, b) = s m(l (a-b)^2); with two points the 2x2 inverse is explicit.
        let (x0, x1, y0, y1, z) = (0.2, 0.7, 1.0, -0.5, 0.4);
        let p = params(0.01);
        let k = |a: f64, b: f64| p.scale * matern52(p.inv_sq_ls[0] * (a - b) * (a - b));
        let (a, b, d) = (k(x0, x0) + p.noise, k(x0, x1), k(x1, x1) + p.noise);
        let det = a * d - b * b;
        let inv = [[d / det, -b / det], [-b / det, a / det]];
        let kz = [k(z, x0), k(z, x1)];
        let mean =
            kz[0] * (inv[0][0] * y0 + inv[0][1] * y1) + kz[1] * (inv[1][0] * y0 + inv[1][1] * y1);
        let quad = kz[0] * (inv[0][0] * kz[0] + inv[0][1] * kz[1])
            + kz[1] * (inv[1][0] * kz[0] + inv[1][1] * kz[1]);
        let var = p.scale - quad;
        let gp = Gp::new(vec![x0, x1], 1, vec![y0, y1], vec![false], p).unwrap();
        let (m, v) = gp.predict(&[z])[0];
        assert!((m - mean).abs() < 1e-12, "{m} vs {mean}");
        assert!((v - var).abs() < 1e-12, "{v} vs {var}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = vec![0.1, 0.9, 0.5, 0.2, 0.8, 0.6, 0.3, 0.35];
        let y = vec![0.3, -1.0, 0.7, 0.0];
        let p = KernelParams {
            inv_sq_ls: vec![3.0, 10.0],
            scale: 1.0,
            noise: 1e-4,
        };
        let gp = Gp::new(x, 2, y, vec![false, false], p).unwrap();
        let z = [0.45, 0.5];
        let (_, _, dm, dv) = gp.predict_grad(&z, &[0, 1]);
        for f in 0..2 {
            let h = 1e-6;
            let mut up = z;
            let mut down = z;
            up[f] += h;
            down[f] -= h;
            let (mu, vu) = gp.predict(&up)[0];
            let (md, vd) = gp.predict(&down)[0];
            assert!(((mu - md) / (2.0 * h) - dm[f]).abs() < 1e-5);
            assert!(((vu - vd) / (2.0 * h) - dv[f]).abs() < 1e-5);
        }
    }

    #[test]
    fn believer_keeps_the_mean_and_shrinks_the_variance() {
        let gp = Gp::new(
            vec![0.1, 0.9],
            1,
            vec![1.0, -1.0],
            vec![false],
            params(1e-6),
        )
        .unwrap();
        let believed = gp.believe(&[0.5]);
        let (m0, v0) = gp.predict(&[0.5])[0];
        let (m1, v1) = believed.predict(&[0.5])[0];
        assert!((m0 - m1).abs() < 1e-9);
        assert!(v1 < 1e-3 * v0, "{v1} vs {v0}");
    }
}
