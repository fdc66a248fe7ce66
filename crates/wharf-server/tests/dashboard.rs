//! The dashboard in a real browser: the server runs in-process on a seeded
//! store and headless Chromium loads each view (`--dump-dom`, with the
//! token and the view's state in the URL fragment); the test asserts on
//! the rendered DOM. What needs interaction (signing in through the form,
//! adding a connector, clicking Next and a run) drives one page over the
//! DevTools protocol on a pipe (`--remote-debugging-pipe`), which needs no
//! WebSocket client.
//!
//! Needs Debian's `chromium` (`WHARF_CHROMIUM` names another binary). With
//! no browser the test is skipped with a message, except in CI (`CI` set),
//! where it fails.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use wharf_store::{
    ConnectorSecret, ConnectorSpec, DiscoveredImage, DiscoveredTag, Filters, ImagePlatform,
    InitialScope, NewFinding, NewJob, Role, RunCounts, ScanMode, ScanState, SecretKind, now,
};
use wharf_types::SecretString;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const ADMIN: &str = "wharf_test_admin";
const VIEWER: &str = "wharf_test_viewer";
/// The connector's password: it must never reach the page.
const SECRET: &str = "s3cret-Passw0rd-XYZ";
/// A finding title that would run script if it were parsed as HTML.
const HOSTILE: &str = "<img src=x onerror=alert(1)> AWS key in \"/app/.env\" & more";
const SCANNED: &str = "sha256:aaaaaaaaaaaa11112222333344445555666677778888999900001111222233334444";
const DISCOVERED: &str =
    "sha256:bbbbbbbbbbbb11112222333344445555666677778888999900001111222233334444";

/// The browser to drive, if there is one.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WHARF_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn finding(
    fp: &str,
    kind: &str,
    severity: &str,
    kev: bool,
    title: &str,
    vuln: Option<&str>,
) -> NewFinding {
    let rank = match severity {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    };
    NewFinding {
        fingerprint: fp.into(),
        kind: kind.into(),
        rule_id: if kind == "secret" {
            "WHARF-SECRET-AWS"
        } else {
            "WHARF-VULN-001"
        }
        .into(),
        severity: severity.into(),
        severity_rank: rank,
        status: "open".into(),
        title: title.into(),
        vulnerability: vuln.map(str::to_owned),
        package: vuln.map(|_| "openssl@3.0.11-1~deb12u2".to_owned()),
        kev,
        data: serde_json::json!({ "fingerprint": fp, "severity": severity }).to_string(),
    }
}

/// What the seeded store holds, for the assertions.
struct Seeded {
    run_id: i64,
}

