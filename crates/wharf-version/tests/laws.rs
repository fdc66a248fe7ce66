//! Ordering laws for every scheme (antisymmetry, transitivity, consistency
//! with equality) and robustness: parsing arbitrary strings never panics.
#![allow(clippy::unwrap_used, missing_docs)]

use std::cmp::Ordering;

use proptest::prelude::*;
use wharf_version::{OsvEvent, Range, Scheme, Version, in_osv_range};

const SCHEMES: [Scheme; 11] = [
    Scheme::Dpkg,
    Scheme::Rpm,
    Scheme::Apk,
    Scheme::Semver,
    Scheme::Go,
    Scheme::Pep440,
    Scheme::Maven,
    Scheme::RubyGems,
    Scheme::NuGet,
    Scheme::Composer,
    Scheme::Generic,
];

/// A version-shaped string generator for a scheme: small alphabets so that
/// generated versions collide and share prefixes often.
fn shaped(scheme: Scheme) -> BoxedStrategy<String> {
    let re = match scheme {
        Scheme::Dpkg => "([0-2]:)?[0-9](0|1|10|[.~+a-c])*(-[0-9a~+.]{1,4})?",
        Scheme::Rpm => "([0-2]:)?(0|1|10|[.~^_a-c])*(-(1|[.~^a])*)?",
        Scheme::Apk => {
            "[0-9](\\.[0-9]{1,2}){0,3}[a-c]?(_(alpha|rc|p|pre|git)[0-9]?){0,2}(~[0-9a-f]{1,3})?(-r[0-9])?"
        }
        Scheme::Semver => "v?(0|1|10)\\.(0|1)\\.(0|1)(-(0|1|10|a|b|x-y)(\\.(0|1|a)){0,2})?(\\+b)?",
        Scheme::Go => {
            "v?(0|1|2)(\\.(0|1)(\\.(0|1)(-(0|1|a|20190101000000)(\\.(0|a)){0,2})?(\\+incompatible)?)?)?"
        }
        Scheme::Pep440 => {
            "(1!)?(0|1|10)(\\.(0|1)){0,2}([.-]?(a|b|rc|c)[0-9]?)?(\\.post[0-9]?|-1)?(\\.dev[0-9]?)?(\\+(a|1)([.-](a|1)){0,1})?"
        }
        Scheme::Maven => "(0|1|10)([.-](0|1|a|alpha|rc|cr|sp|ga|final|snapshot|x)[0-9]?){0,4}",
        Scheme::RubyGems => "(0|1|10)(\\.(0|1|a|b|pre)){0,4}(-(a|1))?",
        Scheme::NuGet => "(0|1|10)(\\.(0|1)){0,3}(-(a|B|1|rc)(\\.(0|a)){0,2})?(\\+m)?",
        Scheme::Composer => {
            "v?(0|1|10)(\\.(0|1|x)){0,3}(-?(alpha|beta|RC|b|a|p|pl|patch|dev)[0-9]?)?(-dev)?|dev-(main|foo)"
        }
        Scheme::Generic => "v?(0|1|10)([._-]?(0|1|a|rc|beta)){0,4}",
    };
    proptest::string::string_regex(re).unwrap().boxed()
}

fn parsed(scheme: Scheme) -> impl Strategy<Value = Version> {
    shaped(scheme).prop_filter_map("valid", move |s| Version::parse(scheme, &s).ok())
}

fn check_laws(a: &Version, b: &Version, c: &Version) -> Result<(), TestCaseError> {
    let ab = a.cmp(b);
    prop_assert_eq!(ab, b.cmp(a).reverse(), "antisymmetry {} {}", a, b);
    prop_assert_eq!(a.cmp(a), Ordering::Equal, "reflexivity {}", a);
    prop_assert_eq!(a == b, ab == Ordering::Equal, "eq consistency {} {}", a, b);
    if ab != Ordering::Greater && b.cmp(c) != Ordering::Greater {
        prop_assert_ne!(
            a.cmp(c),
            Ordering::Greater,
            "transitivity {} <= {} <= {}",
            a,
            b,
            c
        );
    }
    if ab == Ordering::Equal {
        prop_assert_eq!(
            a.cmp(c),
            b.cmp(c),
            "equal versions order alike {} {} {}",
            a,
            b,
            c
        );
    }
    Ok(())
}

macro_rules! laws {
    ($name:ident, $scheme:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]
            #[test]
            fn $name(a in parsed($scheme), b in parsed($scheme), c in parsed($scheme)) {
                check_laws(&a, &b, &c)?;
                // Sorting must never panic and must agree with pairwise order.
                let mut v = vec![a.clone(), b.clone(), c.clone()];
                v.sort();
                prop_assert!(v[0] <= v[1] && v[1] <= v[2]);
            }
        }
    };
}

laws!(dpkg_laws, Scheme::Dpkg);
laws!(rpm_laws, Scheme::Rpm);
laws!(apk_laws, Scheme::Apk);
laws!(semver_laws, Scheme::Semver);
laws!(go_laws, Scheme::Go);
laws!(pep440_laws, Scheme::Pep440);
laws!(maven_laws, Scheme::Maven);
laws!(rubygems_laws, Scheme::RubyGems);
laws!(nuget_laws, Scheme::NuGet);
laws!(composer_laws, Scheme::Composer);
laws!(generic_laws, Scheme::Generic);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary strings: parsing, comparing, range parsing and OSV
    /// evaluation return results or errors, never panic.
    #[test]
    fn never_panics(a in any::<String>(), b in any::<String>()) {
        for scheme in SCHEMES {
            let _ = Version::parse(scheme, &a);
            let _ = wharf_version::compare(scheme, &a, &b);
            let _ = Range::parse(scheme, &a);
            let _ = wharf_version::satisfies(scheme, &b, &a);
            let _ = in_osv_range(scheme, &a, &[OsvEvent::Introduced("0".into()), OsvEvent::Fixed(b.clone())]);
        }
    }

    /// Version-shaped but mangled strings (the shapes parsers get wrong).
    #[test]
    fn never_panics_on_near_versions(s in "[0-9a-zA-Z.:~^+_ <>=!|,*()\\[\\]-]{0,24}") {
        for scheme in SCHEMES {
            let _ = Version::parse(scheme, &s);
            let _ = Range::parse(scheme, &s);
            let _ = wharf_version::satisfies(scheme, "1.0", &s);
            let _ = wharf_version::satisfies(scheme, &s, ">= 1.0");
        }
    }
}

#[test]
fn huge_inputs_do_not_panic() {
    let long = "9".repeat(5000);
    let dotted = ["1"; 3000].join(".");
    let dashes = "-".repeat(3000);
    for scheme in SCHEMES {
        for s in [&long, &dotted, &dashes] {
            let _ = Version::parse(scheme, s);
            let _ = Range::parse(scheme, s);
            let _ = wharf_version::compare(scheme, s, "1.0");
        }
    }
}
