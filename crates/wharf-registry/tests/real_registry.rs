//! Discovery against the real CNCF Distribution registry (Debian's
//! `docker-registry`), started on 127.0.0.1 by `wharf-testkit`: plain HTTP,
//! TLS with a test CA plus htpasswd Basic auth, and Bearer token auth with a
//! token server signing real JWTs. Images are built and pushed by the tests.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::StreamExt as _;
use wharf_registry::discovery::{ImageKind, RepositorySource};
use wharf_registry::{
    ClientConfig, Credentials, Discoverer, DiscoveryOptions, DiscoveryReport, RegistryClient,
    RegistryEndpoint, RegistryError,
};
use wharf_testkit::{
    ImageBuilder, LayerBuilder, PushAuth, RegistryOptions, SampleImages, TestRegistry, TokenServer,
    TokenServerOptions, push_sample_images,
};

const USER: &str = "scanner";
const PASSWORD: &str = "Wh4rf-real-registry-pw";

async fn connect(url: &str, config: ClientConfig) -> wharf_registry::Result<RegistryClient> {
    RegistryClient::connect(RegistryEndpoint::parse(url, config.insecure)?, &config).await
}

async fn discover(client: RegistryClient, repos: &[&str]) -> DiscoveryReport {
    let opts = DiscoveryOptions {
        repositories: repos.iter().map(|s| (*s).to_owned()).collect(),
        ..DiscoveryOptions::default()
    };
    Discoverer::new(client, opts)
        .run()
        .await
        .expect("discovery")
}

fn digest_str(d: &Option<wharf_types::Digest>) -> String {
    d.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Everything the sample set holds is discovered, exactly.
fn assert_sample_discovered(report: &DiscoveryReport, s: &SampleImages) {
    let repos: Vec<&str> = report
        .repositories
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        repos,
        ["charts/web", "legacy/app", "team/api", "team/multi"]
    );
    assert_eq!(report.summary.errors, 0, "{report:#?}");
    let repo = |n: &str| {
        report
            .repositories
            .iter()
            .find(|r| r.name == n)
            .expect("repo present")
    };

    let api = repo("team/api");
    let tags: BTreeMap<&str, String> = api
        .tags
        .iter()
        .map(|t| (t.name.as_str(), digest_str(&t.digest)))
        .collect();
    assert_eq!(tags["latest"], s.api_v1);
    assert_eq!(tags["v1"], s.api_v1);
    assert_eq!(tags["v2"], s.api_v2);
    assert_eq!(api.images.len(), 2, "two distinct digests under three tags");
    let v1 = api
        .images
        .iter()
        .find(|i| i.digest.to_string() == s.api_v1)
        .expect("v1 image");
    assert_eq!(v1.tags, ["latest", "v1"]);
    assert_eq!(v1.kind, Some(ImageKind::Image));
    assert_eq!(v1.platforms.len(), 1);
    assert_eq!(v1.platforms[0].platform, "linux/amd64");
    assert_eq!(
        v1.platforms[0].created.as_deref(),
        Some("2026-01-10T08:00:00Z")
    );
    assert_eq!(
        v1.platforms[0].labels.get("owner").map(String::as_str),
        Some("team-a")
    );
    assert_eq!(v1.platforms[0].layers, 1);

    let multi = &repo("team/multi").images[0];
    assert_eq!(multi.digest.to_string(), s.multi_index);
    assert_eq!(multi.kind, Some(ImageKind::Index));
    assert_eq!(
        multi.media_type.as_deref(),
        Some("application/vnd.oci.image.index.v1+json")
    );
    let platforms: BTreeSet<(String, String)> = multi
        .platforms
        .iter()
        .map(|p| (p.platform.clone(), p.digest.to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = s.multi_platforms.iter().cloned().collect();
    assert_eq!(platforms, expected);
    let skipped: BTreeSet<String> = multi.skipped.iter().map(|k| k.digest.to_string()).collect();
    assert_eq!(skipped, s.multi_attestations.iter().cloned().collect());
    assert!(
        multi
            .skipped
            .iter()
            .all(|k| k.reason.contains("attestation"))
    );

    let legacy = repo("legacy/app");
    let old = legacy
        .images
        .iter()
        .find(|i| i.digest.to_string() == s.legacy_old)
        .expect("old");
    assert_eq!(
        old.media_type.as_deref(),
        Some("application/vnd.docker.distribution.manifest.v2+json")
    );
    assert_eq!(
        old.platforms[0].created.as_deref(),
        Some("2019-05-01T00:00:00Z")
    );
    let list = legacy
        .images
        .iter()
        .find(|i| i.digest.to_string() == s.legacy_list)
        .expect("list");
    assert_eq!(list.kind, Some(ImageKind::Index));
    let names: Vec<&str> = list.platforms.iter().map(|p| p.platform.as_str()).collect();
    assert_eq!(names, ["linux/amd64", "linux/arm/v7"]);

    let chart = &repo("charts/web").images[0];
    assert_eq!(chart.digest.to_string(), s.chart);
    assert_eq!(chart.kind, Some(ImageKind::Artifact));
    assert!(chart.platforms.is_empty());
    assert!(
        chart.skipped[0].reason.contains("helm"),
        "{:?}",
        chart.skipped
    );

    assert_eq!(report.summary.repositories, 4);
    assert_eq!(report.summary.tags, 7);
    assert_eq!(report.summary.unique_digests, 6);
    assert_eq!(report.summary.platform_images, 2 + 2 + 1 + 2);
}

#[tokio::test]
async fn plain_http_registry_full_discovery() {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    let pusher = registry.pusher(PushAuth::None).expect("pusher");
    let sample = push_sample_images(&pusher).await.expect("push sample");

    let client = connect(&registry.url(), ClientConfig::default())
        .await
        .expect("connect");
    let report = discover(client.clone(), &[]).await;
    assert_eq!(report.repository_source, RepositorySource::Catalog);
    assert_sample_discovered(&report, &sample);

    // Each distinct manifest is fetched once: requests stay proportional.
    let r = report.requests;
    assert!(
        r.requests < 40,
        "too many requests for 4 repositories: {r:?}"
    );

    // Repository and tag globs.
    let opts = DiscoveryOptions {
        repositories: vec!["team/*".into()],
        tags: vec!["v*".into()],
        resolve_images: false,
        ..DiscoveryOptions::default()
    };
    let filtered = Discoverer::new(client.clone(), opts)
        .run()
        .await
        .expect("filtered");
    let names: Vec<&str> = filtered
        .repositories
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["team/api", "team/multi"]);
    let api_tags: Vec<&str> = filtered.repositories[0]
        .tags
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(api_tags, ["v1", "v2"]);
    assert!(
        filtered.repositories[0]
            .images
            .iter()
            .all(|i| i.kind.is_none() && i.platforms.is_empty())
    );

    // A named repository that does not exist is an error on that repository only.
    let partial = discover(client.clone(), &["team/api", "does/not-exist"]).await;
    assert_eq!(partial.summary.errors, 1);
    let missing = partial
        .repositories
        .iter()
        .find(|r| r.name == "does/not-exist")
        .expect("listed");
    assert!(
        missing.errors[0].message.contains("not found"),
        "{:?}",
        missing.errors
    );

    // Blobs stream verified.
    let fetched = client.manifest("team/api", "v1").await.expect("manifest");
    assert_eq!(fetched.digest.to_string(), sample.api_v1);
    let wharf_registry::manifest::Manifest::Image(m) = fetched.manifest else {
        panic!("image")
    };
    let mut stream = client
        .blob_stream("team/api", &m.layers[0])
        .await
        .expect("layer stream");
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        total += chunk.expect("verified chunk").len() as u64;
    }
    assert_eq!(total, m.layers[0].size);
}

