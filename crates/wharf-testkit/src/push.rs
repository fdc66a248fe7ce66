//! A minimal registry client that pushes blobs, manifests, images and indexes
//! (Docker Registry HTTP API V2 / OCI distribution spec, monolithic uploads).

use anyhow::{Context, Result, bail};
use reqwest::header::{CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use url::Url;

use crate::image::{Blob, BuiltImage, BuiltIndex};

/// Credentials sent with every request of a [`Pusher`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PushAuth {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP Basic authentication.
    Basic {
        /// User name.
        user: String,
        /// Password.
        pass: String,
    },
    /// A bearer token (e.g. from [`crate::token::TokenServer::mint`]).
    Bearer(String),
}

/// Pushes content to one registry.
#[derive(Debug, Clone)]
pub struct Pusher {
    client: Client,
    base: Url,
    auth: PushAuth,
}

/// Builds a reqwest client that trusts `ca_pem` (in addition to the system
/// roots) and never goes through a proxy (test registries live on loopback).
pub fn http_client(ca_pem: Option<&str>) -> Result<Client> {
    let mut builder = Client::builder().no_proxy();
    if let Some(pem) = ca_pem {
        let cert =
            reqwest::Certificate::from_pem(pem.as_bytes()).context("parsing CA certificate PEM")?;
        builder = builder.tls_certs_merge([cert]);
    }
    builder.build().context("building HTTP client")
}

/// Reads a response body for an error message, best effort.
async fn describe(response: Response) -> String {
    let status = response.status();
    let body = response
        .text()
        .await
        .unwrap_or_else(|e| format!("<body unreadable: {e}>"));
    format!("HTTP {status}: {}", body.trim())
}

impl Pusher {
    /// A pusher for the registry at `base_url` (e.g. `http://127.0.0.1:5000`),
    /// trusting `ca_pem` for TLS if given.
    pub fn new(base_url: &str, auth: PushAuth, ca_pem: Option<&str>) -> Result<Self> {
        let mut base =
            Url::parse(base_url).with_context(|| format!("invalid registry URL {base_url:?}"))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Self {
            client: http_client(ca_pem)?,
            base,
            auth,
        })
    }

    /// The underlying HTTP client (configured with the CA, without auth).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The registry base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .with_context(|| format!("building URL for {path}"))
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let builder = self.client.request(method, url);
        match &self.auth {
            PushAuth::None => builder,
            PushAuth::Basic { user, pass } => builder.basic_auth(user, Some(pass)),
            PushAuth::Bearer(token) => builder.bearer_auth(token),
        }
    }

    /// Whether `repo` already has the blob `digest` (`HEAD` answers 200).
    pub async fn blob_exists(&self, repo: &str, digest: &str) -> Result<bool> {
        let url = self.url(&format!("v2/{repo}/blobs/{digest}"))?;
        let response = self
            .request(Method::HEAD, url)
            .send()
            .await
            .with_context(|| format!("HEAD blob {digest} in {repo}"))?;
        match response.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => bail!("HEAD blob {digest} in {repo}: {}", describe(response).await),
        }
    }

    /// Uploads `blob` into `repo` unless it is already there.
    pub async fn push_blob(&self, repo: &str, blob: &Blob) -> Result<()> {
        if self.blob_exists(repo, &blob.digest).await? {
            return Ok(());
        }
        self.upload_blob(repo, blob).await
    }

    /// Uploads `blob` into `repo` without checking whether it is already there
    /// (`POST` an upload session, then a monolithic `PUT`).
    pub async fn upload_blob(&self, repo: &str, blob: &Blob) -> Result<()> {
        match self.start_upload(repo, None).await? {
            UploadStart::Session(location) => self.finish_upload(repo, location, blob).await,
            UploadStart::Mounted => bail!("registry answered a plain upload request as a mount"),
        }
    }

    /// Makes `blob` available in `repo`, mounting it from `from` when the
    /// registry allows it and uploading it otherwise. Returns `true` if it was
    /// mounted (or already present), `false` if it was uploaded.
    pub async fn push_blob_mount(&self, repo: &str, blob: &Blob, from: &str) -> Result<bool> {
        if self.blob_exists(repo, &blob.digest).await? {
            return Ok(true);
        }
        match self.start_upload(repo, Some((&blob.digest, from))).await? {
            UploadStart::Mounted => Ok(true),
            UploadStart::Session(location) => {
                self.finish_upload(repo, location, blob).await?;
                Ok(false)
            }
        }
    }

    /// `POST /v2/<repo>/blobs/uploads/` (optionally with `mount` / `from`).
    async fn start_upload(&self, repo: &str, mount: Option<(&str, &str)>) -> Result<UploadStart> {
        let mut url = self.url(&format!("v2/{repo}/blobs/uploads/"))?;
        if let Some((digest, from)) = mount {
            url.query_pairs_mut()
                .append_pair("mount", digest)
                .append_pair("from", from);
        }
        let response = self
            .request(Method::POST, url)
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await
            .with_context(|| format!("starting blob upload in {repo}"))?;
        match response.status() {
            StatusCode::CREATED if mount.is_some() => Ok(UploadStart::Mounted),
            StatusCode::ACCEPTED => {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .context("upload response has no Location header")?
                    .to_str()
                    .context("upload Location header is not ASCII")?;
                let url = self
                    .base
                    .join(location)
                    .with_context(|| format!("invalid upload Location {location:?}"))?;
                Ok(UploadStart::Session(url))
            }
            _ => bail!(
                "starting blob upload in {repo}: {}",
                describe(response).await
            ),
        }
    }

    /// Monolithic `PUT <Location>&digest=...` with the blob content.
    async fn finish_upload(&self, repo: &str, mut url: Url, blob: &Blob) -> Result<()> {
        url.query_pairs_mut().append_pair("digest", &blob.digest);
        let response = self
            .request(Method::PUT, url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(blob.bytes.clone())
            .send()
            .await
            .with_context(|| format!("uploading blob {} to {repo}", blob.digest))?;
        if response.status() != StatusCode::CREATED {
            bail!(
                "uploading blob {} to {repo}: {}",
                blob.digest,
                describe(response).await
            );
        }
        Ok(())
    }

    /// `PUT /v2/<repo>/manifests/<reference>` with `Content-Type` set to the
    /// manifest's media type. Returns the `Docker-Content-Digest` the registry
    /// answered (or the manifest's own digest if the header is missing).
    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        manifest: &Blob,
    ) -> Result<String> {
        let url = self.url(&format!("v2/{repo}/manifests/{reference}"))?;
        let content_type = HeaderValue::from_str(&manifest.media_type)
            .with_context(|| format!("invalid media type {:?}", manifest.media_type))?;
        let response = self
            .request(Method::PUT, url)
            .header(CONTENT_TYPE, content_type)
            .body(manifest.bytes.clone())
            .send()
            .await
            .with_context(|| format!("putting manifest {repo}:{reference}"))?;
        if response.status() != StatusCode::CREATED {
            bail!(
                "putting manifest {repo}:{reference}: {}",
                describe(response).await
            );
        }
        let digest = match response.headers().get("docker-content-digest") {
            Some(value) => value
                .to_str()
                .context("Docker-Content-Digest header is not ASCII")?
                .to_owned(),
            None => manifest.digest.clone(),
        };
        Ok(digest)
    }

    /// Pushes the image's blobs, then its manifest under `tag`. Returns the
    /// manifest digest reported by the registry.
    pub async fn push_image(&self, repo: &str, tag: &str, image: &BuiltImage) -> Result<String> {
        for blob in image.blobs() {
            self.push_blob(repo, blob).await?;
        }
        self.put_manifest(repo, tag, &image.manifest).await
    }

    /// Pushes every child image (by digest), every attestation (by digest), then
    /// the index under `tag`. Returns the index digest reported by the registry.
    pub async fn push_index(&self, repo: &str, tag: &str, index: &BuiltIndex) -> Result<String> {
        for child in index.children() {
            let digest = child.digest();
            self.push_image(repo, digest, child).await?;
        }
        self.put_manifest(repo, tag, &index.manifest).await
    }

    /// Sends an authenticated request and returns the response, whatever its
    /// status (for tests that check registry answers).
    pub async fn send(&self, method: Method, path: &str) -> Result<Response> {
        let url = self.url(path.trim_start_matches('/'))?;
        self.request(method.clone(), url)
            .send()
            .await
            .with_context(|| format!("{method} {path}"))
    }
}

