//! The kernels on `faer` (its SIMD Cholesky and triangular solves); every `faer` type stays
//! in this file.

use super::Dense;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::{MatMut, MatRef, Par, Side};

fn view(m: &Dense) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(&m.data, m.rows, m.cols)
}

fn view_mut(m: &mut Dense) -> MatMut<'_, f64> {
    MatMut::from_column_major_slice_mut(&mut m.data, m.rows, m.cols)
}

/// The lower Cholesky factor of `a` (zeros above the diagonal), if `a` is positive definite.
pub(super) fn factor(a: &Dense) -> Option<Dense> {
    let llt = view(a).llt(Side::Lower).ok()?;
    let l = llt.L();
    let mut out = Dense::zeros(a.rows, a.cols);
    for j in 0..a.cols {
        for i in j..a.rows {
            out.set(i, j, l[(i, j)]);
        }
    }
    Some(out)
}

/// `rhs <- L^-1 rhs`.
pub(super) fn solve_lower(l: &Dense, rhs: &mut Dense) {
    solve_lower_triangular_in_place(view(l), view_mut(rhs), Par::Seq);
}

/// `rhs <- L^-T rhs`.
pub(super) fn solve_upper(l: &Dense, rhs: &mut Dense) {
    solve_upper_triangular_in_place(view(l).transpose(), view_mut(rhs), Par::Seq);
}
