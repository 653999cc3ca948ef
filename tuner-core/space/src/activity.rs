//! Which parameters are live for a set of values (conditions), and checking values against
//! a space.

use super::{Condition, HyperParameters, Param, SearchSpace, SpaceError};

impl SearchSpace {
    /// Whether every condition of `param` holds for `values`: each parent is itself live and
    /// holds one of the condition's values (a missing or inactive parent makes it inactive).
    pub fn is_active(&self, param: &Param, values: &HyperParameters) -> bool {
        param
            .conditions
            .iter()
            .all(|c| self.condition_holds(c, values))
    }

    fn condition_holds(&self, condition: &Condition, values: &HyperParameters) -> bool {
        let (Some(parent), Some(value)) =
            (self.get(&condition.parent), values.get(&condition.parent))
        else {
            return false;
        };
        condition.values.iter().any(|v| v.same_as(value)) && self.is_active(parent, values)
    }

    /// The default of every live parameter (parents decide which children are live).
    pub fn defaults(&self) -> HyperParameters {
        self.assign(|_, p| p.default.clone())
    }

    /// Checks that `values` holds a valid value for every live parameter, and nothing for an
    /// inactive or unknown one; the first problem found is the error.
    pub fn check(&self, values: &HyperParameters) -> Result<(), SpaceError> {
        if let Some((name, _)) = values.iter().find(|(name, _)| self.get(name).is_none()) {
            return Err(SpaceError::Unknown(name.to_owned()));
        }
        for p in self.params() {
            match (self.is_active(p, values), values.get(&p.name)) {
                (true, None) => return Err(SpaceError::Missing(p.name.clone())),
                (false, Some(_)) => return Err(SpaceError::Inactive(p.name.clone())),
                (true, Some(value)) if value.value_type() != p.value_type() => {
                    return Err(SpaceError::WrongType {
                        name: p.name.clone(),
                        expected: p.value_type(),
                        found: value.value_type(),
                    })
                }
                (true, Some(value)) => {
                    if let Some(reason) = p.rejection(value) {
                        return Err(SpaceError::OutOfRange {
                            name: p.name.clone(),
                            value: value.repr(),
                            reason,
                        });
                    }
                }
                (false, None) => {}
            }
        }
        Ok(())
    }
}
