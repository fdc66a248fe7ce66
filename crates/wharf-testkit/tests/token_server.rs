//! Token server protocol tests (no registry needed).

use anyhow::{Context, Result};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::Value;
use wharf_testkit::token::{TokenServer, TokenServerOptions};

/// `realm?k=v&...` (reqwest's `query` needs a feature the workspace does not enable).
fn with_query(realm: &str, pairs: &[(&str, &str)]) -> Result<url::Url> {
    let mut url = url::Url::parse(realm)?;
    url.query_pairs_mut().extend_pairs(pairs);
    Ok(url)
}

fn claims(token: &str) -> Result<Value> {
    let payload = token.split('.').nth(1).context("JWT has no payload")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?;
    Ok(serde_json::from_slice(&bytes)?)
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn server(support_post: bool, anonymous_pull: bool) -> Result<TokenServer> {
    TokenServer::start(TokenServerOptions {
        service: "svc".into(),
        issuer: "iss".into(),
        users: vec![("carol".into(), "pw".into())],
        refresh_tokens: vec![("seeded-refresh".into(), "carol".into())],
        support_post,
        anonymous_pull,
        token_ttl_secs: 120,
    })
    .await
}

fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder().no_proxy().build()?)
}

#[tokio::test]
async fn get_grants_requested_actions_to_users() -> Result<()> {
    let tokens = server(true, false).await?;
    let response = client()?
        .get(with_query(
            &tokens.realm(),
            &[
                ("service", "svc"),
                ("scope", "repository:org/team/app:pull,push"),
                ("scope", "registry:catalog:*"),
            ],
        )?)
        .basic_auth("carol", Some("pw"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await?;
    assert_eq!(body["expires_in"], 120);
    assert!(body["issued_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert!(body.get("refresh_token").is_none());
    let claims = claims(body["token"].as_str().context("token")?)?;
    assert_eq!(claims["iss"], "iss");
    assert_eq!(claims["aud"], "svc");
    assert_eq!(claims["sub"], "carol");
    assert_eq!(
        claims["exp"]
            .as_i64()
            .zip(claims["iat"].as_i64())
            .map(|(e, i)| e - i),
        Some(120)
    );
    assert_eq!(
        claims["access"],
        serde_json::json!([
            {"type": "repository", "name": "org/team/app", "actions": ["pull", "push"]},
            {"type": "registry", "name": "catalog", "actions": ["*"]},
        ])
    );
    Ok(())
}

#[tokio::test]
async fn get_rejects_bad_credentials_and_limits_anonymous() -> Result<()> {
    let tokens = server(true, true).await?;
    let client = client()?;
    let bad = client
        .get(with_query(
            &tokens.realm(),
            &[("service", "svc"), ("scope", "repository:a:pull")],
        )?)
        .basic_auth("carol", Some("nope"))
        .send()
        .await?;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let body: Value = bad.json().await?;
    assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");

    let anonymous: Value = client
        .get(with_query(
            &tokens.realm(),
            &[
                ("service", "svc"),
                ("scope", "repository:a:pull,push"),
                ("scope", "registry:catalog:*"),
            ],
        )?)
        .send()
        .await?
        .json()
        .await?;
    let claims = claims(anonymous["token"].as_str().context("token")?)?;
    assert_eq!(claims["sub"], "");
    assert_eq!(
        claims["access"],
        serde_json::json!([{"type": "repository", "name": "a", "actions": ["pull"]}])
    );

    let wrong_service = client
        .get(with_query(&tokens.realm(), &[("service", "other")])?)
        .send()
        .await?;
    assert_eq!(wrong_service.status(), StatusCode::BAD_REQUEST);
    let bad_scope = client
        .get(with_query(
            &tokens.realm(),
            &[("scope", "repository-only")],
        )?)
        .send()
        .await?;
    assert_eq!(bad_scope.status(), StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn anonymous_gets_nothing_without_anonymous_pull() -> Result<()> {
    let tokens = server(true, false).await?;
    let body: Value = client()?
        .get(with_query(
            &tokens.realm(),
            &[("scope", "repository:a:pull")],
        )?)
        .send()
        .await?
        .json()
        .await?;
    let claims = claims(body["token"].as_str().context("token")?)?;
    assert_eq!(claims["access"], serde_json::json!([]));
    Ok(())
}

#[tokio::test]
async fn post_password_and_refresh_grants() -> Result<()> {
    let tokens = server(true, false).await?;
    let client = client()?;
    let post = |body: String| {
        client
            .post(tokens.realm())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };

    let response = post(form(&[
        ("grant_type", "password"),
        ("username", "carol"),
        ("password", "pw"),
        ("service", "svc"),
        ("scope", "repository:a/b:pull repository:c:push"),
        ("client_id", "wharf"),
    ]))
    .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await?;
    let refresh = body["refresh_token"].as_str().context("refresh_token")?;
    let access = &claims(body["access_token"].as_str().context("access_token")?)?["access"];
    assert_eq!(access.as_array().map(Vec::len), Some(2));

    for refresh_token in [refresh, "seeded-refresh"] {
        let response = post(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("service", "svc"),
            ("scope", "repository:a/b:pull"),
            ("client_id", "wharf"),
        ]))
        .await?;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await?;
        assert!(body.get("refresh_token").is_none());
        assert_eq!(
            claims(body["token"].as_str().context("token")?)?["sub"],
            "carol"
        );
    }

    let unknown = post(form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "nope"),
        ("service", "svc"),
    ]))
    .await?;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let bad_password = post(form(&[
        ("grant_type", "password"),
        ("username", "carol"),
        ("password", "nope"),
        ("service", "svc"),
    ]))
    .await?;
    assert_eq!(bad_password.status(), StatusCode::UNAUTHORIZED);
    let bad_grant = post(form(&[("grant_type", "implicit")])).await?;
    assert_eq!(bad_grant.status(), StatusCode::BAD_REQUEST);

    let posts = tokens
        .requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 6);
    Ok(())
}

#[tokio::test]
async fn post_is_404_when_unsupported() -> Result<()> {
    let tokens = server(false, false).await?;
    let response = client()?
        .post(tokens.realm())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "password"),
            ("username", "carol"),
            ("password", "pw"),
        ]))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn minted_tokens_carry_kid_and_access() -> Result<()> {
    let tokens = server(true, false).await?;
    let token = tokens.mint("dave", &[("repository", "x/y", &["pull"])]);
    let header = token.split('.').next().context("header")?;
    let header: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header)?)?;
    assert_eq!(header["kid"].as_str(), Some(tokens.key_id()));
    assert_eq!(header["typ"], "JWT");
    let claims = claims(&token)?;
    assert_eq!(claims["sub"], "dave");
    assert_eq!(claims["access"][0]["name"], "x/y");
    assert!(
        tokens
            .root_cert_bundle_pem()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    Ok(())
}
