//! Grouping advisories that describe the same vulnerability, so a finding
//! is reported once with all its identifiers.
//!
//! Union-find over identifiers:
//!
//! * every record links its `id` with each of its `aliases` (OSV: aliases
//!   are the same vulnerability);
//! * a record links its `id` with its `upstream` id **only when it has
//!   exactly one upstream** (`UBUNTU-CVE-2023-21400` → `CVE-2023-21400`).
//!   Records with several upstreams are bulletins (USN, DSA, DLA listing
//!   dozens of CVEs); linking them would merge unrelated CVEs into one
//!   vulnerability, so they stay in their own group and keep the upstream
//!   list in [`Group::bulletin_of`] — unless all their upstream ids already
//!   belong to one group (then the record joins it; checked to a fixed
//!   point, so chains and cycles such as osv.dev's `CYCLE-ROOT-*` resolve);
//! * `related` never links.
//!
//! Cycles (`A` upstream `B` upstream `C` upstream `A`) are harmless for
//! union-find. The primary id of a group is the smallest id by
//! [`primary_rank`]: CVE ids first (then by year and number numerically),
//! then GHSA, then everything else alphabetically — independent of input
//! order, so the primary id is stable across runs and feed updates that do
//! not change the group.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::Advisory;

/// One vulnerability: a set of identifiers and the records describing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Primary identifier (see the module documentation).
    pub primary: String,
    /// Every identifier in the group, sorted by [`primary_rank`]
    /// (`primary` first).
    pub ids: Vec<String>,
    /// Indices (into the input slice) of the records in this group, ascending.
    pub members: Vec<usize>,
    /// For a group holding a multi-upstream bulletin: the ids it bundles.
    pub bulletin_of: Vec<String>,
}

