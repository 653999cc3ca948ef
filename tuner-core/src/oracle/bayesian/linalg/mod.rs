//! Dense symmetric positive-definite algebra for the Gaussian process: a Cholesky factor, its
//! triangular solves and its growth by a border. The kernels come from `faer` (feature
//! `faer`, default on: runtime-dispatched SIMD kernels) or from the plain loops in
//! `plain.rs`, which also check faer's results in the tests; no other module sees either.

#[cfg(feature = "faer")]
mod faer_backend;
#[cfg(any(test, not(feature = "faer")))]
mod plain;

#[cfg(feature = "faer")]
use faer_backend as backend;
#[cfg(not(feature = "faer"))]
use plain as backend;

/// A column-major dense matrix owned by the caller.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dense {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Dense {
    /// A `rows x cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Entry `(i, j)`.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.rows + i]
    }

    /// Sets entry `(i, j)`.
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[j * self.rows + i] = v;
    }

    /// Column `j` as a slice.
    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.rows..(j + 1) * self.rows]
    }

    /// Column `j` as a mutable slice.
    pub fn col_mut(&mut self, j: usize) -> &mut [f64] {
        &mut self.data[j * self.rows..(j + 1) * self.rows]
    }
}

/// The Cholesky factor `L` of a symmetric positive-definite matrix `A = L L^T` (lower
/// triangle; zeros above).
#[derive(Debug, Clone)]
pub(crate) struct Cholesky {
    l: Dense,
}

impl Cholesky {
    /// Factors the square matrix `a` (its lower triangle is read); `None` if it is not
    /// numerically positive definite.
    pub fn new(a: &Dense) -> Option<Self> {
        debug_assert_eq!(a.rows, a.cols);
        let l = backend::factor(a)?;
        let ok = (0..l.rows).all(|i| l.get(i, i).is_finite() && l.get(i, i) > 0.0);
        ok.then_some(Self { l })
    }

    /// The order of the matrix.
    pub fn n(&self) -> usize {
        self.l.rows
    }

    /// `log det A = 2 sum log L_ii`.
    pub fn log_det(&self) -> f64 {
        2.0 * (0..self.n()).map(|i| self.l.get(i, i).ln()).sum::<f64>()
    }

    /// Overwrites every column `b` of `rhs` with `L^-1 b`.
    pub fn solve_lower(&self, rhs: &mut Dense) {
        backend::solve_lower(&self.l, rhs);
    }

    /// Overwrites every column `b` of `rhs` with `L^-T b`.
    pub fn solve_upper(&self, rhs: &mut Dense) {
        backend::solve_upper(&self.l, rhs);
    }

    /// Overwrites every column `b` of `rhs` with `A^-1 b`.
    pub fn solve(&self, rhs: &mut Dense) {
        self.solve_lower(rhs);
        self.solve_upper(rhs);
    }

    /// `A^-1 b` for one vector.
    pub fn solve_vec(&self, b: &[f64]) -> Vec<f64> {
        let mut m = Dense {
            rows: b.len(),
            cols: 1,
            data: b.to_vec(),
        };
        self.solve(&mut m);
        m.data
    }

    /// `A^-1` in full.
    pub fn inverse(&self) -> Dense {
        let n = self.n();
        let mut m = Dense::zeros(n, n);
        for i in 0..n {
            m.set(i, i, 1.0);
        }
        self.solve(&mut m);
        m
    }

