//! Explicit parents (`parent_name = p, parent_values = [..]`) are ANDed with where a call
//! is read: every read must be where the parent takes one of the stated values (else it
//! would read an inactive parameter), and some value must be left.

use super::*;

impl Walker<'_> {
    /// Checks every call with an explicit parent (cycles are reported where the model is
    /// assembled, as such).
    pub(super) fn explicit_parents(&mut self, sites: &[Site]) {
        let parents: HashMap<String, String> = sites
            .iter()
            .filter_map(|s| {
                let p = s.call.parent.as_ref()?;
                Some((
                    s.call.name_str(),
                    syn::ext::IdentExt::unraw(&p.name).to_string(),
                ))
            })
            .collect();
        for site in sites {
            // A cycle of explicit parents is reported as such where the model is assembled.
            let mut at = site.call.name_str();
            let mut cyclic = false;
            for _ in 0..parents.len() {
                match parents.get(&at) {
                    Some(p) if *p == site.call.name_str() => cyclic = true,
                    Some(p) => at = p.clone(),
                    None => break,
                }
            }
            if !cyclic {
                self.explicit_parent(site);
            }
        }
    }

    /// An explicit parent is ANDed with where the call is read: every read must be where the
    /// parent takes one of `parent_values` (else it would read an inactive parameter), and
    /// some value must be left.
    fn explicit_parent(&mut self, site: &Site) {
        let Some(p) = &site.call.parent else { return };
        let pname = syn::ext::IdentExt::unraw(&p.name).to_string();
        let name = site.call.name_str();
        if pname == name {
            return; // the run time's rule on a parameter that is its own parent reports it
        }
        let Some(Ok(domain)) = self.domains.get(&pname).map(|d| d.values.clone()) else {
            return; // an unknown or continuous parent is the run time's rule to report
        };
        let stated: Vec<Lit> = p.values.iter().map(|v| v.value.clone()).collect();
        if stated.is_empty() {
            return; // the run time's rule on an empty condition reports it
        }
        if stated
            .iter()
            .any(|v| !domain.iter().any(|d| outcome::lit_eq(d, v)))
        {
            return; // a value the parent never takes: reported by the run time's rules
        }
        let mut here = domain.clone();
        for c in site.conds.iter().filter(|c| c.parent == pname) {
            here.retain(|v| c.values.iter().any(|w| outcome::lit_eq(v, w)));
        }
        let left: Vec<Lit> = here
            .iter()
            .filter(|v| stated.iter().any(|w| outcome::lit_eq(v, w)))
            .cloned()
            .collect();
        let tokens = p
            .values
            .first()
            .map(|v| v.tokens.clone())
            .unwrap_or_else(|| p.name.to_token_stream());
        if left.is_empty() {
            self.cx.error(
                tokens,
                format!(
                    "`parent_values = [{}]` leave `{name}` no value: it is read only where `{pname}` \
                     is {}, so it could never be live; use parent values among those, or move the call",
                    crate::model::list(&stated),
                    crate::model::list(&here)
                ),
            );
        } else if left.len() < here.len() && site.opaque.is_empty() {
            let outside: Vec<Lit> = here.iter().filter(|v| !left.contains(v)).cloned().collect();
            self.cx.error(
                &p.name,
                format!(
                    "`{name}` is live only when `{pname}` is {} (its `parent_values`), but this read \
                     also runs when `{pname}` is {}, where it has no value: move the call inside \
                     `if {pname} == {} {{ .. }}` (or a `match` arm on it), where the condition is \
                     inferred and `parent_name` is not needed",
                    crate::model::list(&stated),
                    crate::model::list(&outside),
                    stated[0]
                ),
            );
        }
    }
}