/// A connector (with a password), a discovery of two images (one scanned,
/// with an inventory), findings from a scan, a re-evaluation that changed
/// them, and jobs in every state.
async fn seed(app: &wharf_server::App) -> Result<Seeded, Box<dyn std::error::Error>> {
    let store = &app.store;
    store
        .create_token("ci viewer", Role::Viewer, VIEWER)
        .await?;

    let spec = ConnectorSpec {
        url: "https://registry.example.test".into(),
        username: Some("robot".into()),
        ca_cert: None,
        insecure: false,
        mode: ScanMode::Direct,
        repositories: Filters {
            include: vec!["team/*".into()],
            exclude: vec![],
        },
        tags: Filters::default(),
        scope: InitialScope::ModifiedDays { days: 30 },
        enabled: true,
        discovery_interval_secs: 3600,
    };
    let secret = ConnectorSecret {
        kind: SecretKind::Password,
        value: SecretString::new(SECRET),
    };
    let c = store
        .create_connector("harbor-prod", &spec, Some(&secret), &app.keys)
        .await?;
    // A finished (failed) discovery; the next one is far away, so the
    // server's scheduler leaves the connector alone during the test.
    store
        .finish_discovery(
            c.id,
            Some("registry.example.test: connection refused"),
            now() + 86_400,
        )
        .await?;

    let tag = |repo: &str, tag: &str, digest: &str| DiscoveredTag {
        repository: repo.into(),
        tag: tag.into(),
        digest: digest.into(),
        image_created: Some(1_700_000_000),
    };
    let platform = |p: &str, d: &str| ImagePlatform {
        platform: p.into(),
        digest: d.into(),
        created: None,
    };
    store
        .record_discovery(
            c.id,
            &["team/app".to_owned(), "team/tool".to_owned()],
            &[
                tag("team/app", "1.0", SCANNED),
                tag("team/app", "latest", SCANNED),
                tag("team/tool", "2", DISCOVERED),
            ],
            &[
                DiscoveredImage {
                    digest: SCANNED.into(),
                    media_type: Some("application/vnd.oci.image.index.v1+json".into()),
                    kind: Some("index".into()),
                    platforms: vec![
                        platform("linux/amd64", "sha256:a1"),
                        platform("linux/arm64", "sha256:a2"),
                    ],
                },
                DiscoveredImage {
                    digest: DISCOVERED.into(),
                    media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
                    kind: Some("image".into()),
                    platforms: vec![platform("linux/amd64", DISCOVERED)],
                },
            ],
        )
        .await?;
    store
        .set_scan_state(SCANNED, ScanState::Scanned, Some("wharf 0.1.0"), None)
        .await?;
    let pkgs = vec![("Debian".to_owned(), "openssl".to_owned())];
    let inv = store
        .put_inventory(
            SCANNED,
            "linux/amd64",
            "sha256:a1",
            br#"{"packages":[]}"#,
            &pkgs,
        )
        .await?;

    // The scan: ids 1..=4 in this order.
    let hostile = finding("sec-1", "secret", "high", false, HOSTILE, None);
    let scan = vec![
        finding(
            "v-1",
            "vulnerability",
            "high",
            false,
            "openssl: buffer overflow",
            Some("CVE-2024-0001"),
        ),
        finding(
            "v-2",
            "vulnerability",
            "low",
            false,
            "openssl: timing leak",
            Some("CVE-2024-0002"),
        ),
        finding(
            "v-3",
            "vulnerability",
            "medium",
            false,
            "openssl: NULL dereference",
            Some("CVE-2024-0003"),
        ),
        hostile.clone(),
    ];
    store.sync_findings(inv, SCANNED, None, &scan).await?;
    // A re-evaluation: v-1 becomes a known-exploited critical, v-2 is
    // fixed, v-4 and v-5 are new (ids 5 and 6).
    let run_id = store
        .start_reevaluation("db_update", Some("snap-2026-11-27"))
        .await?;
    let now_found = vec![
        finding(
            "v-1",
            "vulnerability",
            "critical",
            true,
            "openssl: buffer overflow",
            Some("CVE-2024-0001"),
        ),
        finding(
            "v-3",
            "vulnerability",
            "medium",
            false,
            "openssl: NULL dereference",
            Some("CVE-2024-0003"),
        ),
        hostile,
        finding(
            "v-4",
            "vulnerability",
            "high",
            false,
            "openssl: use after free",
            Some("CVE-2024-0004"),
        ),
        finding(
            "v-5",
            "vulnerability",
            "low",
            false,
            "openssl: weak default",
            Some("CVE-2024-0005"),
        ),
    ];
    let out = store
        .sync_findings(inv, SCANNED, Some("snap-2026-11-27"), &now_found)
        .await?;
    let mut counts = RunCounts::default();
    counts.add(&out);
    store.record_deltas(run_id, &out).await?;
    store.finish_reevaluation(run_id, &counts, None).await?;

    // Jobs: two queued (not due for a day, so no worker takes them), one
    // done, one failed.
    let job = |key: &str, run_after: i64| NewJob {
        kind: "scan".into(),
        key: key.into(),
        lane: "registry.example.test".into(),
        payload: serde_json::json!({ "digest": key }),
        priority: 0,
        max_attempts: 1,
        run_after,
    };
    store.enqueue(&job("scan:later-1", now() + 86_400)).await?;
    store.enqueue(&job("scan:later-2", now() + 86_400)).await?;
    store.enqueue(&job("scan:done", 0)).await?;
    let claimed = store.claim("seed", &["scan"], 60, 10).await?.unwrap();
    store.complete(claimed.id).await?;
    store.enqueue(&job("scan:failed", 0)).await?;
    let claimed = store.claim("seed", &["scan"], 60, 10).await?.unwrap();
    store.fail(claimed.id, "manifest unknown", 30).await?;
    Ok(Seeded { run_id })
}