    /// The factor of `[[A, B], [B^T, C]]` from this one, with `cross` = `B` (n x r) and
    /// `corner` = `C` (r x r): `O(n^2 r)` instead of refactoring; `None` if the bordered
    /// matrix is not positive definite.
    pub fn extend(&self, cross: &Dense, corner: &Dense) -> Option<Self> {
        let n = self.n();
        let r = corner.rows;
        debug_assert_eq!((cross.rows, cross.cols, corner.cols), (n, r, r));
        // L21^T = L^-1 B; the new corner factors C - L21 L21^T.
        let mut l21t = cross.clone();
        self.solve_lower(&mut l21t);
        let mut schur = corner.clone();
        for i in 0..r {
            for j in 0..=i {
                let dot: f64 = l21t
                    .col(i)
                    .iter()
                    .zip(l21t.col(j))
                    .map(|(a, b)| a * b)
                    .sum();
                let v = corner.get(i, j) - dot;
                schur.set(i, j, v);
                schur.set(j, i, v);
            }
        }
        let tail = Cholesky::new(&schur)?;
        let mut l = Dense::zeros(n + r, n + r);
        for j in 0..n {
            for i in j..n {
                l.set(i, j, self.l.get(i, j));
            }
            for i in 0..r {
                l.set(n + i, j, l21t.get(j, i));
            }
        }
        for j in 0..r {
            for i in j..r {
                l.set(n + i, n + j, tail.l.get(i, j));
            }
        }
        Some(Self { l })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spd(n: usize) -> Dense {
        let mut a = Dense::zeros(n, n);
        for i in 0..n {
            for j in 0..n {
                let d = i as f64 - j as f64;
                a.set(i, j, (-0.1 * d * d).exp() + if i == j { 0.5 } else { 0.0 });
            }
        }
        a
    }

    #[test]
    fn solve_inverts_the_matrix() {
        let a = spd(5);
        let c = Cholesky::new(&a).unwrap();
        let b: Vec<f64> = (0..5).map(|i| i as f64 - 2.0).collect();
        let x = c.solve_vec(&b);
        for (i, bi) in b.iter().enumerate() {
            let ax: f64 = x.iter().enumerate().map(|(j, xj)| a.get(i, j) * xj).sum();
            assert!((ax - bi).abs() < 1e-12, "{ax} vs {bi}");
        }
    }

    #[test]
    fn extending_matches_refactoring() {
        let a = spd(7);
        let mut head = Dense::zeros(5, 5);
        let mut cross = Dense::zeros(5, 2);
        let mut corner = Dense::zeros(2, 2);
        for i in 0..7 {
            for j in 0..7 {
                match (i < 5, j < 5) {
                    (true, true) => head.set(i, j, a.get(i, j)),
                    (true, false) => cross.set(i, j - 5, a.get(i, j)),
                    (false, false) => corner.set(i - 5, j - 5, a.get(i, j)),
                    _ => {}
                }
            }
        }
        let full = Cholesky::new(&a).unwrap();
        let grown = Cholesky::new(&head)
            .unwrap()
            .extend(&cross, &corner)
            .unwrap();
        assert!((full.log_det() - grown.log_det()).abs() < 1e-12);
        let b = [1.0, -2.0, 0.5, 3.0, 0.0, 1.5, -1.0];
        for (x, y) in full.solve_vec(&b).iter().zip(grown.solve_vec(&b)) {
            assert!((x - y).abs() < 1e-10);
        }
    }

    #[cfg(feature = "faer")]
    #[test]
    fn the_plain_kernels_agree_with_faer() {
        let a = spd(40);
        let fast = faer_backend::factor(&a).unwrap();
        let slow = plain::factor(&a).unwrap();
        for (x, y) in fast.data.iter().zip(&slow.data) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
        let mut rhs = Dense::zeros(40, 3);
        for (i, v) in rhs.data.iter_mut().enumerate() {
            *v = (i as f64 * 0.37).sin();
        }
        let (mut f, mut p) = (rhs.clone(), rhs);
        faer_backend::solve_lower(&fast, &mut f);
        plain::solve_lower(&slow, &mut p);
        faer_backend::solve_upper(&fast, &mut f);
        plain::solve_upper(&slow, &mut p);
        for (x, y) in f.data.iter().zip(&p.data) {
            assert!((x - y).abs() < 1e-10, "{x} vs {y}");
        }
    }

    #[test]
    fn not_positive_definite_is_none() {
        let mut a = Dense::zeros(2, 2);
        a.set(0, 0, 1.0);
        a.set(1, 1, -1.0);
        assert!(Cholesky::new(&a).is_none());
    }
}
