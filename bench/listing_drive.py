#!/usr/bin/env python3
# Findings-listing latency driver: BASE_URL TOKEN N. Pages 200 deep cursors
# through the default listing, then times N random filtered/sorted listings
# and prints p50/p95/p99/max as JSON (see bench/results/reeval-*.md).
import json, random, sys, time, urllib.request
base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def get(q):
    req = urllib.request.Request(base + "/api/v1/findings?" + q, headers={"Authorization": "Bearer " + token})
    t = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        body = json.load(r)
    return (time.perf_counter() - t) * 1000, body
rng = random.Random(42)
# Deep cursors: page through the default listing with 1000-row pages.
cursors, cur = [], None
for _ in range(200):
    _, b = get("limit=1000" + (f"&cursor={cur}" if cur else ""))
    cur = b.get("next_cursor")
    if not cur: break
    cursors.append(cur)
lat, slow = [], (0, "")
for i in range(n):
    q = []
    sort = rng.choice(["severity"] * 10 + ["first_seen"] * 5 + ["id"] * 5)
    q.append(f"sort={sort}")
    if rng.random() < 0.4: q.append("severity=" + rng.choice(["critical", "high", "medium", "low", "unknown", "critical,high"]))
    if rng.random() < 0.3: q.append("kind=" + rng.choice(["vulnerability", "secret", "misconfiguration"]))
    if rng.random() < 0.1: q.append("kev=true")
    if rng.random() < 0.2: q.append("connector=" + rng.choice(["c1", "c2", "c3"]))
    elif rng.random() < 0.2: q.append("repository=team/repo" + str(rng.randint(1, 100)))
    if sort == "severity" and len(q) == 1 and rng.random() < 0.3 and cursors: q.append("cursor=" + rng.choice(cursors))
    q.append("limit=100")
    ms, _ = get("&".join(q))
    lat.append(ms)
    if ms > slow[0]: slow = (ms, "&".join(q))
lat.sort()
pct = lambda p: round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))], 2)
print(json.dumps({"n": n, "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": round(lat[-1], 2), "slowest": slow[1], "deep_cursors": len(cursors)}))
