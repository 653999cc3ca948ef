//! Assembling the model: one parameter per name over its reads, conditions merged from
//! where each read happens, explicit parents attached, loops expanded, parents ordered
//! before children. This is what only the macro knows; the rules of the resulting space
//! are the run time's (`rules`).

use crate::block;
use crate::check::{definition, Ctxt};
use crate::infer::{lit_eq, Site};
use crate::model::HpCall;
use crate::model::{list, Cond, ElemType, Hp, Indexed, Lit, Model, ParamDef, SiteRead};
use crate::rules;
use quote::format_ident;
use std::collections::HashMap;

/// The most iterations an indexed parameter's loop may have (one space parameter each).
pub const MAX_INDEXED: i64 = 64;

/// One parameter while the model is assembled: its first definition and every read.
struct Group {
    name: String,
    sites: Vec<usize>,
    def: ParamDef,
    bound: Option<String>,
    parent: Option<(String, Vec<Lit>)>,
}

fn describe_site(
    def: &ParamDef,
    bound: &Option<String>,
    parent: &Option<(String, Vec<Lit>)>,
) -> String {
    let mut d = def.describe();
    if let Some(b) = bound {
        d += &format!(", indexed by a loop over `0..{b}`");
    }
    if let Some((p, vs)) = parent {
        d += &format!(", live when `{p}` is in [{}]", list(vs));
    }
    d
}

/// The conditions of one read: inferred ones, same-parent ones intersected.
fn site_conds(site: &Site, name: &str, cx: &mut Ctxt) -> Option<Vec<Cond>> {
    let mut conds: Vec<Cond> = Vec::new();
    for c in site.conds.iter().filter(|c| c.parent != name) {
        match conds.iter_mut().find(|k| k.parent == c.parent) {
            Some(k) => k.values.retain(|v| c.values.contains(v)),
            None => conds.push(Cond {
                parent: c.parent.clone(),
                indexed: c.parent_loop.is_some(),
                values: c.values.clone(),
                explicit: false,
            }),
        }
        if conds.iter().any(|k| k.values.is_empty()) {
            cx.error(
                &c.tokens,
                format!(
                    "`{name}` is read where `{}` can take none of its values (the enclosing \
                     conditions, branches or match arms leave none), so it could never be live: \
                     remove the dead code",
                    c.parent
                ),
            );
            return None;
        }
    }
    Some(conds)
}

/// `a` holds whenever `b` holds.
fn weaker(a: &[Cond], b: &[Cond]) -> bool {
    a.iter().all(|ca| {
        b.iter()
            .any(|cb| cb.parent == ca.parent && cb.values.iter().all(|v| ca.values.contains(v)))
    })
}

/// The condition under which a parameter read at two places is live, if one AND expresses it.
pub fn merge(a: &[Cond], b: &[Cond]) -> Option<Vec<Cond>> {
    if weaker(a, b) {
        return Some(a.to_vec());
    }
    if weaker(b, a) {
        return Some(b.to_vec());
    }
    let same_parents =
        a.len() == b.len() && a.iter().all(|ca| b.iter().any(|cb| cb.parent == ca.parent));
    if !same_parents {
        return None;
    }
    let differ: Vec<&Cond> = a
        .iter()
        .filter(|ca| {
            let cb = b
                .iter()
                .find(|cb| cb.parent == ca.parent)
                .expect("same parents");
            !(weaker(std::slice::from_ref(*ca), std::slice::from_ref(cb))
                && weaker(std::slice::from_ref(cb), std::slice::from_ref(*ca)))
        })
        .collect();
    let [d] = differ.as_slice() else { return None };
    let cb = b
        .iter()
        .find(|cb| cb.parent == d.parent)
        .expect("same parents");
    let mut merged = a.to_vec();
    let m = merged
        .iter_mut()
        .find(|c| c.parent == d.parent)
        .expect("present");
    m.values
        .extend(cb.values.iter().filter(|v| !d.values.contains(v)).cloned());
    Some(merged)
}

fn describe_conds(conds: &[Cond]) -> String {
    if conds.is_empty() {
        "always".to_owned()
    } else {
        format!(
            "when {}",
            conds
                .iter()
                .map(Cond::describe)
                .collect::<Vec<_>>()
                .join(" and ")
        )
    }
}

