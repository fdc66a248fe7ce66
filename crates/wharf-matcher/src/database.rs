//! The in-memory, pre-parsed index the matcher runs against.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use wharf_inventory::Inventory;
use wharf_version::{Scheme, Version};
use wharf_vulndb::store::{Snapshot, StoreError};
use wharf_vulndb::{Advisory, Affected, Event, FixStatus, RangeKind, SeverityKind};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::keys::{
    OsEcosystems, canonical_ecosystem, lookup_keys, normalize_name, normalize_name_cow,
};
use crate::{FixState, Match};

/// Why the database could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Facts shared by every affected entry of one advisory.
#[derive(Debug)]
struct Meta {
    id: String,
    aliases: Vec<String>,
    advisory: String,
    source: String,
    summary: Option<String>,
    cvss: Option<(String, f32)>,
}

/// One range with its boundaries parsed; events sorted as OSV specifies.
#[derive(Debug)]
struct ParsedRange {
    /// (version, kind): kind 0 introduced, 1 fixed, 2 last_affected; `None` = "0".
    events: Vec<(Option<Version>, u8)>,
    limits: Vec<Version>,
}

/// One affected entry, ready to evaluate.
#[derive(Debug)]
struct Candidate {
    meta: Arc<Meta>,
    scheme: Scheme,
    ranges: Vec<ParsedRange>,
    versions: HashSet<String>,
    requirements: Option<Vec<Requirement>>,
    /// RPM modularity stream (`nodejs:18`) the entry applies to, if any.
    modularity: Option<String>,
    /// Oracle Linux: the flavour of the fixed version, which the installed
    /// version must share.
    flavour: Option<Flavour>,
    /// Architectures the entry applies to; empty for all.
    arches: Vec<String>,
    /// Red Hat: the product stream the fix is filed under
    /// (`enterprise_linux:8::appstream`), if the feed names one.
    product: Option<String>,
    status: FixStatus,
    fixed: Vec<String>,
    distro_severity: Option<String>,
    /// Nothing in the entry can be evaluated (every range, or a
    /// requirement, failed to parse): the entry is skipped.
    broken: bool,
    /// Some range or requirement could not be parsed (logged once at load).
    partly_unparsable: bool,
    /// The entry has a fix, and its feed also states the vulnerability
    /// unfixed for this package (another product stream, a CVE-level
    /// record): when the installed version has this fix, that statement
    /// is stale (see `settle`).
    settles_unfixed: bool,
}

/// One "safe versions" requirement, parsed for its ecosystem: SemVer for
/// crates.io (RustSec), the ecosystem's own constraint syntax otherwise
/// (RubyGems `~>`, Composer, npm, Maven, NuGet ranges…).
#[derive(Debug)]
enum Requirement {
    Semver(semver::VersionReq),
    Scheme(wharf_version::Range),
}

impl Requirement {
    fn parse(ecosystem: &str, scheme: Scheme, req: &str) -> Option<Self> {
        if ecosystem == "crates.io" {
            semver::VersionReq::parse(req).ok().map(Self::Semver)
        } else {
            wharf_version::Range::parse(scheme, req)
                .ok()
                .map(Self::Scheme)
        }
    }

    /// Whether the installed version satisfies the requirement (`None`
    /// when the installed version does not parse in the needed syntax).
    fn matches(&self, raw: &str, parsed: Option<&Version>) -> Option<bool> {
        match self {
            Self::Semver(r) => semver::Version::parse(raw).ok().map(|v| r.matches(&v)),
            Self::Scheme(r) => parsed.map(|v| r.contains(v)),
        }
    }
}

/// The `name:stream` part of an RPM modularity label
/// (`nodejs:18:8090020231019152822:a75119d5` → `nodejs:18`).
fn module_stream(label: &str) -> Option<String> {
    let mut parts = label.split(':');
    match (parts.next(), parts.next()) {
        (Some(n), Some(s)) if !n.is_empty() && !s.is_empty() => Some(format!("{n}:{s}")),
        _ => None,
    }
}

/// The build flavour of an Oracle Linux package version. Oracle ships some
/// packages also as Ksplice user-space builds (`2.17-157.ksplice1.el7`)
/// and FIPS builds (`3.6.16-4.0.1.el8_fips`), each with its own errata: a
/// fixed version applies only to an installed version of the same flavour
/// (a `ksplice1` fix says nothing about the plain or the `ksplice2` build).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Flavour {
    ksplice: Option<String>,
    fips: bool,
}

impl Flavour {
    fn of(version: &str) -> Self {
        let lower = version.to_ascii_lowercase();
        Self {
            ksplice: lower
                .split('.')
                .find(|part| part.starts_with("ksplice"))
                .map(str::to_owned),
            fips: lower.ends_with("_fips"),
        }
    }
}

/// A snapshot indexed for matching.
#[derive(Debug, Default)]
pub struct Database {
    /// Candidates by feed ecosystem, then normalised package name: looked
    /// up with borrowed strings, no key allocated per package.
    index: FxHashMap<String, FxHashMap<String, Vec<Candidate>>>,
    kev: FxHashSet<String>,
    epss: FxHashMap<String, (f32, f32)>,
    snapshot_id: String,
    entries: usize,
    unparsable: usize,
    /// Red Hat repository (content set) → product streams.
    repository_products: FxHashMap<String, Vec<String>>,
}

