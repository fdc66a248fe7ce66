//! `wharf connector`: manage the registry connectors of a running `wharf
//! serve` through its REST API (`/api/v1/connectors`).
//!
//! Connector secrets are never taken as argument values (they would land in
//! shell history and `ps`): they come from standard input or a named
//! environment variable, are sent once to the server and never printed. The
//! API token (`--token` / `WHARF_TOKEN`) is never printed or logged either.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use reqwest::Method;
use serde_json::{Map, Value, json};
use wharf_types::SecretString;

use crate::exit;

/// Output formats of the API client commands.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// A table for people.
    Table,
    /// The server's JSON response, pretty-printed.
    Json,
}

/// Where the wharf server is and how to authenticate to it.
#[derive(Args, Debug, Clone)]
pub(crate) struct ServerArgs {
    /// Base URL of the running wharf server (`wharf serve`).
    #[arg(
        long,
        global = true,
        env = "WHARF_SERVER",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    server: url::Url,
    /// API token (admin to change anything, viewer to read). Prefer the
    /// WHARF_TOKEN environment variable: a value on the command line is
    /// visible to other local users. Never printed or logged.
    #[arg(
        long,
        global = true,
        env = "WHARF_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<SecretString>,
}

/// A failed API call: the server's problem+json `title` and `detail`.
#[derive(Debug)]
pub(crate) struct ApiFailure {
    status: u16,
    title: String,
    detail: String,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server answered {} {}: {}",
            self.status, self.title, self.detail
        )
    }
}

impl std::error::Error for ApiFailure {}

/// A small JSON client of the server's `/api/v1`.
pub(crate) struct Api {
    http: reqwest::Client,
    base: url::Url,
    token: Option<SecretString>,
}

impl Api {
    pub(crate) fn new(args: &ServerArgs) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // A connector test can wait on a slow registry.
            .timeout(Duration::from_secs(180))
            .user_agent(concat!("wharf-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            http,
            base: args.server.clone(),
            token: args.token.clone().filter(|t| !t.is_empty()),
        })
    }

    /// `/api/v1/<segments…>`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> anyhow::Result<url::Url> {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| anyhow::anyhow!("--server {}: not a base URL", self.base))?;
            path.pop_if_empty().extend(["api", "v1"]).extend(segments);
        }
        Ok(url)
    }

    /// Send a request; the JSON body of a 2xx answer (`null` when empty),
    /// an [`ApiFailure`] otherwise.
    pub(crate) async fn call(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let url = self.url(segments)?;
        let mut req = self.http.request(method.clone(), url.clone());
        if let Some(t) = &self.token {
            // reqwest marks the header sensitive: it never shows in a log.
            req = req.bearer_auth(t.expose());
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        tracing::debug!(%method, path = url.path(), "API request");
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach the wharf server at {}", self.base))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .with_context(|| format!("reading the answer of {} {}", method, url.path()))?;
        if !status.is_success() {
            let problem: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let text = |k: &str| problem[k].as_str().map(str::to_owned);
            return Err(ApiFailure {
                status: status.as_u16(),
                title: text("title")
                    .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
                detail: text("detail")
                    .unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_owned()),
            }
            .into());
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} {} did not answer JSON: is {} a wharf server?",
                method,
                url.path(),
                self.base
            )
        })
    }
}

/// Pretty JSON with a final newline.
pub(crate) fn pretty(v: &Value) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s)
}

/// A Unix time as UTC, or `-`.
pub(crate) fn time(v: &Value) -> String {
    v.as_i64()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(
            || "-".to_owned(),
            |t| t.strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
        )
}

pub(crate) fn table() -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t
}

/// Manage the registry connectors of a running wharf server (`wharf
/// serve`) through its REST API.
///
/// Exit codes: 0 done, 1 `test` found a failing check, 2 error (server
/// unreachable, invalid settings, 401/403/404 and other API errors; the
/// server's explanation is printed).
#[derive(Args, Debug)]
pub(crate) struct ConnectorArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: ConnectorCommand,
}

#[derive(Subcommand, Debug)]
enum ConnectorCommand {
    /// Add a connector (needs an admin token). Its first discovery is
    /// queued at once.
    Add(Box<AddArgs>),
    /// List every connector.
    List(FormatArgs),
    /// Show one connector with its repository and tag counts.
    Show(TargetArgs),
    /// Change a connector's settings (needs an admin token). Only the
    /// settings given are changed.
    Update(Box<UpdateArgs>),
    /// Remove a connector and everything discovered through it (needs an
    /// admin token). Asks no confirmation.
    Remove(RemoveArgs),
    /// Check that the server can reach, authenticate to and list a
    /// registry: a saved connector (NAME_OR_ID) or unsaved settings
    /// (--url …). Exit code 0 all checks passed, 1 a check failed.
    Test(Box<TestArgs>),
}

