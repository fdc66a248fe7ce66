//! Built-in rules: one positive sample per rule (every rule is covered),
//! decoys and placeholders that must not be reported, and the file-level
//! behaviour (binary and size skips, source maps, minified lines, path
//! allow rules).

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeSet;

use wharf_analyzers::ContentScanner as _;
use wharf_secrets::{FingerprintKey, SecretConfig, SecretScanner, WindowMode};
use wharf_types::Location;

fn scanner() -> SecretScanner {
    SecretScanner::new(SecretConfig::builtin(), FingerprintKey::from_bytes([1; 32])).unwrap()
}

/// Deterministic generator of token material.
struct G(u64);

impl G {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn from(&mut self, set: &str, n: usize) -> String {
        let b = set.as_bytes();
        (0..n)
            .map(|_| b[(self.next() as usize) % b.len()] as char)
            .collect()
    }
    fn an(&mut self, n: usize) -> String {
        self.from(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            n,
        )
    }
    fn lo(&mut self, n: usize) -> String {
        self.from("abcdefghijklmnopqrstuvwxyz0123456789", n)
    }
    fn up(&mut self, n: usize) -> String {
        self.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", n)
    }
    fn hx(&mut self, n: usize) -> String {
        self.from("0123456789abcdef", n)
    }
    fn al(&mut self, n: usize) -> String {
        self.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", n)
    }
    fn b64(&mut self, n: usize) -> String {
        self.from(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            n,
        )
    }
    fn d(&mut self, n: usize) -> String {
        self.from("0123456789", n)
    }
    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.hx(8),
            self.hx(4),
            self.hx(4),
            self.hx(4),
            self.hx(12)
        )
    }
}

