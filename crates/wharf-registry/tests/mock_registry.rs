//! Behaviour a local registry cannot show, against mock servers: catalog
//! refusal (Docker Hub, GHCR), challenges without `scope`, 429 with
//! `Retry-After`, 5xx then success, digest mismatches, blob redirects to
//! another host, oversize and malformed documents, OAuth2 refresh-token
//! exchange. Credential leaks are tested in `credential_leaks.rs`.

use std::time::{Duration, Instant};

use base64::Engine as _;
use wharf_registry::manifest::{Descriptor, media_type};
use wharf_registry::{
    ClientConfig, Credentials, Discoverer, DiscoveryOptions, Limits, RegistryClient,
    RegistryEndpoint, RegistryError,
};
use wharf_types::Digest;
use wiremock::matchers::{header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PASSWORD: &str = "pa55-Wh4rf-Secret";
const REFRESH: &str = "refresh-T0ken-Wh4rf";
const JWT: &str = "eyJ.registry-t0ken.sig";

fn fast_limits() -> Limits {
    Limits {
        retry_base_delay: Duration::from_millis(5),
        retry_max_delay: Duration::from_millis(20),
        request_timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

fn client_for(server: &MockServer, credentials: Credentials) -> RegistryClient {
    client_with(server, credentials, fast_limits())
}

fn client_with(server: &MockServer, credentials: Credentials, limits: Limits) -> RegistryClient {
    let endpoint = RegistryEndpoint::parse(&server.uri(), false).expect("loopback endpoint");
    let config = ClientConfig {
        credentials,
        limits,
        ..ClientConfig::default()
    };
    RegistryClient::new(endpoint, &config).expect("client")
}

fn bearer_challenge(server: &MockServer, scope: Option<&str>) -> String {
    let mut c = format!(
        r#"Bearer realm="{}/token",service="test-registry""#,
        server.uri()
    );
    if let Some(s) = scope {
        c.push_str(&format!(r#",scope="{s}""#));
    }
    c
}

fn oci_manifest(config: &[u8]) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[]}}"#,
        media_type::OCI_MANIFEST,
        media_type::OCI_CONFIG,
        Digest::sha256_of(config),
        config.len()
    )
    .into_bytes()
}

/// Docker Hub refuses `_catalog` even with a valid anonymous token.
#[tokio::test]
async fn docker_hub_style_catalog_refusal_falls_back_to_configured_repositories() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/_catalog"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            bearer_challenge(&server, Some("registry:catalog:*")).as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"token": JWT, "expires_in": 300})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .and(header("authorization", format!("Bearer {JWT}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"name": "team/app", "tags": []})),
        )
        .mount(&server)
        .await;

    let client = client_for(&server, Credentials::Anonymous);
    let err = client.catalog(100).await.expect_err("catalog refused");
    assert!(
        matches!(err, RegistryError::CatalogUnavailable { .. }),
        "{err}"
    );

    // With a glob and one literal name: the literal is discovered, and the
    // report says why the catalog was not used.
    let opts = DiscoveryOptions {
        repositories: vec!["team/*".into(), "team/app".into()],
        ..DiscoveryOptions::default()
    };
    let report = Discoverer::new(client.clone(), opts)
        .run()
        .await
        .expect("discovery");
    assert_eq!(report.repositories.len(), 1);
    assert_eq!(report.repositories[0].name, "team/app");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("_catalog") && w.contains("401")),
        "{:?}",
        report.warnings
    );
    assert!(matches!(
        report.repository_source,
        wharf_registry::discovery::RepositorySource::Configured { reason: Some(_) }
    ));

    // Nothing to fall back to: a clear error.
    let err = Discoverer::new(client, DiscoveryOptions::default())
        .run()
        .await
        .expect_err("no repos");
    assert!(
        err.to_string().contains("catalog API is not available"),
        "{err}"
    );
}