#[tokio::test]
async fn tls_registry_with_htpasswd() {
    let registry = TestRegistry::start(RegistryOptions {
        tls: true,
        htpasswd: vec![(USER.into(), PASSWORD.into())],
        ..RegistryOptions::default()
    })
    .await
    .expect("registry");
    let pusher = registry
        .pusher(PushAuth::Basic {
            user: USER.into(),
            pass: PASSWORD.into(),
        })
        .expect("pusher");
    let sample = push_sample_images(&pusher).await.expect("push");
    let ca = registry.ca_path().expect("test CA");
    let host = registry.host(); // no scheme: HTTPS by default
    let config = |credentials: Credentials| ClientConfig {
        credentials,
        ca_certs: vec![ca.clone()],
        ..ClientConfig::default()
    };

    let client = connect(&host, config(Credentials::basic(USER, PASSWORD)))
        .await
        .expect("connect with CA");
    assert_eq!(client.endpoint().origin(), format!("https://{host}"));
    assert_sample_discovered(&discover(client, &[]).await, &sample);

    // Without the CA: a TLS error, not a silent downgrade.
    let err = connect(
        &host,
        ClientConfig {
            credentials: Credentials::basic(USER, PASSWORD),
            ..ClientConfig::default()
        },
    )
    .await
    .expect_err("untrusted certificate");
    let msg = err.to_string();
    assert!(
        msg.to_lowercase().contains("certificate") || msg.contains("UnknownIssuer"),
        "{msg}"
    );
    // --insecure accepts the certificate.
    let insecure = ClientConfig {
        credentials: Credentials::basic(USER, PASSWORD),
        insecure: true,
        ..ClientConfig::default()
    };
    connect(&host, insecure).await.expect("insecure TLS");
    // Wrong password and no password: clear auth errors without the secret.
    let err = connect(&host, config(Credentials::basic(USER, "not-the-password")))
        .await
        .expect_err("wrong");
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");
    assert!(!err.to_string().contains("not-the-password"));
    let err = connect(&host, config(Credentials::Anonymous))
        .await
        .expect_err("anonymous");
    assert!(err.to_string().contains("requires"), "{err}");
}