/// (rule id, path, text) — one realistic sample per built-in rule.
#[allow(clippy::too_many_lines)]
fn samples() -> Vec<(&'static str, &'static str, String)> {
    let mut g = G(42);
    let f = "app/settings.conf";
    vec![
        (
            "aws-access-key-id",
            f,
            format!("AWS_ACCESS_KEY_ID=AKIA{}", g.up(16)),
        ),
        (
            "aws-secret-access-key",
            f,
            format!("aws_secret_access_key = {}", g.b64(40)),
        ),
        (
            "aws-session-token",
            f,
            format!("aws_session_token = {}", g.b64(220)),
        ),
        ("aws-mws-key", f, format!("mws = amzn.mws.{}", g.uuid())),
        (
            "aws-bedrock-api-key",
            f,
            format!("BEDROCK=ABSK{}", g.b64(120)),
        ),
        (
            "gcp-service-account",
            "sa.json",
            format!(
                "{{\"type\": \"service_account\", \"private_key_id\": \"{}\"}}",
                g.hx(40)
            ),
        ),
        ("gcp-api-key", f, format!("key=AIza{}", g.an(35))),
        (
            "gcp-oauth-client-secret",
            f,
            format!("secret=GOCSPX-{}", g.an(28)),
        ),
        (
            "firebase-cloud-messaging-key",
            f,
            format!("fcm=AAAA{}:APA91b{}", g.an(7), g.an(134)),
        ),
        (
            "azure-storage-account-key",
            f,
            format!(
                "DefaultEndpointsProtocol=https;AccountName=x;AccountKey={}==;",
                g.b64(86)
            ),
        ),
        (
            "azure-shared-access-key",
            f,
            format!(
                "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=R;SharedAccessKey={}=",
                g.b64(43)
            ),
        ),
        (
            "azure-sas-token",
            f,
            format!(
                "https://x.blob.core.windows.net/c?sv=2023-11-03&sr=b&sp=r&sig={}%3D",
                g.an(43)
            ),
        ),
        (
            "azure-devops-pat",
            f,
            format!(
                "AZURE_DEVOPS_PAT={}",
                g.from("abcdefghijklmnopqrstuvwxyz234567", 52)
            ),
        ),
        (
            "azure-entra-client-secret",
            f,
            format!("client_secret=abc8Q~{}", g.an(34)),
        ),
        (
            "azure-container-registry-credential",
            f,
            format!("{}JQQJ99{}YeBjFEqg7N{}", g.an(52), g.an(4), g.an(12)),
        ),
        (
            "azure-container-registry-password",
            f,
            format!("myreg.azurecr.io password: {}", g.an(32)),
        ),
        (
            "azure-app-config-connection-string",
            f,
            format!("Endpoint=https://x.azconfig.io;Id=ab12;Secret={}", g.an(40)),
        ),
        (
            "azure-ai-services-key",
            f,
            format!("{}JQQJ99{}YeBjFXJ3w3{}", g.an(52), g.an(4), g.an(12)),
        ),
        ("github-pat", f, format!("GH=ghp_{}", g.an(36))),
        ("github-oauth", f, format!("GH=gho_{}", g.an(36))),
        ("github-app-token", f, format!("GH=ghs_{}", g.an(36))),
        ("github-refresh-token", f, format!("GH=ghr_{}", g.an(36))),
        (
            "github-fine-grained-pat",
            f,
            format!("GH=github_pat_{}_{}", g.an(22), g.an(59)),
        ),
        ("gitlab-pat", f, format!("GL=glpat-{}", g.an(20))),
        (
            "gitlab-pipeline-trigger-token",
            f,
            format!("GL=glptt-{}", g.hx(40)),
        ),
        ("gitlab-runner-token", f, format!("GL=glrt-{}", g.an(20))),
        ("gitlab-deploy-token", f, format!("GL=gldt-{}", g.an(20))),
        (
            "gitlab-oauth-app-secret",
            f,
            format!("GL=gloas-{}", g.an(64)),
        ),
        ("gitlab-scim-token", f, format!("GL=glsoat-{}", g.an(20))),
        (
            "bitbucket-client-id",
            f,
            format!("BITBUCKET_CLIENT_ID=\"{}\"", g.lo(32)),
        ),
        (
            "bitbucket-client-secret",
            f,
            format!("BITBUCKET_CLIENT_SECRET=\"{}\"", g.lo(64)),
        ),
        ("bitbucket-app-password", f, format!("BB=ATBB{}", g.an(32))),
        (
            "atlassian-api-token",
            f,
            format!("JIRA=ATATT3{}", g.an(180)),
        ),
        (
            "slack-access-token",
            f,
            format!("SLACK=xoxb-{}-{}-{}", g.d(12), g.d(12), g.an(24)),
        ),
        (
            "slack-app-token",
            f,
            format!("SLACK=xapp-1-A{}-{}-{}", g.up(10), g.d(13), g.hx(64)),
        ),
        (
            "slack-config-token",
            f,
            format!("SLACK=xoxe.xoxp-1-{}", g.up(164)),
        ),
        (
            "slack-web-hook",
            f,
            format!(
                "url: https://hooks.slack.com/services/T{}/B{}/{}",
                g.up(8),
                g.up(8),
                g.an(24)
            ),
        ),
        (
            "stripe-secret-token",
            f,
            format!("STRIPE=sk_live_{}", g.an(24)),
        ),
        (
            "stripe-publishable-token",
            f,
            format!("STRIPE=pk_live_{}", g.an(24)),
        ),
        (
            "stripe-webhook-secret",
            f,
            format!("STRIPE=whsec_{}", g.an(32)),
        ),
        ("square-access-token", f, format!("SQUARE=EAAA{}", g.an(56))),
        (
            "square-oauth-secret",
            f,
            format!("SQUARE=sq0csp-{}", g.an(43)),
        ),
        (
            "braintree-access-token",
            f,
            format!("BT=access_token$production${}${}", g.lo(16), g.hx(32)),
        ),
        (
            "paypal-client-secret",
            f,
            format!("PAYPAL_CLIENT_SECRET=\"E{}\"", g.an(79)),
        ),
        (
            "flutterwave-public-key",
            f,
            format!("FLW=FLWSECK_TEST-{}-X", g.hx(32)),
        ),
        (
            "gocardless-api-token",
            f,
            format!("GOCARDLESS_TOKEN=\"live_{}\"", g.lo(40)),
        ),
        ("duffel-api-token", f, format!("D=duffel_test_{}", g.an(43))),
        ("easypost-api-token", f, format!("E=EZAK{}", g.an(54))),
        ("shippo-api-token", f, format!("S=shippo_live_{}", g.hx(40))),
        (
            "twilio-api-key",
            f,
            format!("TWILIO_API_KEY=SK{}", g.hx(32)),
        ),
        (
            "twilio-auth-token",
            f,
            format!("TWILIO_AUTH_TOKEN=\"{}\"", g.hx(32)),
        ),
        (
            "sendgrid-api-token",
            f,
            format!("SENDGRID=SG.{}.{}", g.an(22), g.an(43)),
        ),
        (
            "mailgun-token",
            f,
            format!("MAILGUN_API_KEY=\"key-{}\"", g.hx(32)),
        ),
        (
            "mailgun-signing-key",
            f,
            format!(
                "MAILGUN_SIGNING_KEY=\"{}-{}-{}\"",
                g.hx(32),
                g.hx(8),
                g.hx(8)
            ),
        ),
        (
            "mailgun-pub-key",
            f,
            format!("MAILGUN_PUBLIC=\"pubkey-{}\"", g.hx(32)),
        ),
        ("mailchimp-api-key", f, format!("MC={}-us12", g.hx(32))),
        (
            "sendinblue-api-token",
            f,
            format!("BREVO=xkeysib-{}-{}", g.hx(64), g.an(16)),
        ),
        (
            "messagebird-api-token",
            f,
            format!("MESSAGEBIRD_KEY=\"{}\"", g.lo(25)),
        ),
        (
            "telegram-bot-token",
            f,
            format!("TG={}:AA{}", g.d(9), g.an(33)),
        ),
        (
            "discord-api-token",
            f,
            format!(
                "DISCORD_BOT_TOKEN=\"M{}.{}.{}\"",
                g.an(23),
                g.an(6),
                g.an(27)
            ),
        ),
        (
            "discord-client-secret",
            f,
            format!("DISCORD_CLIENT_SECRET=\"{}\"", g.lo(32)),
        ),
        (
            "discord-webhook",
            f,
            format!(
                "hook: https://discord.com/api/webhooks/{}/{}",
                g.d(18),
                g.an(68)
            ),
        ),
        (
            "intercom-api-token",
            f,
            format!("INTERCOM_TOKEN=\"{}\"", g.lo(60)),
        ),
        ("npm-access-token", f, format!("NPM=npm_{}", g.an(36))),
        (
            "npmrc-auth-token",
            ".npmrc",
            format!("//registry.npmjs.org/:_authToken={}", g.an(40)),
        ),
        (
            "npmrc-auth-basic",
            "root/.npmrc",
            format!("_auth={}", g.b64(24)),
        ),
        (
            "pypi-upload-token",
            f,
            format!("password = pypi-AgEIcHlwaS5vcmc{}", g.an(70)),
        ),
        ("rubygems-api-token", f, format!("R=rubygems_{}", g.hx(48))),
        ("clojars-api-token", f, format!("C=CLOJARS_{}", g.lo(60))),
        (
            "private-packagist-token",
            f,
            format!("P=packagist_uut_{}", g.an(68)),
        ),
        ("jfrog-api-key", f, format!("J=AKCp{}", g.an(69))),
        (
            "jfrog-identity-token",
            f,
            format!("ARTIFACTORY_TOKEN=\"{}\"", g.lo(64)),
        ),
        ("nuget-api-key", f, format!("N=oy2{}", g.lo(43))),
        ("docker-hub-pat", f, format!("D=dckr_pat_{}", g.an(27))),
        (
            "dockerconfig-secret",
            "k8s/secret.yaml",
            format!("  .dockerconfigjson: {}", g.b64(40)),
        ),
        (
            "docker-config-auth",
            "root/.docker/config.json",
            format!(
                "{{\"auths\": {{\"r.io\": {{\"auth\": \"{}\"}}}}}}",
                g.b64(40)
            ),
        ),
        (
            "kubeconfig-client-key",
            "root/.kube/config",
            format!("    client-key-data: {}", g.b64(120)),
        ),
        (
            "private-key",
            "etc/ssl/key.pem",
            format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----\n",
                g.b64(64),
                g.b64(64)
            ),
        ),
        (
            "putty-private-key",
            "k.ppk",
            format!(
                "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPublic-Lines: 1\n{}\nPrivate-Lines: 2\n{}\n{}\nPrivate-MAC: {}\n",
                g.b64(60),
                g.b64(64),
                g.b64(20),
                g.hx(40)
            ),
        ),
        (
            "age-secret-key",
            f,
            format!(
                "AGE-SECRET-KEY-1{}",
                g.from("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)
            ),
        ),
        (
            "jwt-token",
            f,
            format!("jwt: eyJ{}.eyJ{}.{}", g.an(20), g.an(30), g.an(30)),
        ),
        (
            "openai-project-api-key",
            f,
            format!("O=sk-proj-{}T3BlbkFJ{}", g.an(20), g.an(20)),
        ),
        (
            "openai-service-account-key",
            f,
            format!("O=sk-svcacct-{}T3BlbkFJ{}", g.an(20), g.an(20)),
        ),
        (
            "openai-admin-api-key",
            f,
            format!("O=sk-admin-{}T3BlbkFJ{}", g.an(20), g.an(20)),
        ),
        (
            "openai-service-api-key",
            f,
            format!("O=sk-service-acct-{}T3BlbkFJ{}", g.an(20), g.an(20)),
        ),
        (
            "openai-legacy-api-key",
            f,
            format!("O=sk-{}T3BlbkFJ{}", g.an(20), g.an(20)),
        ),
        (
            "openai-realtime-client-secret",
            f,
            format!("O=ek_{}", g.hx(32)),
        ),
        (
            "anthropic-api-key",
            f,
            format!("A=sk-ant-api03-{}AA", g.an(93)),
        ),
        (
            "hugging-face-access-token",
            f,
            format!("HF=hf_{}", g.an(34)),
        ),
        (
            "hugging-face-org-token",
            f,
            format!("HF=api_org_{}", g.al(34)),
        ),
        ("groq-api-key", f, format!("G=gsk_{}", g.an(52))),
        ("replicate-api-token", f, format!("R=r8_{}", g.an(37))),
        ("perplexity-api-key", f, format!("P=pplx-{}", g.an(48))),
        ("xai-api-key", f, format!("X=xai-{}", g.an(80))),
        ("datadog-api-key", f, format!("DD_API_KEY={}", g.hx(32))),
        ("datadog-app-key", f, format!("DD_APP_KEY={}", g.hx(40))),
        ("new-relic-user-api-key", f, format!("NR=NRAK-{}", g.up(27))),
        (
            "new-relic-browser-api-token",
            f,
            format!("NR=NRJS-{}", g.hx(19)),
        ),
        ("new-relic-insert-key", f, format!("NR=NRII-{}", g.an(32))),
        ("new-relic-license-key", f, format!("NR={}NRAL", g.hx(36))),
        ("sentry-org-token", f, format!("S=sntrys_eyJ{}", g.an(80))),
        ("sentry-user-token", f, format!("S=sntryu_{}", g.hx(64))),
        ("grafana-api-token", f, format!("G=eyJrIjoi{}", g.an(80))),
        ("grafana-cloud-api-token", f, format!("G=glc_{}", g.an(40))),
        (
            "grafana-service-account-token",
            f,
            format!("G=glsa_{}_{}", g.an(32), g.hx(8)),
        ),
        (
            "dynatrace-api-token",
            f,
            format!("D=dt0c01.{}.{}", g.up(24), g.up(64)),
        ),
        (
            "okta-api-token",
            f,
            format!("OKTA_API_TOKEN=\"00{}\"", g.an(40)),
        ),
        (
            "hashicorp-tf-api-token",
            f,
            format!("T={}.atlasv1.{}", g.an(14), g.an(64)),
        ),
        ("vault-service-token", f, format!("V=hvs.{}", g.an(100))),
        ("vault-batch-token", f, format!("V=hvb.{}", g.an(150))),
        ("digitalocean-token", f, format!("D=dop_v1_{}", g.hx(64))),
        ("heroku-api-key", f, format!("HEROKU_API_KEY={}", g.uuid())),
        (
            "cloudflare-api-token",
            f,
            format!("CLOUDFLARE_API_TOKEN=\"{}\"", g.an(40)),
        ),
        (
            "cloudflare-origin-ca-key",
            f,
            format!("C=v1.0-{}-{}", g.hx(24), g.hx(146)),
        ),
        (
            "netlify-access-token",
            f,
            format!("NETLIFY_AUTH_TOKEN=\"{}\"", g.an(43)),
        ),
        (
            "planetscale-password",
            f,
            format!("P=pscale_pw_{}", g.an(43)),
        ),
        (
            "planetscale-api-token",
            f,
            format!("P=pscale_tkn_{}", g.an(43)),
        ),
        ("pulumi-api-token", f, format!("P=pul-{}", g.hx(40))),
        ("doppler-api-token", f, format!("D=dp.pt.{}", g.an(43))),
        (
            "postman-api-token",
            f,
            format!("P=PMAK-{}-{}", g.hx(24), g.hx(34)),
        ),
        ("databricks-api-token", f, format!("D=dapi{}", g.hx(32))),
        ("sonarqube-token", f, format!("S=sqp_{}", g.hx(40))),
        ("snyk-api-token", f, format!("SNYK_TOKEN={}", g.uuid())),
        ("supabase-access-token", f, format!("S=sbp_{}", g.hx(40))),
        (
            "notion-api-token",
            f,
            format!("N=ntn_{}{}", g.d(11), g.an(35)),
        ),
        ("linear-api-token", f, format!("L=lin_api_{}", g.an(40))),
        (
            "linear-client-secret",
            f,
            format!("LINEAR_CLIENT_SECRET=\"{}\"", g.hx(32)),
        ),
        ("frameio-api-token", f, format!("F=fio-u-{}", g.an(64))),
        ("typeform-api-token", f, format!("T=tfp_{}", g.an(59))),
        ("shopify-token", f, format!("S=shpat_{}", g.hx(32))),
        ("adobe-client-secret", f, format!("A=p8e-{}", g.an(32))),
        ("alibaba-access-key-id", f, format!("A=LTAI{}", g.an(20))),
        (
            "alibaba-secret-key",
            f,
            format!("ALIBABA_SECRET=\"{}\"", g.lo(30)),
        ),
        (
            "asana-client-secret",
            f,
            format!("ASANA_SECRET=\"{}\"", g.lo(32)),
        ),
        (
            "beamer-api-token",
            f,
            format!("BEAMER_TOKEN=\"b_{}\"", g.lo(44)),
        ),
        (
            "contentful-delivery-api-token",
            f,
            format!("CONTENTFUL_TOKEN=\"{}\"", g.lo(43)),
        ),
        (
            "dropbox-api-token",
            f,
            format!("DROPBOX_TOKEN=\"sl.{}\"", g.an(140)),
        ),
        (
            "fastly-api-token",
            f,
            format!("FASTLY_API_TOKEN=\"{}\"", g.lo(32)),
        ),
        (
            "hubspot-api-token",
            f,
            format!("HUBSPOT_KEY=\"{}\"", g.uuid()),
        ),
        (
            "mapbox-secret-token",
            f,
            format!("M=sk.eyJ{}.{}", g.an(60), g.an(22)),
        ),
        (
            "facebook-access-token",
            f,
            format!("F=EAACEdEose0cBA{}", g.an(30)),
        ),
        (
            "facebook-secret",
            f,
            format!("FACEBOOK_APP_SECRET=\"{}\"", g.hx(32)),
        ),
        (
            "twitter-token",
            f,
            format!("TWITTER_SECRET=\"{}\"", g.lo(45)),
        ),
        (
            "linkedin-client-secret",
            f,
            format!("LINKEDIN_CLIENT_SECRET=\"{}\"", g.lo(16)),
        ),
        (
            "twitch-api-token",
            f,
            format!("TWITCH_TOKEN=\"{}\"", g.lo(30)),
        ),
        (
            "algolia-api-key",
            f,
            format!("ALGOLIA_ADMIN_KEY=\"{}\"", g.lo(32)),
        ),
        (
            "symfony-default-secret",
            "config/packages/framework.yaml",
            "framework:\n  secret: ThisTokenIsNotSoSecretChangeIt\n".to_owned(),
        ),
        (
            "maven-settings-password",
            "root/.m2/settings.xml",
            format!("<server><password>{}</password></server>", g.an(16)),
        ),
        (
            "maven-settings-passphrase",
            "root/.m2/settings.xml",
            format!("<server><passphrase>{}</passphrase></server>", g.an(16)),
        ),
        (
            "maven-settings-security-master",
            "root/.m2/settings-security.xml",
            format!(
                "<settingsSecurity><master>{}</master></settingsSecurity>",
                g.an(16)
            ),
        ),
        (
            "wordpress-db-password",
            "var/www/html/wp-config.php",
            format!("define( 'DB_PASSWORD', '{}' );", g.an(16)),
        ),
        (
            "pgpass-password",
            "root/.pgpass",
            format!("db.internal:5432:app:app:{}\n", g.an(16)),
        ),
        (
            "netrc-password",
            "root/.netrc",
            format!("machine git.internal login deploy password {}\n", g.an(16)),
        ),
        (
            "db-connection-string",
            f,
            format!("DATABASE_URL=postgres://app:{}@db:5432/app", g.an(16)),
        ),
        (
            "db-connection-string-password",
            f,
            format!(
                "ConnectionString=\"Server=db;Database=app;User Id=sa;Password={};\"",
                g.an(16)
            ),
        ),
        (
            "url-credentials",
            f,
            format!("remote = https://deploy:{}@git.internal/repo.git", g.an(16)),
        ),
        (
            "generic-password",
            "app/config.yaml",
            format!("password: \"{}\"", g.an(20)),
        ),
        (
            "generic-env-secret",
            "app/.env",
            format!("DB_PASSWORD={}\n", g.an(20)),
        ),
    ]
}