/// GHCR answers `_catalog` with 404/403.
#[tokio::test]
async fn ghcr_style_catalog_404_and_403() {
    for status in [404u16, 403] {
        let server = MockServer::start().await;
        Mock::given(path("/v2/_catalog"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let err = client_for(&server, Credentials::Anonymous)
            .catalog(100)
            .await
            .expect_err("refused");
        assert!(
            matches!(err, RegistryError::CatalogUnavailable { status: s, .. } if s.as_u16() == status),
            "{err}"
        );
    }
}

/// Nexus/Artifactory: `Bearer realm=…,service=…` with no scope. wharf asks
/// for the scope the request needs.
#[tokio::test]
async fn challenge_without_scope_uses_the_request_scope() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .and(header("authorization", format!("Bearer {JWT}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"name":"team/app","tags":["b","a","a"]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/tags/list"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", bearer_challenge(&server, None).as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("scope", "repository:team/app:pull"))
        .and(query_param("service", "test-registry"))
        .and(query_param("account", "alice"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"access_token": JWT})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, Credentials::basic("alice", PASSWORD));
    let tags = client.tags("team/app", 100).await.expect("tags");
    assert_eq!(tags, ["a", "b"], "sorted and deduplicated");
    // The token is cached per scope: a second call fetches none.
    client.tags("team/app", 100).await.expect("tags again");
    assert_eq!(client.stats().token_fetches, 1);
    // The token request carried Basic credentials, the registry requests the token.
    let reqs = server.received_requests().await.expect("recording");
    let token_req = reqs
        .iter()
        .find(|r| r.url.path() == "/token")
        .expect("token request");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"))
    );
    assert_eq!(
        token_req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(expected.as_str())
    );
}

/// `429` with `Retry-After` is waited out; absurd waits give a clear error.
#[tokio::test]
async fn rate_limit_429_honours_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/a/tags/list"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/a/tags/list"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"name":"a","tags":["1"]})),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, Credentials::Anonymous);
    let start = Instant::now();
    assert_eq!(client.tags("a", 10).await.expect("tags after 429"), ["1"]);
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        start.elapsed()
    );
    assert_eq!(client.stats().retries, 1);

    let server = MockServer::start().await;
    Mock::given(path("/v2/a/tags/list"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "86400"))
        .mount(&server)
        .await;
    let err = client_for(&server, Credentials::Anonymous)
        .tags("a", 10)
        .await
        .expect_err("too long a wait");
    assert!(matches!(err, RegistryError::RateLimited { .. }), "{err}");
    assert!(err.to_string().contains("86400"), "{err}");
}