/// `activation` -> `Activation`, `learning_rate` -> `LearningRate`.
pub fn camel(s: &str) -> String {
    s.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Checks the calls against each other and assembles the model: one parameter per name,
/// conditions merged, explicit parents resolved, parents ordered before children.
pub fn model(sites: &[Site], type_name: &syn::Ident, cx: &mut Ctxt) -> Option<Model> {
    // A block scope is a site for its conditions, not a parameter.
    let defs: Vec<Option<ParamDef>> = sites
        .iter()
        .map(|s| match block::site_call(s) {
            Some(_) => None,
            None => definition(&s.call, cx),
        })
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut site_group: Vec<Option<usize>> = vec![None; sites.len()];
    let mut site_conds_of: Vec<Vec<Cond>> = vec![Vec::new(); sites.len()];

    for (i, (site, def)) in sites.iter().zip(&defs).enumerate() {
        let Some(def) = def else { continue };
        let call = &site.call;
        let name = call.name_str();
        let bound = site.index.as_ref().map(|ix| ix.bound.clone());
        let parent = call.parent.as_ref().map(|p| {
            (
                syn::ext::IdentExt::unraw(&p.name).to_string(),
                p.values.iter().map(|v| v.value.clone()).collect::<Vec<_>>(),
            )
        });
        match by_name.get(&name) {
            None => {
                if let Some(c) = site.conds.iter().find(|c| c.parent == name) {
                    // Registered after its parent of the same name: a different definition.
                    cx.error(
                        &call.name,
                        format!(
                            "`{name}` is read inside a condition on `{name}` ({}) but defined \
                             differently: a child needs its own name; rename it (e.g. `{name}_value`)",
                            c.tokens
                        ),
                    );
                    continue;
                }
                by_name.insert(name.clone(), groups.len());
                groups.push(Group {
                    name: name.clone(),
                    sites: vec![i],
                    def: def.clone(),
                    bound,
                    parent,
                });
            }
            Some(&g) => {
                let group = &groups[g];
                let same = group.def == *def && group.bound == bound && group.parent == parent;
                if !same {
                    if site.conds.iter().any(|c| c.parent == name) {
                        cx.error(
                            &call.name,
                            format!(
                                "`{name}` is read inside a condition on the parameter `{name}` but \
                                 defined differently ({}): a child needs its own name; rename it \
                                 (e.g. `{name}_value`)",
                                describe_site(def, &bound, &parent)
                            ),
                        );
                    } else {
                        let first = &sites[group.sites[0]].call;
                        let mut e = syn::Error::new_spanned(
                            &call.tokens,
                            format!(
                                "hyperparameter `{name}` is defined twice differently: here {}, but \
                                 first {}; make both definitions identical (then they read one \
                                 parameter) or give this one another name",
                                describe_site(def, &bound, &parent),
                                describe_site(&group.def, &group.bound, &group.parent)
                            ),
                        );
                        e.combine(syn::Error::new_spanned(
                            &first.tokens,
                            format!("`{name}` is first defined here"),
                        ));
                        cx.push(e);
                    }
                    continue;
                }
                groups[g].sites.push(i);
            }
        }
        site_group[i] = by_name.get(&name).copied();
        match site_conds(site, &name, cx) {
            Some(c) => site_conds_of[i] = c,
            None => site_group[i] = None,
        }
    }

    // Merge each parameter's conditions over its reads, then add the explicit parent.
    let mut params: Vec<Hp> = Vec::new();
    for g in &groups {
        let reads: Vec<usize> = g
            .sites
            .iter()
            .copied()
            .filter(|&i| site_group[i].is_some())
            .collect();
        let Some(&first) = reads.first() else {
            continue;
        };
        let mut conds = site_conds_of[first].clone();
        for &i in &reads[1..] {
            match merge(&conds, &site_conds_of[i]) {
                Some(m) => conds = m,
                None => cx.error(
                    &sites[i].call.tokens,
                    format!(
                        "`{}` is read here {} but elsewhere {}: a parameter's condition must be one \
                         AND of parent values; read it once before the branches (`let {} = {}!(..);`) \
                         or give each read its own name",
                        g.name,
                        describe_conds(&site_conds_of[i]),
                        describe_conds(&conds),
                        g.name,
                        sites[i].call.kind.name()
                    ),
                ),
            }
        }
        // A condition admitting every value of its parent always holds (`if b {x} else {x}`).
        conds.retain_mut(|c| {
            let Some(domain) = by_name.get(&c.parent).and_then(|&p| groups[p].def.domain()) else {
                return true;
            };
            c.values = domain
                .iter()
                .filter(|v| c.values.contains(v))
                .cloned()
                .collect();
            c.values.len() < domain.len()
        });
        let call = &sites[first].call;
        if let Some(p) = &call.parent {
            // Kept as written, apart from the inferred conditions: the run time's rules judge
            // its parent and values (`rules::space`), and AND-ing it in is its meaning.
            let pname = syn::ext::IdentExt::unraw(&p.name).to_string();
            let values: Vec<Lit> = p.values.iter().map(|v| v.value.clone()).collect();
            let parent = by_name.get(&pname).map(|&i| &groups[i]);
            match parent {
                Some(parent) if parent.bound.is_some() => cx.error(
                    &p.name,
                    format!(
                        "`{pname}` is indexed (one value per loop iteration), so it cannot be an \
                         explicit parent: put `{}` inside an `if` on `{pname}[i]` in the same loop",
                        g.name
                    ),
                ),
                Some(parent)
                    if parent.def.idents
                        != values.first().is_some_and(|v| matches!(v, Lit::Ident(_))) =>
                {
                    let (want, example) = match parent.def.choices().first() {
                        Some(v) if parent.def.idents => ("identifiers", v.to_string()),
                        Some(v) => ("literals", v.to_string()),
                        None => ("literals", String::new()),
                    };
                    cx.error(
                        &p.name,
                        format!(
                            "the values of `{pname}` are {want}, so its `parent_values` are too: \
                             write e.g. `parent_values = [{example}]`"
                        ),
                    )
                }
                _ => {
                    // ANDed with an inferred condition on the same parent: one condition, once
                    // every stated value is one the parent takes (else the rules report it).
                    let domain = parent.and_then(|p| p.def.domain());
                    let inferred = conds.iter_mut().find(|c| c.parent == pname && !c.indexed);
                    match (inferred, domain) {
                        (Some(c), Some(domain))
                            if values.iter().all(|v| domain.iter().any(|d| lit_eq(d, v))) =>
                        {
                            c.values.retain(|v| values.iter().any(|w| lit_eq(v, w)));
                        }
                        _ => conds.push(Cond {
                            parent: pname,
                            indexed: false,
                            values,
                            explicit: true,
                        }),
                    }
                }
            }
        }
        let index = g
            .bound
            .as_ref()
            .and_then(|b| indexed(g, b, &groups, &by_name, call, cx));
        if g.bound.is_some() && index.is_none() {
            continue;
        }
        let (inner, outer) = conds.into_iter().partition(|c| c.indexed);
        let enum_ident = (g.def.elem_type() == ElemType::Enum)
            .then(|| format_ident!("{}{}", type_name, camel(&g.name)));
        params.push(Hp {
            name: g.name.clone(),
            field: call.name.clone(),
            def: g.def.clone(),
            outer,
            inner,
            index,
            enum_ident,
        });
    }

    let order = topo_order(&params, sites, cx)?;
    let params: Vec<Hp> = order.into_iter().map(|i| params[i].clone()).collect();
    let (blocks, site_use) = block::uses(
        sites,
        &|i, cx| site_conds(&sites[i], &sites[i].call.name_str(), cx),
        &params,
        cx,
    );
    // Only a model whose calls all passed is judged as a whole: a call with problems is left
    // out of it, and its absence would be reported again as an unknown parent.
    let space = if cx.has_errors() {
        Vec::new()
    } else {
        rules::space(&params, sites, cx)
    };
    let position: HashMap<&str, usize> = params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let reads = sites
        .iter()
        .zip(site_use)
        .map(|(s, u)| SiteRead {
            block: u.and_then(|u| Some((u, block::site_call(s)?))),
            param: position
                .get(s.call.name_str().as_str())
                .copied()
                .unwrap_or(usize::MAX),
            index: s.index.as_ref().map(|ix| ix.var.clone()),
            span: s.call.span,
            paths: s
                .call
                .values
                .iter()
                .flat_map(|v| v.value.iter().filter_map(|c| c.path.clone()))
                .collect(),
        })
        .collect();
    (!cx.has_errors()).then_some(Model {
        params,
        sites: reads,
        space,
        blocks,
    })
}

/// The iterations of an indexed parameter, from its loop bound's values.
fn indexed(
    g: &Group,
    bound: &str,
    groups: &[Group],
    by_name: &HashMap<String, usize>,
    call: &HpCall,
    cx: &mut Ctxt,
) -> Option<Indexed> {
    let b = &groups[*by_name.get(bound)?];
    if b.def.elem_type() != ElemType::Int {
        return None;
    }
    let Some(values) = b.def.domain() else {
        cx.error(
            &call.tokens,
            format!(
                "the loop bound `{bound}` has too many values to index `{}` by it",
                g.name
            ),
        );
        return None;
    };
    let values: Vec<i64> = values
        .iter()
        .filter_map(|v| match v {
            Lit::Int(v) => Some(*v),
            _ => None,
        })
        .collect();
    let top = values.iter().copied().max().unwrap_or(0);
    if top > MAX_INDEXED {
        cx.error(
            &call.tokens,
            format!(
                "`{}[..]` would need one parameter per iteration of `0..{bound}`, up to {top}: keep \
                 the bound's max at most {MAX_INDEXED}",
                g.name
            ),
        );
        return None;
    }
    if top < 1 {
        cx.error(
            &call.tokens,
            format!(
                "the loop `0..{bound}` never runs (`{bound}` is at most {top}), so `{}[..]` could \
                 never be live: give `{bound}` a max of at least 1",
                g.name
            ),
        );
        return None;
    }
    Some(Indexed {
        bound: bound.to_owned(),
        bound_values: values,
        count: top as usize,
    })
}

/// Parameter positions with every parent before its children (declaration order otherwise).
fn topo_order(params: &[Hp], sites: &[Site], cx: &mut Ctxt) -> Option<Vec<usize>> {
    let index: HashMap<&str, usize> = params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let parents = |p: &Hp| -> Vec<usize> {
        p.outer
            .iter()
            .chain(&p.inner)
            .map(|c| c.parent.as_str())
            .chain(p.index.as_ref().map(|ix| ix.bound.as_str()))
            // A parameter conditioned on itself is the run time's problem to report.
            .filter(|&n| n != p.name)
            .filter_map(|n| index.get(n).copied())
            .collect()
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; params.len()];
    let mut order = Vec::new();
    fn visit(
        i: usize,
        params: &[Hp],
        parents: &dyn Fn(&Hp) -> Vec<usize>,
        marks: &mut [Mark],
        order: &mut Vec<usize>,
    ) -> Result<(), usize> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Active => return Err(i),
            Mark::New => {}
        }
        marks[i] = Mark::Active;
        for p in parents(&params[i]) {
            visit(p, params, parents, marks, order)?;
        }
        marks[i] = Mark::Done;
        order.push(i);
        Ok(())
    }
    for i in 0..params.len() {
        if let Err(c) = visit(i, params, &parents, &mut marks, &mut order) {
            let name = &params[c].name;
            let site = sites
                .iter()
                .find(|s| &s.call.name_str() == name)
                .expect("read");
            cx.error(
                &site.call.tokens,
                format!(
                    "`{name}` is its own ancestor through `parent_name` conditions: conditions \
                     must form a tree; remove one `parent_name` from the cycle"
                ),
            );
            return None;
        }
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(parent: &str, values: &[i64]) -> Cond {
        Cond {
            parent: parent.to_owned(),
            indexed: false,
            values: values.iter().map(|&v| Lit::Int(v)).collect(),
            explicit: false,
        }
    }

    #[test]
    fn merge_keeps_the_weaker_condition() {
        assert_eq!(merge(&[], &[c("a", &[1])]), Some(vec![]));
        assert_eq!(
            merge(&[c("a", &[1, 2])], &[c("a", &[1]), c("b", &[3])]),
            Some(vec![c("a", &[1, 2])])
        );
    }

    #[test]
    fn merge_unions_values_of_one_parent() {
        assert_eq!(
            merge(&[c("a", &[1]), c("b", &[3])], &[c("a", &[2]), c("b", &[3])]),
            Some(vec![c("a", &[1, 2]), c("b", &[3])])
        );
    }

    #[test]
    fn merge_refuses_an_or_of_two_parents() {
        assert_eq!(merge(&[c("a", &[1])], &[c("b", &[1])]), None);
        assert_eq!(
            merge(&[c("a", &[1]), c("b", &[1])], &[c("a", &[2]), c("b", &[2])]),
            None
        );
    }

    #[test]
    fn camel_joins_snake_case() {
        assert_eq!(camel("learning_rate"), "LearningRate");
        assert_eq!(camel("mlp2"), "Mlp2");
        assert_eq!(camel("_x__y"), "XY");
    }
}