#[tokio::test]
async fn token_auth_registry() {
    let tokens = TokenServer::start(TokenServerOptions {
        service: "wharf-test-registry".into(),
        issuer: "wharf-test-issuer".into(),
        users: vec![(USER.into(), PASSWORD.into())],
        refresh_tokens: vec![("refresh-Wh4rf-123".into(), USER.into())],
        ..TokenServerOptions::default()
    })
    .await
    .expect("token server");
    let registry = TestRegistry::start(RegistryOptions {
        token: Some(tokens.auth_config()),
        ..RegistryOptions::default()
    })
    .await
    .expect("registry");
    let push_token = tokens.mint(
        "pusher",
        &[
            ("repository", "team/api", &["pull", "push"]),
            ("repository", "team/multi", &["pull", "push"]),
            ("repository", "legacy/app", &["pull", "push"]),
            ("repository", "charts/web", &["pull", "push"]),
        ],
    );
    let pusher = registry
        .pusher(PushAuth::Bearer(push_token))
        .expect("pusher");
    let sample = push_sample_images(&pusher).await.expect("push");

    // Basic credentials exchanged at the realm (GET), one token per scope.
    let config = ClientConfig {
        credentials: Credentials::basic(USER, PASSWORD),
        ..ClientConfig::default()
    };
    let client = connect(&registry.url(), config).await.expect("connect");
    let report = discover(client.clone(), &[]).await;
    assert_sample_discovered(&report, &sample);
    // ping + catalog + one per repository; never one per request.
    assert!(
        report.requests.token_fetches <= 1 + 1 + 4 + 2,
        "token cache not effective: {:?}",
        report.requests
    );
    let before = client.stats().token_fetches;
    discover(client.clone(), &["team/api"]).await;
    assert_eq!(client.stats().token_fetches, before, "cached token reused");

    // A refresh (identity) token exchanged with OAuth2 POST.
    let config = ClientConfig {
        credentials: Credentials::IdentityToken {
            username: None,
            token: "refresh-Wh4rf-123".into(),
        },
        ..ClientConfig::default()
    };
    let client = connect(&registry.url(), config)
        .await
        .expect("identity token");
    assert_sample_discovered(&discover(client, &[]).await, &sample);
    let posts = tokens
        .requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert!(posts > 0, "identity token must use the OAuth2 POST flow");

    // Anonymous: the realm refuses pull tokens, the error says so.
    let err = connect(&registry.url(), ClientConfig::default()).await;
    let err = match err {
        Ok(c) => Discoverer::new(c, DiscoveryOptions::default())
            .run()
            .await
            .expect_err("anonymous"),
        Err(e) => e,
    };
    assert!(
        matches!(
            err,
            RegistryError::CatalogUnavailable { .. } | RegistryError::Token { .. }
        ),
        "{err}"
    );
}