/// Retries with backoff on 5xx, then success; persistent 5xx is an error.
#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let client = client_for(&server, Credentials::Anonymous);
    client.ping().await.expect("ping after two 503s");
    assert_eq!(client.stats().retries, 2);

    let server = MockServer::start().await;
    Mock::given(path("/v2/"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let client = client_for(&server, Credentials::Anonymous);
    let err = client.ping().await.expect_err("always 502");
    assert!(err.to_string().contains("502"), "{err}");
    assert_eq!(client.stats().requests, 5, "1 attempt + 4 retries");
}

/// A registry that stalls past the timeout yields a timeout error that names the URL.
#[tokio::test]
async fn stalled_registry_times_out() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let limits = Limits {
        request_timeout: Duration::from_millis(200),
        max_retries: 1,
        ..fast_limits()
    };
    let client = client_with(&server, Credentials::Anonymous, limits);
    let err = client.ping().await.expect_err("stalled");
    assert!(
        matches!(err, RegistryError::Transport { timeout: true, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("/v2/"), "{err}");
}

#[tokio::test]
async fn digest_mismatches_are_errors_naming_the_reference() {
    let server = MockServer::start().await;
    let body = oci_manifest(b"{}");
    let wrong = Digest::sha256_of(b"something else");
    // By digest: the body does not hash to the requested digest.
    Mock::given(path(format!("/v2/app/manifests/{wrong}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(body.clone(), media_type::OCI_MANIFEST),
        )
        .mount(&server)
        .await;
    // By tag: Docker-Content-Digest disagrees with the body.
    Mock::given(path("/v2/app/manifests/latest"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body.clone(), media_type::OCI_MANIFEST)
                .insert_header("docker-content-digest", wrong.to_string().as_str()),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, Credentials::Anonymous);
    for reference in [wrong.to_string(), "latest".to_owned()] {
        let err = client
            .manifest("app", &reference)
            .await
            .expect_err("mismatch");
        assert!(matches!(err, RegistryError::DigestMismatch { .. }), "{err}");
        assert!(err.to_string().contains("app"), "{err}");
    }
    // A blob whose bytes do not match its descriptor.
    let desc = Descriptor {
        media_type: media_type::OCI_CONFIG.into(),
        digest: Digest::sha256_of(b"expected"),
        size: 8,
        platform: None,
        annotations: Default::default(),
        artifact_type: None,
        urls: vec![],
    };
    Mock::given(path(format!("/v2/app/blobs/{}", desc.digest)))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"tampered".to_vec()))
        .mount(&server)
        .await;
    let err = client
        .blob_bytes("app", &desc, 1024)
        .await
        .expect_err("tampered blob");
    assert!(matches!(err, RegistryError::DigestMismatch { .. }), "{err}");
    // Streaming: the error arrives at the end of the stream.
    use futures::StreamExt as _;
    let mut s = client
        .blob_stream("app", &desc)
        .await
        .expect("stream opens");
    let mut last = None;
    while let Some(item) = s.next().await {
        last = Some(item);
    }
    assert!(
        matches!(last, Some(Err(RegistryError::DigestMismatch { .. }))),
        "{last:?}"
    );
}

/// A blob redirected to storage on another host: followed, verified, and
/// the registry's credentials are not sent there.
#[tokio::test]
async fn blob_redirect_to_another_host_carries_no_credentials() {
    let registry = MockServer::start().await;
    let storage = MockServer::start().await;
    let content = b"layer bytes".to_vec();
    let digest = Digest::sha256_of(&content);
    Mock::given(path(format!("/v2/app/blobs/{digest}")))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "location",
            format!("{}/bucket/blob?sig=abc", storage.uri()).as_str(),
        ))
        .mount(&registry)
        .await;
    Mock::given(path(format!("/v2/app/blobs/{digest}")))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"Basic realm="registry""#),
        )
        .mount(&registry)
        .await;
    Mock::given(path("/bucket/blob"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(content.clone()))
        .mount(&storage)
        .await;
    let client = client_for(&registry, Credentials::basic("alice", PASSWORD));
    let desc = Descriptor {
        media_type: "application/octet-stream".into(),
        digest,
        size: content.len() as u64,
        platform: None,
        annotations: Default::default(),
        artifact_type: None,
        urls: vec![],
    };
    let got = client
        .blob_bytes("app", &desc, 1 << 20)
        .await
        .expect("blob via redirect");
    assert_eq!(&got[..], &content[..]);
    let storage_reqs = storage.received_requests().await.expect("recording");
    assert_eq!(storage_reqs.len(), 1);
    assert!(
        storage_reqs[0].headers.get("authorization").is_none(),
        "credentials leaked to the storage host"
    );
}