/// Sort key for choosing the primary id: CVE < GHSA < others, then
/// numerically by year and sequence for CVEs, then by string.
pub fn primary_rank(a: &str, b: &str) -> Ordering {
    fn key(s: &str) -> (u8, u64, u64) {
        if let Some(rest) = s.strip_prefix("CVE-") {
            let mut p = rest.splitn(2, '-');
            let y = p.next().and_then(|y| y.parse().ok()).unwrap_or(u64::MAX);
            let n = p.next().and_then(|n| n.parse().ok()).unwrap_or(u64::MAX);
            (0, y, n)
        } else if s.starts_with("GHSA-") {
            (1, 0, 0)
        } else {
            (2, 0, 0)
        }
    }
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// Per-root accumulator: id nodes, member records, bulletin upstreams.
type Acc = (BTreeSet<usize>, Vec<usize>, BTreeSet<String>);

struct Dsu {
    parent: Vec<usize>,
}

impl Dsu {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // Deterministic: the smaller index becomes the root.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}

/// Groups `advisories` into vulnerabilities. Groups are returned sorted by
/// primary id ([`primary_rank`]). Ids only mentioned as aliases/upstream
/// (no record of their own) are included in `ids`.
pub fn group(advisories: &[Advisory]) -> Vec<Group> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let mut dsu = Dsu { parent: Vec::new() };

    fn get<'a>(
        s: &'a str,
        index: &mut HashMap<&'a str, usize>,
        names: &mut Vec<&'a str>,
        dsu: &mut Dsu,
    ) -> usize {
        *index.entry(s).or_insert_with(|| {
            names.push(s);
            dsu.parent.push(names.len() - 1);
            names.len() - 1
        })
    }

    for adv in advisories {
        let me = get(&adv.id, &mut index, &mut names, &mut dsu);
        for a in &adv.aliases {
            let o = get(a, &mut index, &mut names, &mut dsu);
            dsu.union(me, o);
        }
        if let [only] = adv.upstream.as_slice() {
            let o = get(only, &mut index, &mut names, &mut dsu);
            dsu.union(me, o);
        } else {
            for u in &adv.upstream {
                get(u, &mut index, &mut names, &mut dsu);
            }
        }
    }

    // Multi-upstream records whose upstreams are all one vulnerability join it.
    let mut changed = true;
    while changed {
        changed = false;
        for adv in advisories.iter().filter(|a| a.upstream.len() > 1) {
            let me = index[adv.id.as_str()];
            let roots: BTreeSet<usize> = adv
                .upstream
                .iter()
                .map(|u| dsu.find(index[u.as_str()]))
                .collect();
            if let [root] = roots.into_iter().collect::<Vec<_>>().as_slice()
                && dsu.find(me) != *root
            {
                dsu.union(me, *root);
                changed = true;
            }
        }
    }

    let mut groups: BTreeMap<usize, Acc> = BTreeMap::new();
    for n in 0..names.len() {
        let r = dsu.find(n);
        groups.entry(r).or_default().0.insert(n);
    }
    for (i, adv) in advisories.iter().enumerate() {
        let r = dsu.find(index[adv.id.as_str()]);
        let g = groups.entry(r).or_default();
        g.1.push(i);
        if adv.upstream.len() > 1
            && !adv
                .upstream
                .iter()
                .all(|u| dsu.find(index[u.as_str()]) == r)
        {
            g.2.extend(adv.upstream.iter().cloned());
        }
    }
    let mut out: Vec<Group> = groups
        .into_values()
        .filter(|(_, members, _)| !members.is_empty())
        .map(|(nodes, members, bulletin_of)| {
            let mut ids: Vec<String> = nodes.into_iter().map(|n| names[n].to_owned()).collect();
            ids.sort_by(|a, b| primary_rank(a, b));
            ids.dedup();
            Group {
                primary: ids[0].clone(),
                ids,
                members,
                bulletin_of: bulletin_of.into_iter().collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| primary_rank(&a.primary, &b.primary));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adv(id: &str, aliases: &[&str], upstream: &[&str]) -> Advisory {
        let mut a = Advisory::new(id, "t");
        a.aliases = aliases.iter().map(|s| s.to_string()).collect();
        a.upstream = upstream.iter().map(|s| s.to_string()).collect();
        a
    }

    #[test]
    fn cycles_and_bulletins() {
        let advs = vec![
            adv("CYCLE-ROOT-1", &[], &["CYCLE-ROOT-2"]),
            adv("CYCLE-ROOT-2", &[], &["CYCLE-ROOT-3"]),
            adv("CYCLE-ROOT-3", &[], &["CYCLE-ROOT-1"]),
            adv("GHSA-xxxx-yyyy-zzzz", &["CVE-2024-10", "PYSEC-2024-1"], &[]),
            adv("PYSEC-2024-1", &["CVE-2024-10"], &[]),
            adv("UBUNTU-CVE-2024-9", &[], &["CVE-2024-9"]),
            adv("USN-1-1", &[], &["CVE-2024-9", "CVE-2024-10"]),
        ];
        let g = group(&advs);
        let names: Vec<&str> = g.iter().map(|g| g.primary.as_str()).collect();
        assert_eq!(
            names,
            ["CVE-2024-9", "CVE-2024-10", "CYCLE-ROOT-1", "USN-1-1"]
        );
        assert_eq!(
            g[1].ids,
            ["CVE-2024-10", "GHSA-xxxx-yyyy-zzzz", "PYSEC-2024-1"]
        );
        assert_eq!(g[1].members, [3, 4]);
        assert_eq!(g[2].members, [0, 1, 2]);
        assert_eq!(g[3].bulletin_of, ["CVE-2024-10", "CVE-2024-9"]);
        // Order independence.
        let mut rev = advs.clone();
        rev.reverse();
        let g2 = group(&rev);
        assert_eq!(
            g2.iter().map(|g| &g.primary).collect::<Vec<_>>(),
            g.iter().map(|g| &g.primary).collect::<Vec<_>>()
        );
    }
}