#[derive(Args, Debug)]
struct FormatArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Args, Debug)]
struct TargetArgs {
    /// The connector's name or numeric id.
    name_or_id: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Args, Debug)]
struct RemoveArgs {
    /// The connector's name or numeric id.
    name_or_id: String,
}

/// How the server pulls a connector's images.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Mode {
    /// The server's own workers reach the registry.
    Direct,
    /// Workers in your environment take jobs from the server (stored, not
    /// scanned yet).
    Outpost,
    /// The server tunnels through a broker that dials out (stored, not
    /// scanned yet).
    Broker,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Outpost => "outpost",
            Self::Broker => "broker",
        }
    }
}

/// Which tags a connector's first discovery sends to scanning.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Scope {
    /// Every tag.
    All,
    /// The most recently created tag of each repository.
    LatestTag,
    /// Tags whose image was created in the last --days days.
    ModifiedDays,
}

/// Where the connector's registry secret comes from: never an argument
/// value.
#[derive(Args, Debug, Clone)]
#[command(group(
    ArgGroup::new("secret")
        .args(["password_stdin", "token_stdin", "password_env", "token_env"])
        .multiple(false)
))]
struct SecretArgs {
    /// Read the registry password from standard input (one trailing
    /// newline is removed).
    #[arg(long)]
    password_stdin: bool,
    /// Read the registry token (a personal access token with --username, or
    /// a bearer token sent as is without one) from standard input.
    #[arg(long)]
    token_stdin: bool,
    /// Take the registry password from the environment variable VAR.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Take the registry token from the environment variable VAR.
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
}

impl SecretArgs {
    /// `("password"|"token", value)` if a secret was asked for.
    fn read(&self) -> anyhow::Result<Option<(&'static str, SecretString)>> {
        let from_stdin = |flag: &str| -> anyhow::Result<SecretString> {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .with_context(|| format!("{flag}: reading standard input"))?;
            let s = s.strip_suffix('\n').unwrap_or(&s);
            let s = s.strip_suffix('\r').unwrap_or(s);
            if s.is_empty() {
                bail!("{flag}: standard input was empty");
            }
            Ok(SecretString::new(s))
        };
        let from_env = |flag: &str, var: &str| -> anyhow::Result<SecretString> {
            match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(SecretString::new(v)),
                _ => bail!("{flag} {var}: the environment variable is not set or empty"),
            }
        };
        Ok(if self.password_stdin {
            Some(("password", from_stdin("--password-stdin")?))
        } else if self.token_stdin {
            Some(("token", from_stdin("--token-stdin")?))
        } else if let Some(var) = &self.password_env {
            Some(("password", from_env("--password-env", var)?))
        } else if let Some(var) = &self.token_env {
            Some(("token", from_env("--token-env", var)?))
        } else {
            None
        })
    }
}

/// A connector's settings other than its URL and name, all optional.
#[derive(Args, Debug, Clone)]
struct SpecArgs {
    /// User name for the registry password or token.
    #[arg(long, short = 'u')]
    username: Option<String>,
    #[command(flatten)]
    secret: SecretArgs,
    /// Trust the PEM CA certificate(s) in FILE for this registry (the
    /// file's content is stored with the connector).
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Allow plain HTTP and unverified TLS for this registry (plain HTTP to
    /// loopback is always allowed).
    #[arg(long)]
    insecure: bool,
    /// How the server pulls images.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Only repositories matching this glob (repeatable; default: all).
    #[arg(long = "include-repo", value_name = "GLOB")]
    include_repo: Vec<String>,
    /// Skip repositories matching this glob (repeatable; wins over
    /// --include-repo).
    #[arg(long = "exclude-repo", value_name = "GLOB")]
    exclude_repo: Vec<String>,
    /// Only tags matching this glob (repeatable; default: all).
    #[arg(long = "include-tag", value_name = "GLOB")]
    include_tag: Vec<String>,
    /// Skip tags matching this glob (repeatable; wins over --include-tag).
    #[arg(long = "exclude-tag", value_name = "GLOB")]
    exclude_tag: Vec<String>,
    /// Which tags the first discovery scans (tags pushed later are always
    /// scanned; default: all).
    #[arg(long, value_enum)]
    scope: Option<Scope>,
    /// The window of --scope modified-days, in days (0 to 90).
    #[arg(
        long,
        value_name = "N",
        required_if_eq("scope", "modified-days"),
        value_parser = clap::value_parser!(u16).range(0..=90)
    )]
    days: Option<u16>,
    /// Create the connector disabled: no discovery and no scans until it is
    /// enabled.
    #[arg(long)]
    disabled: bool,
    /// Seconds between discoveries (at least 60; default 3600).
    #[arg(long, value_name = "SECS", value_parser = parse_interval)]
    interval: Option<u64>,
}

