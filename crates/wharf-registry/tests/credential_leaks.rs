//! No credential or token in logs (at trace level), error messages or
//! `Debug` output, through success and failure paths.
//!
//! Its own test binary: tracing caches per-callsite interest process-wide,
//! so capturing logs is only reliable when no other test runs alongside.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use wharf_registry::{
    ClientConfig, Credentials, Limits, RegistryClient, RegistryEndpoint, RegistryError,
};
use wiremock::matchers::{header, header_exists, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "pa55-Wh4rf-Secret";
const JWT: &str = "eyJ.registry-t0ken.sig";

fn client_for(server: &MockServer, credentials: Credentials) -> RegistryClient {
    let endpoint = RegistryEndpoint::parse(&server.uri(), false).expect("loopback endpoint");
    let limits = Limits {
        retry_base_delay: std::time::Duration::from_millis(5),
        retry_max_delay: std::time::Duration::from_millis(20),
        ..Limits::default()
    };
    let config = ClientConfig {
        credentials,
        limits,
        ..ClientConfig::default()
    };
    RegistryClient::new(endpoint, &config).expect("client")
}

fn bearer_challenge(server: &MockServer) -> String {
    format!(
        r#"Bearer realm="{}/token",service="test-registry""#,
        server.uri()
    )
}

/// A buffer that tracing writes into.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every credential and token stays out of trace-level logs, error
/// messages and `Debug` output, through success and failure paths.
#[tokio::test]
async fn no_credential_in_logs_errors_or_debug() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(path("/v2/"))
        .and(header("authorization", format!("Bearer {JWT}").as_str()))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", bearer_challenge(&server).as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/token"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"token": JWT})))
        .mount(&server)
        .await;
    Mock::given(path("/v2/_catalog"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let creds = Credentials::basic("alice", PASSWORD);
    let client = client_for(&server, creds.clone());
    client.ping().await.expect("ping");
    let err = client.catalog(10).await.expect_err("500");
    let mut texts = vec![
        String::from_utf8_lossy(&logs.0.lock().expect("logs").clone()).into_owned(),
        err.to_string(),
        format!("{err:?}"),
        format!("{client:?}"),
        format!("{creds:?}"),
    ];
    // A wrong password against a Basic realm, and a refused token.
    let bad = MockServer::start().await;
    Mock::given(path("/v2/"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", bearer_challenge(&bad).as_str()),
        )
        .mount(&bad)
        .await;
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&bad)
        .await;
    let err = client_for(&bad, creds)
        .ping()
        .await
        .expect_err("token refused");
    assert!(matches!(err, RegistryError::Token { .. }), "{err}");
    texts.push(err.to_string());
    texts.push(format!("{err:?}"));
    texts.push(String::from_utf8_lossy(&logs.0.lock().expect("logs").clone()).into_owned());
    assert!(
        texts[0].contains("fetching registry token"),
        "trace logs were captured"
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
    for t in &texts {
        for secret in [PASSWORD, JWT, basic.as_str()] {
            assert!(!t.contains(secret), "secret {secret:?} leaked in: {t}");
        }
    }
}
