//! End-to-end tests against the real Distribution registry binary
//! (`apt-get install docker-registry`) and skopeo.

use anyhow::{Context, Result, bail, ensure};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::Value;
use wharf_testkit::image::{
    ATTESTATION_MANIFEST, BuiltImage, ImageBuilder, IndexBuilder, LayerBuilder, ManifestFormat,
    Platform, REFERENCE_DIGEST_ANNOTATION, REFERENCE_TYPE_ANNOTATION, media_type, write_oci_layout,
};
use wharf_testkit::push::PushAuth;
use wharf_testkit::registry::{RegistryOptions, TestRegistry};
use wharf_testkit::token::{TokenServer, TokenServerOptions};

/// `realm?k=v&...` (reqwest's `query` needs a feature the workspace does not enable).
fn with_query(realm: &str, pairs: &[(&str, &str)]) -> Result<url::Url> {
    let mut url = url::Url::parse(realm)?;
    url.query_pairs_mut().extend_pairs(pairs);
    Ok(url)
}

fn image(platform: &Platform, marker: &str, format: ManifestFormat) -> Result<BuiltImage> {
    let layer = LayerBuilder::new()
        .dir("etc")
        .file("etc/marker", marker.as_bytes().to_vec(), 0o644)
        .build()?;
    ImageBuilder::new()
        .layer(layer)
        .platform(platform)
        .format(format)
        .label("marker", marker)
        .created("2024-01-01T00:00:00Z")
        .build()
}

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

/// `GET /v2/<repo>/manifests/<reference>`; returns (digest header, content type, body).
async fn get_manifest(
    client: &reqwest::Client,
    base: &str,
    repo: &str,
    reference: &str,
    auth: Option<&PushAuth>,
) -> Result<(String, String, Vec<u8>)> {
    let mut request = client
        .get(format!("{base}/v2/{repo}/manifests/{reference}"))
        .header("Accept", MANIFEST_ACCEPT);
    match auth {
        Some(PushAuth::Basic { user, pass }) => request = request.basic_auth(user, Some(pass)),
        Some(PushAuth::Bearer(token)) => request = request.bearer_auth(token),
        Some(PushAuth::None) | None => {}
    }
    let response = request.send().await?;
    ensure!(
        response.status() == StatusCode::OK,
        "GET manifest {repo}:{reference}: {}",
        response.status()
    );
    let header = |name: &str| -> Result<String> {
        Ok(response
            .headers()
            .get(name)
            .with_context(|| format!("no {name} header"))?
            .to_str()?
            .to_owned())
    };
    let digest = header("docker-content-digest")?;
    let content_type = header("content-type")?;
    Ok((digest, content_type, response.bytes().await?.to_vec()))
}

#[tokio::test]
async fn plain_registry_image_and_index_round_trip() -> Result<()> {
    let registry = TestRegistry::start(RegistryOptions::default()).await?;
    assert!(registry.url().starts_with("http://127.0.0.1:"));
    let pusher = registry.pusher(PushAuth::None)?;
    let client = registry.http_client()?;

    let amd64 = Platform::new("linux", "amd64");
    let arm64 = Platform::new("linux", "arm64").with_variant("v8");

    // Single OCI image.
    let single = image(&amd64, "single", ManifestFormat::Oci)?;
    let pushed = pusher.push_image("test/single", "v1", &single).await?;
    assert_eq!(pushed, single.digest());
    let (digest, content_type, body) =
        get_manifest(&client, &registry.url(), "test/single", "v1", None).await?;
    assert_eq!(digest, single.digest());
    assert_eq!(content_type, media_type::OCI_MANIFEST);
    assert_eq!(body, single.manifest.bytes);
    // Pushing again is a no-op for blobs (HEAD answers 200).
    pusher.push_image("test/single", "v1", &single).await?;

    // Docker schema 2 image.
    let docker = image(&amd64, "docker", ManifestFormat::DockerV2)?;
    pusher.push_image("test/docker", "latest", &docker).await?;
    let (digest, content_type, _) =
        get_manifest(&client, &registry.url(), "test/docker", "latest", None).await?;
    assert_eq!(digest, docker.digest());
    assert_eq!(content_type, media_type::DOCKER_MANIFEST);

    // Index with two platforms and attestations.
    let index = IndexBuilder::new(ManifestFormat::Oci)
        .image(image(&amd64, "multi-amd64", ManifestFormat::Oci)?)
        .image(image(&arm64, "multi-arm64", ManifestFormat::Oci)?)
        .with_attestations(true)
        .build()?;
    let pushed = pusher.push_index("test/multi", "v2", &index).await?;
    assert_eq!(pushed, index.digest());
    let (digest, content_type, body) =
        get_manifest(&client, &registry.url(), "test/multi", "v2", None).await?;
    assert_eq!(digest, index.digest());
    assert_eq!(content_type, media_type::OCI_INDEX);
    let doc: Value = serde_json::from_slice(&body)?;
    let manifests = doc["manifests"].as_array().context("manifests")?;
    assert_eq!(manifests.len(), 4);
    assert_eq!(manifests[1]["platform"]["architecture"], "arm64");
    assert_eq!(manifests[2]["platform"]["os"], "unknown");
    assert_eq!(
        manifests[2]["annotations"][REFERENCE_TYPE_ANNOTATION],
        ATTESTATION_MANIFEST
    );
    assert_eq!(
        manifests[2]["annotations"][REFERENCE_DIGEST_ANNOTATION].as_str(),
        Some(index.images[0].digest())
    );
    // Children are reachable by digest.
    for child in index.children() {
        let (digest, _, _) =
            get_manifest(&client, &registry.url(), "test/multi", child.digest(), None).await?;
        assert_eq!(digest, child.digest());
    }

    // Docker manifest list.
    let list = IndexBuilder::new(ManifestFormat::DockerV2)
        .image(image(&amd64, "list-amd64", ManifestFormat::DockerV2)?)
        .image(image(&arm64, "list-arm64", ManifestFormat::DockerV2)?)
        .build()?;
    pusher.push_index("test/list", "latest", &list).await?;
    let (digest, content_type, _) =
        get_manifest(&client, &registry.url(), "test/list", "latest", None).await?;
    assert_eq!(digest, list.digest());
    assert_eq!(content_type, media_type::DOCKER_MANIFEST_LIST);

    // Cross-repository mount.
    let layer = &single.layers[0];
    assert!(
        pusher
            .push_blob_mount("test/mounted", layer, "test/single")
            .await?
    );
    assert!(pusher.blob_exists("test/mounted", &layer.digest).await?);

    let catalog: Value = client
        .get(format!("{}/v2/_catalog", registry.url()))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        catalog["repositories"],
        serde_json::json!([
            "test/docker",
            "test/list",
            "test/mounted",
            "test/multi",
            "test/single"
        ])
    );
    Ok(())
}