type BoxError = Box<dyn std::error::Error>;

/// Flags for every Chromium run.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-proxy-server",
];

/// Headless page loads, each in a fresh profile; the DOM once settled.
struct Browser {
    binary: PathBuf,
    profiles: tempfile::TempDir,
    base: String,
    loads: usize,
}

impl Browser {
    async fn dom(&mut self, fragment: &str) -> Result<String, BoxError> {
        self.loads += 1;
        // A fresh profile per load: nothing carries over in localStorage.
        let profile = self.profiles.path().join(format!("p{}", self.loads));
        let url = format!("{}/{fragment}", self.base);
        let run = tokio::process::Command::new(&self.binary)
            .args(CHROMIUM_FLAGS)
            .arg("--virtual-time-budget=10000")
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(&url)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(90), run)
            .await
            .map_err(|_| format!("chromium timed out on {url}"))??;
        let dom = String::from_utf8(out.stdout)?;
        if !out.status.success() || !dom.contains("</html>") {
            return Err(format!(
                "chromium failed on {url} ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        // Every view marks itself ready (or falls back to the token form).
        let view = element(&dom, "<main id=\"view\"").ok_or("no #view in the page")?;
        assert_eq!(
            attr(view, "data-state").as_deref(),
            Some("ready"),
            "{url} never finished rendering:\n{dom}"
        );
        Ok(dom)
    }
}

/// One page driven over the DevTools protocol on a pipe: Chromium reads
/// NUL-terminated JSON commands on fd 3 and answers on fd 4 (a shell maps
/// them to the child's stdin and stdout).
struct Page {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    session: String,
    last_id: u64,
}

impl Page {
    async fn open(binary: &Path, profile: &Path, url: &str) -> Result<Self, BoxError> {
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null"#)
            .arg(binary)
            .args(CHROMIUM_FLAGS)
            .arg("--remote-debugging-pipe")
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let input = child.stdin.take().ok_or("no pipe to chromium")?;
        let output = BufReader::new(child.stdout.take().ok_or("no pipe from chromium")?);
        let mut page = Self {
            child,
            input,
            output,
            session: String::new(),
            last_id: 0,
        };
        // Attach to a blank tab first, then navigate: evaluations never
        // land in a document that is about to be replaced.
        let target = page
            .call(
                "Target.createTarget",
                json!({ "url": "about:blank" }),
                false,
            )
            .await?;
        let target = target["targetId"]
            .as_str()
            .ok_or("no target id")?
            .to_owned();
        let attached = page
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
                false,
            )
            .await?;
        page.session = attached["sessionId"]
            .as_str()
            .ok_or("no session id")?
            .to_owned();
        page.call("Page.navigate", json!({ "url": url }), true)
            .await?;
        Ok(page)
    }

    /// One command; its result (events in between are skipped).
    async fn call(
        &mut self,
        method: &str,
        params: Value,
        in_page: bool,
    ) -> Result<Value, BoxError> {
        self.last_id += 1;
        let mut msg = json!({ "id": self.last_id, "method": method, "params": params });
        if in_page {
            msg["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&msg)?;
        bytes.push(0);
        self.input.write_all(&bytes).await?;
        self.input.flush().await?;
        loop {
            let mut buf = Vec::new();
            let read =
                tokio::time::timeout(Duration::from_secs(30), self.output.read_until(0, &mut buf))
                    .await
                    .map_err(|_| format!("no answer to {method}"))??;
            if read == 0 {
                return Err(format!("chromium closed the pipe during {method}").into());
            }
            buf.pop_if(|b| *b == 0);
            let answer: Value = serde_json::from_slice(&buf)?;
            if answer["id"] != json!(self.last_id) {
                continue;
            }
            if let Some(e) = answer.get("error") {
                return Err(format!("{method}: {e}").into());
            }
            return Ok(answer["result"].clone());
        }
    }

    /// Evaluate `expr` in the page (awaiting a promise); its JSON value.
    async fn eval(&mut self, expr: &str) -> Result<Value, BoxError> {
        let params = json!({ "expression": expr, "awaitPromise": true, "returnByValue": true });
        let mut tries = 0;
        loop {
            // Right after a navigation the old context may be gone.
            match self.call("Runtime.evaluate", params.clone(), true).await {
                Ok(r) => {
                    if let Some(e) = r.get("exceptionDetails") {
                        return Err(format!("{expr}: {e}").into());
                    }
                    return Ok(r["result"]["value"].clone());
                }
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Wait until `condition` (a JS expression) is true.
    async fn wait(&mut self, condition: &str) -> Result<(), BoxError> {
        for _ in 0..150 {
            let probe = format!(
                "(() => {{ try {{ return Boolean({condition}); }} catch (_) {{ return false; }} }})()"
            );
            if self.eval(&probe).await? == json!(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let html = self.eval("document.documentElement.outerHTML").await?;
        Err(format!(
            "timed out waiting for {condition}:\n{}",
            html.as_str().unwrap_or("")
        )
        .into())
    }

    /// Wait for the view to be rendered.
    async fn ready(&mut self, view: &str) -> Result<(), BoxError> {
        self.wait(&format!(
            "document.getElementById('view').dataset.view === '{view}' && document.getElementById('view').dataset.state === 'ready'"
        ))
        .await
    }

    /// Close the browser (all its processes) and wait for it.
    async fn close(mut self) {
        let _ = self.call("Browser.close", json!({}), false).await;
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }

    async fn html(&mut self) -> Result<String, BoxError> {
        Ok(self
            .eval("document.documentElement.outerHTML")
            .await?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }
}

/// Sign in through the form, add a connector (its secret must go to the
/// store and nowhere else), trigger its discovery, page through findings
/// with Next, open a run by clicking it, sign out.
async fn interact(b: &Browser, app: &wharf_server::App) -> TestResult {
    const ADDED_SECRET: &str = "tok-Added-By-The-Form-42";
    let profile = b.profiles.path().join("interactive");
    let mut page = Page::open(&b.binary, &profile, &format!("{}/", b.base)).await?;
    page.ready("token").await?;
    page.eval(&format!(
        "document.getElementById('token-input').value = '{ADMIN}'; \
         document.querySelector('#token-form button[type=submit]').click()"
    ))
    .await?;
    page.ready("overview").await?;
    assert_eq!(
        page.eval("localStorage.getItem('wharf.token')").await?,
        json!(ADMIN)
    );
    assert_eq!(
        page.eval("document.getElementById('token-section').hidden")
            .await?,
        json!(true)
    );

    // Add a connector through the form.
    page.eval("location.hash = '#/connectors'").await?;
    page.ready("connectors").await?;
    page.eval(&format!(
        "(() => {{
            const set = (id, v) => {{ document.getElementById(id).value = v; }};
            set('cf-name', 'added-by-test');
            set('cf-url', 'http://127.0.0.1:9');
            set('cf-username', 'bot');
            set('cf-secret-kind', 'token');
            set('cf-secret', '{ADDED_SECRET}');
            document.getElementById('cf-insecure').checked = true;
            set('cf-scope', 'latest_tag');
            set('cf-repo-include', 'team/*, infra/*');
            set('cf-tag-exclude', '*-rc*');
            document.querySelector('[data-testid=connector-submit]').click();
        }})()"
    ))
    .await?;
    page.wait("document.querySelectorAll('[data-testid=connector-row]').length === 2 && !document.getElementById('notice-banner').hidden").await?;
    let notice = page
        .eval("document.getElementById('notice-banner').textContent")
        .await?;
    assert!(
        notice
            .as_str()
            .unwrap_or("")
            .contains("added-by-test added"),
        "{notice}"
    );
    assert_eq!(
        page.eval("document.getElementById('error-banner').hidden")
            .await?,
        json!(true)
    );
    assert_eq!(
        page.eval("document.getElementById('cf-secret').value")
            .await?,
        json!("")
    );
    let html = page.html().await?;
    assert!(
        !html.contains(ADDED_SECRET) && !html.contains(SECRET),
        "a secret reached the page"
    );
    let added = app.store.connector("added-by-test").await?;
    assert_eq!(added.spec.url, "http://127.0.0.1:9");
    assert_eq!(added.spec.username.as_deref(), Some("bot"));
    assert!(added.spec.insecure);
    assert_eq!(added.spec.scope, InitialScope::LatestTag);
    assert_eq!(added.spec.repositories.include, ["team/*", "infra/*"]);
    assert_eq!(added.spec.tags.exclude, ["*-rc*"]);
    assert_eq!(added.secret, Some(SecretKind::Token));
    let sealed = app
        .store
        .connector_secret(added.id, &app.keys)
        .await?
        .ok_or("no secret stored")?;
    assert_eq!(sealed.value.expose(), ADDED_SECRET);

    // Trigger its discovery.
    page.eval(&format!(
        "document.querySelector('[data-connector-id=\"{}\"] [data-testid=discover-button]').click()",
        added.id
    ))
    .await?;
    page.wait("document.getElementById('notice-banner').textContent.startsWith('Discovery of added-by-test')").await?;

    // Findings: Next, clicked.
    page.eval("location.hash = '#/findings?limit=2'").await?;
    page.ready("findings").await?;
    let ids = "[...document.querySelectorAll('[data-testid=finding-row]')].map((r) => r.dataset.findingId).join(',')";
    assert_eq!(page.eval(ids).await?, json!("1,5"));
    page.eval("document.querySelector('[data-testid=findings-next]').click()")
        .await?;
    page.wait(&format!(
        "{ids} === '4,3' && document.getElementById('view').dataset.state === 'ready'"
    ))
    .await?;

    // A re-evaluation run: click its row.
    page.eval("location.hash = '#/reevaluations'").await?;
    page.ready("reevaluations").await?;
    page.eval("document.querySelector('[data-testid=reevaluation-row] td:nth-child(3)').click()")
        .await?;
    page.wait("document.querySelector('[data-testid=reevaluation-detail]') && document.getElementById('view').dataset.state === 'ready'").await?;
    assert_eq!(
        page.eval("document.querySelectorAll('[data-testid=delta-row]').length")
            .await?,
        json!(4)
    );

    // Sign out: the token is forgotten.
    page.eval("document.getElementById('sign-out').click()")
        .await?;
    page.ready("token").await?;
    assert_eq!(
        page.eval("localStorage.getItem('wharf.token')").await?,
        Value::Null
    );
    page.close().await;
    Ok(())
}

/// The element whose start tag contains `marker` (the first one), start
/// tag to matching end tag.
fn element<'a>(dom: &'a str, marker: &str) -> Option<&'a str> {
    elements(dom, marker).into_iter().next()
}

/// Every element whose start tag contains `marker`, in document order.
fn elements<'a>(dom: &'a str, marker: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = dom[from..].find(marker).map(|i| i + from) {
        from = at + marker.len();
        let Some(start) = dom[..=at].rfind('<') else {
            continue;
        };
        let name: String = dom[start + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() {
            continue;
        }
        // Walk to the matching end tag (same-name nesting counted).
        let (open, close) = (format!("<{name}"), format!("</{name}>"));
        let mut depth = 0usize;
        let mut pos = start;
        let end = loop {
            let next_open = dom[pos + 1..].find(&open).map(|i| i + pos + 1);
            let Some(next_close) = dom[pos..].find(&close).map(|i| i + pos) else {
                break dom.len();
            };
            match next_open {
                Some(o) if o < next_close => {
                    depth += 1;
                    pos = o;
                }
                _ => {
                    if depth == 0 {
                        break next_close + close.len();
                    }
                    depth -= 1;
                    pos = next_close;
                }
            }
        };
        found.push(&dom[start..end]);
    }
    found
}

/// The text of an HTML fragment: tags dropped, entities decoded,
/// whitespace collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(dom: &str, marker: &str) -> String {
    element(dom, marker)
        .map(text)
        .unwrap_or_else(|| panic!("no element with {marker}"))
}

/// Attribute `name` of the start tag of `html`.
fn attr(html: &str, name: &str) -> Option<String> {
    let start_tag = &html[..html.find('>')?];
    let key = format!(" {name}=\"");
    let at = start_tag.find(&key)? + key.len();
    let len = start_tag[at..].find('"')?;
    Some(start_tag[at..at + len].replace("&amp;", "&"))
}

fn is_hidden(html: &str) -> bool {
    let start_tag = &html[..html.find('>').unwrap_or(html.len())];
    start_tag.contains(" hidden")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_renders_the_seeded_service() -> TestResult {
    let Some(binary) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required in CI (apt-get install chromium, or set WHARF_CHROMIUM)"
        );
        eprintln!("skipping the dashboard test: no Chromium (apt-get install chromium)");
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let config = wharf_server::Config {
        data_dir: tmp.path().join("data"),
        admin_token: Some(ADMIN.into()),
        malware: false,
        secrets: false,
        workers: 1,
        ..Default::default()
    };
    let app = wharf_server::App::open(config).await?;
    let seeded = seed(&app).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(wharf_server::serve(
        Arc::clone(&app),
        listener,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let mut browser = Browser {
        binary,
        profiles: tempfile::tempdir()?,
        base: format!("http://127.0.0.1:{port}"),
        loads: 0,
    };
    let mut result = checks(&mut browser, &seeded).await;
    if result.is_ok() {
        result = interact(&browser, &app).await;
    }
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    result
}

async fn checks(b: &mut Browser, seeded: &Seeded) -> TestResult {
    // No token: the sign-in form, nothing else, no error.
    let dom = b.dom("").await?;
    let form = element(&dom, "id=\"token-section\"").unwrap();
    assert!(
        !is_hidden(form),
        "token form hidden without a token:\n{dom}"
    );
    assert!(form.contains("<label for=\"token-input\""), "{form}");
    assert!(
        is_hidden(element(&dom, "id=\"error-banner\"").unwrap()),
        "{dom}"
    );
    assert!(is_hidden(element(&dom, "id=\"nav\"").unwrap()), "{dom}");

    // A bad token: back to the form, with the API's problem+json detail.
    let dom = b.dom("#token=wharf_not_a_token&view=findings").await?;
    assert!(
        !is_hidden(element(&dom, "id=\"token-section\"").unwrap()),
        "{dom}"
    );
    let banner = element(&dom, "id=\"error-banner\"").unwrap();
    assert!(!is_hidden(banner), "{dom}");
    assert!(
        text(banner).contains("the API token is not valid (unknown or revoked)"),
        "{banner}"
    );
    assert!(!dom.contains("data-testid=\"findings-table\""), "{dom}");

    // Overview: version, backend, snapshot, queue and severity counts.
    let dom = b.dom(&format!("#token={ADMIN}")).await?;
    assert!(
        is_hidden(element(&dom, "id=\"token-section\"").unwrap()),
        "{dom}"
    );
    assert!(dom.contains("data-testid=\"overview\""), "{dom}");
    assert_eq!(
        text_of(&dom, "data-testid=\"status-version\""),
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(text_of(&dom, "data-testid=\"status-backend\""), "sqlite");
    assert_eq!(
        text_of(&dom, "data-testid=\"status-snapshot\""),
        "not loaded"
    );
    assert_eq!(
        text_of(&dom, "data-testid=\"status-caller\""),
        "admin (environment) (admin)"
    );
    for (state, n) in [
        ("queued", "2"),
        ("running", "0"),
        ("done", "1"),
        ("failed", "1"),
    ] {
        let marker = format!("data-testid=\"queue-count\" data-state=\"{state}\"");
        assert_eq!(text_of(&dom, &marker), n, "queue {state}");
    }
    for (severity, n) in [
        ("critical", "1"),
        ("high", "2"),
        ("medium", "1"),
        ("low", "1"),
        ("unknown", "0"),
    ] {
        let marker = format!("data-testid=\"severity-count\" data-severity=\"{severity}\"");
        assert_eq!(
            text_of(&dom, &marker),
            format!("{n} {severity}"),
            "severity {severity}"
        );
    }
    assert_eq!(
        text_of(&dom, "data-testid=\"findings-total\""),
        "5 unresolved findings"
    );
    assert!(!dom.contains(ADMIN), "the token leaked into the page");

    // Connectors: the row, the admin form, and never the secret.
    let dom = b.dom(&format!("#token={ADMIN}&view=connectors")).await?;
    let rows = elements(&dom, "data-testid=\"connector-row\"");
    assert_eq!(rows.len(), 1, "{dom}");
    let row = text(rows[0]);
    for expected in [
        "harbor-prod",
        "https://registry.example.test",
        "direct",
        "modified in the last 30 days",
        "yes",
        "registry.example.test: connection refused",
        "Discover now",
    ] {
        assert!(row.contains(expected), "{expected:?} missing from {row:?}");
    }
    assert!(!row.contains("never"), "the discovery time is shown: {row}");
    let form = element(&dom, "data-testid=\"connector-form\"").expect("admin sees the form");
    for id in [
        "cf-name",
        "cf-url",
        "cf-username",
        "cf-secret",
        "cf-insecure",
        "cf-scope",
        "cf-days",
        "cf-repo-include",
        "cf-tag-exclude",
    ] {
        assert!(form.contains(&format!("for=\"{id}\"")), "no label for {id}");
    }
    let secret_input = element(form, "id=\"cf-secret\"").unwrap();
    assert!(secret_input.contains("type=\"password\""), "{secret_input}");
    assert_eq!(attr(secret_input, "value"), None, "{secret_input}");
    assert!(
        !dom.contains(SECRET),
        "the connector secret reached the page"
    );
    assert!(
        !dom.contains("s3cret"),
        "the connector secret reached the page"
    );

    // A viewer sees the connectors but cannot add or trigger anything.
    let dom = b.dom(&format!("#token={VIEWER}&view=connectors")).await?;
    assert_eq!(
        elements(&dom, "data-testid=\"connector-row\"").len(),
        1,
        "{dom}"
    );
    assert!(!dom.contains("data-testid=\"connector-form\""), "{dom}");
    assert!(!dom.contains("data-testid=\"discover-button\""), "{dom}");

    // Images: both, with references, platforms and scan state.
    let dom = b.dom(&format!("#token={ADMIN}&view=images")).await?;
    let rows = elements(&dom, "data-testid=\"image-row\"");
    assert_eq!(rows.len(), 2, "{dom}");
    let scanned = rows
        .iter()
        .find(|r| r.contains(&format!("data-digest=\"{SCANNED}\"")))
        .expect("the scanned image");
    let t = text(scanned);
    for expected in [
        "sha256:aaaaaaaaaaaa",
        "team/app:1.0",
        "team/app:latest",
        "linux/amd64, linux/arm64",
        "scanned",
        "UTC",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from {t:?}");
    }
    let discovered = rows
        .iter()
        .find(|r| r.contains(&format!("data-digest=\"{DISCOVERED}\"")))
        .unwrap();
    let t = text(discovered);
    assert!(
        t.contains("team/tool:2") && t.contains("discovered") && t.contains("not yet"),
        "{t}"
    );

    // Findings: most severe first, the KEV critical at the top (though it
    // has the lowest id), values escaped, not one token in any link.
    let dom = b.dom(&format!("#token={ADMIN}&view=findings")).await?;
    let rows = elements(&dom, "data-testid=\"finding-row\"");
    let severities: Vec<String> = rows
        .iter()
        .map(|r| attr(r, "data-severity").unwrap())
        .collect();
    assert_eq!(
        severities,
        ["critical", "high", "high", "medium", "low"],
        "{dom}"
    );
    let top = rows[0];
    assert_eq!(attr(top, "data-kev").as_deref(), Some("true"));
    assert!(top.contains("data-testid=\"kev-flag\""), "{top}");
    let t = text(top);
    for expected in [
        "critical",
        "openssl: buffer overflow",
        "CVE-2024-0001",
        "openssl@3.0.11-1~deb12u2",
        "sha256:aaaaaaaaaaaa",
        "KEV",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from {t:?}");
    }
    assert!(
        !t.contains("sha256:aaaaaaaaaaaa1111"),
        "digest not shortened: {t}"
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.contains("data-testid=\"kev-flag\""))
            .count(),
        1
    );
    let hostile = rows
        .iter()
        .find(|r| r.contains("data-kind=\"secret\""))
        .unwrap();
    assert_eq!(text_of(hostile, "data-testid=\"finding-title\""), HOSTILE);
    assert!(
        !dom.contains("<img"),
        "a finding title became markup:\n{dom}"
    );
    assert!(
        !dom.contains("data-testid=\"findings-next\""),
        "one page only"
    );

    // Filters travel in the fragment: KEV only, one kind, one severity.
    let dom = b
        .dom(&format!("#token={ADMIN}&view=findings&kev=true"))
        .await?;
    let rows = elements(&dom, "data-testid=\"finding-row\"");
    assert_eq!(rows.len(), 1, "{dom}");
    assert!(
        element(&dom, "id=\"ff-kev\"").unwrap().contains(" checked"),
        "filter state shown"
    );
    let dom = b
        .dom(&format!("#token={ADMIN}&view=findings&kind=secret"))
        .await?;
    assert_eq!(
        elements(&dom, "data-testid=\"finding-row\"").len(),
        1,
        "{dom}"
    );
    let dom = b
        .dom(&format!("#token={ADMIN}&view=findings&severity=high,low"))
        .await?;
    let rows = elements(&dom, "data-testid=\"finding-row\"");
    let severities: Vec<String> = rows
        .iter()
        .map(|r| attr(r, "data-severity").unwrap())
        .collect();
    assert_eq!(severities, ["high", "high", "low"], "{dom}");
    // Sorted by first seen (all seen in the same second: newest id first).
    let dom = b
        .dom(&format!("#token={ADMIN}&view=findings&sort=first_seen"))
        .await?;
    let rows = elements(&dom, "data-testid=\"finding-row\"");
    assert_eq!(rows.len(), 5);
    assert_eq!(
        attr(rows[4], "data-severity").as_deref(),
        Some("critical"),
        "{dom}"
    );
    assert!(
        element(&dom, "data-testid=\"sort-first_seen\"").is_some()
            && dom.contains("aria-sort=\"descending\""),
        "{dom}"
    );

    // Cursor pagination: three pages of two, through the Next link.
    let mut fragment = format!("#token={ADMIN}&view=findings&limit=2");
    let mut pages = Vec::new();
    for _ in 0..5 {
        let dom = b.dom(&fragment).await?;
        assert!(
            !dom.contains(ADMIN),
            "the token was not removed from the fragment"
        );
        let ids: Vec<String> = elements(&dom, "data-testid=\"finding-row\"")
            .iter()
            .map(|r| attr(r, "data-finding-id").unwrap())
            .collect();
        pages.push(ids);
        match element(&dom, "data-testid=\"findings-next\"") {
            Some(next) => {
                let href = attr(next, "href").unwrap();
                assert!(
                    href.starts_with("#/findings?") && href.contains("cursor="),
                    "{href}"
                );
                assert!(text(next) == "Next", "{next}");
                fragment = format!("{href}&token={ADMIN}");
            }
            None => break,
        }
    }
    assert_eq!(
        pages,
        [vec!["1", "5"], vec!["4", "3"], vec!["6"]],
        "pages by id"
    );

    // Re-evaluations: the run with its counts, then its deltas.
    let dom = b.dom(&format!("#token={ADMIN}&view=reevaluations")).await?;
    let rows = elements(&dom, "data-testid=\"reevaluation-row\"");
    assert_eq!(rows.len(), 1, "{dom}");
    let run = rows[0];
    assert_eq!(attr(run, "data-run-id"), Some(seeded.run_id.to_string()));
    for (cell, n) in [
        ("inventories", "1"),
        ("new", "2"),
        ("resolved", "1"),
        ("changed", "1"),
    ] {
        assert_eq!(
            text_of(run, &format!("data-testid=\"reevaluation-{cell}\"")),
            n,
            "{cell}"
        );
    }
    let t = text(run);
    assert!(
        t.contains("db_update") && t.contains("done") && t.contains("snap-2026-11-27"),
        "{t}"
    );
    let link = element(run, "data-testid=\"reevaluation-link\"").unwrap();
    let href = attr(link, "href").unwrap();
    assert_eq!(href, format!("#/reevaluations/{}", seeded.run_id));

    let dom = b.dom(&format!("{href}?token={ADMIN}")).await?;
    assert!(dom.contains("data-testid=\"reevaluation-detail\""), "{dom}");
    let deltas = elements(&dom, "data-testid=\"delta-row\"");
    let mut changes: Vec<String> = deltas
        .iter()
        .map(|d| attr(d, "data-change").unwrap())
        .collect();
    changes.sort();
    assert_eq!(
        changes,
        ["new", "new", "resolved", "severity_changed"],
        "{dom}"
    );
    let changed = deltas
        .iter()
        .find(|d| d.contains("data-change=\"severity_changed\""))
        .unwrap();
    assert_eq!(attr(changed, "data-finding-id").as_deref(), Some("1"));
    assert_eq!(text(changed), "1 severity changed high critical");
    Ok(())
}
