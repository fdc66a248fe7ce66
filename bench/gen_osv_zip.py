#!/usr/bin/env python3
"""Writes a synthetic osv.dev-style `all.zip` of N OSV records (seeded).

Records look like the PyPI/npm records osv.dev serves: a GHSA id, CVE and
PYSEC aliases, summary, details, CVSS v3 severity, references, and one or
two affected packages with ECOSYSTEM ranges (introduced/fixed or
last_affected). Usage: gen_osv_zip.py OUT.zip [N] [SEED]
"""
import json
import random
import sys
import zipfile

GHSA_CHARS = "23456789cfghjmpqrvwx"


def ghsa(rng):
    return "GHSA-" + "-".join("".join(rng.choice(GHSA_CHARS) for _ in range(4)) for _ in range(3))


def version(rng):
    return f"{rng.randrange(10)}.{rng.randrange(30)}.{rng.randrange(10)}"


def affected(rng, eco):
    if eco == "PyPI":
        name = f"py-package-{rng.randrange(20000)}"
        purl = f"pkg:pypi/{name}"
    else:
        name = f"js-package-{rng.randrange(20000)}"
        purl = f"pkg:npm/{name}"
    major = rng.randrange(10)
    minor = rng.randrange(20)
    introduced = "0" if rng.random() < 0.3 else f"{major}.{minor}.0"
    end = f"{major}.{minor + 1 + rng.randrange(3)}.{rng.randrange(5)}"
    events = [{"introduced": introduced}]
    events.append({"fixed": end} if rng.random() < 0.85 else {"last_affected": end})
    return {
        "package": {"ecosystem": eco, "name": name, "purl": purl},
        "ranges": [{"type": "ECOSYSTEM", "events": events}],
        "database_specific": {"source": "https://github.com/advisories"},
    }


def record(rng, i, ghsa_id):
    eco = "PyPI" if rng.random() < 0.55 else "npm"
    year = 2015 + rng.randrange(11)
    aliases = [f"CVE-{year}-{10000 + i}"]
    if eco == "PyPI" and rng.random() < 0.5:
        aliases.append(f"PYSEC-{year}-{i}")
    vector = "CVSS:3.1/AV:N/AC:{}/PR:N/UI:{}/S:U/C:{}/I:{}/A:{}".format(
        rng.choice("LH"), rng.choice("NR"), rng.choice("NLH"), rng.choice("NLH"), rng.choice("NLH"))
    n_aff = 2 if rng.random() < 0.15 else 1
    return {
        "schema_version": "1.6.0",
        "id": ghsa_id,
        "modified": f"{year}-0{1 + rng.randrange(9)}-1{rng.randrange(10)}T12:00:00Z",
        "published": f"{year}-01-0{1 + rng.randrange(9)}T08:00:00Z",
        "aliases": aliases,
        "summary": f"Synthetic vulnerability {i} in a {eco} package",
        "details": "Improper input validation allows an attacker to cause denial of service. " * (1 + rng.randrange(4)),
        "severity": [{"type": "CVSS_V3", "score": vector}],
        "affected": [affected(rng, eco) for _ in range(n_aff)],
        "references": [
            {"type": "ADVISORY", "url": f"https://nvd.nist.gov/vuln/detail/{aliases[0]}"},
            {"type": "WEB", "url": f"https://github.com/example/project-{i}/pull/{rng.randrange(5000)}"},
            {"type": "PACKAGE", "url": f"https://example.org/{eco.lower()}/{i}"},
        ],
        "database_specific": {"github_reviewed": True, "severity": rng.choice(["LOW", "MODERATE", "HIGH", "CRITICAL"])},
    }


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    rng = random.Random(seed)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        ids = set()
        for i in range(n):
            ghsa_id = ghsa(rng)
            while ghsa_id in ids:
                ghsa_id = ghsa(rng)
            ids.add(ghsa_id)
            r = record(rng, i, ghsa_id)
            z.writestr(f"{r['id']}.json", json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