/// Result of `POST /v2/<repo>/blobs/uploads/`.
enum UploadStart {
    /// Cross-repository mount succeeded (201).
    Mounted,
    /// Upload session started (202) at this absolute URL.
    Session(Url),
}

#[cfg(test)]
mod tests {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    #[tokio::test]
    async fn absolute_location_with_query_gets_digest_appended() -> Result<()> {
        let server = MockServer::start().await;
        let blob = Blob::new("application/octet-stream", b"hello".to_vec());
        Mock::given(method("HEAD"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v2/a/b/blobs/uploads/"))
            .respond_with(ResponseTemplate::new(202).insert_header(
                "Location",
                format!("{}/upload/xyz?_state=abc", server.uri()).as_str(),
            ))
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .and(path("/upload/xyz"))
            .and(query_param("_state", "abc"))
            .and(query_param("digest", blob.digest.as_str()))
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&server)
            .await;
        let pusher = Pusher::new(&server.uri(), PushAuth::None, None)?;
        pusher.push_blob("a/b", &blob).await?;
        Ok(())
    }

    #[tokio::test]
    async fn relative_location_and_errors_include_status_and_body() -> Result<()> {
        let server = MockServer::start().await;
        let blob = Blob::new("application/octet-stream", b"hello".to_vec());
        Mock::given(method("HEAD"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(202).insert_header("Location", "/up/1"))
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .and(path("/up/1"))
            .and(query_param("digest", blob.digest.as_str()))
            .respond_with(ResponseTemplate::new(400).set_body_string("DIGEST_INVALID"))
            .mount(&server)
            .await;
        let pusher = Pusher::new(&server.uri(), PushAuth::None, None)?;
        let err = pusher
            .push_blob("r", &blob)
            .await
            .err()
            .context("expected an error")?;
        let message = format!("{err:#}");
        assert!(message.contains("400"), "{message}");
        assert!(message.contains("DIGEST_INVALID"), "{message}");
        Ok(())
    }
}