#[tokio::test]
async fn stop_kills_the_registry() -> Result<()> {
    let mut registry = TestRegistry::start(RegistryOptions::default()).await?;
    let client = registry.http_client()?;
    let url = format!("{}/v2/", registry.url());
    assert_eq!(client.get(&url).send().await?.status(), StatusCode::OK);
    assert!(registry.is_running());
    registry.stop();
    assert!(!registry.is_running());
    assert!(client.get(&url).send().await.is_err());
    Ok(())
}

#[tokio::test]
async fn catalog_max_entries_is_applied() -> Result<()> {
    let registry = TestRegistry::start(RegistryOptions {
        catalog_max_entries: 2,
        ..RegistryOptions::default()
    })
    .await?;
    let pusher = registry.pusher(PushAuth::None)?;
    let img = image(&Platform::new("linux", "amd64"), "x", ManifestFormat::Oci)?;
    for repo in ["a", "b", "c"] {
        pusher.push_image(repo, "latest", &img).await?;
    }
    let client = registry.http_client()?;
    let response = client
        .get(format!("{}/v2/_catalog", registry.url()))
        .send()
        .await?;
    ensure!(response.status() == StatusCode::OK, "{}", response.status());
    let link = response
        .headers()
        .get("link")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()?;
    let body: Value = response.json().await?;
    assert_eq!(body["repositories"], serde_json::json!(["a", "b"]));
    assert!(link.is_some_and(|l| l.contains("last=b")));
    Ok(())
}

#[tokio::test]
async fn tls_htpasswd_registry_requires_basic_auth() -> Result<()> {
    let registry = TestRegistry::start(RegistryOptions {
        tls: true,
        htpasswd: vec![("alice".into(), "s3cret".into())],
        ..RegistryOptions::default()
    })
    .await?;
    assert!(registry.url().starts_with("https://127.0.0.1:"));
    let ca_path = registry.ca_path().context("TLS registry has a CA file")?;
    assert_eq!(
        std::fs::read_to_string(ca_path)?,
        registry.ca_pem().context("TLS registry has a CA")?
    );

    let client = registry.http_client()?;
    let anonymous = client.get(format!("{}/v2/", registry.url())).send().await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let challenge = anonymous
        .headers()
        .get("www-authenticate")
        .context("challenge")?
        .to_str()?;
    assert!(challenge.starts_with("Basic "), "{challenge}");

    // A client without the CA does not trust the registry.
    let untrusting = reqwest::Client::builder().no_proxy().build()?;
    assert!(
        untrusting
            .get(format!("{}/v2/", registry.url()))
            .send()
            .await
            .is_err()
    );

    let wrong = registry.pusher(PushAuth::Basic {
        user: "alice".into(),
        pass: "wrong".into(),
    })?;
    let img = image(&Platform::new("linux", "amd64"), "tls", ManifestFormat::Oci)?;
    let err = wrong
        .push_image("secure/app", "v1", &img)
        .await
        .err()
        .context("wrong password must fail")?;
    assert!(format!("{err:#}").contains("401"), "{err:#}");

    let auth = PushAuth::Basic {
        user: "alice".into(),
        pass: "s3cret".into(),
    };
    let pusher = registry.pusher(auth.clone())?;
    pusher.push_image("secure/app", "v1", &img).await?;
    let (digest, _, _) =
        get_manifest(&client, &registry.url(), "secure/app", "v1", Some(&auth)).await?;
    assert_eq!(digest, img.digest());
    Ok(())
}