fn parse_range(scheme: Scheme, events: &[Event]) -> Option<ParsedRange> {
    let mut parsed = Vec::with_capacity(events.len());
    let mut limits = Vec::new();
    for e in events {
        match e {
            Event::Introduced(v) if v == "0" => parsed.push((None, 0)),
            Event::Introduced(v) => {
                parsed.push((Some(Version::parse_boundary(scheme, v).ok()?), 0))
            }
            Event::Fixed(v) => parsed.push((Some(Version::parse_boundary(scheme, v).ok()?), 1)),
            Event::LastAffected(v) => {
                parsed.push((Some(Version::parse_boundary(scheme, v).ok()?), 2))
            }
            Event::Limit(v) if v == "*" => {}
            Event::Limit(v) => limits.push(Version::parse_boundary(scheme, v).ok()?),
        }
    }
    parsed.sort_by(|(a, ka), (b, kb)| {
        let o = match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(a), Some(b)) => a.cmp(b),
        };
        o.then(ka.cmp(kb))
    });
    Some(ParsedRange {
        events: parsed,
        limits,
    })
}

impl ParsedRange {
    fn contains(&self, v: &Version) -> bool {
        if !self.limits.is_empty() && !self.limits.iter().any(|l| v < l) {
            return false;
        }
        let mut affected = false;
        for (ev, kind) in &self.events {
            match (kind, ev) {
                (0, None) => affected = true,
                (0, Some(e)) if v >= e => affected = true,
                (1, Some(e)) if v >= e => affected = false,
                (2, Some(e)) if v > e => affected = false,
                _ => {}
            }
        }
        affected
    }
}

fn primary_id(a: &Advisory) -> String {
    std::iter::once(&a.id)
        .chain(&a.aliases)
        .min_by(|x, y| wharf_vulndb::merge::primary_rank(x, y))
        .cloned()
        .unwrap_or_else(|| a.id.clone())
}

fn best_cvss(a: &Advisory) -> Option<(String, f32)> {
    let rank = |k: &SeverityKind| match k {
        SeverityKind::CvssV4 => 3,
        SeverityKind::CvssV3 => 2,
        SeverityKind::CvssV2 => 1,
        _ => 0,
    };
    a.severity
        .iter()
        .filter(|s| rank(&s.kind) > 0)
        .filter_map(|s| s.score.map(|score| (rank(&s.kind), score)))
        .max_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)))
        .map(|(r, score)| {
            let label = match r {
                3 => "cvss-v4",
                2 => "cvss-v3",
                _ => "cvss-v2",
            };
            (label.to_owned(), score)
        })
}

fn candidate(meta: &Arc<Meta>, scheme: Scheme, af: &Affected) -> Candidate {
    let mut broken = false;
    let mut unparsable_range = false;
    let mut ranges = Vec::new();
    let mut fixed = Vec::new();
    for r in &af.ranges {
        if r.kind == RangeKind::Git {
            continue;
        }
        for e in &r.events {
            if let Event::Fixed(v) = e {
                fixed.push(v.clone());
            }
        }
        match parse_range(scheme, &r.events) {
            Some(p) => ranges.push(p),
            None => unparsable_range = true,
        }
    }
    // Ranges are alternatives: one unparsable range must not hide the
    // others. Only an entry left with nothing to evaluate is skipped.
    if unparsable_range && ranges.is_empty() && af.versions.is_empty() {
        broken = true;
    }
    // A distribution's "unfixed" or "won't fix" without a range (the
    // Debian tracker's open issues) affects every version it ships.
    if !unparsable_range
        && ranges.is_empty()
        && af.versions.is_empty()
        && af.requirements.is_none()
        && matches!(af.status, FixStatus::Unfixed | FixStatus::WontFix)
    {
        ranges.push(ParsedRange {
            events: vec![(None, 0)],
            limits: Vec::new(),
        });
    }
    let requirements = af.requirements.as_ref().map(|req| {
        let parsed: Vec<Requirement> = req
            .patched
            .iter()
            .chain(&req.unaffected)
            .filter_map(|s| Requirement::parse(&af.ecosystem, scheme, s))
            .collect();
        if parsed.len() != req.patched.len() + req.unaffected.len() {
            broken = true;
        }
        // A patched requirement means a fix exists: report it as the fix.
        if fixed.is_empty() {
            fixed.extend(req.patched.iter().cloned());
        }
        parsed
    });
    fixed.sort();
    // Counted as unparsable at load even when other ranges still match.
    let broken_for_log = broken || unparsable_range;
    fixed.dedup();
    Candidate {
        meta: meta.clone(),
        scheme,
        ranges,
        versions: af.versions.iter().cloned().collect(),
        requirements,
        modularity: af.modularity.clone(),
        flavour: None,
        arches: af.arches.clone(),
        product: wharf_vulndb::redhat::product_stream(&af.ecosystem).map(str::to_owned),
        status: af.status,
        fixed,
        distro_severity: af.distro_severity.clone(),
        broken,
        partly_unparsable: broken_for_log,
        settles_unfixed: false,
    }
}