#[test]
fn every_builtin_rule_finds_its_sample() {
    let s = scanner();
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    for (rule, path, text) in samples() {
        assert!(s.rule(rule).is_some(), "{rule} is not a built-in rule");
        let found = s.scan_bytes(path, text.as_bytes());
        if found.iter().any(|f| f.rule_id == rule) {
            covered.insert(rule);
        } else {
            failures.push(format!(
                "{rule}: {:?}",
                found.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "samples not found:\n{}",
        failures.join("\n")
    );
    let missing: Vec<&str> = s
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !covered.contains(id) && *id != wharf_secrets::SENSITIVE_VARIABLE_RULE)
        .collect();
    assert!(missing.is_empty(), "rules without a sample: {missing:?}");
    assert!(s.rule_count() >= 100, "{}", s.rule_count());
    eprintln!(
        "{} built-in rules, each with a positive sample",
        s.rule_count()
    );
}

#[test]
fn every_rule_has_metadata() {
    let s = scanner();
    for r in s.rules() {
        assert!(
            !r.id.is_empty()
                && r.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "{}",
            r.id
        );
        assert!(!r.category.is_empty() && !r.title.is_empty(), "{}", r.id);
        assert!(r.remediation.len() > 40, "{}", r.id);
        assert_ne!(r.severity, wharf_types::Severity::Unknown, "{}", r.id);
    }
    let ids: BTreeSet<&str> = s.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), s.rule_count(), "duplicate ids");
}