fn jwt_header(token: &str) -> Result<Value> {
    let header = token.split('.').next().context("JWT has no header")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header)?;
    Ok(serde_json::from_slice(&bytes)?)
}

#[tokio::test]
async fn token_auth_registry_accepts_token_server_tokens() -> Result<()> {
    let tokens = TokenServer::start(TokenServerOptions {
        users: vec![("bob".into(), "hunter2".into())],
        ..TokenServerOptions::default()
    })
    .await?;
    let registry = TestRegistry::start(RegistryOptions {
        token: Some(tokens.auth_config()),
        ..RegistryOptions::default()
    })
    .await?;
    let client = registry.http_client()?;

    // The registry challenges with the token server's realm.
    let response = client.get(format!("{}/v2/", registry.url())).send().await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .context("challenge")?
        .to_str()?
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(&format!("realm=\"{}\"", tokens.realm())),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("service=\"{}\"", tokens.service())),
        "{challenge}"
    );

    // Push with a minted token.
    let push_token = tokens.mint("bob", &[("repository", "team/app", &["pull", "push"])]);
    let pusher = registry.pusher(PushAuth::Bearer(push_token))?;
    let img = image(
        &Platform::new("linux", "amd64"),
        "token",
        ManifestFormat::Oci,
    )?;
    pusher.push_image("team/app", "v1", &img).await?;

    // Obtain a catalog token the way a client would: GET with Basic creds.
    let token_response = client
        .get(with_query(
            &tokens.realm(),
            &[
                ("service", tokens.service()),
                ("scope", "registry:catalog:*"),
                ("account", "bob"),
            ],
        )?)
        .basic_auth("bob", Some("hunter2"))
        .send()
        .await?;
    ensure!(
        token_response.status() == StatusCode::OK,
        "token server: {}",
        token_response.status()
    );
    let body: Value = token_response.json().await?;
    let token = body["token"].as_str().context("token")?.to_owned();
    assert_eq!(body["access_token"].as_str(), Some(token.as_str()));
    assert_eq!(jwt_header(&token)?["kid"].as_str(), Some(tokens.key_id()));
    assert_eq!(jwt_header(&token)?["alg"], "ES256");

    let catalog = client
        .get(format!("{}/v2/_catalog", registry.url()))
        .bearer_auth(&token)
        .send()
        .await?;
    let status = catalog.status();
    let text = catalog.text().await?;
    if status != StatusCode::OK {
        bail!(
            "catalog with token: {status}: {text}\nregistry log:\n{}",
            registry.log_contents()
        );
    }
    let catalog: Value = serde_json::from_str(&text)?;
    assert_eq!(catalog["repositories"], serde_json::json!(["team/app"]));

    // The pull token from an anonymous request carries no access: refused.
    let anonymous: Value = client
        .get(with_query(
            &tokens.realm(),
            &[
                ("service", tokens.service()),
                ("scope", "repository:team/app:pull"),
            ],
        )?)
        .send()
        .await?
        .json()
        .await?;
    let anonymous_token = anonymous["token"].as_str().context("token")?;
    let denied = client
        .get(format!("{}/v2/team/app/manifests/v1", registry.url()))
        .bearer_auth(anonymous_token)
        .send()
        .await?;
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);

    // A token signed by another key (same service and issuer) is refused.
    let impostor = TokenServer::start(TokenServerOptions::default()).await?;
    let forged = impostor.mint("bob", &[("registry", "catalog", &["*"])]);
    let refused = client
        .get(format!("{}/v2/_catalog", registry.url()))
        .bearer_auth(forged)
        .send()
        .await?;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // The token server saw Basic credentials.
    let saw_basic = tokens.requests().await.iter().any(|r| {
        r.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Basic "))
    });
    assert!(saw_basic);
    Ok(())
}

#[tokio::test]
async fn skopeo_copies_an_oci_layout_into_the_registry() -> Result<()> {
    let registry = TestRegistry::start(RegistryOptions::default()).await?;
    let dir = tempfile::tempdir()?;
    let img = image(
        &Platform::new("linux", "amd64"),
        "skopeo",
        ManifestFormat::Oci,
    )?;
    write_oci_layout(dir.path(), &img, "v1")?;
    let layout = dir.path().to_str().context("UTF-8 temp path")?;
    let output = tokio::process::Command::new("skopeo")
        .args([
            "copy",
            "--dest-tls-verify=false",
            "--preserve-digests",
            &format!("oci:{layout}:v1"),
            &format!("docker://{}/copied/app:v1", registry.host()),
        ])
        .output()
        .await
        .context("running skopeo (apt-get install skopeo)")?;
    ensure!(
        output.status.success(),
        "skopeo failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let client = registry.http_client()?;
    let (digest, _, _) = get_manifest(&client, &registry.url(), "copied/app", "v1", None).await?;
    assert_eq!(digest, img.digest());
    Ok(())
}