fn severity_label(distro: Option<&str>, cvss: Option<&(String, f32)>) -> (String, String) {
    if let Some(d) = distro {
        let d = d.trim().to_lowercase();
        let norm = match d.as_str() {
            "critical" => Some("critical"),
            "high" | "important" => Some("high"),
            "medium" | "moderate" => Some("medium"),
            "low" => Some("low"),
            "unimportant" | "negligible" => Some("negligible"),
            _ => None,
        };
        if let Some(n) = norm {
            return (n.to_owned(), "distro".to_owned());
        }
    }
    match cvss {
        Some((src, score)) => (
            wharf_vulndb::cvss::rating(*score).to_lowercase(),
            src.clone(),
        ),
        None => ("unknown".to_owned(), "none".to_owned()),
    }
}

impl Database {
    /// Load the current snapshot of the database in `dir`.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        Ok(Self::from_snapshot(wharf_vulndb::store::load_snapshot(
            dir,
        )?))
    }

    /// Index a snapshot (parsing every range boundary once).
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        let mut db = Database {
            snapshot_id: snapshot.snapshot_id,
            kev: snapshot.kev.into_iter().map(|k| k.cve).collect(),
            repository_products: snapshot
                .repository_cpes
                .into_iter()
                .map(|r| {
                    let products = r
                        .cpes
                        .iter()
                        .filter_map(|c| wharf_vulndb::redhat::product_stream(c))
                        .map(str::to_owned)
                        .collect();
                    (r.repository, products)
                })
                .collect(),
            epss: snapshot
                .epss
                .into_iter()
                .map(|e| (e.cve, (e.epss, e.percentile)))
                .collect(),
            ..Database::default()
        };
        for a in &snapshot.advisories {
            let meta = Arc::new(Meta {
                id: primary_id(a),
                aliases: {
                    let mut v: Vec<String> =
                        std::iter::once(&a.id).chain(&a.aliases).cloned().collect();
                    let p = primary_id(a);
                    v.retain(|x| *x != p);
                    v.sort();
                    v.dedup();
                    v
                },
                advisory: a.id.clone(),
                source: a.source.clone(),
                summary: a.summary.clone(),
                cvss: best_cvss(a),
            });
            for af in &a.affected {
                let Some(scheme) = Scheme::from_osv_ecosystem(&af.ecosystem) else {
                    continue;
                };
                let mut c = candidate(&meta, scheme, af);
                if c.partly_unparsable {
                    db.unparsable += 1;
                }
                db.entries += 1;
                let key = canonical_ecosystem(&af.ecosystem);
                if key.starts_with("Oracle Linux:") {
                    c.flavour = c.fixed.first().map(|f| Flavour::of(f));
                }
                if !db.index.contains_key(key.as_ref()) {
                    db.index
                        .insert(key.clone().into_owned(), FxHashMap::default());
                }
                if let Some(by_name) = db.index.get_mut(key.as_ref()) {
                    by_name
                        .entry(normalize_name(&af.ecosystem, &af.package))
                        .or_default()
                        .push(c);
                }
            }
        }
        for by_name in db.index.values_mut() {
            for candidates in by_name.values_mut() {
                mark_settling(candidates);
            }
        }
        if db.unparsable > 0 {
            tracing::warn!(
                entries = db.unparsable,
                "affected entries with unparsable versions: those ranges are not matched"
            );
        }
        db
    }

    /// The Red Hat product streams an image's packages come from: those of
    /// its content sets (or, without content manifests, of the release's
    /// default repositories, as Trivy assumes), through the
    /// repository-to-CPE map. `None` (no filtering) for other
    /// distributions, without the map, or when no repository is known.
    fn image_products(&self, inv: &Inventory) -> Option<FxHashSet<&str>> {
        let os = inv.os.as_ref()?;
        if !matches!(os.family.as_str(), "rhel" | "centos") || self.repository_products.is_empty() {
            return None;
        }
        let sets: Vec<String> = if os.content_sets.is_empty() {
            default_content_sets(os, inv.image.platform.as_deref())
        } else {
            // `rhel-8-for-x86_64-baseos-rpms__8`: the suffix is a minor
            // release marker, not part of the repository id.
            os.content_sets
                .iter()
                .map(|s| s.split("__").next().unwrap_or(s).to_owned())
                .collect()
        };
        let products: FxHashSet<&str> = sets
            .iter()
            .filter_map(|s| self.repository_products.get(s))
            .flatten()
            .map(String::as_str)
            .collect();
        (!products.is_empty()).then_some(products)
    }

    /// The snapshot id every match records.
    pub fn snapshot_id(&self) -> &str {
        &self.snapshot_id
    }

    /// Affected entries indexed.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Every vulnerability affecting the inventory's packages. One match per
    /// (vulnerability, package location); results are sorted.
    pub fn match_inventory(&self, inv: &Inventory) -> Vec<Match> {
        let mut out: Vec<Match> = Vec::new();
        // (vulnerability, package, locations) -> index in `out`: a vulnerability
        // found through several advisories (feeds) is reported once, with
        // every id, fix and flag they carry.
        let mut seen: FxHashMap<(&str, &str, &[String]), usize> = FxHashMap::default();
        // Per match in `out`: the package index and the candidates merged
        // into it (for the clean-up below).
        let mut contributions: Vec<(usize, Vec<&Candidate>)> = Vec::new();
        // (package index, vulnerability, source) of candidates with a fix
        // that the installed version already has.
        let mut resolved: FxHashSet<(usize, &str, &str)> = FxHashSet::default();
        let os = OsEcosystems::new(inv.os.as_ref());
        let products = self.image_products(inv);
        for (pi, p) in inv.packages.iter().enumerate() {
            let Some(keys) = lookup_keys(p, &os) else {
                continue;
            };
            let version: &str = &keys.version;
            let mut stream = None;
            for &eco in keys.ecosystems() {
                let Some(by_name) = self.index.get(eco) else {
                    continue;
                };
                let name = normalize_name_cow(eco, keys.name);
                let Some(candidates) = by_name.get(&*name) else {
                    continue;
                };
                let stream = stream
                    .get_or_insert_with(|| p.modularity_label.as_deref().and_then(module_stream));
                // One key is one ecosystem string, so one scheme: the
                // installed version is parsed once, on first use.
                let mut parsed: Option<Option<Version>> = None;
                for c in candidates {
                    if c.broken || c.status == FixStatus::NotAffected {
                        continue;
                    }
                    // A module stream's advisory applies only to packages
                    // installed from that stream.
                    if c.modularity.is_some() && c.modularity != *stream {
                        continue;
                    }
                    if c.flavour
                        .as_ref()
                        .is_some_and(|f| *f != Flavour::of(version))
                    {
                        continue;
                    }
                    // A Red Hat fix filed under a product stream the
                    // image's repositories do not ship is not for it.
                    if let (Some(prod), Some(image)) = (&c.product, &products)
                        && !image.contains(prod.as_str())
                    {
                        continue;
                    }
                    // A per-architecture fix says nothing about other
                    // architectures (a package of unknown architecture,
                    // or a `noarch` one, is checked against every entry).
                    if !c.arches.is_empty()
                        && p.arch
                            .as_deref()
                            .is_some_and(|a| a != "noarch" && !c.arches.iter().any(|x| x == a))
                    {
                        continue;
                    }
                    let v = parsed.get_or_insert_with(|| Version::parse(c.scheme, version).ok());
                    let affected = (!c.versions.is_empty() && c.versions.contains(version))
                        || match (&c.requirements, &*v) {
                            (Some(reqs), v) => {
                                let mut safe = Some(false);
                                for r in reqs {
                                    match r.matches(version, v.as_ref()) {
                                        Some(true) => safe = Some(true),
                                        Some(false) => {}
                                        None => safe = None,
                                    }
                                    if safe != Some(false) {
                                        break;
                                    }
                                }
                                safe == Some(false)
                            }
                            (None, Some(v)) => c.ranges.iter().any(|r| r.contains(v)),
                            (None, None) => false,
                        };
                    if !affected {
                        if c.settles_unfixed && v.is_some() {
                            resolved.insert((pi, c.meta.id.as_str(), c.meta.source.as_str()));
                        }
                        continue;
                    }
                    let key = (c.meta.id.as_str(), p.name.as_str(), p.locations.as_slice());
                    if let Some(&i) = seen.get(&key) {
                        contributions[i].1.push(c);
                        let m: &mut Match = &mut out[i];
                        for a in std::iter::once(&c.meta.advisory).chain(&c.meta.aliases) {
                            if *a != m.id && !m.aliases.contains(a) {
                                m.aliases.push(a.clone());
                            }
                        }
                        m.aliases.sort();
                        for f in &c.fixed {
                            if !m.fixed_versions.contains(f) {
                                m.fixed_versions.push(f.clone());
                            }
                        }
                        m.fixed_versions.sort();
                        if m.state == FixState::Unfixed && !c.fixed.is_empty() {
                            m.state = FixState::Fixed;
                        }
                        m.kev |= c.meta.aliases.iter().any(|i| self.kev.contains(i));
                        continue;
                    }
                    seen.insert(key, out.len());
                    contributions.push((pi, vec![c]));
                    let state = match c.status {
                        FixStatus::WontFix => FixState::WontFix,
                        _ if c.fixed.is_empty() => FixState::Unfixed,
                        _ => FixState::Fixed,
                    };
                    let (severity, severity_source) =
                        severity_label(c.distro_severity.as_deref(), c.meta.cvss.as_ref());
                    let cve = std::iter::once(&c.meta.id)
                        .chain(&c.meta.aliases)
                        .find(|i| i.starts_with("CVE-"));
                    let epss = cve.and_then(|c| self.epss.get(c)).copied();
                    out.push(Match {
                        id: c.meta.id.clone(),
                        aliases: c.meta.aliases.clone(),
                        advisory: c.meta.advisory.clone(),
                        source: c.meta.source.clone(),
                        summary: c.meta.summary.clone(),
                        ecosystem: p.ecosystem,
                        package: p.name.clone(),
                        matched_on: format!("{eco} {name}"),
                        installed_version: version.to_owned(),
                        fixed_versions: c.fixed.clone(),
                        state,
                        severity,
                        severity_source,
                        cvss_score: c.meta.cvss.as_ref().map(|(_, s)| *s),
                        epss: epss.map(|e| e.0),
                        epss_percentile: epss.map(|e| e.1),
                        kev: std::iter::once(&c.meta.id)
                            .chain(&c.meta.aliases)
                            .any(|i| self.kev.contains(i)),
                        layer: p.layer.clone(),
                        locations: p.locations.clone(),
                        snapshot_id: self.snapshot_id.clone(),
                    });
                }
            }
        }
        let mut out = settle(out, &contributions, &resolved);
        out.sort_by(|a, b| {
            (&a.package, &a.installed_version, &a.id).cmp(&(
                &b.package,
                &b.installed_version,
                &b.id,
            ))
        });
        out
    }
}

