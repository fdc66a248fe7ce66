//! The built-in rule table.
//!
//! Written for wharf from the providers' documented token formats. Several
//! rules follow the shape of public rule sets and say so: gitleaks'
//! default configuration (MIT, © Zachary Rice) for the keyword-context
//! pattern of [`ctx`] and a few token layouts, and Trivy's built-in rules
//! (Apache-2.0, © Aqua Security) for rule ids, categories and severities,
//! so findings line up with Trivy reports. No regex was copied verbatim;
//! all use only linear-time syntax (no look-around).

use wharf_types::Severity::{self, Critical, High, Low, Medium};

use super::{AllowlistSpec, RuleSpec};

/// A built-in rule under construction.
struct B(RuleSpec);

impl B {
    fn entropy(mut self, e: f64) -> Self {
        self.0.entropy = Some(e);
        self
    }
    fn path(mut self, p: &str) -> Self {
        self.0.path = Some(p.to_owned());
        self
    }
    /// Values that are never secrets for this rule (stock samples).
    fn stopwords(mut self, words: &[&str]) -> Self {
        self.0.allowlists.push(AllowlistSpec {
            description: "stock sample values".to_owned(),
            stopwords: words.iter().map(|w| (*w).to_owned()).collect(),
            ..AllowlistSpec::default()
        });
        self
    }
    fn generic(mut self) -> Self {
        self.0.generic = true;
        self
    }
}

fn r(
    id: &str,
    category: &str,
    title: &str,
    severity: Severity,
    keywords: &[&str],
    regex: &str,
) -> B {
    B(RuleSpec {
        id: id.to_owned(),
        category: category.to_owned(),
        title: title.to_owned(),
        severity,
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        regex: Some(regex.to_owned()),
        secret_group: None,
        entropy: None,
        path: None,
        allowlists: Vec::new(),
        remediation: remediation(category),
        generic: false,
        builtin: true,
    })
}

/// A secret assigned to a name containing `key` (`KEY_x = "secret"`,
/// `key: secret`, `"key" => secret`, …), in the shape gitleaks uses for its
/// keyword-context rules; the secret is group 1.
fn ctx(key: &str, secret: &str) -> String {
    format!(
        r#"(?i)[\w.-]{{0,50}}?(?:{key})(?:[ \t\w.-]{{0,20}})[\s'"]{{0,3}}(?:=|>|:{{1,3}}=|\|\||:|=>|\?=|,)[\x60'"\s=]{{0,5}}({secret})(?:[\x60'"\s;,&]|\\[nr]|$)"#
    )
}

fn remediation(category: &str) -> String {
    match category {
        "AWS" => "Deactivate and delete the key in the AWS IAM console (or `aws iam delete-access-key`), check CloudTrail for its use, and rotate; remove it from the image and use an IAM role or a secret store at run time.".into(),
        "Google" => "Delete the key in the Google Cloud console (IAM > Service accounts > Keys, or APIs & Services > Credentials) and rotate; remove it from the image and use workload identity or a secret store.".into(),
        "Azure" => "Regenerate the key or secret in the Azure portal (rotate both primary and secondary where they exist) and check the activity log; remove it from the image and use a managed identity or Key Vault.".into(),
        "GitHub" => "Revoke the token in GitHub (Settings > Developer settings, or the organisation's token list) and check the audit log; remove it from the image and pass tokens as build secrets (`RUN --mount=type=secret`).".into(),
        "AsymmetricPrivateKey" => "Treat the key pair as compromised: revoke any certificate issued for it, remove the public key from every authorised_keys/trust store, and generate a new pair; keep private keys out of images (mount them at run time).".into(),
        "JWT" => "Check whether the token is still valid and, if it is, revoke the session or rotate the signing key; remove it from the image.".into(),
        "Generic" | "Database" | "URL" => "Change the password or token on the service it belongs to; remove it from the image (including lower layers and build history) and provide it at run time from a secret store or environment injected by the orchestrator.".into(),
        other => format!(
            "Revoke the credential in the {other} account and issue a new one; remove it from the image (including lower layers and build history) and provide it at run time from a secret store."
        ),
    }
}