/// `--interval`: whole seconds, at least 60 (as the server requires).
fn parse_interval(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if n >= 60 => Ok(n),
        Ok(_) => Err("the discovery interval must be at least 60 seconds".to_owned()),
        Err(e) => Err(format!("not a number of seconds: {e}")),
    }
}

impl SpecArgs {
    /// The settings given, as API fields (filters only when given; the
    /// caller merges them).
    fn fields(&self, body: &mut Map<String, Value>) -> anyhow::Result<()> {
        if let Some(u) = &self.username {
            body.insert("username".into(), json!(u));
        }
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("--ca-cert: reading {}", path.display()))?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                bail!("--ca-cert {}: not a PEM certificate file", path.display());
            }
            body.insert("ca_cert".into(), json!(pem));
        }
        if self.insecure {
            body.insert("insecure".into(), json!(true));
        }
        if let Some(m) = self.mode {
            body.insert("mode".into(), json!(m.as_str()));
        }
        let scope = match (self.scope, self.days) {
            (None, None) => None,
            (None, Some(_)) => bail!("--days needs --scope modified-days"),
            (Some(Scope::ModifiedDays), Some(days)) => {
                Some(json!({ "kind": "modified_days", "days": days }))
            }
            (Some(Scope::ModifiedDays), None) => {
                bail!("--scope modified-days needs --days N (0 to 90)")
            }
            (Some(_), Some(_)) => bail!("--days applies only to --scope modified-days"),
            (Some(Scope::All), None) => Some(json!({ "kind": "all" })),
            (Some(Scope::LatestTag), None) => Some(json!({ "kind": "latest_tag" })),
        };
        if let Some(s) = scope {
            body.insert("scope".into(), s);
        }
        if self.disabled {
            body.insert("enabled".into(), json!(false));
        }
        if let Some(i) = self.interval {
            body.insert("discovery_interval_secs".into(), json!(i));
        }
        if let Some((kind, value)) = self.secret.read()? {
            body.insert(kind.into(), json!(value.expose()));
        }
        Ok(())
    }

    /// `{"include": …, "exclude": …}` for repositories and tags, keeping
    /// the side not given from `current` (update) or empty (add).
    fn filters(&self, body: &mut Map<String, Value>, current: Option<&Value>) {
        for (key, include, exclude) in [
            ("repositories", &self.include_repo, &self.exclude_repo),
            ("tags", &self.include_tag, &self.exclude_tag),
        ] {
            if include.is_empty() && exclude.is_empty() && current.is_some() {
                continue;
            }
            let keep = |side: &str, given: &Vec<String>| {
                if given.is_empty() {
                    current.map_or_else(|| json!([]), |c| c[key][side].clone())
                } else {
                    json!(given)
                }
            };
            body.insert(
                key.into(),
                json!({ "include": keep("include", include), "exclude": keep("exclude", exclude) }),
            );
        }
    }

    fn gives_filters(&self) -> bool {
        !(self.include_repo.is_empty()
            && self.exclude_repo.is_empty()
            && self.include_tag.is_empty()
            && self.exclude_tag.is_empty())
    }
}