/// The repositories a Red Hat release installs from by default, for
/// images without content manifests (Trivy's assumption too).
fn default_content_sets(os: &wharf_types::OsInfo, platform: Option<&str>) -> Vec<String> {
    let major = os.version.split('.').next().unwrap_or_default();
    let arch = match platform.and_then(|p| p.split('/').nth(1)) {
        Some("arm64") => "aarch64",
        Some("ppc64le") => "ppc64le",
        Some("s390x") => "s390x",
        _ => "x86_64",
    };
    match major {
        "6" | "7" => vec![
            format!("rhel-{major}-server-rpms"),
            format!("rhel-{major}-server-extras-rpms"),
        ],
        "" => Vec::new(),
        _ => vec![
            format!("rhel-{major}-for-{arch}-baseos-rpms"),
            format!("rhel-{major}-for-{arch}-appstream-rpms"),
        ],
    }
}

/// Flags the entries with a fix whose feed also has a fix-less statement
/// of the same vulnerability for the same package (rare: only those are
/// tracked while matching).
fn mark_settling(candidates: &mut [Candidate]) {
    if candidates.iter().all(|c| !c.fixed.is_empty()) {
        return;
    }
    let flags: Vec<bool> = {
        let unfixed: FxHashSet<(&str, &str)> = candidates
            .iter()
            .filter(|c| c.fixed.is_empty())
            .map(|c| (c.meta.id.as_str(), c.meta.source.as_str()))
            .collect();
        candidates
            .iter()
            .map(|c| {
                !c.fixed.is_empty()
                    && unfixed.contains(&(c.meta.id.as_str(), c.meta.source.as_str()))
            })
            .collect()
    };
    for (c, flag) in candidates.iter_mut().zip(flags) {
        c.settles_unfixed = flag;
    }
}