#[tokio::test]
async fn oversize_and_malformed_documents() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/app/manifests/big"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(vec![b' '; 5 << 20], media_type::OCI_MANIFEST),
        )
        .mount(&server)
        .await;
    Mock::given(path("/v2/app/manifests/bad"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            b"{\"schemaVersion\": 2, \"config\": ".to_vec(),
            media_type::OCI_MANIFEST,
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v2/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            br#"{"schemaVersion":1,"name":"app","tag":"v1","fsLayers":[]}"#.to_vec(),
            media_type::DOCKER_SCHEMA1_SIGNED,
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v2/app/tags/list"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(b"[not json".to_vec(), "application/json"),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, Credentials::Anonymous);
    let err = client.manifest("app", "big").await.expect_err("oversize");
    assert!(
        matches!(err, RegistryError::TooLarge { limit, .. } if limit == 4 << 20),
        "{err}"
    );
    assert!(err.to_string().contains("app:big"), "{err}");
    let err = client
        .manifest("app", "bad")
        .await
        .expect_err("truncated JSON");
    assert!(matches!(err, RegistryError::Malformed { .. }), "{err}");
    let err = client.manifest("app", "v1").await.expect_err("schema 1");
    assert!(
        matches!(err, RegistryError::UnsupportedManifest { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("schema 1"), "{err}");
    let err = client.tags("app", 10).await.expect_err("malformed tags");
    assert!(
        matches!(err, RegistryError::Malformed { .. }) && err.to_string().contains("app tags"),
        "{err}"
    );
}

/// A refresh ("identity") token is exchanged with OAuth2 POST; a realm
/// without POST support gets GET instead.
#[tokio::test]
async fn identity_token_uses_oauth2_post_then_falls_back_to_get() {
    for post_supported in [true, false] {
        let server = MockServer::start().await;
        Mock::given(path("/v2/"))
            .and(header("authorization", format!("Bearer {JWT}").as_str()))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        Mock::given(path("/v2/"))
            .respond_with(
                ResponseTemplate::new(401)
                    .insert_header("www-authenticate", bearer_challenge(&server, None).as_str()),
            )
            .mount(&server)
            .await;
        let post = if post_supported {
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": JWT, "expires_in": 600}))
        } else {
            ResponseTemplate::new(404)
        };
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(post)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/token"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"token": JWT})),
            )
            .mount(&server)
            .await;
        let creds = Credentials::IdentityToken {
            username: None,
            token: REFRESH.into(),
        };
        client_for(&server, creds)
            .ping()
            .await
            .expect("ping with identity token");
        let reqs = server.received_requests().await.expect("recording");
        let posts: Vec<&Request> = reqs
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .collect();
        assert_eq!(posts.len(), 1);
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&posts[0].body)
            .into_owned()
            .collect();
        assert!(
            form.contains(&("grant_type".into(), "refresh_token".into())),
            "{form:?}"
        );
        assert!(
            form.contains(&("refresh_token".into(), REFRESH.into())),
            "{form:?}"
        );
        assert!(
            form.contains(&("service".into(), "test-registry".into())),
            "{form:?}"
        );
        let gets = reqs
            .iter()
            .filter(|r| r.method.as_str() == "GET" && r.url.path() == "/token")
            .count();
        assert_eq!(
            gets,
            usize::from(!post_supported),
            "GET fallback only when POST is unsupported"
        );
    }
}

#[tokio::test]
async fn basic_auth_challenge_and_wrong_password() {
    let server = MockServer::start().await;
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"))
    );
    Mock::given(path("/v2/"))
        .and(header("authorization", good.as_str()))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"Basic realm="Registry Realm""#),
        )
        .mount(&server)
        .await;
    client_for(&server, Credentials::basic("alice", PASSWORD))
        .ping()
        .await
        .expect("basic auth");
    let err = client_for(&server, Credentials::basic("alice", "wrong-password"))
        .ping()
        .await
        .expect_err("wrong");
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");
    assert!(!err.to_string().contains("wrong-password"));
    let err = client_for(&server, Credentials::Anonymous)
        .ping()
        .await
        .expect_err("anonymous");
    assert!(err.to_string().contains("none were given"), "{err}");
}

/// Catalog `Link` pagination, relative links, and a loop guard.
#[tokio::test]
async fn catalog_pagination_follows_links_and_stops_on_loops() {
    struct Pages;
    impl Respond for Pages {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            let last = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "last")
                .map(|(_, v)| v.into_owned());
            let (repos, next): (Vec<&str>, Option<&str>) = match last.as_deref() {
                None => (
                    vec!["a", "b"],
                    Some(r#"</v2/_catalog?last=b&n=2>; rel="next""#),
                ),
                Some("b") => (
                    vec!["c", "d"],
                    Some(r#"</v2/_catalog?last=d&n=2>; rel="next""#),
                ),
                // A buggy registry that links to the same page forever.
                _ => (vec!["e"], Some(r#"</v2/_catalog?last=d&n=2>; rel="next""#)),
            };
            let mut t = ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "repositories": repos }));
            if let Some(n) = next {
                t = t.insert_header("link", n);
            }
            t
        }
    }
    let server = MockServer::start().await;
    Mock::given(path("/v2/_catalog"))
        .respond_with(Pages)
        .mount(&server)
        .await;
    let repos = client_for(&server, Credentials::Anonymous)
        .catalog(2)
        .await
        .expect("catalog");
    assert_eq!(repos, ["a", "b", "c", "d", "e"]);
}

