//! The service's domain records, as the store keeps them and the API shows
//! them.

use serde::{Deserialize, Serialize};

/// How a connector's images are pulled and scanned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanMode {
    /// The server's own workers reach the registry.
    #[default]
    Direct,
    /// Workers in the user's environment take jobs from the server (not
    /// implemented yet: accepted and stored, never scanned).
    Outpost,
    /// The server's workers tunnel through a broker that dials out (not
    /// implemented yet: accepted and stored, never scanned).
    Broker,
}

/// Which tags the first discovery of a connector sends to scanning. Tags
/// pushed after the first discovery are always scanned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum InitialScope {
    /// Every tag.
    #[default]
    All,
    /// The most recently created tag of each repository.
    LatestTag,
    /// Tags whose image was created in the last `days` days (0..=90).
    ModifiedDays {
        /// The window in days.
        days: u16,
    },
}

impl InitialScope {
    /// The longest `modified_days` window accepted.
    pub const MAX_DAYS: u16 = 90;
}

/// Include and exclude glob patterns (`team/*`, `v1.*`). Empty include:
/// everything; exclude wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// Patterns to keep.
    pub include: Vec<String>,
    /// Patterns to drop.
    pub exclude: Vec<String>,
}

/// A connector's settings (everything but its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorSpec {
    /// Registry URL (`https://ghcr.io`, `http://127.0.0.1:5000`).
    pub url: String,
    /// User name for the password or token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// PEM CA certificate(s) to trust for this registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// Skip TLS verification (and allow plain HTTP).
    #[serde(default)]
    pub insecure: bool,
    /// Scan mode.
    #[serde(default)]
    pub mode: ScanMode,
    /// Repository filters.
    #[serde(default)]
    pub repositories: Filters,
    /// Tag filters.
    #[serde(default)]
    pub tags: Filters,
    /// Initial scan scope.
    #[serde(default)]
    pub scope: InitialScope,
    /// Whether discovery and scans run.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds between discoveries.
    #[serde(default = "default_interval")]
    pub discovery_interval_secs: u64,
}

fn yes() -> bool {
    true
}

fn default_interval() -> u64 {
    3600
}

/// What kind of secret a connector holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// A password (with the username: HTTP Basic, or a token exchange).
    Password,
    /// A token: a personal access token with the username, or a bearer
    /// token sent as is without one.
    Token,
}

impl SecretKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Token => "token",
        }
    }
}

/// A connector's secret in clear (only ever in memory).
#[derive(Clone)]
pub struct ConnectorSecret {
    /// Its kind.
    pub kind: SecretKind,
    /// The value.
    pub value: wharf_types::SecretString,
}

impl std::fmt::Debug for ConnectorSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConnectorSecret({:?}, ***)", self.kind)
    }
}

/// A stored connector.
#[derive(Debug, Clone, Serialize)]
pub struct Connector {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Settings.
    #[serde(flatten)]
    pub spec: ConnectorSpec,
    /// Which secret it holds, if any (never the value).
    pub secret: Option<SecretKind>,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Last changed (Unix seconds).
    pub updated_at: i64,
    /// Last discovery finished (Unix seconds).
    pub last_discovery_at: Option<i64>,
    /// Next discovery due (Unix seconds).
    pub next_discovery_at: i64,
    /// The last discovery's error, if it failed.
    pub last_error: Option<String>,
}

/// A discovered repository.
#[derive(Debug, Clone, Serialize)]
pub struct Repository {
    /// Id.
    pub id: i64,
    /// Its connector.
    pub connector_id: i64,
    /// Name (`library/nginx`).
    pub name: String,
    /// Tags now.
    pub tags: i64,
    /// First discovered.
    pub first_seen: i64,
    /// Last seen in a discovery.
    pub last_seen: i64,
}

/// A discovered tag.
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    /// Id.
    pub id: i64,
    /// Its repository.
    pub repository_id: i64,
    /// Repository name.
    pub repository: String,
    /// Tag name.
    pub name: String,
    /// Manifest digest it points at.
    pub digest: String,
    /// Image creation time from its config (Unix seconds).
    pub image_created: Option<i64>,
    /// First discovered.
    pub first_seen: i64,
    /// Last moved to a new digest (or first seen).
    pub updated_at: i64,
    /// Last seen in a discovery.
    pub last_seen: i64,
}

/// One platform of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePlatform {
    /// `linux/amd64`.
    pub platform: String,
    /// Its manifest digest.
    pub digest: String,
    /// Creation time (RFC 3339) from its config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// Where an image stands in scanning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanState {
    /// Known, not scanned (out of the initial scope, or not yet).
    Discovered,
    /// A scan job is queued or running.
    Queued,
    /// Scanned; inventories stored.
    Scanned,
    /// The last scan failed for good.
    Failed,
}

impl ScanState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discovered => "discovered",
            Self::Queued => "queued",
            Self::Scanned => "scanned",
            Self::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "queued" => Self::Queued,
            "scanned" => Self::Scanned,
            "failed" => Self::Failed,
            _ => Self::Discovered,
        }
    }
}

/// A distinct manifest (image or index), shared by every tag and registry
/// that points at it.
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    /// Manifest digest.
    pub digest: String,
    /// Media type.
    pub media_type: Option<String>,
    /// `index`, `image` or `artifact`.
    pub kind: Option<String>,
    /// Its platform images.
    pub platforms: Vec<ImagePlatform>,
    /// First discovered.
    pub first_seen: i64,
    /// Scan state.
    pub scan_state: ScanState,
    /// Last scanned.
    pub scanned_at: Option<i64>,
    /// The scanner version that produced its inventories.
    pub scanner: Option<String>,
    /// The last scan's error.
    pub scan_error: Option<String>,
    /// `repository:tag` references pointing at it.
    pub references: Vec<String>,
}