/// 320 repositories, catalog pages of 100: everything discovered.
#[tokio::test]
async fn large_registry_catalog_pagination() {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    let pusher = registry.pusher(PushAuth::None).expect("pusher");
    let base = LayerBuilder::new()
        .file("base.txt", "shared base layer", 0o644)
        .build()
        .expect("layer");
    let mut expected: BTreeMap<String, (String, String)> = BTreeMap::new();
    let images: Vec<(String, wharf_testkit::BuiltImage, wharf_testkit::BuiltImage)> = (0..320)
        .map(|i| {
            let name = format!("org{}/svc-{i:04}", i % 7);
            let a = ImageBuilder::new()
                .layer(base.clone())
                .label("n", format!("{i}-a"))
                .build()
                .expect("image");
            let b = ImageBuilder::new()
                .layer(base.clone())
                .label("n", format!("{i}-b"))
                .build()
                .expect("image");
            (name, a, b)
        })
        .collect();
    futures::stream::iter(&images)
        .map(|(name, a, b)| {
            let pusher = &pusher;
            async move {
                pusher.push_image(name, "stable", a).await.expect("push a");
                pusher
                    .put_manifest(name, "prod", &a.manifest)
                    .await
                    .expect("tag prod");
                pusher.push_image(name, "edge", b).await.expect("push b");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    for (name, a, b) in &images {
        expected.insert(name.clone(), (a.digest().to_owned(), b.digest().to_owned()));
    }

    let client = connect(&registry.url(), ClientConfig::default())
        .await
        .expect("connect");
    let catalog = client.catalog(100).await.expect("catalog");
    assert_eq!(catalog.len(), 320);
    let report = discover(client, &[]).await;
    assert_eq!(report.summary.repositories, 320);
    assert_eq!(report.summary.tags, 960);
    assert_eq!(report.summary.unique_digests, 640);
    assert_eq!(report.summary.errors, 0);
    for repo in &report.repositories {
        let (a, b) = &expected[&repo.name];
        let tags: BTreeMap<&str, String> = repo
            .tags
            .iter()
            .map(|t| (t.name.as_str(), digest_str(&t.digest)))
            .collect();
        assert_eq!(
            (&tags["stable"], &tags["prod"], &tags["edge"]),
            (a, a, b),
            "{}",
            repo.name
        );
    }
    // Catalog pages of 100 means at least 4 catalog requests were followed.
    assert!(report.requests.requests >= 4 + 320 + 960);
}

/// An image copied into the registry by skopeo (converted to Docker schema
/// 2 on the way) is discovered like any other.
#[tokio::test]
async fn image_pushed_by_skopeo_as_docker_schema2() {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    let layout = tempfile::tempdir().expect("tempdir");
    let image = ImageBuilder::new()
        .layer(
            LayerBuilder::new()
                .file("hello.txt", "hello from skopeo", 0o644)
                .build()
                .expect("layer"),
        )
        .created("2025-06-01T12:00:00Z")
        .label("source", "skopeo")
        .build()
        .expect("image");
    wharf_testkit::write_oci_layout(layout.path(), &image, "v1").expect("layout");
    let out = std::process::Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            "--format",
            "v2s2",
        ])
        .arg(format!("oci:{}:v1", layout.path().display()))
        .arg(format!("docker://{}/skopeo/hello:v1", registry.host()))
        .output()
        .expect("skopeo (apt-get install skopeo)");
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let client = connect(&registry.url(), ClientConfig::default())
        .await
        .expect("connect");
    let report = discover(client.clone(), &[]).await;
    let img = &report.repositories[0].images[0];
    assert_eq!(report.repositories[0].name, "skopeo/hello");
    assert_eq!(
        img.media_type.as_deref(),
        Some("application/vnd.docker.distribution.manifest.v2+json")
    );
    assert_ne!(
        img.digest.to_string(),
        image.digest(),
        "converted manifest has its own digest"
    );
    assert_eq!(img.platforms[0].platform, "linux/amd64");
    assert_eq!(
        img.platforms[0].created.as_deref(),
        Some("2025-06-01T12:00:00Z")
    );
    assert_eq!(
        img.platforms[0].labels.get("source").map(String::as_str),
        Some("skopeo")
    );
    // The digest discovery reports is the one the registry serves.
    let head = client
        .head_manifest("skopeo/hello", "v1")
        .await
        .expect("head");
    assert_eq!(head.digest.as_ref(), Some(&img.digest));
}

/// A scheme-less endpoint means HTTPS; against a plain-HTTP registry on
/// loopback (or any registry with `insecure`) wharf falls back to HTTP, as
/// Docker does. An explicit `https://` never falls back.
#[tokio::test]
async fn scheme_less_loopback_falls_back_from_https_to_http() {
    let registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    push_sample_images(&registry.pusher(PushAuth::None).expect("pusher"))
        .await
        .expect("push");
    let quick = wharf_registry::Limits {
        max_retries: 0,
        ..wharf_registry::Limits::default()
    };
    let config = ClientConfig {
        limits: quick,
        ..ClientConfig::default()
    };
    let explicit = format!("https://{}", registry.host());
    let err = connect(&explicit, config.clone())
        .await
        .expect_err("explicit HTTPS to an HTTP registry");
    assert!(matches!(err, RegistryError::Transport { .. }), "{err}");
    let client = connect(&registry.host(), config)
        .await
        .expect("fallback to HTTP");
    assert_eq!(client.endpoint().origin(), registry.url());
    assert_eq!(discover(client, &[]).await.summary.repositories, 4);
}

/// A registry that goes away mid-run: errors name the registry, nothing hangs.
#[tokio::test]
async fn stopped_registry_gives_a_clear_error() {
    let mut registry = TestRegistry::start(RegistryOptions::default())
        .await
        .expect("registry");
    let url = registry.url();
    registry.stop();
    let config = ClientConfig {
        limits: wharf_registry::Limits {
            max_retries: 1,
            retry_base_delay: Duration::from_millis(10),
            ..wharf_registry::Limits::default()
        },
        ..ClientConfig::default()
    };
    let err = connect(&url, config).await.expect_err("registry is down");
    assert!(matches!(err, RegistryError::Transport { .. }), "{err}");
    assert!(err.to_string().contains(&url), "{err}");
}
