//! Bounded quasi-Newton minimisation behind a trait of ours, so the young `lbfgsb-rs-pure`
//! crate can be replaced without touching the GP code.

/// A function returning its value and gradient at a point.
pub(crate) type ValueGrad<'a> = dyn FnMut(&[f64]) -> (f64, Vec<f64>) + 'a;

/// Minimises a smooth function inside a box.
pub(crate) trait BoundedMinimiser {
    /// The best point found from `x0` (projected into the box) and its value; `f` returns the
    /// value and gradient. Never worse than `x0` itself.
    fn minimise(
        &self,
        f: &mut ValueGrad<'_>,
        x0: &[f64],
        lower: &[f64],
        upper: &[f64],
        max_iter: usize,
    ) -> (Vec<f64>, f64);
}

/// L-BFGS-B (Byrd, Lu, Nocedal, Zhu) from `lbfgsb-rs-pure`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LbfgsB {
    /// Projected-gradient tolerance.
    pub pgtol: f64,
}

impl BoundedMinimiser for LbfgsB {
    fn minimise(
        &self,
        f: &mut ValueGrad<'_>,
        x0: &[f64],
        lower: &[f64],
        upper: &[f64],
        max_iter: usize,
    ) -> (Vec<f64>, f64) {
        let start: Vec<f64> = x0
            .iter()
            .zip(lower.iter().zip(upper))
            .map(|(x, (l, u))| x.clamp(*l, *u))
            .collect();
        let (f0, _) = f(&start);
        let mut best = (start.clone(), f0);
        // Non-finite values would derail the line search: report them as a steep wall.
        let mut guarded = |x: &[f64]| {
            let (v, g) = f(x);
            if v.is_finite() && g.iter().all(|g| g.is_finite()) {
                if v < best.1 {
                    best = (x.to_vec(), v);
                }
                (v, g)
            } else {
                (f64::MAX / 4.0, vec![0.0; x.len()])
            }
        };
        let mut x = start;
        let mut solver = lbfgsb_rs_pure::LBFGSB::new(8)
            .with_max_iter(max_iter)
            .with_pgtol(if self.pgtol > 0.0 { self.pgtol } else { 1e-5 });
        // The solver's own answer is not trusted blindly: the best point it evaluated wins.
        let _ = solver.minimize(&mut x, lower, upper, &mut guarded);
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_bounded_minimum() {
        // Rosenbrock-like bowl whose unconstrained minimum (2, 3) is outside the box.
        let mut f = |x: &[f64]| {
            let (a, b) = (x[0] - 2.0, x[1] - 3.0);
            (a * a + 10.0 * b * b, vec![2.0 * a, 20.0 * b])
        };
        let (x, v) =
            LbfgsB { pgtol: 1e-8 }.minimise(&mut f, &[0.0, 0.0], &[-1.0, -1.0], &[1.0, 1.0], 100);
        assert!(
            (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
            "{x:?}"
        );
        assert!((v - 41.0).abs() < 1e-6, "{v}");
    }
}