#[test]
fn decoys_and_placeholders_are_not_reported() {
    let s = scanner();
    let decoys = [
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "GITHUB_TOKEN=ghp_000000000000000000000000000000000000",
        "password = \"changeme\"",
        "password: \"<your-password-here>\"",
        "DB_PASSWORD=${DB_PASSWORD}",
        "DB_PASSWORD=$DB_PASSWORD",
        "API_KEY={{ secrets.API_KEY }}",
        "token = \"aaaaaaaaaaaaaaaaaaaaaaaa\"",
        "secret: \"REDACTED_REDACTED\"",
        "STRIPE=ask_live_0123456789abcdefghij",
        "db = postgres://user:${PGPASSWORD}@db/app",
        "remote = https://user:password@example.com/x.git",
        "-----BEGIN RSA PRIVATE KEY----- -----END RSA PRIVATE KEY-----",
        "token = \"your_token_here_please\"",
        "jwt_secret = \"%(JWT_SECRET)s\"",
    ];
    for d in decoys {
        let f = s.scan_bytes("app/app.conf", d.as_bytes());
        assert!(
            f.is_empty(),
            "{d}: {:?}",
            f.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
        );
    }
}

#[test]
fn entropy_threshold_of_generic_rules() {
    let s = scanner();
    // Low entropy: a word-like value.
    assert!(
        s.scan_bytes("a.yaml", b"password: \"passwordpassword\"")
            .is_empty()
    );
    assert!(
        s.scan_bytes("a.yaml", b"password: \"abcabcabcabc\"")
            .is_empty()
    );
    assert_eq!(
        s.scan_bytes("a.yaml", b"password: \"q8Vx2LmZ0pRt7sYw\"")
            .len(),
        1
    );
}