/// Reconciles what several advisories of one vulnerability say about one
/// package:
///
/// * a fix that is itself inside another affected range of the same feed
///   does not fix the vulnerability (successive errata for one CVE, `-17`
///   then `-18`): only the fixes that leave every such range are reported
///   (feeds that disagree each keep their own fix);
/// * an unfixed or won't-fix statement is dropped when the same feed has
///   a fix for that vulnerability that the installed version already has
///   (a CVE-level "affected" record beside the erratum that fixed it).
fn settle(
    out: Vec<Match>,
    contributions: &[(usize, Vec<&Candidate>)],
    resolved: &FxHashSet<(usize, &str, &str)>,
) -> Vec<Match> {
    out.into_iter()
        .zip(contributions)
        .filter_map(|(mut m, (pi, cands))| {
            if m.state != FixState::Fixed
                && cands.iter().all(|c| c.fixed.is_empty())
                && cands
                    .iter()
                    .any(|c| resolved.contains(&(*pi, c.meta.id.as_str(), c.meta.source.as_str())))
            {
                return None;
            }
            if m.fixed_versions.len() > 1 {
                // A fix is superseded by a later one of the same feed
                // (feeds that disagree each keep their fix). Ranges of
                // statements without a fix hold every version.
                let superseded = |f: &str| {
                    let feeds: Vec<&str> = cands
                        .iter()
                        .filter(|c| c.fixed.iter().any(|x| x == f))
                        .map(|c| c.meta.source.as_str())
                        .collect();
                    cands
                        .iter()
                        .filter(|c| !c.fixed.is_empty() && feeds.contains(&c.meta.source.as_str()))
                        .any(|c| {
                            Version::parse(c.scheme, f)
                                .is_ok_and(|v| c.ranges.iter().any(|r| r.contains(&v)))
                        })
                };
                let keep: Vec<String> = m
                    .fixed_versions
                    .iter()
                    .filter(|f| !superseded(f))
                    .cloned()
                    .collect();
                if !keep.is_empty() {
                    m.fixed_versions = keep;
                }
            }
            Some(m)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_inventory::{ImageMeta, Inventory};
    use wharf_types::{Ecosystem, OsInfo, Package};
    use wharf_vulndb::SemverRequirements;

    fn inventory(os: Option<OsInfo>, packages: Vec<Package>) -> Inventory {
        Inventory {
            schema_version: wharf_inventory::INVENTORY_SCHEMA_VERSION,
            image: ImageMeta::default(),
            os,
            packages,
            diagnostics: Vec::new(),
            analyzers: Vec::new(),
            secrets: Vec::new(),
            malware: Vec::new(),
            files: Default::default(),
        }
    }

    fn os(family: &str, version: &str) -> OsInfo {
        OsInfo {
            family: family.into(),
            version: version.into(),
            ..Default::default()
        }
    }

    fn db(advisories: Vec<Advisory>) -> Database {
        Database::from_snapshot(Snapshot {
            snapshot_id: "test".into(),
            advisories,
            kev: Vec::new(),
            epss: Vec::new(),
            repository_cpes: Vec::new(),
        })
    }

    fn requirements_advisory(eco: &str, pkg: &str, patched: &[&str]) -> Advisory {
        let mut a = Advisory::new("CVE-2000-0001", "test");
        let mut af = Affected::new(eco, pkg);
        af.requirements = Some(SemverRequirements {
            patched: patched.iter().map(|s| (*s).to_owned()).collect(),
            unaffected: Vec::new(),
        });
        a.affected.push(af);
        a
    }

    /// Regression: an entry with only patched requirements (RustSec) has a
    /// fix, so the match is `Fixed` and names the patched requirement.
    #[test]
    fn patched_requirements_are_fixes() {
        let d = db(vec![requirements_advisory(
            "crates.io",
            "smallvec",
            &[">= 1.6.1"],
        )]);
        let inv = inventory(
            None,
            vec![Package::new(
                Ecosystem::Cargo,
                "smallvec",
                "1.6.0",
                "Cargo.lock",
            )],
        );
        let m = d.match_inventory(&inv);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].state, FixState::Fixed);
        assert_eq!(m[0].fixed_versions, [">= 1.6.1"]);
        let inv = inventory(
            None,
            vec![Package::new(
                Ecosystem::Cargo,
                "smallvec",
                "1.6.1",
                "Cargo.lock",
            )],
        );
        assert!(d.match_inventory(&inv).is_empty());
        // Installed by an OS package: left to the OS feed.
        let mut owned = Package::new(Ecosystem::Cargo, "smallvec", "1.6.0", "Cargo.lock");
        owned.owned_by = Some("librust-smallvec-dev".into());
        assert!(d.match_inventory(&inventory(None, vec![owned])).is_empty());
    }

    /// Regression: requirements outside crates.io use the ecosystem's own
    /// constraint syntax (RubyGems `~>` here), not SemVer.
    #[test]
    fn requirements_use_the_ecosystem_syntax() {
        let d = db(vec![requirements_advisory(
            "RubyGems",
            "activesupport",
            &[">= 4.2.2", "~> 4.1.11"],
        )]);
        let hit = |v: &str| {
            let inv = inventory(
                None,
                vec![Package::new(
                    Ecosystem::Gem,
                    "activesupport",
                    v,
                    "Gemfile.lock",
                )],
            );
            !d.match_inventory(&inv).is_empty()
        };
        assert!(hit("4.1.1"));
        assert!(!hit("4.1.11"));
        assert!(hit("4.2.1"));
        assert!(!hit("4.2.2"));
    }

    /// Regression: one range with an unparsable boundary (GHSA's Go range
    /// `>= 19.03.0`, a leading zero) no longer hides the entry's other ranges.
    #[test]
    fn one_bad_range_keeps_the_others() {
        let mut a = Advisory::new("GHSA-v23v-6jw2-98fq", "test");
        let mut af = Affected::new("Go", "github.com/docker/docker");
        let range = |i: &str, f: &str| wharf_vulndb::Range {
            kind: wharf_vulndb::RangeKind::Ecosystem,
            repo: None,
            events: vec![Event::Introduced(i.into()), Event::Fixed(f.into())],
        };
        af.ranges = vec![range("19.03.0", "23.0.15"), range("26.0.0", "26.1.5")];
        a.affected.push(af);
        let d = db(vec![a]);
        let hit = |v: &str| {
            let p = Package::new(Ecosystem::Golang, "github.com/docker/docker", v, "go.mod");
            d.match_inventory(&inventory(None, vec![p])).len()
        };
        assert_eq!(hit("v26.1.0"), 1);
        assert_eq!(hit("v26.1.5"), 0);
    }

    /// Regression: an advisory for a module stream matches only packages
    /// installed from that stream.
    #[test]
    fn modular_advisories_need_the_stream() {
        let mut a = Advisory::new("CVE-2000-0002", "test");
        let mut af = Affected::new("AlmaLinux:8", "nginx");
        af.modularity = Some("nginx:1.14".into());
        af.ranges
            .push(wharf_vulndb::Range::fixed_in("1:1.14.1-9.module_el8"));
        a.affected.push(af);
        let d = db(vec![a]);
        let os = os("alma", "8.4");
        let mut p = Package::new(Ecosystem::Rpm, "nginx", "1.14.1-8.module_el8", "rpmdb");
        p.epoch = Some(1);
        assert!(
            d.match_inventory(&inventory(Some(os.clone()), vec![p.clone()]))
                .is_empty()
        );
        p.modularity_label = Some("nginx:1.14:8030020201113212323:522a0ee4".into());
        assert_eq!(
            d.match_inventory(&inventory(Some(os.clone()), vec![p.clone()]))
                .len(),
            1
        );
        p.modularity_label = Some("nginx:1.16:8040020210610090125:9f9e2e7e".into());
        assert!(d.match_inventory(&inventory(Some(os), vec![p])).is_empty());
    }

    /// Oracle Linux Ksplice and FIPS builds are matched only by fixes of
    /// their own flavour, and plain builds only by plain fixes.
    #[test]
    fn oracle_flavours_match_their_own_fixes() {
        let mut a = Advisory::new("CVE-2000-0003", "test");
        for fixed in [
            "2:2.17-157.ksplice1.el7_3.4",
            "2.17-160.el7",
            "2.17-158.el7_fips",
        ] {
            let mut af = Affected::new("Oracle Linux:7", "glibc");
            af.ranges.push(wharf_vulndb::Range::fixed_in(fixed));
            a.affected.push(af);
        }
        let d = db(vec![a]);
        let os = os("oracle", "7.9");
        let fixes = |release: &str, epoch: Option<u32>| -> Vec<Vec<String>> {
            let mut p = Package::new(Ecosystem::Rpm, "glibc", release, "rpmdb");
            p.epoch = epoch;
            d.match_inventory(&inventory(Some(os.clone()), vec![p]))
                .into_iter()
                .map(|m| m.fixed_versions)
                .collect()
        };
        assert_eq!(
            fixes("2.17-156.ksplice1.el7", Some(2)),
            [["2:2.17-157.ksplice1.el7_3.4"]]
        );
        // The plain build: not the epoch-2 Ksplice fix, only the plain one.
        assert_eq!(fixes("2.17-159.el7", None), [["2.17-160.el7"]]);
        assert_eq!(fixes("2.17-157.el7_fips", None), [["2.17-158.el7_fips"]]);
        assert!(fixes("2.17-156.ksplice2.el7", Some(2)).is_empty());
    }

    /// A fix listed per architecture applies to packages of that
    /// architecture only; a package of unknown architecture sees them all.
    #[test]
    fn per_architecture_fixes_apply_to_their_architecture() {
        let mut a = Advisory::new("CVE-2000-0004", "test");
        for (fixed, arch) in [
            ("4.18.0-348.2.1.el8_5", "x86_64"),
            ("5.18.0-348.2.1.el8_5", "aarch64"),
        ] {
            let mut af = Affected::new("Rocky Linux:8", "bpftool");
            af.ranges.push(wharf_vulndb::Range::fixed_in(fixed));
            af.arches = vec![arch.to_owned()];
            a.affected.push(af);
        }
        let d = db(vec![a]);
        let os = os("rocky", "8.5");
        let fixes = |arch: Option<&str>| -> Vec<Vec<String>> {
            let mut p = Package::new(Ecosystem::Rpm, "bpftool", "4.18.0-348.el8.0.3", "rpmdb");
            p.arch = arch.map(str::to_owned);
            d.match_inventory(&inventory(Some(os.clone()), vec![p]))
                .into_iter()
                .map(|m| m.fixed_versions)
                .collect()
        };
        assert_eq!(fixes(Some("aarch64")), [["5.18.0-348.2.1.el8_5"]]);
        assert_eq!(fixes(Some("x86_64")), [["4.18.0-348.2.1.el8_5"]]);
        assert!(fixes(Some("ppc64le")).is_empty());
        // Unknown architecture: both entries apply, and only the higher
        // fix leaves both ranges.
        assert_eq!(fixes(None), [["5.18.0-348.2.1.el8_5"]]);
        // `noarch` packages are checked against every entry too.
        assert_eq!(fixes(Some("noarch")), [["5.18.0-348.2.1.el8_5"]]);
    }

    /// Successive errata for one vulnerability: the fix to report is the
    /// one that leaves every matching range; an unfixed statement of the
    /// same feed yields to a fix the installed version already has.
    #[test]
    fn successive_fixes_and_stale_unfixed_statements() {
        let fixed = |id: &str, version: &str| {
            let mut a = Advisory::new(id, "feed");
            let mut af = Affected::new("Rocky Linux:8", "expat");
            af.ranges.push(wharf_vulndb::Range::fixed_in(version));
            af.status = FixStatus::Fixed;
            a.affected.push(af);
            a
        };
        let unfixed = |id: &str, source: &str, status: FixStatus| {
            let mut a = Advisory::new(id, source);
            let mut af = Affected::new("Rocky Linux:8", "expat");
            af.status = status;
            a.affected.push(af);
            a
        };
        let d = db(vec![
            fixed("CVE-2024-1", "2.2.5-15.el8"),
            fixed("CVE-2024-1", "2.2.5-17.el8"),
            fixed("CVE-2024-1", "2.2.5-18.el8"),
            unfixed("CVE-2024-1", "feed", FixStatus::WontFix),
            fixed("CVE-2024-2", "2.2.5-15.el8"),
            unfixed("CVE-2024-2", "feed", FixStatus::WontFix),
            fixed("CVE-2024-3", "2.2.5-15.el8"),
            unfixed("CVE-2024-3", "other-feed", FixStatus::Unfixed),
            unfixed("CVE-2024-4", "feed", FixStatus::Unfixed),
        ]);
        let os = os("rocky", "8.10");
        let p = Package::new(Ecosystem::Rpm, "expat", "2.2.5-16.el8", "rpmdb");
        let got: Vec<(String, Vec<String>, FixState)> = d
            .match_inventory(&inventory(Some(os), vec![p]))
            .into_iter()
            .map(|m| (m.id, m.fixed_versions, m.state))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "CVE-2024-1".to_owned(),
                    vec!["2.2.5-18.el8".to_owned()],
                    FixState::Fixed
                ),
                // Another feed's statement stands.
                ("CVE-2024-3".to_owned(), vec![], FixState::Unfixed),
                ("CVE-2024-4".to_owned(), vec![], FixState::Unfixed),
            ]
        );
    }

    /// Red Hat fixes apply to the product streams the image's repositories
    /// ship (its content sets, else the release's defaults), once the
    /// repository-to-CPE map is loaded.
    #[test]
    fn red_hat_product_streams_follow_the_content_sets() {
        let advisory = |id: &str, eco: &str| {
            let mut a = Advisory::new(id, "test");
            let mut af = Affected::new(eco, "openssl");
            af.ranges
                .push(wharf_vulndb::Range::fixed_in("1:3.0.7-25.el8"));
            a.affected.push(af);
            a
        };
        let advisories = vec![
            advisory("RHSA-1", "Red Hat:enterprise_linux:8::baseos"),
            advisory("RHSA-2", "Red Hat:rhel_e4s:8.4::sap_hana"),
        ];
        let map = |repo: &str, cpe: &str| wharf_vulndb::redhat::RepositoryCpes {
            repository: repo.into(),
            cpes: vec![cpe.into()],
        };
        let with_map = Database::from_snapshot(Snapshot {
            snapshot_id: "s".into(),
            advisories: advisories.clone(),
            repository_cpes: vec![
                map(
                    "rhel-8-for-x86_64-baseos-rpms",
                    "cpe:/o:redhat:enterprise_linux:8::baseos",
                ),
                map(
                    "rhel-8-for-x86_64-sap-solutions-e4s-rpms",
                    "cpe:/a:redhat:rhel_e4s:8.4::sap_hana",
                ),
            ],
            ..Snapshot::default()
        });
        let ids = |d: &Database, content_sets: &[&str]| -> Vec<String> {
            let os = OsInfo {
                content_sets: content_sets.iter().map(|s| (*s).to_owned()).collect(),
                ..os("rhel", "8.10")
            };
            let mut p = Package::new(Ecosystem::Rpm, "openssl", "3.0.7-24.el8", "rpmdb");
            p.epoch = Some(1);
            d.match_inventory(&inventory(Some(os), vec![p]))
                .into_iter()
                .map(|m| m.id)
                .collect()
        };
        assert_eq!(
            ids(&with_map, &["rhel-8-for-x86_64-baseos-rpms__8"]),
            ["RHSA-1"]
        );
        assert_eq!(
            ids(&with_map, &["rhel-8-for-x86_64-sap-solutions-e4s-rpms"]),
            ["RHSA-2"]
        );
        // No content manifests: the default baseos/appstream repositories.
        assert_eq!(ids(&with_map, &[]), ["RHSA-1"]);
        // Unknown repositories or no map: every stream of the release.
        assert_eq!(ids(&with_map, &["my-mirror"]), ["RHSA-1", "RHSA-2"]);
        let without_map = db(advisories);
        assert_eq!(ids(&without_map, &[]), ["RHSA-1", "RHSA-2"]);
    }

    /// Product-stream ecosystems (Red Hat, SUSE) match the release of the
    /// image's OS, whatever repository stream the feed names.
    #[test]
    fn product_stream_advisories_match_the_release() {
        let advisory = |id: &str, eco: &str, fixed: &str| {
            let mut a = Advisory::new(id, "test");
            let mut af = Affected::new(eco, "openssl");
            af.ranges.push(wharf_vulndb::Range::fixed_in(fixed));
            a.affected.push(af);
            a
        };
        let d = db(vec![
            advisory(
                "RHSA-2024:0001",
                "Red Hat:enterprise_linux:9::baseos",
                "1:3.0.7-25.el9_3",
            ),
            advisory(
                "RHSA-2024:0002",
                "Red Hat:rhel_e4s:8.4::appstream",
                "1:1.1.1k-9.el8_4",
            ),
            advisory(
                "SUSE-SU-2024:0003-1",
                "SUSE Linux Enterprise Server:sles:15:sp5::module-basesystem",
                "3.0.8-150500.5.20.1",
            ),
        ]);
        let mut rhel = Package::new(Ecosystem::Rpm, "openssl", "3.0.7-24.el9", "rpmdb");
        rhel.epoch = Some(1);
        let m = d.match_inventory(&inventory(Some(os("rhel", "9.3")), vec![rhel.clone()]));
        let ids: Vec<&str> = m.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["RHSA-2024:0001"]);
        rhel.version = "3.0.7-25.el9_3".into();
        assert!(
            d.match_inventory(&inventory(Some(os("rhel", "9.3")), vec![rhel]))
                .is_empty()
        );
        let sles = Package::new(Ecosystem::Rpm, "openssl", "3.0.8-150500.5.14.1", "rpmdb");
        let m = d.match_inventory(&inventory(Some(os("sles", "15.5")), vec![sles.clone()]));
        let ids: Vec<&str> = m.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["SUSE-SU-2024:0003-1"]);
        assert!(
            d.match_inventory(&inventory(Some(os("sles", "15.4")), vec![sles]))
                .is_empty()
        );
    }
}
