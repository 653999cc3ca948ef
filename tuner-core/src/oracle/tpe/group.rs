//! Optuna's group decomposition of a conditional space: the coarsest partition of the
//! parameters such that every finished trial's live set is a union of whole groups. Each
//! group is then sampled jointly (multivariate TPE) from the trials that hold all of it.

/// Splits the groups by each live set in turn (parameters as indices).
pub(crate) fn decompose<'a>(live_sets: impl IntoIterator<Item = &'a [usize]>) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for set in live_sets {
        let mut rest: Vec<usize> = set.to_vec();
        let mut next = Vec::with_capacity(groups.len() * 2 + 1);
        for g in groups {
            let (inside, outside): (Vec<usize>, Vec<usize>) =
                g.into_iter().partition(|p| set.contains(p));
            rest.retain(|p| !inside.contains(p));
            next.push(inside);
            next.push(outside);
        }
        next.push(rest);
        next.retain(|g| !g.is_empty());
        groups = next;
    }
    for g in &mut groups {
        g.sort_unstable();
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_of_a_choice_become_groups() {
        // model (0) always; lr (1) with linear; depth (2), leaves (3) with tree.
        let sets: Vec<Vec<usize>> = vec![vec![0, 1], vec![0, 2, 3], vec![0, 1], vec![0, 2, 3]];
        let mut g = decompose(sets.iter().map(Vec::as_slice));
        g.sort();
        assert_eq!(g, vec![vec![0], vec![1], vec![2, 3]]);
        assert_eq!(decompose([&[0usize, 1, 2][..]]), vec![vec![0, 1, 2]]);
    }
}