#[test]
fn path_allow_rules_skip_docs_tests_and_lockfiles() {
    let s = scanner();
    let token = b"GH=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n";
    for skipped in [
        "usr/share/doc/pkg/README",
        "usr/share/man/man1/x.1",
        "app/tests/fixtures/token.txt",
        "app/package-lock.json",
        "srv/.git/objects/ab/cdef",
        "app/node_modules/lib/test/creds.txt",
        "app/node_modules/lib/index.js",
        "app/docs/README.md",
        "usr/lib/python3.12/site-packages/x/y.py",
        "app/examples/config.env",
    ] {
        assert!(s.path_skipped(skipped), "{skipped}");
        assert!(s.scan_bytes(skipped, token).is_empty(), "{skipped}");
        assert!(!s.wants(skipped, 0o644, 100), "{skipped}");
    }
    for scanned in [
        "app/node_modules/lib/.npmrc",
        "app/node_modules/lib/config.json",
        "app/node_modules/.env",
        "etc/app/config.env",
        "root/.docker/config.json",
        "app/contest.txt",
    ] {
        assert!(!s.path_skipped(scanned), "{scanned}");
        assert_eq!(s.scan_bytes(scanned, token).len(), 1, "{scanned}");
    }
    // A disabled allow rule scans its paths again.
    let mut cfg = SecretConfig::builtin();
    cfg.disabled_allow_rules.push("markdown".into());
    let s2 = SecretScanner::new(cfg, FingerprintKey::from_bytes([1; 32])).unwrap();
    assert_eq!(s2.scan_bytes("app/docs/README.md", token).len(), 1);
}

