//! Values by position: each value of a set in the slot of its parameter's declaration
//! position, and one value checked against its parameter, for typed params read without
//! looking names up.

use super::{HyperParameters, Param, SearchSpace, SpaceError, Value};

impl SearchSpace {
    /// Puts each value of `values` in `slots[i]`, `i` its parameter's declaration position
    /// (`slots` has at least `len()` entries; the others are left alone); an error names the
    /// first value the space does not define.
    ///
    /// Values drawn from this space share its names, so they are matched by address in one
    /// pass over both name-sorted lists; other names (read from storage) by comparison.
    ///
    /// ```
    /// use tuner_space::{Param, SearchSpace, SpaceError, Value};
    /// let space = SearchSpace::builder()
    ///     .param(Param::int("b", 1, 3))
    ///     .param(Param::boolean("a"))
    ///     .build()?;
    /// let values = space.defaults();
    /// let mut slots = [None; 2];
    /// space.slots(&values, &mut slots)?;
    /// assert_eq!(slots, [Some(&Value::Int(1)), Some(&Value::Bool(false))]);
    /// let mut unknown = values.clone();
    /// unknown.insert("c", 1);
    /// assert_eq!(space.slots(&unknown, &mut slots), Err(SpaceError::Unknown("c".into())));
    /// # Ok::<(), SpaceError>(())
    /// ```
    pub fn slots<'v>(
        &self,
        values: &'v HyperParameters,
        slots: &mut [Option<&'v Value>],
    ) -> Result<(), SpaceError> {
        let mut next = 0;
        for (name, value) in values.iter() {
            let rest = &self.by_name[next..];
            let shared = rest.iter().position(|(_, n)| {
                std::ptr::eq(n.as_ptr(), name.as_ptr()) && n.len() == name.len()
            });
            let found = shared.or_else(|| rest.iter().position(|(_, n)| **n == *name));
            let Some(k) = found else {
                return Err(SpaceError::Unknown(name.to_owned()));
            };
            slots[rest[k].0] = Some(value);
            next += k + 1;
        }
        Ok(())
    }
}

impl Param {
    /// Checks that `value` is one of the parameter's values, with the space's own wording.
    pub fn check_value(&self, value: &Value) -> Result<(), SpaceError> {
        if value.value_type() != self.value_type() {
            return Err(SpaceError::WrongType {
                name: self.name.clone(),
                expected: self.value_type(),
                found: value.value_type(),
            });
        }
        match self.rejection(value) {
            None => Ok(()),
            Some(reason) => Err(SpaceError::OutOfRange {
                name: self.name.clone(),
                value: value.repr(),
                reason,
            }),
        }
    }
}
