//! Building a space in code, with KerasTuner's `conditional_scope` as `scope`.

use super::validate::space_problems_with;
use super::{Condition, ParamBuilder, SearchSpace, SpaceError, Value};

/// Collects parameters (and the scopes they sit in) into a validated `SearchSpace`.
#[derive(Debug, Clone, Default)]
#[must_use = "a space definition does nothing until `build()` is called"]
pub struct SpaceBuilder {
    params: Vec<ParamBuilder>,
    /// The conditions of the scopes currently open, outermost first.
    scopes: Vec<Condition>,
}

impl SearchSpace {
    /// Starts a space defined in code.
    pub fn builder() -> SpaceBuilder {
        SpaceBuilder::default()
    }
}

impl SpaceBuilder {
    /// Adds a parameter (live only where every enclosing scope's condition holds).
    pub fn param(mut self, param: impl Into<ParamBuilder>) -> Self {
        let param = param.into().with_outer_conditions(&self.scopes);
        self.params.push(param);
        self
    }

    /// Adds the parameters of `body` under the condition that `parent` holds one of
    /// `values` (KerasTuner's `conditional_scope`); nested scopes AND their conditions.
    pub fn scope<V: Into<Value>>(
        mut self,
        parent: impl Into<String>,
        values: impl IntoIterator<Item = V>,
        body: impl FnOnce(SpaceBuilder) -> SpaceBuilder,
    ) -> Self {
        self.scopes.push(Condition {
            parent: parent.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        let mut built = body(self);
        built.scopes.pop();
        built
    }

    /// Validates every parameter and condition, reporting all problems at once.
    pub fn build(self) -> Result<SearchSpace, SpaceError> {
        let (params, misuses): (Vec<_>, Vec<_>) = self
            .params
            .into_iter()
            .map(ParamBuilder::into_parts)
            .unzip();
        let problems = space_problems_with(&params, misuses);
        if problems.is_empty() {
            SearchSpace::from_params(params)
        } else {
            Err(SpaceError::Invalid(problems))
        }
    }
}