#[test]
fn binary_and_oversized_files_are_skipped() {
    let s = scanner();
    let mut bin = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    bin.extend_from_slice(b"GH=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n");
    assert!(s.scan_bytes("usr/bin/tool", &bin).is_empty());
    let mut cfg = SecretConfig::builtin();
    cfg.max_file_size = 64;
    let small = SecretScanner::new(cfg, FingerprintKey::from_bytes([1; 32])).unwrap();
    let mut big = vec![b'#'; 100];
    big.extend_from_slice(b"\nGH=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n");
    assert!(small.scan_bytes("a.txt", &big).is_empty());
    assert!(!small.wants("a.txt", 0o644, 200));
    assert!(small.wants("a.txt", 0o644, 60));
    assert!(!small.wants("a.txt", 0o644, 5), "tiny files are not read");
    assert_eq!(s.scan_bytes("a.txt", &big).len(), 1);
    assert_eq!(SecretConfig::builtin().max_file_size, 10 << 20);
}

#[test]
fn source_maps_skip_mappings_and_generic_rules() {
    let s = scanner();
    // A VLQ mappings string can look like anything, including a key.
    let map = r#"{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA,SAASA;AKIAABCDEFGHIJKLMNOP,GAAG","sourcesContent":["const password = \"q8Vx2LmZ0pRt7sYw\";\nconst gh = \"ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\";"]}"#;
    let found = s.scan_bytes("app/dist/main.js.map", map.as_bytes());
    let ids: Vec<&str> = found.iter().map(|f| f.rule_id.as_str()).collect();
    // Only the real token in sourcesContent: nothing from mappings, no
    // generic rule.
    assert_eq!(ids, vec!["github-pat"]);
    // The same content in a normal file finds the generic password too.
    let found = s.scan_bytes("app/dist/main.json", map.as_bytes());
    assert!(found.iter().any(|f| f.rule_id == "generic-password"));
}

