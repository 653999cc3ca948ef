//! The kernels as plain column-major loops: what the Gaussian process runs without `faer`,
//! and the reference faer's results are checked against.

use super::Dense;

/// The lower Cholesky factor of `a` (zeros above the diagonal), if `a` is positive definite:
/// left-looking, one column at a time, each update a contiguous column `axpy`.
pub(super) fn factor(a: &Dense) -> Option<Dense> {
    let n = a.rows;
    let mut l = Dense::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            l.set(i, j, a.get(i, j));
        }
    }
    for j in 0..n {
        let (done, rest) = l.data.split_at_mut(j * n);
        let col = &mut rest[..n];
        for k in 0..j {
            let prev = &done[k * n..(k + 1) * n];
            let ljk = prev[j];
            if ljk != 0.0 {
                for (c, p) in col[j..].iter_mut().zip(&prev[j..]) {
                    *c -= ljk * p;
                }
            }
        }
        let d = col[j];
        // NaN is not positive either.
        if d.is_nan() || d <= 0.0 {
            return None;
        }
        let d = d.sqrt();
        col[j] = d;
        for c in &mut col[j + 1..] {
            *c /= d;
        }
    }
    Some(l)
}

/// `rhs <- L^-1 rhs` (forward substitution, column by column).
pub(super) fn solve_lower(l: &Dense, rhs: &mut Dense) {
    let n = l.rows;
    for c in 0..rhs.cols {
        let x = rhs.col_mut(c);
        for j in 0..n {
            let lj = l.col(j);
            x[j] /= lj[j];
            let xj = x[j];
            for (xi, li) in x[j + 1..].iter_mut().zip(&lj[j + 1..]) {
                *xi -= xj * li;
            }
        }
    }
}

/// `rhs <- L^-T rhs` (back substitution, column by column).
pub(super) fn solve_upper(l: &Dense, rhs: &mut Dense) {
    let n = l.rows;
    for c in 0..rhs.cols {
        let x = rhs.col_mut(c);
        for j in (0..n).rev() {
            let lj = l.col(j);
            let dot: f64 = lj[j + 1..]
                .iter()
                .zip(&x[j + 1..])
                .map(|(a, b)| a * b)
                .sum();
            x[j] = (x[j] - dot) / lj[j];
        }
    }
}