#[derive(Args, Debug)]
struct AddArgs {
    /// A unique name for the connector.
    name: String,
    /// Registry URL (`https://ghcr.io`, `registry.example.com:5000`,
    /// `http://127.0.0.1:5000`).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    spec: SpecArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Args, Debug)]
struct UpdateArgs {
    /// The connector's name or numeric id.
    name_or_id: String,
    /// New registry URL.
    #[arg(long)]
    url: Option<String>,
    #[command(flatten)]
    spec: SpecArgs,
    /// Verify TLS again (undo --insecure).
    #[arg(long, conflicts_with = "insecure")]
    secure: bool,
    /// Enable the connector again (undo --disabled).
    #[arg(long, conflicts_with = "disabled")]
    enabled: bool,
    /// Remove the stored password or token.
    #[arg(long, conflicts_with = "secret")]
    clear_secret: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").args(["name_or_id", "url"]).required(true)))]
struct TestArgs {
    /// A saved connector's name or numeric id.
    #[arg(conflicts_with = "url")]
    name_or_id: Option<String>,
    /// Test unsaved settings: the registry URL (with the other settings
    /// flags as for `add`).
    #[arg(long)]
    url: Option<String>,
    #[command(flatten)]
    spec: SpecArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
}

pub(crate) async fn run(args: ConnectorArgs) -> anyhow::Result<u8> {
    let api = Api::new(&args.server)?;
    match args.command {
        ConnectorCommand::Add(a) => {
            let mut body = Map::new();
            body.insert("name".into(), json!(a.name));
            body.insert("url".into(), json!(a.url));
            a.spec.fields(&mut body)?;
            a.spec.filters(&mut body, None);
            let c = api
                .call(Method::POST, &["connectors"], Some(&Value::Object(body)))
                .await?;
            tracing::info!(connector = %a.name, "connector added; its first discovery is queued");
            render(a.format, &c, || render_connector(&c, None))?;
        }
        ConnectorCommand::List(f) => {
            let v = api.call(Method::GET, &["connectors"], None).await?;
            render(f.format, &v, || render_list(&v))?;
        }
        ConnectorCommand::Show(t) => {
            let v = api
                .call(Method::GET, &["connectors", &t.name_or_id], None)
                .await?;
            render(t.format, &v, || render_connector(&v["connector"], Some(&v)))?;
        }
        ConnectorCommand::Update(u) => {
            let mut body = Map::new();
            if let Some(url) = &u.url {
                body.insert("url".into(), json!(url));
            }
            u.spec.fields(&mut body)?;
            if u.secure {
                body.insert("insecure".into(), json!(false));
            }
            if u.enabled {
                body.insert("enabled".into(), json!(true));
            }
            if u.clear_secret {
                body.insert("clear_secret".into(), json!(true));
            }
            if u.spec.gives_filters() {
                let current = api
                    .call(Method::GET, &["connectors", &u.name_or_id], None)
                    .await?;
                u.spec.filters(&mut body, Some(&current["connector"]));
            }
            if body.is_empty() {
                bail!("nothing to change: give at least one setting (see --help)");
            }
            let c = api
                .call(
                    Method::PATCH,
                    &["connectors", &u.name_or_id],
                    Some(&Value::Object(body)),
                )
                .await?;
            render(u.format, &c, || render_connector(&c, None))?;
        }
        ConnectorCommand::Remove(r) => {
            api.call(Method::DELETE, &["connectors", &r.name_or_id], None)
                .await?;
            tracing::info!(connector = %r.name_or_id, "connector removed");
        }
        ConnectorCommand::Test(t) => {
            let v = match (&t.name_or_id, &t.url) {
                (Some(id), None) => {
                    if has_settings(&t.spec) {
                        bail!(
                            "testing a saved connector uses its stored settings: give NAME_OR_ID alone, or --url with settings to test unsaved ones"
                        );
                    }
                    api.call(Method::POST, &["connectors", id, "test"], None)
                        .await?
                }
                (None, Some(url)) => {
                    let mut body = Map::new();
                    body.insert("url".into(), json!(url));
                    t.spec.fields(&mut body)?;
                    t.spec.filters(&mut body, None);
                    api.call(
                        Method::POST,
                        &["connectors", "test"],
                        Some(&Value::Object(body)),
                    )
                    .await?
                }
                _ => bail!("give a connector NAME_OR_ID or --url, not both"),
            };
            render(t.format, &v, || Ok(render_test(&v)))?;
            return Ok(if v["ok"].as_bool() == Some(true) {
                exit::OK
            } else {
                exit::FAILED
            });
        }
    }
    Ok(exit::OK)
}

/// Whether any setting flag was given (they only apply to unsaved tests).
fn has_settings(s: &SpecArgs) -> bool {
    let sec = &s.secret;
    s.username.is_some()
        || s.ca_cert.is_some()
        || s.insecure
        || s.mode.is_some()
        || s.scope.is_some()
        || s.days.is_some()
        || s.disabled
        || s.interval.is_some()
        || s.gives_filters()
        || sec.password_stdin
        || sec.token_stdin
        || sec.password_env.is_some()
        || sec.token_env.is_some()
}

/// Write `json` pretty, or the table from `table`.
pub(crate) fn render(
    format: Format,
    json: &Value,
    table: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    let rendered = match format {
        Format::Json => pretty(json)?,
        Format::Table => table()?,
    };
    crate::write_output(&rendered, None)
}

fn scope_text(s: &Value) -> String {
    match s["kind"].as_str() {
        Some("modified_days") => format!("modified in {} days", s["days"]),
        Some("latest_tag") => "latest tag".to_owned(),
        Some(k) => k.to_owned(),
        None => "-".to_owned(),
    }
}

fn filter_text(f: &Value) -> String {
    let list = |side: &str| {
        f[side]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let (inc, exc) = (list("include"), list("exclude"));
    match (inc.is_empty(), exc.is_empty()) {
        (true, true) => "all".to_owned(),
        (false, true) => inc,
        (true, false) => format!("all except {exc}"),
        (false, false) => format!("{inc} except {exc}"),
    }
}

fn str_or<'a>(v: &'a Value, default: &'a str) -> &'a str {
    v.as_str().unwrap_or(default)
}

fn render_list(v: &Value) -> anyhow::Result<String> {
    let items = v["items"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return Ok("no connectors\n".to_owned());
    }
    let mut t = table();
    t.set_header([
        "ID",
        "NAME",
        "URL",
        "ENABLED",
        "MODE",
        "SCOPE",
        "SECRET",
        "LAST DISCOVERY",
        "LAST ERROR",
    ]);
    for c in &items {
        t.add_row([
            c["id"].to_string(),
            str_or(&c["name"], "").to_owned(),
            str_or(&c["url"], "").to_owned(),
            if c["enabled"].as_bool() == Some(false) {
                "no"
            } else {
                "yes"
            }
            .to_owned(),
            str_or(&c["mode"], "direct").to_owned(),
            scope_text(&c["scope"]),
            str_or(&c["secret"], "-").to_owned(),
            time(&c["last_discovery_at"]),
            str_or(&c["last_error"], "").to_owned(),
        ]);
    }
    Ok(format!("{t}\n"))
}

/// One connector as a two-column table; `shown` is `show`'s answer (with
/// the repository and tag counts).
fn render_connector(c: &Value, shown: Option<&Value>) -> anyhow::Result<String> {
    let mut t = table();
    let mut row = |k: &str, v: String| {
        t.add_row([k.to_owned(), v]);
    };
    row("id", c["id"].to_string());
    row("name", str_or(&c["name"], "").to_owned());
    row("url", str_or(&c["url"], "").to_owned());
    row("username", str_or(&c["username"], "-").to_owned());
    row("secret", str_or(&c["secret"], "none").to_owned());
    row(
        "ca_cert",
        if c["ca_cert"].is_string() {
            "yes"
        } else {
            "no"
        }
        .to_owned(),
    );
    row("insecure", c["insecure"].to_string());
    row("enabled", c["enabled"].to_string());
    row("mode", str_or(&c["mode"], "direct").to_owned());
    row("repositories filter", filter_text(&c["repositories"]));
    row("tags filter", filter_text(&c["tags"]));
    row("initial scope", scope_text(&c["scope"]));
    row(
        "discovery interval",
        format!("{}s", c["discovery_interval_secs"]),
    );
    row("created", time(&c["created_at"]));
    row("updated", time(&c["updated_at"]));
    row("last discovery", time(&c["last_discovery_at"]));
    row("next discovery", time(&c["next_discovery_at"]));
    row("last error", str_or(&c["last_error"], "-").to_owned());
    if let Some(s) = shown {
        row("repositories", s["repositories"].to_string());
        row("tags", s["tags"].to_string());
    }
    Ok(format!("{t}\n"))
}

fn render_test(v: &Value) -> String {
    let mut out = String::new();
    for s in v["steps"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let mark = if s["ok"].as_bool() == Some(true) {
            "✓"
        } else {
            "✗"
        };
        out.push_str(&format!(
            "{mark} {}: {}\n",
            str_or(&s["step"], "?"),
            str_or(&s["message"], "")
        ));
    }
    out.push_str(if v["ok"].as_bool() == Some(true) {
        "all checks passed\n"
    } else {
        "a check failed\n"
    });
    out
}