#[test]
fn minified_lines_use_bounded_windows_and_stricter_generic_rules() {
    let s = scanner();
    let mut js = String::new();
    for i in 0..5000 {
        js.push_str(&format!("function f{i}(a){{return a+{i}}};"));
    }
    js.push_str("var k=\"pk_live_aB3dE5fG7hJ9kL1mN3pQ5rS7t\";var password=\"abcdEFGH1234\";");
    for i in 0..5000 {
        js.push_str(&format!("function g{i}(a){{return a*{i}}};"));
    }
    let found = s.scan_bytes("app/static/app.min.js", js.as_bytes());
    let ids: Vec<&str> = found.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["stripe-publishable-token"]);
    assert!(found[0].excerpt.chars().count() <= 120);
    assert!(matches!(found[0].location, Location::File { line: 1, .. }));
}

#[test]
fn whole_file_window_mode_finds_the_same() {
    let mut cfg = SecretConfig::builtin();
    cfg.window = WindowMode::WholeFile;
    let whole = SecretScanner::new(cfg, FingerprintKey::from_bytes([1; 32])).unwrap();
    let lines = scanner();
    for (rule, path, text) in samples() {
        let a: Vec<String> = lines
            .scan_bytes(path, text.as_bytes())
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
        let b: Vec<String> = whole
            .scan_bytes(path, text.as_bytes())
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
        assert_eq!(a, b, "{rule}");
    }
}