const UUID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/// Every built-in rule, in priority order (when two rules report the same
/// secret, the earlier one wins).
#[allow(clippy::too_many_lines)]
pub(crate) fn rules() -> Vec<RuleSpec> {
    let b = vec![
        // ---- AWS
        r("aws-access-key-id", "AWS", "AWS Access Key ID", Critical,
          &["akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "a3t"],
          r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16})\b"),
        r("aws-secret-access-key", "AWS", "AWS Secret Access Key", Critical, &["aws"],
          r#"(?i)aws[\w.-]{0,20}?(?:secret|sec|key)[\w.-]{0,20}?['"]?\s*(?:[:=]|:=|=>)?\s*['"]?\s*([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#),
        r("aws-session-token", "AWS", "AWS Session Token", High, &["session"],
          r#"(?i)(?:aws)?[\w.-]{0,10}session[_.-]?token[\w.-]{0,10}['"]?\s*(?:[:=]|:=|=>)\s*['"]?([A-Za-z0-9/+=]{100,1200})"#),
        r("aws-mws-key", "AWS", "Amazon MWS Auth Token", High, &["amzn.mws"],
          r"(amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"),
        r("aws-bedrock-api-key", "AWS", "Amazon Bedrock API Key", Critical, &["absk"],
          r"\b(ABSK[A-Za-z0-9+/]{109,269}={0,2})"),
        // ---- Google
        r("gcp-service-account", "Google", "Google (GCP) Service-account key file", Critical, &["private_key_id"],
          r#""private_key_id"\s*:\s*"([a-f0-9]{40})""#),
        r("gcp-api-key", "Google", "Google API Key", High, &["aiza"], r"\b(AIza[0-9A-Za-z_-]{35})\b"),
        r("gcp-oauth-client-secret", "Google", "Google OAuth Client Secret", High, &["gocspx-"],
          r"\b(GOCSPX-[A-Za-z0-9_-]{28})\b"),
        r("firebase-cloud-messaging-key", "Google", "Firebase Cloud Messaging Server Key", High, &["apa91b"],
          r"\b(AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{134})\b"),
        // ---- Azure
        r("azure-storage-account-key", "Azure", "Azure Storage Account Key", Critical, &["accountkey"],
          r"(?i)AccountKey\s*=\s*([A-Za-z0-9+/]{86}==)"),
        r("azure-shared-access-key", "Azure", "Azure Service Bus / Event Hub Shared Access Key", High, &["sharedaccesskey"],
          r"(?i)SharedAccessKey\s*=\s*([A-Za-z0-9+/]{42,43}=)"),
        r("azure-sas-token", "Azure", "Azure Shared Access Signature Token", High, &["sig=", "sv="],
          r#"(?i)\bsv=\d{4}-\d{2}-\d{2}&[^\s"'<>]{0,300}?\bsig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})"#),
        r("azure-devops-pat", "Azure", "Azure DevOps Personal Access Token", High,
          &["azure_devops", "azuredevops", "azure-devops", "ado_pat", "ado_token", "ado-pat", "ado-token"],
          r#"(?i)(?:azure[_-]?devops|ado[_-](?:pat|token))[\w.-]{0,20}['"]?\s*(?:[:=]|:=|=>)\s*['"]?([a-z2-7]{52}|[A-Za-z0-9]{84})\b"#),
        r("azure-entra-client-secret", "Azure", "Azure Entra ID (AD) Client Secret", Critical, &["q~"],
          r"(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)"),
        r("azure-container-registry-credential", "Azure", "Azure Container Registry Credential", Critical, &["yebjfeqg7n"],
          r"\b([A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{4}YeBjFEqg7N[A-Za-z0-9]{12})\b"),
        r("azure-container-registry-password", "Azure", "Azure Container Registry Password", Critical, &["azurecr.io"],
          r#"(?i)[\w-]+\.azurecr\.io[^\n]{0,60}?(?:password|passwd|pwd|secret)['"]?\s*[:=]\s*['"]?([A-Za-z0-9+/=]{32,88})"#),
        r("azure-app-config-connection-string", "Azure", "Azure App Configuration Connection String", Critical, &["azconfig.io"],
          r"(?i)Endpoint=https://[\w.-]+\.azconfig\.io;Id=[^;\s]+;Secret=([A-Za-z0-9+/=]{32,})"),
        r("azure-ai-services-key", "Azure", "Azure AI Services Key", High, &["xj3w3"],
          r"\b([A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{4}YeBjFXJ3w3[A-Za-z0-9]{12})\b"),
        // ---- GitHub
        r("github-pat", "GitHub", "GitHub Personal Access Token", Critical, &["ghp_"], r"\b(ghp_[A-Za-z0-9]{36})"),
        r("github-oauth", "GitHub", "GitHub OAuth Access Token", Critical, &["gho_"], r"\b(gho_[A-Za-z0-9]{36})"),
        r("github-app-token", "GitHub", "GitHub App Token", Critical, &["ghu_", "ghs_"],
          r"\b(gh[us]_(?:[0-9]+_[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}|[A-Za-z0-9]{36}))"),
        r("github-refresh-token", "GitHub", "GitHub Refresh Token", Critical, &["ghr_"], r"\b(ghr_[A-Za-z0-9]{36,76})"),
        r("github-fine-grained-pat", "GitHub", "GitHub Fine-grained personal access tokens", Critical, &["github_pat_"],
          r"(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})"),
        // ---- GitLab
        r("gitlab-pat", "GitLab", "GitLab Personal Access Token", Critical, &["glpat-"], r"\b(glpat-[A-Za-z0-9_.-]{20,64})"),
        r("gitlab-pipeline-trigger-token", "GitLab", "GitLab Pipeline Trigger Token", High, &["glptt-"], r"\b(glptt-[0-9a-f]{40})\b"),
        r("gitlab-runner-token", "GitLab", "GitLab Runner Authentication Token", High, &["glrt-"], r"\b(glrt-[A-Za-z0-9_.-]{20,64})"),
        r("gitlab-deploy-token", "GitLab", "GitLab Deploy Token", High, &["gldt-"], r"\b(gldt-[A-Za-z0-9_-]{20,64})"),
        r("gitlab-oauth-app-secret", "GitLab", "GitLab OAuth Application Secret", High, &["gloas-"], r"\b(gloas-[A-Za-z0-9_-]{64})\b"),
        r("gitlab-scim-token", "GitLab", "GitLab SCIM Token", High, &["glsoat-"], r"\b(glsoat-[A-Za-z0-9_-]{20})\b"),
        // ---- Bitbucket / Atlassian
        r("bitbucket-client-id", "Bitbucket", "Bitbucket Client ID", High, &["bitbucket"], &ctx("bitbucket", "[a-z0-9]{32}")),
        r("bitbucket-client-secret", "Bitbucket", "Bitbucket Client Secret", High, &["bitbucket"], &ctx("bitbucket", "[a-z0-9=_-]{64}")),
        r("bitbucket-app-password", "Bitbucket", "Bitbucket App Password / Access Token", High, &["atbb", "atctt3"],
          r"\b((?:ATBB|ATCTT3)[A-Za-z0-9_=-]{28,200})"),
        r("atlassian-api-token", "Atlassian", "Atlassian API Token", High, &["atatt3", "atlassian", "confluence", "jira"],
          r"\b(ATATT3[A-Za-z0-9_=-]{150,220})|(?i)(?:atlassian|confluence|jira)[\w.-]{0,20}['\x22]?\s*(?:[:=]|:=|=>)\s*['\x22]?([a-z0-9]{24})\b"),
        // ---- Slack
        r("slack-access-token", "Slack", "Slack token", High, &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe-", "xoxo-"],
          r"\b(xox[baprseo]-[0-9]{1,13}-[A-Za-z0-9-]{10,250})"),
        r("slack-app-token", "Slack", "Slack App-level Token", High, &["xapp-"], r"(?i)\b(xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)\b"),
        r("slack-config-token", "Slack", "Slack Configuration Token", High, &["xoxe."], r"(?i)\b(xoxe\.xox[bp]-\d-[A-Z0-9]{163,166})\b"),
        r("slack-web-hook", "Slack", "Slack Webhook", Medium, &["hooks.slack.com"],
          r"(https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,})"),
        // ---- Payments
        r("stripe-secret-token", "Stripe", "Stripe Secret Key", Critical, &["sk_test_", "sk_live_", "sk_prod_", "rk_test_", "rk_live_", "rk_prod_"],
          r"\b((?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99})"),
        r("stripe-publishable-token", "Stripe", "Stripe Publishable Key", Low, &["pk_test_", "pk_live_"],
          r"\b(pk_(?:test|live)_[A-Za-z0-9]{10,99})"),
        r("stripe-webhook-secret", "Stripe", "Stripe Webhook Signing Secret", High, &["whsec_"], r"\b(whsec_[A-Za-z0-9]{32,64})"),
        r("square-access-token", "Square", "Square Access Token", High, &["sq0atp-", "eaaa"],
          r"\b((?:EAAA|sq0atp-)[A-Za-z0-9_-]{22,60})\b").entropy(3.0),
        r("square-oauth-secret", "Square", "Square OAuth Secret", High, &["sq0csp-"], r"\b(sq0csp-[A-Za-z0-9_-]{43})\b"),
        r("braintree-access-token", "PayPal", "PayPal Braintree Access Token", Critical, &["access_token$production"],
          r"\b(access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})\b"),
        r("paypal-client-secret", "PayPal", "PayPal REST Client Secret", High, &["paypal"], &ctx("paypal", "E[A-Za-z0-9_-]{79}")),
        r("flutterwave-public-key", "Flutterwave", "Flutterwave Key", Medium, &["flwseck_test", "flwpubk_test"],
          r"\b(FLW(?:SECK|PUBK)_TEST-[a-h0-9]{32}-X)"),
        r("gocardless-api-token", "GoCardless", "GoCardless API Token", Medium, &["gocardless"], &ctx("gocardless", "live_[a-z0-9_=-]{40}")),
        r("duffel-api-token", "Duffel", "Duffel API Token", Low, &["duffel_test_", "duffel_live_"], r"\b(duffel_(?:test|live)_[A-Za-z0-9_=-]{43})"),
        r("easypost-api-token", "Easypost", "EasyPost API Token", Low, &["ezak", "ezat"], r"\b(EZ[AT]K[A-Za-z0-9]{54})\b"),
        r("shippo-api-token", "Shippo", "Shippo API Token", Low, &["shippo_live_", "shippo_test_"], r"\b(shippo_(?:live|test)_[a-f0-9]{40})\b"),
        // ---- Messaging / e-mail
        r("twilio-api-key", "Twilio", "Twilio API Key", Medium, &["twilio"], r"\b(SK[0-9a-fA-F]{32})\b"),
        r("twilio-auth-token", "Twilio", "Twilio Auth Token", High, &["twilio"], &ctx("twilio[\\w.-]{0,10}(?:auth|token|secret)", "[a-f0-9]{32}")),
        r("sendgrid-api-token", "SendGrid", "SendGrid API Key", Medium, &["sg."], r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})\b"),
        r("mailgun-token", "Mailgun", "Mailgun Private API Token", Medium, &["mailgun"], &ctx("mailgun", "key-[a-f0-9]{32}")),
        r("mailgun-signing-key", "Mailgun", "Mailgun Webhook Signing Key", Medium, &["mailgun"], &ctx("mailgun", "[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}")),
        r("mailgun-pub-key", "Mailgun", "Mailgun Public Validation Key", Low, &["mailgun"], &ctx("mailgun", "pubkey-[a-f0-9]{32}")),
        r("mailchimp-api-key", "Mailchimp", "Mailchimp API Key", Medium, &["-us"], r"\b([0-9a-f]{32}-us\d{1,2})\b"),
        r("sendinblue-api-token", "Sendinblue", "Brevo (Sendinblue) API Key", Low, &["xkeysib-"], r"\b(xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\b"),
        r("messagebird-api-token", "MessageBird", "MessageBird API Token", Medium, &["messagebird", "message-bird", "message_bird"],
          &ctx("message[_-]?bird", "[a-z0-9]{25}")),
        r("telegram-bot-token", "Telegram", "Telegram Bot Token", High, &[":aa"], r"\b(\d{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_-]|$)"),
        r("discord-api-token", "Discord", "Discord Bot Token", Medium, &["discord"],
          &ctx("discord", r"[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38}")),
        r("discord-client-secret", "Discord", "Discord Client Secret", Medium, &["discord"], &ctx("discord[\\w.-]{0,10}secret", "[a-z0-9=_-]{32}")),
        r("discord-webhook", "Discord", "Discord Webhook URL", Medium, &["discord"],
          r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,68})"),
        r("intercom-api-token", "Intercom", "Intercom API Token", Low, &["intercom"], &ctx("intercom", "[a-z0-9=_-]{60}")),
        // ---- Package registries
        r("npm-access-token", "Npm", "npm access token", Critical, &["npm_"], r"\b(npm_[A-Za-z0-9]{36})\b"),
        r("npmrc-auth-token", "Npm", "npm registry _authToken", Critical, &["_authtoken"],
          r#"(?i)_authToken\s*=\s*['"]?([A-Za-z0-9._~+/=-]{16,})"#),
        r("npmrc-auth-basic", "Npm", "npm registry _auth / _password", High, &["_auth", "_password"],
          r#"(?i)(?:^|[\s:/])_(?:auth|password)\s*=\s*['"]?([A-Za-z0-9+/=]{8,})"#).path(r"(?:^|/)\.?npmrc$"),
        r("pypi-upload-token", "PyPI", "PyPI upload token", High, &["pypi-ageichlwas5vcmc"], r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})"),
        r("rubygems-api-token", "RubyGems", "Rubygem API Key", Medium, &["rubygems_"], r"\b(rubygems_[a-f0-9]{48})\b"),
        r("clojars-api-token", "Clojars", "Clojars API Token", Medium, &["clojars_"], r"(?i)\b(CLOJARS_[a-z0-9]{60})\b"),
        r("private-packagist-token", "Private Packagist", "Private Packagist Token", High, &["packagist_uut_", "packagist_ort_", "packagist_out_"],
          r"\b(packagist_(?:uut|ort|out)_[A-Za-z0-9]{68})\b"),
        r("jfrog-api-key", "JFrog", "JFrog Artifactory API Key", High, &["akcp"], r"\b(AKCp[A-Za-z0-9]{69})\b"),
        r("jfrog-identity-token", "JFrog", "JFrog Identity Token", High, &["jfrog", "artifactory"], &ctx("jfrog|artifactory", "[a-z0-9]{64}")),
        r("nuget-api-key", "NuGet", "NuGet API Key", High, &["oy2"], r"\b(oy2[a-z0-9]{43})\b").entropy(3.5),
        // ---- Containers
        r("docker-hub-pat", "Docker", "Docker Hub Personal / Organisation Access Token", Critical, &["dckr_pat_", "dckr_oat_"],
          r"\b(dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,})"),
        r("dockerconfig-secret", "Docker", "Dockerconfig secret exposed", High, &["dockerc"],
          r#"(?i)\.docker(?:cfg|configjson)['"]?\s*:\s*['"]?([A-Za-z0-9+/=]{8,})"#),
        r("docker-config-auth", "Docker", "Registry credentials in a Docker/Podman auth file", High, &["\"auth\""],
          r#""auth"\s*:\s*"([A-Za-z0-9+/=]{8,})""#).path(r"(?:^|/)(?:\.docker/config\.json|config\.json|\.dockercfg|auth\.json)$"),
        r("kubeconfig-client-key", "Kubernetes", "Client key in a kubeconfig", High, &["client-key-data"],
          r"client-key-data:\s*([A-Za-z0-9+/=]{100,})"),
        // ---- Keys
        r("private-key", "AsymmetricPrivateKey", "Asymmetric Private Key", High, &["private key"],
          r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[nr])*([A-Za-z0-9+/=][A-Za-z0-9+/=\s\\:,.-]{31,}?)(?:\s|\\[nr])*-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"),
        r("putty-private-key", "AsymmetricPrivateKey", "PuTTY Private Key", High, &["putty-user-key-file"],
          r"(?s)PuTTY-User-Key-File-\d+:.{0,4000}?Private-Lines:\s*\d+\s+([A-Za-z0-9+/=\r\n]{40,}?)\s*Private-MAC"),
        r("age-secret-key", "Age", "Age secret key", Medium, &["age-secret-key-1"], r"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})"),
        r("jwt-token", "JWT", "JWT token", Medium, &[".eyj"], r"\b(ey[A-Za-z0-9_-]{10,}\.ey[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"),
        // ---- AI
        r("openai-project-api-key", "OpenAI", "OpenAI Project API Key", Critical, &["t3blbkfj"],
          r"\b(sk-proj-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})"),
        r("openai-service-account-key", "OpenAI", "OpenAI Service Account Key", Critical, &["t3blbkfj"],
          r"\b(sk-svcacct-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})"),
        r("openai-admin-api-key", "OpenAI", "OpenAI Admin API Key", Critical, &["t3blbkfj"],
          r"\b(sk-admin-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})"),
        r("openai-service-api-key", "OpenAI", "OpenAI Service API Key", High, &["t3blbkfj"],
          r"\b(sk-service-[A-Za-z0-9-]{1,40}-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})"),
        r("openai-legacy-api-key", "OpenAI", "OpenAI Legacy User API Key", High, &["t3blbkfj"],
          r"\b(sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})\b"),
        r("openai-realtime-client-secret", "OpenAI", "OpenAI Realtime Client Secret", Medium, &["ek_"], r"\b(ek_[a-f0-9]{32})\b"),
        r("anthropic-api-key", "Anthropic", "Anthropic API Key", Critical, &["sk-ant-api03", "sk-ant-admin01"],
          r"\b(sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA)"),
        r("hugging-face-access-token", "HuggingFace", "Hugging Face Access Token", Critical, &["hf_"], r"\b(hf_[A-Za-z0-9]{34,40})\b"),
        r("hugging-face-org-token", "HuggingFace", "Hugging Face Organisation API Token", High, &["api_org_"], r"\b(api_org_[A-Za-z]{34})\b"),
        r("groq-api-key", "Groq", "Groq API Key", High, &["gsk_"], r"\b(gsk_[A-Za-z0-9]{52})\b"),
        r("replicate-api-token", "Replicate", "Replicate API Token", High, &["r8_"], r"\b(r8_[A-Za-z0-9]{37})\b"),
        r("perplexity-api-key", "Perplexity", "Perplexity API Key", High, &["pplx-"], r"\b(pplx-[A-Za-z0-9]{48})\b"),
        r("xai-api-key", "xAI", "xAI API Key", High, &["xai-"], r"\b(xai-[A-Za-z0-9]{80})\b"),
        // ---- Observability
        r("datadog-api-key", "Datadog", "Datadog API Key", Medium, &["datadog", "dd_api_key", "dd-api-key"],
          &ctx("datadog|dd[_-]api[_-]key", "[a-f0-9]{32}")),
        r("datadog-app-key", "Datadog", "Datadog Application Key", Medium, &["dd_app_key", "dd-app-key", "datadog"],
          &ctx("dd[_-]app(?:lication)?[_-]key|datadog[\\w.-]{0,10}app", "[a-f0-9]{40}")),
        r("new-relic-user-api-key", "NewRelic", "New Relic User API Key", Medium, &["nrak-"], r"\b(NRAK-[A-Z0-9]{27})\b"),
        r("new-relic-browser-api-token", "NewRelic", "New Relic Browser API Token", Medium, &["nrjs-"], r"\b(NRJS-[a-f0-9]{19})\b"),
        r("new-relic-insert-key", "NewRelic", "New Relic Insert Key", Medium, &["nrii-"], r"\b(NRII-[A-Za-z0-9_-]{32})\b"),
        r("new-relic-license-key", "NewRelic", "New Relic License Key", Medium, &["nral"], r"\b([a-f0-9]{36}NRAL)\b"),
        r("sentry-org-token", "Sentry", "Sentry Organisation Auth Token", High, &["sntrys_"], r"\b(sntrys_eyJ[A-Za-z0-9+/=_-]{60,})"),
        r("sentry-user-token", "Sentry", "Sentry User Auth Token", High, &["sntryu_"], r"\b(sntryu_[a-f0-9]{64})\b"),
        r("grafana-api-token", "Grafana", "Grafana API token", Medium, &["eyjrijoi"], r"\b(eyJrIjoi[A-Za-z0-9_=-]{70,400})"),
        r("grafana-cloud-api-token", "Grafana", "Grafana Cloud API Token", Medium, &["glc_"], r"\b(glc_[A-Za-z0-9+/]{32,400}={0,2})"),
        r("grafana-service-account-token", "Grafana", "Grafana Service Account Token", Medium, &["glsa_"], r"\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})\b"),
        r("dynatrace-api-token", "Dynatrace", "Dynatrace API Token", Medium, &["dt0c01."], r"\b(dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b"),
        // ---- Identity / infrastructure
        r("okta-api-token", "Okta", "Okta API Token", High, &["okta"], &ctx("okta", "00[A-Za-z0-9_-]{40}")),
        r("hashicorp-tf-api-token", "HashiCorp", "HashiCorp Terraform API Token", Medium, &["atlasv1."],
          r"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})"),
        r("vault-service-token", "HashiCorp", "HashiCorp Vault Service Token", High, &["hvs."], r"\b(hvs\.[A-Za-z0-9_-]{90,120})"),
        r("vault-batch-token", "HashiCorp", "HashiCorp Vault Batch Token", High, &["hvb."], r"\b(hvb\.[A-Za-z0-9_-]{138,300})"),
        r("digitalocean-token", "DigitalOcean", "DigitalOcean Token", High, &["dop_v1_", "doo_v1_", "dor_v1_"], r"\b(do[por]_v1_[a-f0-9]{64})\b"),
        r("heroku-api-key", "Heroku", "Heroku API Key", High, &["heroku", "hrku-"],
          r"\b(HRKU-AA[A-Za-z0-9_-]{58})|(?i)heroku[\w.-]{0,20}['\x22]?\s*(?:[:=]|:=|=>)\s*['\x22]?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"),
        r("cloudflare-api-token", "Cloudflare", "Cloudflare API Token", High, &["cloudflare"], &ctx("cloudflare", "[A-Za-z0-9_-]{40}")),
        r("cloudflare-origin-ca-key", "Cloudflare", "Cloudflare Origin CA Key", High, &["v1.0-"], r"\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b"),
        r("netlify-access-token", "Netlify", "Netlify Access Token", Medium, &["netlify"], &ctx("netlify", "[A-Za-z0-9_=-]{40,46}")),
        r("planetscale-password", "Planetscale", "PlanetScale Password", Medium, &["pscale_pw_"], r"\b(pscale_pw_[A-Za-z0-9_.-]{32,64})"),
        r("planetscale-api-token", "Planetscale", "PlanetScale API Token", Medium, &["pscale_tkn_", "pscale_oauth_"], r"\b(pscale_(?:tkn|oauth)_[A-Za-z0-9_.-]{32,64})"),
        r("pulumi-api-token", "Pulumi", "Pulumi API Token", High, &["pul-"], r"\b(pul-[a-f0-9]{40})\b"),
        r("doppler-api-token", "Doppler", "Doppler API Token", Medium, &["dp.pt."], r"\b(dp\.pt\.[A-Za-z0-9]{43})"),
        r("postman-api-token", "Postman", "Postman API Token", Medium, &["pmak-"], r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b"),
        r("databricks-api-token", "Databricks", "Databricks API Token", Medium, &["dapi"], r"\b(dapi[a-f0-9]{32}(?:-\d)?)\b"),
        r("sonarqube-token", "SonarQube", "SonarQube Token", Medium, &["sqp_", "squ_", "sqa_"], r"\b(sq[pua]_[a-f0-9]{40})\b"),
        r("snyk-api-token", "Snyk", "Snyk API Token", Medium, &["snyk"], &ctx("snyk[\\w.-]{0,10}(?:token|key)", UUID)),
        r("supabase-access-token", "Supabase", "Supabase Access Token", High, &["sbp_"], r"\b(sbp_[a-f0-9]{40})\b"),
        r("notion-api-token", "Notion", "Notion Integration Token", Medium, &["ntn_"], r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35})\b"),
        r("linear-api-token", "Linear", "Linear API Token", Medium, &["lin_api_"], r"\b(lin_api_[A-Za-z0-9]{40})\b"),
        r("linear-client-secret", "Linear", "Linear Client Secret", Medium, &["linear"], &ctx("linear", "[a-f0-9]{32}")),
        r("frameio-api-token", "Frameio", "Frame.io API Token", Low, &["fio-u-"], r"\b(fio-u-[A-Za-z0-9_=-]{64})"),
        r("typeform-api-token", "Typeform", "Typeform API Token", Low, &["tfp_"], r"\b(tfp_[A-Za-z0-9_.=-]{59})"),
        r("shopify-token", "Shopify", "Shopify token", High, &["shpss_", "shpat_", "shpca_", "shppa_"], r"\b(shp(?:ss|at|ca|pa)_[a-fA-F0-9]{32})\b"),
        r("adobe-client-secret", "Adobe", "Adobe Client Secret", Low, &["p8e-"], r"\b(p8e-[A-Za-z0-9]{32})\b"),
        r("alibaba-access-key-id", "Alibaba", "Alibaba AccessKey ID", High, &["ltai"], r"\b(LTAI[A-Za-z0-9]{20})\b"),
        r("alibaba-secret-key", "Alibaba", "Alibaba AccessKey Secret", High, &["alibaba"], &ctx("alibaba", "[a-z0-9]{30}")),
        r("asana-client-secret", "Asana", "Asana Client Secret", Medium, &["asana"], &ctx("asana", "[a-z0-9]{32}")),
        r("beamer-api-token", "Beamer", "Beamer API token", Low, &["beamer"], &ctx("beamer", "b_[a-z0-9=_-]{44}")),
        r("contentful-delivery-api-token", "ContentfulDelivery", "Contentful delivery API token", Low, &["contentful"], &ctx("contentful", "[a-z0-9=_-]{43}")),
        r("dropbox-api-token", "Dropbox", "Dropbox API Token", High, &["dropbox"], &ctx("dropbox", r"sl\.[A-Za-z0-9_-]{130,150}")),
        r("fastly-api-token", "Fastly", "Fastly API token", Medium, &["fastly"], &ctx("fastly", "[a-z0-9=_-]{32}")),
        r("hubspot-api-token", "HubSpot", "HubSpot API Token", Low, &["hubspot"], &ctx("hubspot", UUID)),
        r("mapbox-secret-token", "Mapbox", "Mapbox Secret Token", Medium, &["sk.eyj"], r"\b(sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,})"),
        r("facebook-access-token", "Facebook", "Facebook Access Token", Low, &["eaacedeose0cba"], r"\b(EAACEdEose0cBA[A-Za-z0-9]{20,})"),
        r("facebook-secret", "Facebook", "Facebook App Secret", Low, &["facebook"], &ctx("facebook", "[a-f0-9]{32}")),
        r("twitter-token", "Twitter", "Twitter API secret", Low, &["twitter"], &ctx("twitter", "[a-z0-9]{35,50}")),
        r("linkedin-client-secret", "LinkedIn", "LinkedIn Client secret", Low, &["linkedin"], &ctx("linkedin[\\w.-]{0,10}secret", "[a-z0-9]{16}")),
        r("twitch-api-token", "Twitch", "Twitch API token", Low, &["twitch"], &ctx("twitch", "[a-z0-9]{30}")),
        r("algolia-api-key", "Algolia", "Algolia Admin API Key", Medium, &["algolia"], &ctx("algolia", "[a-z0-9]{32}")),
        r("symfony-default-secret", "Symfony", "Symfony default secret", High, &["tokenisnotsosecret"],
          r#"(?i)\bsecret['"]?\s*[:=]\s*['"]?(ThisTokenIsNotSoSecretChangeIt)"#),
        // ---- Build and app configuration
        r("maven-settings-password", "Maven", "Maven settings.xml password", High, &["password"],
          r"<password>\s*([^<\s{$][^<\s]*?)\s*</password>").path(r"(?:^|/)settings(?:-security)?\.xml$")
          .stopwords(&["proxypass", "repopwd"]),
        r("maven-settings-passphrase", "Maven", "Maven settings.xml passphrase", High, &["passphrase"],
          r"<passphrase>\s*([^<\s{$][^<\s]*?)\s*</passphrase>").path(r"(?:^|/)settings(?:-security)?\.xml$"),
        r("maven-settings-security-master", "Maven", "Maven settings-security.xml master password", High, &["master"],
          r"<master>\s*([^<\s{$][^<\s]*?)\s*</master>").path(r"(?:^|/)settings(?:-security)?\.xml$"),
        r("wordpress-db-password", "WordPress", "WordPress database password", High, &["db_password"],
          r#"define\(\s*['"]DB_PASSWORD['"]\s*,\s*['"]([^'"]{3,})['"]"#),
        r("pgpass-password", "Database", "PostgreSQL .pgpass password", High, &[],
          r"(?m)^[^:#\s]+:[^:\s]+:[^:\s]+:[^:\s]+:(\S{3,})\s*$").path(r"(?:^|/)\.pgpass$"),
        r("netrc-password", "Generic", "Password in a .netrc file", High, &["password"], r"(?i)\bpassword\s+(\S{3,})").path(r"(?:^|/)[._]netrc$"),
        r("db-connection-string", "Database", "Database connection string with a password", High,
          &["postgres", "mysql", "mariadb", "mongodb", "redis", "amqp", "mssql", "sqlserver", "jdbc"],
          r#"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|jdbc:[a-z0-9]+)://[^\s:@/"'<>]{0,64}:([^\s:@/"'<>]{3,128})@"#),
        r("db-connection-string-password", "Database", "Password in a database connection string", High, &["data source", "server="],
          r#"(?i)(?:server|data source|host)\s*=[^;"'\n]{1,100};(?:[^;"'\n]{0,100};){0,6}?\s*(?:password|pwd)\s*=\s*([^;"'\s]{3,128})"#),
        r("url-credentials", "URL", "Credentials in a URL", High, &["://"],
          r#"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s:@/"'<>]{1,64}:([^\s:@/"'<>]{3,128})@[A-Za-z0-9.-]+"#).entropy(2.0),
        r("generic-password", "Generic", "Password or secret assigned in configuration", Medium,
          &["password", "passwd", "secret", "api_key", "apikey", "api-key", "token"],
          r#"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)["']?\s*[:=]\s*\\?["']([^"'\s\\]{8,64})\\?["']"#).entropy(3.5).generic(),
        r("generic-env-secret", "Generic", "Secret in an environment file", Medium,
          &["password", "passwd", "secret", "token", "api_key", "apikey", "access_key", "private_key"],
          r#"(?m)^[ \t]*(?:export[ \t]+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY)=["']?([^\s"'#$]{8,128})["']?[ \t]*$"#).entropy(3.0).generic(),
    ];
    b.into_iter().map(|b| b.0).collect()
}

/// Built-in path allow rules (ids follow Trivy's built-in allow rules,
/// which wharf users may know; disable one with
/// [`crate::SecretConfig::disabled_allow_rules`]).
pub(crate) fn allow_rules() -> Vec<AllowlistSpec> {
    let p = |id: &str, description: &str, paths: &[&str]| AllowlistSpec {
        id: id.to_owned(),
        description: description.to_owned(),
        paths: paths.iter().map(|s| (*s).to_owned()).collect(),
        ..AllowlistSpec::default()
    };
    vec![
        p(
            "tests",
            "Test files and paths",
            &[
                r"(?i)(?:^|/)(?:tests?|__tests__|testdata|spec)/",
                r"(?i)(?:^|/)test[_-][^/]*$",
                r"(?i)[_.-]test\.[a-z]+$",
            ],
        ),
        p("examples", "Example files and paths", &[r"(?i)example"]),
        p("markdown", "Markdown files", &[r"(?i)\.md$"]),
        p(
            "usr-dirs",
            "Documentation and headers installed by packages",
            &[
                r"^usr/(?:share/(?:doc|man|info|locale|i18n|licenses|zoneinfo|mime|icons|fonts|help)|include)/",
            ],
        ),
        p("locale-dir", "Locale directories", &[r"(?:^|/)locales?/"]),
        p(
            "git-objects",
            "Git object stores and packs",
            &[
                r"(?:^|/)\.git/(?:objects|refs|logs)/",
                r"(?:^|/)\.git/(?:index|packed-refs)$",
            ],
        ),
        p(
            "vendor",
            "Go vendor trees",
            &[
                r"(?:^|/)vendor/(?:github\.com|golang\.org|google\.golang\.org|gopkg\.in|k8s\.io|sigs\.k8s\.io)/",
            ],
        ),
        p(
            "golang",
            "The Go distribution",
            &[
                r"^usr/(?:local/)?go/(?:src|test|misc|doc)/",
                r"^usr/lib/go-[0-9.]+/(?:src|test|misc|doc)/",
            ],
        ),
        p(
            "python",
            "Installed Python libraries",
            &[
                r"^(?:usr/(?:local/)?lib|opt/[^/]+/lib)/python[0-9.]+/",
                r"\.dist-info/",
            ],
        ),
        p(
            "rubygems",
            "Installed Ruby gems",
            &[
                r"^usr/(?:local/)?lib/ruby/(?:gems/)?[0-9.]+/",
                r"(?:^|/)gems/[^/]+/(?:test|spec|doc)/",
            ],
        ),
        p(
            "node.js",
            "Code, tests and docs of installed npm packages (config files are still scanned)",
            &[
                r"(?:^|/)node_modules/(?:.*/)?(?:tests?|__tests__|specs?|examples?|docs?|fixtures?|benchmarks?)/",
                r"(?:^|/)node_modules/(?:[^/]+/)*[^/]*\.(?:js|mjs|cjs|ts|mts|cts|jsx|tsx|map|flow|coffee|html?|css|scss|less|txt|markdown|d\.ts)$",
                r"^usr/(?:local/)?lib/node_modules/npm/",
            ],
        ),
        p(
            "lockfiles",
            "Lock files (integrity hashes)",
            &[
                r"(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|deno\.lock|Pipfile\.lock|poetry\.lock|uv\.lock|Gemfile\.lock|composer\.lock|Cargo\.lock|go\.sum|gradle\.lockfile|packages\.lock\.json)$",
            ],
        ),
        p(
            "wordpress",
            "WordPress core sources",
            &[r"^usr/src/wordpress/wp-(?:includes|admin)/"],
        ),
        p(
            "anaconda-log",
            "Conda package cache",
            &[r"^opt/conda/pkgs/"],
        ),
        p(
            "binary-extensions",
            "Images, fonts, archives and office documents",
            &[
                r"(?i)\.(?:png|jpe?g|gif|bmp|ico|webp|tiff?|svgz|eot|[ot]tf|woff2?|zip|gz|tgz|bz2|xz|zst|7z|rar|tar|jar|war|ear|whl|deb|rpm|apk|pdf|docx?|xlsx?|pptx?|odt|ods|so|a|o|dll|exe|pyc|pyo|class|wasm|mo|db|sqlite3?)$",
            ],
        ),
    ]
}