/// Docker Hub: namespaces listed through Hub's web API, with pagination.
#[tokio::test]
async fn docker_hub_namespace_listing() {
    let hub = MockServer::start().await;
    Mock::given(path("/v2/repositories/acme/"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "next": null, "results": [{"name": "worker", "namespace": "acme"}]})))
        .mount(&hub)
        .await;
    Mock::given(path("/v2/repositories/acme/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "next": format!("{}/v2/repositories/acme/?page=2&page_size=100", hub.uri()),
            "results": [{"name": "api", "namespace": "acme"}, {"name": "web", "namespace": "acme"}]})))
        .mount(&hub)
        .await;
    let registry = MockServer::start().await;
    let client = client_for(&registry, Credentials::Anonymous);
    let hub_url = url::Url::parse(&format!("{}/", hub.uri())).expect("url");
    let repos = client
        .docker_hub_repositories(&hub_url, "acme")
        .await
        .expect("hub listing");
    assert_eq!(repos, ["acme/api", "acme/web", "acme/worker"]);
}

/// Registries that paginate `/tags/list` (GHCR, Harbor, Quay) are followed
/// page by page; unsorted pages come out sorted.
#[tokio::test]
async fn tag_list_pagination() {
    struct TagPages;
    impl Respond for TagPages {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            let last = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "last")
                .map(|(_, v)| v.into_owned());
            let (tags, next) = match last.as_deref() {
                None => (vec!["v3", "v1"], Some("/v2/app/tags/list?n=2&last=v3")),
                Some("v3") => (
                    vec!["v2", "latest"],
                    Some("/v2/app/tags/list?n=2&last=latest"),
                ),
                _ => (vec!["v0"], None),
            };
            let mut t = ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"name": "app", "tags": tags}));
            if let Some(n) = next {
                t = t.insert_header("link", format!(r#"<{n}>; rel="next""#).as_str());
            }
            t
        }
    }
    let server = MockServer::start().await;
    Mock::given(path("/v2/app/tags/list"))
        .respond_with(TagPages)
        .mount(&server)
        .await;
    let tags = client_for(&server, Credentials::Anonymous)
        .tags("app", 2)
        .await
        .expect("tags");
    assert_eq!(tags, ["latest", "v0", "v1", "v2", "v3"]);
    assert_eq!(
        server.received_requests().await.expect("recording").len(),
        3
    );
}

/// A `Link` that points at another host is refused, not followed.
#[tokio::test]
async fn pagination_link_to_another_host_is_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/v2/_catalog"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"repositories": ["a"]}))
                .insert_header(
                    "link",
                    r#"<https://evil.example/v2/_catalog?last=a>; rel="next""#,
                ),
        )
        .mount(&server)
        .await;
    let err = client_for(&server, Credentials::Anonymous)
        .catalog(1)
        .await
        .expect_err("foreign link");
    assert!(err.to_string().contains("another host"), "{err}");
}

/// Regression: HTTPS to a plain-HTTP server fails in the TLS handshake the
/// same way every time. It used to be retried with backoff (four attempts,
/// 1–3 s) before the loopback fallback to HTTP, on every `wharf sbom` of a
/// loopback registry. A refused connection is still retried.
#[tokio::test]
async fn tls_handshake_failures_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let config = ClientConfig {
        limits: Limits {
            max_retries: 3,
            ..fast_limits()
        },
        ..ClientConfig::default()
    };
    let host = server.uri().trim_start_matches("http://").to_owned();
    let https = RegistryEndpoint::parse(&format!("https://{host}"), false).expect("endpoint");
    let client = RegistryClient::new(https, &config).expect("client");
    let err = client.ping().await.expect_err("TLS to a plain-HTTP server");
    assert!(matches!(err, RegistryError::Transport { .. }), "{err}");
    assert_eq!(
        client.stats().retries,
        0,
        "the handshake was retried: {err}"
    );
    assert_eq!(client.stats().requests, 1);

    // The scheme-less loopback endpoint falls back to HTTP straight away.
    let endpoint = RegistryEndpoint::parse(&host, false).expect("endpoint");
    let client = RegistryClient::connect(endpoint, &config)
        .await
        .expect("fallback to HTTP");
    assert_eq!(client.endpoint().origin(), server.uri());

    // Nothing listens on a port just released: connection refused is retried.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let closed =
        RegistryEndpoint::parse(&format!("http://127.0.0.1:{port}"), false).expect("endpoint");
    let client = RegistryClient::new(closed, &config).expect("client");
    client.ping().await.expect_err("nothing listens");
    assert_eq!(client.stats().retries, 3, "connection refused is retried");
}