#[test]
fn line_numbers_and_crlf() {
    let s = scanner();
    let text = "a\r\nb\r\n\r\nGH=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\r\nc\nAWS=AKIA0123456789ABCDEF\n";
    let f = s.scan_bytes("x.txt", text.as_bytes());
    let lines: Vec<(String, u32)> = f
        .iter()
        .map(|f| match &f.location {
            Location::File { line, .. } => (f.rule_id.clone(), *line),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        lines,
        vec![("github-pat".into(), 4), ("aws-access-key-id".into(), 6)]
    );
    assert_eq!(f[0].excerpt, "GH=ghp_*****");
}

#[test]
fn stock_files_of_common_images_are_quiet() {
    let s = scanner();
    // Maven's default settings.xml (Debian's /etc/maven/settings.xml): the
    // commented-out samples.
    let maven = "<proxy>\n  <username>proxyuser</username>\n  <password>proxypass</password>\n</proxy>\n\
                 <server>\n  <username>repouser</username>\n  <password>repopwd</password>\n</server>\n\
                 <server>\n  <passphrase>optional; leave empty if not used.</passphrase>\n</server>\n";
    assert!(
        s.scan_bytes("etc/maven/settings.xml", maven.as_bytes())
            .is_empty()
    );
    // Python constants named *_TOKEN / *_SECRET are code, not env files.
    let py = "EOF_TOKEN = CommonToken(type=EOF)\nSKIP_TOKEN = CommonToken(type=0)\n\
              _CLIENT_SECRET = 'CLIENT_SECRET_PLACEHOLDER'\nREQUEST_TYPE_ID_TOKEN = \"auth-request-type/it\"\n";
    assert!(s.scan_bytes("app/lib/tokens.py", py.as_bytes()).is_empty());
    // RFC 6749's example token, in every OAuth library.
    let oauth =
        r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA"}"#;
    assert!(
        s.scan_bytes("app/lib/oauth.py", oauth.as_bytes())
            .is_empty()
    );
}
