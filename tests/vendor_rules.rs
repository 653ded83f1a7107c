//! The built-in vendor rules, one sample per token family: every rule in
//! `redaction-rules/vendors.toml` catches its own format, each family of gitleaks' default
//! configuration is caught by a rule of ours, and ordinary log lines are left alone.
//!
//! Samples are built at run time from a prefix and seeded pseudo-random characters of the
//! format's alphabet, so the repository holds no value that looks like a live credential.
//! In a template, `[[...]]` marks the secret and `<<k:n>>` stands for `n` random characters
//! of kind `k` (see [`expand`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use support_bundle::item::Format;
use support_bundle::redact::{Counts, Options, Redactor};
use testdata::Rng;

/// Which built-in file a sample's rule lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    Vendors,
    Secrets,
}
use File::{Secrets, Vendors};

/// Generated logs and secrets, shared with the benches and the log generator.
#[allow(dead_code, unreachable_pub)]
#[path = "support/testdata.rs"]
mod testdata;

/// (file, rule id, token family, template). A family is a gitleaks default rule id, or
/// `+name` for a family that file does not know.
const SAMPLES: &[(File, &str, &str, &str)] = &[
    (
        Vendors,
        "aws-access-key-a3t",
        "aws-access-token",
        "key id [[A3TX<<B:16>>]] rejected",
    ),
    (
        Vendors,
        "aws-bedrock-key",
        "aws-amazon-bedrock-api-key-long-lived",
        "bedrock client uses [[ABSK<<b:132>>]] for invoke",
    ),
    (
        Vendors,
        "aws-bedrock-key",
        "aws-amazon-bedrock-api-key-short-lived",
        "bearer=[[bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t<<b:60>>]]",
    ),
    (
        Vendors,
        "azure-ad-client-secret",
        "azure-ad-client-secret",
        "app registration secret '[[<<A:3>>8Q~<<A:32>>]]' expires soon",
    ),
    (
        Vendors,
        "azure-devops-pat",
        "+azure-devops-pat",
        "git push with [[<<A:52>>JQQJ99<<A:14>>AZDO<<A:4>>]] failed",
    ),
    (
        Vendors,
        "azure-devops-pat-legacy",
        "+azure-devops-pat",
        "AZURE_DEVOPS_PAT=[[<<z:52>>]]",
    ),
    (
        Vendors,
        "alibaba-access-key-id",
        "alibaba-access-key-id",
        "signing with [[LTAI<<A:20>>]] ok",
    ),
    (
        Vendors,
        "alibaba-secret",
        "alibaba-secret-key",
        "alibaba: [[<<a:30>>]]",
    ),
    (
        Vendors,
        "tencent-secret-id",
        "+tencent-secret-id",
        "tencent client [[AKID<<A:32>>]] loaded",
    ),
    (
        Vendors,
        "cloudflare-origin-ca-key",
        "cloudflare-origin-ca-key",
        "origin ca [[v1.0-<<h:24>>-<<h:146>>]]",
    ),
    (
        Vendors,
        "cloudflare-key",
        "cloudflare-api-key",
        "CLOUDFLARE = \"[[<<a:40>>]]\"",
    ),
    (
        Vendors,
        "cloudflare-key",
        "cloudflare-global-api-key",
        "cloudflare_global => '[[<<h:37>>]]'",
    ),
    (
        Vendors,
        "yandex-token",
        "yandex-access-token",
        "yandex iam [[t1.<<A:20>>.<<u:86>>]] issued",
    ),
    (
        Vendors,
        "yandex-token",
        "yandex-api-key",
        "yc key [[AQVN<<u:36>>]] used",
    ),
    (
        Vendors,
        "yandex-token",
        "yandex-aws-access-token",
        "yandex_static: [[YC<<u:38>>]]",
    ),
    (
        Vendors,
        "flyio-token",
        "flyio-access-token",
        "fly deploy with [[fo1_<<u:43>>]]",
    ),
    (
        Vendors,
        "flyio-token",
        "flyio-access-token",
        "FLY=[[fm2_<<b:120>>]]",
    ),
    (
        Vendors,
        "scalingo-token",
        "scalingo-api-token",
        "scalingo login [[tk-us-<<u:48>>]]",
    ),
    (
        Vendors,
        "heroku-api-key-v2",
        "heroku-api-key-v2",
        "heroku login [[HRKU-AA<<u:58>>]]",
    ),
    (
        Vendors,
        "heroku-api-key",
        "heroku-api-key",
        "heroku_key: [[<<uuid>>]]",
    ),
    (
        Vendors,
        "render-api-key",
        "+render",
        "render deploy with [[rnd_<<A:32>>]]",
    ),
    (
        Vendors,
        "netlify-token",
        "netlify-access-token",
        "netlify deploy [[nfp_<<A:36>>]]",
    ),
    (
        Vendors,
        "netlify-token",
        "netlify-access-token",
        "netlify: [[<<a:43>>]]",
    ),
    (
        Vendors,
        "supabase-key",
        "+supabase",
        "supabase link [[sbp_<<h:40>>]]",
    ),
    (
        Vendors,
        "neon-api-key",
        "+neon",
        "neon cli [[napi_<<a:64>>]]",
    ),
    (
        Vendors,
        "tailscale-key",
        "+tailscale",
        "tailscale up --auth=[[tskey-auth-<<A:12>>-<<A:32>>]]",
    ),
    (
        Vendors,
        "planetscale-token",
        "planetscale-api-token",
        "pscale with [[pscale_tkn_<<u:40>>]]",
    ),
    (
        Vendors,
        "planetscale-token",
        "planetscale-password",
        "mysql pw [[pscale_pw_<<u:43>>]]",
    ),
    (
        Vendors,
        "planetscale-token",
        "planetscale-oauth-token",
        "oauth [[pscale_oauth_<<u:43>>]]",
    ),
    (
        Vendors,
        "vault-legacy-token",
        "vault-service-token",
        "VAULT: [[s.<<A:24>>]]",
    ),
    (
        Vendors,
        "vault-secret-id",
        "+vault-secret-id",
        "approle login role_id=0a1b secret_id=[[<<uuid>>]]",
    ),
    (
        Vendors,
        "bitbucket-token",
        "+bitbucket-data-center",
        "clone with [[BBDC-<<b:44>>]] ok",
    ),
    (
        Vendors,
        "bitbucket-client",
        "bitbucket-client-id",
        "bitbucket: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "bitbucket-client",
        "bitbucket-client-secret",
        "bitbucket_consumer = \"[[<<a:64>>]]\"",
    ),
    (
        Vendors,
        "gitlab-session-cookie",
        "gitlab-session-cookie",
        "GET / Cookie _gitlab_session=[[<<a:32>>]]",
    ),
    (
        Vendors,
        "gitter-token",
        "gitter-access-token",
        "gitter: [[<<a:40>>]]",
    ),
    (
        Vendors,
        "artifactory-key",
        "artifactory-api-key",
        "artifactory client [[AKCp<<A:69>>]]",
    ),
    (
        Vendors,
        "artifactory-key",
        "artifactory-reference-token",
        "pulling with [[cmVmd<<A:59>>]]",
    ),
    (
        Vendors,
        "jfrog-token",
        "jfrog-api-key",
        "jfrog: [[<<a:73>>]]",
    ),
    (
        Vendors,
        "jfrog-token",
        "jfrog-identity-token",
        "xray = [[<<a:64>>]]",
    ),
    (
        Vendors,
        "clojars-token",
        "clojars-api-token",
        "deploy [[CLOJARS_<<A:60>>]]",
    ),
    (
        Vendors,
        "rubygems-token",
        "rubygems-api-token",
        "gem push with [[rubygems_<<h:48>>]]",
    ),
    (
        Vendors,
        "nuget-api-key",
        "+nuget-api-key",
        "dotnet nuget push -k [[oy2<<a:43>>]]",
    ),
    (
        Vendors,
        "nuget-config-password",
        "nuget-config-password",
        "<add key=\"ClearTextPassword\" value=\"[[<<A:16>>]]\" />",
    ),
    (
        Vendors,
        "droneci-token",
        "droneci-access-token",
        "drone: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "travisci-token",
        "travisci-access-token",
        "travis: [[<<a:22>>]]",
    ),
    (
        Vendors,
        "codecov-token",
        "codecov-access-token",
        "codecov: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "buildkite-token",
        "+buildkite",
        "buildkite agent [[bkua_<<h:40>>]]",
    ),
    (
        Vendors,
        "circleci-token",
        "+circleci",
        "circleci [[CCIPAT_<<A:22>>_<<h:40>>]]",
    ),
    (
        Vendors,
        "octopus-deploy-key",
        "octopus-deploy-api-key",
        "octo push [[API-<<U:26>>]]",
    ),
    (
        Vendors,
        "sonarqube-token",
        "sonar-api-token",
        "sonar scanner [[sqp_<<h:40>>]]",
    ),
    (
        Vendors,
        "sonarqube-token",
        "sonar-api-token",
        "sonar.login=[[<<a:40>>]]",
    ),
    (
        Vendors,
        "snyk-token",
        "snyk-api-token",
        "SNYK_KEY=[[<<uuid>>]]",
    ),
    (
        Vendors,
        "sourcegraph-token",
        "sourcegraph-access-token",
        "src with [[sgp_<<h:16>>_<<h:40>>]]",
    ),
    (
        Vendors,
        "sourcegraph-token",
        "sourcegraph-access-token",
        "sourcegraph: [[<<h:40>>]]",
    ),
    (
        Vendors,
        "pulumi-token",
        "pulumi-api-token",
        "pulumi login [[pul-<<h:40>>]]",
    ),
    (
        Vendors,
        "prefect-token",
        "prefect-api-token",
        "prefect [[pnu_<<A:36>>]]",
    ),
    (
        Vendors,
        "readme-token",
        "readme-api-token",
        "readme [[rdme_<<a:70>>]]",
    ),
    (
        Vendors,
        "harness-token",
        "harness-api-key",
        "harness [[pat.<<u:22>>.<<A:24>>.<<A:20>>]]",
    ),
    (
        Vendors,
        "infracost-token",
        "infracost-api-token",
        "infracost [[ico-<<A:32>>]]",
    ),
    (
        Vendors,
        "defined-networking-token",
        "defined-networking-api-token",
        "dnclient [[dnkey-<<U:26>>-<<U:52>>]]",
    ),
    (
        Vendors,
        "settlemint-token",
        "settlemint-application-access-token",
        "sm [[sm_aat_<<A:16>>]]",
    ),
    (
        Vendors,
        "settlemint-token",
        "settlemint-personal-access-token",
        "sm [[sm_pat_<<A:16>>]]",
    ),
    (
        Vendors,
        "settlemint-token",
        "settlemint-service-access-token",
        "sm [[sm_sat_<<A:16>>]]",
    ),
    (
        Vendors,
        "clickhouse-cloud-key",
        "clickhouse-cloud-api-secret-key",
        "clickhouse [[4b1d<<A:38>>]]",
    ),
    (
        Vendors,
        "sidekiq-credential",
        "sidekiq-secret",
        "BUNDLE_ENTERPRISE__CONTRIBSYS__COM=[[<<h:8>>:<<h:8>>]]",
    ),
    (
        Secrets,
        "password",
        "curl-auth-user",
        "$ curl -s --user deploy:[[<<A:14>>]] https://ci.example.org/api",
    ),
    (
        Vendors,
        "curl-header-credential",
        "curl-auth-header",
        "curl -H \"X-Api-Key: [[<<A:24>>]]\" https://svc.example.org/v1",
    ),
    (
        Vendors,
        "adafruit-io-key",
        "+adafruit-io",
        "adafruit io [[aio_<<A:28>>]]",
    ),
    (
        Vendors,
        "adafruit-key",
        "adafruit-api-key",
        "adafruit: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "airtable-pat",
        "airtable-personnal-access-token",
        "airtable pat [[pat<<A:14>>.<<h:64>>]]",
    ),
    (
        Vendors,
        "airtable-key",
        "airtable-api-key",
        "airtable: [[<<a:17>>]]",
    ),
    (
        Vendors,
        "asana-secret",
        "asana-client-id",
        "asana: [[<<d:16>>]]",
    ),
    (
        Vendors,
        "asana-secret",
        "asana-client-secret",
        "asana = [[<<a:32>>]]",
    ),
    (
        Vendors,
        "atlassian-key",
        "atlassian-api-token",
        "jira: [[<<a:20>><<h:4>>]]",
    ),
    (
        Vendors,
        "beamer-token",
        "beamer-api-token",
        "beamer: [[b_<<a:44>>]]",
    ),
    (
        Vendors,
        "discord-credential",
        "discord-api-token",
        "discord: [[<<h:64>>]]",
    ),
    (
        Vendors,
        "discord-credential",
        "discord-client-id",
        "discord_app: [[<<d:18>>]]",
    ),
    (
        Vendors,
        "discord-credential",
        "discord-client-secret",
        "discord = \"[[<<a:32>>]]\"",
    ),
    (
        Vendors,
        "intercom-token",
        "intercom-api-key",
        "intercom: [[<<a:60>>]]",
    ),
    (
        Vendors,
        "linear-client-secret",
        "linear-client-secret",
        "linear: [[<<h:32>>]]",
    ),
    (
        Vendors,
        "linkedin-client",
        "linkedin-client-id",
        "linkedin: [[<<a:14>>]]",
    ),
    (
        Vendors,
        "linkedin-client",
        "linkedin-client-secret",
        "linkedin_secret = [[<<a:16>>]]",
    ),
    (
        Vendors,
        "mattermost-token",
        "mattermost-access-token",
        "mattermost: [[<<a:26>>]]",
    ),
    (
        Vendors,
        "notion-token",
        "notion-api-token",
        "notion [[ntn_<<d:11>><<A:35>>]]",
    ),
    (
        Vendors,
        "sendbird-credential",
        "sendbird-access-token",
        "sendbird: [[<<h:40>>]]",
    ),
    (
        Vendors,
        "sendbird-credential",
        "sendbird-access-id",
        "sendbird: [[<<uuid>>]]",
    ),
    (
        Vendors,
        "telegram-bot-token-named",
        "telegram-bot-api-token",
        "telegram: [[<<d:6>>:A<<u:34>>]]",
    ),
    (
        Vendors,
        "twitch-token",
        "twitch-api-token",
        "twitch: [[<<a:30>>]]",
    ),
    (
        Vendors,
        "twitch-token",
        "+twitch-stream-key",
        "obs stream key [[live_<<d:9>>_<<A:30>>]]",
    ),
    (
        Vendors,
        "twitter-credential",
        "twitter-api-key",
        "twitter: [[<<a:25>>]]",
    ),
    (
        Vendors,
        "twitter-credential",
        "twitter-api-secret",
        "twitter: [[<<a:50>>]]",
    ),
    (
        Vendors,
        "twitter-credential",
        "twitter-access-secret",
        "twitter: [[<<a:45>>]]",
    ),
    (
        Vendors,
        "twitter-credential",
        "twitter-access-token",
        "twitter: [[<<d:19>>-<<A:30>>]]",
    ),
    (
        Vendors,
        "twitter-credential",
        "twitter-bearer-token",
        "twitter: [[AAAAAAAAAAAAAAAAAAAAAA<<A:90>>]]",
    ),
    (
        Vendors,
        "typeform-token",
        "typeform-api-token",
        "typeform [[tfp_<<u:59>>]]",
    ),
    (
        Vendors,
        "zendesk-key",
        "zendesk-secret-key",
        "zendesk: [[<<a:40>>]]",
    ),
    (
        Vendors,
        "mailchimp-key",
        "mailchimp-api-key",
        "mailchimp client [[<<h:32>>-us12]]",
    ),
    (
        Vendors,
        "mailgun-key-extra",
        "mailgun-pub-key",
        "mailgun [[pubkey-<<h:32>>]]",
    ),
    (
        Vendors,
        "mailgun-key-extra",
        "mailgun-signing-key",
        "mailgun: [[<<h:32>>-<<h:8>>-<<h:8>>]]",
    ),
    (
        Vendors,
        "sendgrid-key-loose",
        "sendgrid-api-token",
        "mail via [[SG.<<u:30>>.<<u:35>>]]",
    ),
    (
        Vendors,
        "brevo-key",
        "sendinblue-api-token",
        "brevo [[xkeysib-<<h:64>>-<<A:16>>]]",
    ),
    (
        Vendors,
        "postmark-token",
        "+postmark",
        "POSTMARK_KEY=[[<<uuid>>]]",
    ),
    (
        Vendors,
        "messagebird-credential",
        "messagebird-api-token",
        "messagebird: [[<<a:25>>]]",
    ),
    (
        Vendors,
        "messagebird-credential",
        "messagebird-client-id",
        "messagebird_client: [[<<uuid>>]]",
    ),
    (
        Vendors,
        "stripe-secret-key",
        "stripe-access-token",
        "stripe [[sk_prod_<<A:16>>]]",
    ),
    (
        Vendors,
        "square-token",
        "square-access-token",
        "square [[sq0atp-<<u:22>>]]",
    ),
    (
        Vendors,
        "square-token",
        "+square-secret",
        "square [[sq0csp-<<u:43>>]]",
    ),
    (
        Vendors,
        "shippo-token",
        "shippo-api-token",
        "shippo [[shippo_live_<<h:40>>]]",
    ),
    (
        Vendors,
        "duffel-token",
        "duffel-api-token",
        "duffel [[duffel_test_<<u:43>>]]",
    ),
    (
        Vendors,
        "easypost-key",
        "easypost-api-token",
        "easypost [[EZAK<<A:54>>]]",
    ),
    (
        Vendors,
        "easypost-key",
        "easypost-test-api-token",
        "easypost [[EZTK<<A:54>>]]",
    ),
    (
        Vendors,
        "flutterwave-key",
        "flutterwave-secret-key",
        "flw [[FLWSECK_TEST-<<h:32>>-X]]",
    ),
    (
        Vendors,
        "flutterwave-key",
        "flutterwave-public-key",
        "flw [[FLWPUBK_TEST-<<h:32>>-X]]",
    ),
    (
        Vendors,
        "flutterwave-key",
        "flutterwave-encryption-key",
        "flw [[FLWSECK_TEST-<<h:12>>]]",
    ),
    (
        Vendors,
        "gocardless-token",
        "gocardless-api-token",
        "gocardless: [[live_<<u:40>>]]",
    ),
    (Vendors, "lob-key", "lob-api-key", "lob [[live_<<h:35>>]]"),
    (
        Vendors,
        "lob-key",
        "lob-pub-api-key",
        "lob [[test_pub_<<h:31>>]]",
    ),
    (
        Vendors,
        "plaid-token",
        "plaid-api-token",
        "plaid [[access-sandbox-<<uuid>>]]",
    ),
    (
        Vendors,
        "plaid-secret",
        "plaid-client-id",
        "plaid: [[<<a:24>>]]",
    ),
    (
        Vendors,
        "plaid-secret",
        "plaid-secret-key",
        "plaid: [[<<a:30>>]]",
    ),
    (
        Vendors,
        "coinbase-token",
        "coinbase-access-token",
        "coinbase: [[<<a:64>>]]",
    ),
    (
        Vendors,
        "bittrex-key",
        "bittrex-access-key",
        "bittrex: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "bittrex-key",
        "bittrex-secret-key",
        "bittrex = [[<<a:32>>]]",
    ),
    (
        Vendors,
        "kraken-token",
        "kraken-access-token",
        "kraken: [[<<b:86>>]]",
    ),
    (
        Vendors,
        "kucoin-credential",
        "kucoin-access-token",
        "kucoin: [[<<h:24>>]]",
    ),
    (
        Vendors,
        "kucoin-credential",
        "kucoin-secret-key",
        "kucoin: [[<<uuid>>]]",
    ),
    (
        Vendors,
        "finicity-credential",
        "finicity-api-token",
        "finicity: [[<<h:32>>]]",
    ),
    (
        Vendors,
        "finicity-credential",
        "finicity-client-secret",
        "finicity: [[<<a:20>>]]",
    ),
    (
        Vendors,
        "finnhub-token",
        "finnhub-access-token",
        "finnhub: [[<<a:20>>]]",
    ),
    (
        Vendors,
        "freemius-secret-key",
        "freemius-secret-key",
        "'secret_key' => '[[sk_<<A:29>>]]',",
    ),
    (
        Vendors,
        "braintree-token",
        "+braintree",
        "gateway [[access_token$production$<<a:16>>$<<h:32>>]]",
    ),
    (Vendors, "groq-key", "+groq", "groq [[gsk_<<A:52>>]]"),
    (Vendors, "xai-key", "+xai", "xai [[xai-<<A:80>>]]"),
    (
        Vendors,
        "replicate-token",
        "+replicate",
        "replicate [[r8_<<A:37>>]]",
    ),
    (
        Vendors,
        "perplexity-key",
        "perplexity-api-key",
        "pplx [[pplx-<<A:48>>]]",
    ),
    (
        Vendors,
        "tavily-key",
        "+tavily",
        "search with [[tvly-dev-<<A:32>>]]",
    ),
    (
        Vendors,
        "langsmith-key",
        "+langsmith",
        "tracing [[lsv2_pt_<<h:32>>_<<h:10>>]]",
    ),
    (
        Vendors,
        "pinecone-key",
        "+pinecone",
        "index [[pcsk_<<A:6>>_<<A:64>>]]",
    ),
    (
        Vendors,
        "elevenlabs-key",
        "+elevenlabs",
        "tts [[sk_<<h:48>>]]",
    ),
    (
        Vendors,
        "cohere-key",
        "cohere-api-token",
        "cohere: [[<<A:40>>]]",
    ),
    (
        Vendors,
        "privateai-key",
        "privateai-api-token",
        "privateai: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "rapidapi-key",
        "rapidapi-access-token",
        "rapidapi: [[<<a:50>>]]",
    ),
    (
        Vendors,
        "algolia-key",
        "algolia-api-key",
        "algolia: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "maxmind-license-key",
        "maxmind-license-key",
        "geoipupdate [[<<A:6>>_<<A:29>>_mmk]]",
    ),
    (
        Vendors,
        "nytimes-key",
        "nytimes-access-token",
        "nytimes: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "mapbox-token",
        "mapbox-api-token",
        "map [[pk.eyJ<<A:60>>.<<A:22>>]]",
    ),
    (
        Vendors,
        "mapbox-token",
        "+mapbox-secret",
        "map [[sk.eyJ<<A:70>>.<<A:22>>]]",
    ),
    (
        Vendors,
        "dropbox-token",
        "dropbox-short-lived-api-token",
        "dbx [[sl.<<u:140>>]]",
    ),
    (
        Vendors,
        "dropbox-token",
        "dropbox-long-lived-api-token",
        "dropbox long-lived [[<<A:11>>AAAAAAAAAA<<u:43>>]]",
    ),
    (
        Vendors,
        "dropbox-token",
        "dropbox-api-token",
        "dropbox: [[<<a:15>>]]",
    ),
    (
        Vendors,
        "etsy-token",
        "etsy-access-token",
        "etsy: [[<<a:24>>]]",
    ),
    (
        Vendors,
        "flickr-token",
        "flickr-access-token",
        "flickr: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "freshbooks-token",
        "freshbooks-access-token",
        "freshbooks: [[<<a:64>>]]",
    ),
    (
        Vendors,
        "looker-credential",
        "looker-client-id",
        "looker: [[<<a:20>>]]",
    ),
    (
        Vendors,
        "looker-credential",
        "looker-client-secret",
        "looker: [[<<a:24>>]]",
    ),
    (
        Vendors,
        "squarespace-token",
        "squarespace-access-token",
        "squarespace_key: [[<<uuid>>]]",
    ),
    (
        Vendors,
        "hubspot-key",
        "hubspot-api-key",
        "hubspot_key: [[<<uuid>>]]",
    ),
    (
        Vendors,
        "contentful-token",
        "contentful-delivery-api-token",
        "contentful: [[<<a:43>>]]",
    ),
    (
        Vendors,
        "contentful-token",
        "+contentful-pat",
        "contentful [[CFPAT-<<u:43>>]]",
    ),
    (
        Vendors,
        "frameio-token",
        "frameio-api-token",
        "frameio [[fio-u-<<u:64>>]]",
    ),
    (
        Vendors,
        "launchdarkly-token",
        "launchdarkly-access-token",
        "launchdarkly: [[<<a:40>>]]",
    ),
    (
        Vendors,
        "intra42-secret",
        "intra42-client-secret",
        "42 [[s-s4t2ud-<<h:64>>]]",
    ),
    (
        Vendors,
        "fastly-token",
        "fastly-api-token",
        "fastly: [[<<a:32>>]]",
    ),
    (
        Vendors,
        "datadog-key",
        "datadog-access-token",
        "datadog: [[<<a:40>>]]",
    ),
    (
        Vendors,
        "datadog-key",
        "+datadog-api-key",
        "datadog: [[<<h:32>>]]",
    ),
    (
        Vendors,
        "dynatrace-token",
        "dynatrace-api-token",
        "dt [[dt0c01.<<U:24>>.<<A:64>>]]",
    ),
    (
        Vendors,
        "new-relic-key",
        "new-relic-insert-key",
        "nr [[NRII-<<A:32>>]]",
    ),
    (
        Vendors,
        "new-relic-key",
        "new-relic-browser-api-token",
        "nr [[NRJS-<<h:19>>]]",
    ),
    (
        Vendors,
        "new-relic-key",
        "new-relic-user-api-key",
        "nr [[NRAK-<<U:27>>]]",
    ),
    (
        Vendors,
        "new-relic-key",
        "+new-relic-admin",
        "nr [[NRAA-<<U:27>>]]",
    ),
    (
        Vendors,
        "new-relic-user-api-id",
        "new-relic-user-api-id",
        "newrelic: [[<<a:64>>]]",
    ),
    (
        Vendors,
        "sentry-token-named",
        "sentry-access-token",
        "sentry: [[<<h:64>>]]",
    ),
    (
        Vendors,
        "sumologic-credential",
        "sumologic-access-id",
        "sumo: [[su<<A:12>>]]",
    ),
    (
        Vendors,
        "sumologic-credential",
        "sumologic-access-token",
        "sumo: [[<<a:64>>]]",
    ),
    (
        Vendors,
        "grafana-api-key",
        "grafana-api-key",
        "grafana [[eyJrIjoi<<A:72>>]]",
    ),
    (
        Vendors,
        "cisco-meraki-key",
        "cisco-meraki-api-key",
        "meraki: [[<<h:40>>]]",
    ),
    (
        Vendors,
        "okta-token",
        "okta-access-token",
        "okta: [[00<<u:40>>]]",
    ),
    (
        Vendors,
        "authress-key",
        "authress-service-client-access-key",
        "authress [[sc_<<a:12>>.<<a:5>>.acc_<<a:16>>.<<b:48>>]]",
    ),
    (
        Vendors,
        "onepassword-secret-key",
        "1password-secret-key",
        "1p [[A3-<<U:6>>-<<U:11>>-<<U:5>>-<<U:5>>-<<U:5>>]]",
    ),
    (
        Vendors,
        "onepassword-service-token",
        "1password-service-account-token",
        "op [[ops_eyJ<<b:260>>]]",
    ),
    (
        Vendors,
        "openshift-token",
        "openshift-user-token",
        "oc login --token=[[sha256~<<u:43>>]]",
    ),
    (
        Vendors,
        "databricks-token",
        "databricks-api-token",
        "databricks [[dapi<<h:32>>]]",
    ),
    (
        Vendors,
        "appsync-key",
        "+appsync",
        "graphql [[da2-<<a:26>>]]",
    ),
    (
        Vendors,
        "jwt-base64",
        "jwt-base64",
        "auth blob [[ZXlK<<b:80>>]]",
    ),
    (
        Vendors,
        "facebook-token",
        "facebook-page-access-token",
        "graph [[EAAB<<A:120>>]]",
    ),
    (
        Vendors,
        "facebook-token",
        "facebook-access-token",
        "facebook app token [[<<d:15>>|<<u:32>>]]",
    ),
    (
        Vendors,
        "facebook-secret",
        "facebook-secret",
        "facebook: [[<<h:32>>]]",
    ),
    (
        Vendors,
        "adobe-credential",
        "adobe-client-secret",
        "adobe [[p8e-<<A:32>>]]",
    ),
    (
        Vendors,
        "adobe-credential",
        "adobe-client-id",
        "adobe: [[<<h:32>>]]",
    ),
    (
        Vendors,
        "confluent-credential",
        "confluent-access-token",
        "confluent: [[<<a:16>>]]",
    ),
    (
        Vendors,
        "confluent-credential",
        "confluent-secret-key",
        "confluent: [[<<a:64>>]]",
    ),
    (
        Vendors,
        "crypt-md5-hash",
        "+crypt-md5",
        "root:[[$1$<<c:8>>$<<c:22>>]]:19000:0:99999:7:::",
    ),
    (
        Vendors,
        "crypt-sha-hash",
        "+crypt-sha512",
        "root:[[$6$<<c:16>>$<<c:86>>]]:19000:0:99999:7:::",
    ),
    (
        Vendors,
        "crypt-sha-hash",
        "+crypt-sha256",
        "svc:[[$5$rounds=5000$<<c:16>>$<<c:43>>]]:19000::::::",
    ),
    (
        Vendors,
        "yescrypt-hash",
        "+yescrypt",
        "alice:[[$y$j9T$<<c:22>>$<<c:43>>]]:19700:0:99999:7:::",
    ),
    (
        Vendors,
        "argon2-hash",
        "+argon2",
        "hash=[[$argon2id$v=19$m=65536,t=3,p=4$<<b:22>>$<<b:43>>]]",
    ),
    (
        Vendors,
        "pbkdf2-hash",
        "+pbkdf2",
        "stored [[pbkdf2_sha256$600000$<<A:22>>$<<b:43>>=]]",
    ),
    (
        Vendors,
        "kerberos-hash",
        "+krb5asrep",
        "found [[$krb5asrep$23$svc@CORP.EXAMPLE:<<h:32>>$<<h:200>>]]",
    ),
    (
        Vendors,
        "ldap-sha-hash",
        "+ldap-ssha",
        "userPassword: [[{SSHA}<<b:32>>]]",
    ),
    (
        Secrets,
        "age-secret-key",
        "age-secret-key",
        "key [[AGE-SECRET-KEY-1<<age:58>>]]",
    ),
    (
        Secrets,
        "openai-key",
        "anthropic-api-key",
        "claude [[sk-ant-api03-<<u:93>>AA]]",
    ),
    (
        Secrets,
        "openai-key",
        "anthropic-admin-api-key",
        "claude [[sk-ant-admin01-<<u:93>>AA]]",
    ),
    (
        Secrets,
        "openai-key",
        "openai-api-key",
        "oa [[sk-proj-<<u:58>>T3BlbkFJ<<u:58>>]]",
    ),
    (
        Secrets,
        "atlassian-token",
        "atlassian-api-token",
        "jira with [[ATATT3<<u:186>>]]",
    ),
    (
        Secrets,
        "aws-access-key-id",
        "aws-access-token",
        "aws [[AKIA<<B:16>>]]",
    ),
    (
        Secrets,
        "digitalocean-token",
        "digitalocean-access-token",
        "do [[doo_v1_<<h:64>>]]",
    ),
    (
        Secrets,
        "digitalocean-token",
        "digitalocean-pat",
        "do [[dop_v1_<<h:64>>]]",
    ),
    (
        Secrets,
        "digitalocean-token",
        "digitalocean-refresh-token",
        "do [[dor_v1_<<h:64>>]]",
    ),
    (
        Secrets,
        "prefixed-api-key",
        "doppler-api-token",
        "doppler [[dp.pt.<<A:43>>]]",
    ),
    (
        Secrets,
        "prefixed-api-key",
        "linear-api-key",
        "linear [[lin_api_<<A:40>>]]",
    ),
    (
        Secrets,
        "prefixed-api-key",
        "postman-api-token",
        "postman [[PMAK-<<h:24>>-<<h:34>>]]",
    ),
    (
        Secrets,
        "google-api-key",
        "gcp-api-key",
        "maps [[AIza<<u:35>>]]",
    ),
    (
        Secrets,
        "token",
        "generic-api-key",
        "deploy_api_key = \"[[<<A:32>>]]\"",
    ),
    (Secrets, "github-token", "github-pat", "gh [[ghp_<<A:36>>]]"),
    (
        Secrets,
        "github-token",
        "github-oauth",
        "gh [[gho_<<A:36>>]]",
    ),
    (
        Secrets,
        "github-token",
        "github-app-token",
        "gh [[ghs_<<A:36>>]]",
    ),
    (
        Secrets,
        "github-token",
        "github-refresh-token",
        "gh [[ghr_<<A:36>>]]",
    ),
    (
        Secrets,
        "github-fine-grained-pat",
        "github-fine-grained-pat",
        "gh [[github_pat_<<A:22>>_<<A:59>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-pat",
        "gl [[glpat-<<u:20>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-pat-routable",
        "gl [[glpat-<<u:27>>.01<<a:7>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-cicd-job-token",
        "gl [[glcbt-1a_<<u:20>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-deploy-token",
        "gl [[gldt-<<u:20>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-feature-flag-client-token",
        "gl [[glffct-<<u:20>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-feed-token",
        "gl [[glft-<<u:20>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-incoming-mail-token",
        "gl [[glimt-<<u:25>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-kubernetes-agent-token",
        "gl [[glagent-<<u:50>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-oauth-app-secret",
        "gl [[gloas-<<u:64>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-ptt",
        "gl [[glptt-<<h:40>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-runner-authentication-token",
        "gl [[glrt-<<u:20>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-runner-authentication-token-routable",
        "gl [[glrt-t1_<<u:27>>.01<<a:7>>]]",
    ),
    (
        Secrets,
        "gitlab-token",
        "gitlab-scim-token",
        "gl [[glsoat-<<u:20>>]]",
    ),
    (
        Secrets,
        "gitlab-runner-registration",
        "gitlab-rrt",
        "gl [[GR1348941<<u:20>>]]",
    ),
    (
        Secrets,
        "grafana-token",
        "grafana-cloud-api-token",
        "grafana [[glc_<<A:40>>]]",
    ),
    (
        Secrets,
        "grafana-token",
        "grafana-service-account-token",
        "grafana [[glsa_<<A:32>>_<<h:8>>]]",
    ),
    (
        Secrets,
        "hashicorp-token",
        "hashicorp-tf-api-token",
        "tf [[<<a:14>>.atlasv1.<<a:64>>]]",
    ),
    (
        Secrets,
        "hashicorp-token",
        "vault-service-token",
        "vault [[hvs.<<u:96>>]]",
    ),
    (
        Secrets,
        "hashicorp-token",
        "vault-batch-token",
        "vault [[hvb.<<u:140>>]]",
    ),
    (
        Secrets,
        "password",
        "hashicorp-tf-password",
        "administrator_login_password = \"[[<<A:14>>]]\"",
    ),
    (
        Secrets,
        "huggingface-token",
        "huggingface-access-token",
        "hf [[hf_<<l:34>>]]",
    ),
    (
        Secrets,
        "huggingface-token",
        "huggingface-organization-api-token",
        "hf [[api_org_<<l:34>>]]",
    ),
    (
        Secrets,
        "jwt",
        "jwt",
        "token [[eyJ<<u:20>>.eyJ<<u:40>>.<<u:43>>]]",
    ),
    (
        Secrets,
        "mailgun-key",
        "mailgun-private-api-token",
        "mailgun [[key-<<h:32>>]]",
    ),
    (
        Secrets,
        "webhook-url",
        "microsoft-teams-webhook",
        "teams [[https://acme.webhook.office.com/webhookb2/<<uuid>>@<<uuid>>/IncomingWebhook/<<h:32>>/<<uuid>>]]",
    ),
    (
        Secrets,
        "webhook-url",
        "slack-webhook-url",
        "notify [[https://hooks.slack.com/services/T<<U:8>>/B<<U:8>>/<<A:24>>]]",
    ),
    (
        Secrets,
        "npm-token",
        "npm-access-token",
        "npm [[npm_<<A:36>>]]",
    ),
    (
        Secrets,
        "private-key",
        "private-key",
        "-----BEGIN PRIVATE KEY-----[[<<b:64>>]]-----END PRIVATE KEY-----",
    ),
    (
        Secrets,
        "pypi-token",
        "pypi-upload-token",
        "twine [[pypi-AgEIcHlwaS5vcmc<<u:60>>]]",
    ),
    (
        Secrets,
        "sendgrid-key",
        "sendgrid-api-token",
        "sg [[SG.<<u:22>>.<<u:43>>]]",
    ),
    (
        Secrets,
        "sentry-token",
        "sentry-user-token",
        "sentry [[sntryu_<<h:64>>]]",
    ),
    (
        Secrets,
        "sentry-token",
        "sentry-org-token",
        "sentry [[sntrys_eyJpYXQiO<<b:80>>_<<b:43>>]]",
    ),
    (
        Secrets,
        "shopify-token",
        "shopify-access-token",
        "shop [[shpat_<<h:32>>]]",
    ),
    (
        Secrets,
        "shopify-token",
        "shopify-custom-access-token",
        "shop [[shpca_<<h:32>>]]",
    ),
    (
        Secrets,
        "shopify-token",
        "shopify-private-app-access-token",
        "shop [[shppa_<<h:32>>]]",
    ),
    (
        Secrets,
        "shopify-token",
        "shopify-shared-secret",
        "shop [[shpss_<<h:32>>]]",
    ),
    (
        Secrets,
        "url-password",
        "sidekiq-sensitive-url",
        "source https://<<h:8>>:[[<<h:8>>]]@gems.contribsys.com/",
    ),
    (
        Secrets,
        "slack-token",
        "slack-bot-token",
        "slack [[xoxb-<<d:12>>-<<d:13>>-<<A:24>>]]",
    ),
    (
        Secrets,
        "slack-token",
        "slack-user-token",
        "slack [[xoxp-<<d:12>>-<<d:12>>-<<d:12>>-<<h:32>>]]",
    ),
    (
        Secrets,
        "slack-token",
        "slack-app-token",
        "slack [[xapp-1-A<<U:10>>-<<d:13>>-<<h:64>>]]",
    ),
    (
        Secrets,
        "slack-token",
        "slack-config-access-token",
        "slack [[xoxe.xoxp-1-<<A:163>>]]",
    ),
    (
        Secrets,
        "slack-token",
        "slack-config-refresh-token",
        "slack [[xoxe-1-<<A:146>>]]",
    ),
    (
        Secrets,
        "slack-token",
        "slack-legacy-bot-token",
        "slack [[xoxb-<<d:12>>-<<A:24>>]]",
    ),
    (
        Secrets,
        "slack-token",
        "slack-legacy-token",
        "slack [[xoxs-<<d:10>>-<<d:10>>-<<d:10>>-<<h:10>>]]",
    ),
    (
        Secrets,
        "slack-token",
        "slack-legacy-workspace-token",
        "slack [[xoxa-2-<<A:30>>]]",
    ),
    (
        Secrets,
        "stripe-key",
        "stripe-access-token",
        "stripe [[sk_live_<<A:24>>]]",
    ),
    (
        Secrets,
        "telegram-bot-token",
        "telegram-bot-api-token",
        "bot [[<<d:10>>:AA<<u:33>>]]",
    ),
    (
        Secrets,
        "twilio-key",
        "twilio-api-key",
        "twilio [[SK<<h:32>>]]",
    ),
];

/// gitleaks default rules that are not line content, and what covers them instead.
const COVERED_ELSEWHERE: &[(&str, &str)] = &[
    (
        "pkcs12-file",
        "a file-name rule: `*.p12` is on the never-collect list",
    ),
    (
        "kubernetes-secret-yaml",
        "spans lines (`kind: Secret` ... `data:`); secret-named keys under `data:` are key rules",
    ),
];

/// Lines from ordinary logs that hold no secret, though several look like one.
const ORDINARY: &[&str] = &[
    "2026-12-03T08:10:47Z INFO request id=3f2b8c1e-9d4a-4b6f-8e21-7c5a9d0e1f23 completed in 12ms",
    "heroku release v42 app_id=3f2b8c1e-9d4a-4b6f-8e21-7c5a9d0e1f23 deployed",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 merged into main",
    "pulled registry.example.org/kestrel@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "{\"level\":\"info\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"span_id\":\"00f067aa0ba902b7\",\"msg\":\"ok\"}",
    "sentry event 4bf92f3577b34da6a3ce929d0e0e4736 sent to the relay",
    "body (base64): SGVsbG8sIHdvcmxkISBUaGlzIGlzIGEgdGVzdCBwYXlsb2FkIG9mIHNvbWUgbGVuZ3RoLg==",
    "datadog: [REDACTED:datadog-key]",
    "heroku_key: [REDACTED:heroku-api-key]",
    "datadog: [REDACTED:datadog-key:2] after [REDACTED:datadog-key:1]",
    "twitter: [REDACTED:twitter-credential] ok",
    "kestrel 0.1.0 (commit 9fceb02, go1.22.3, linux/amd64)",
    "caddy v2.6.2 h1:wKoFIxpmOJLGl3QXoo6PNbYvGW4xLEgo32GPBEjWL8o=",
    "kestrel_events_received_total{source=\"syslog\"} 1234",
    "gojinn_request_duration_seconds_bucket{le=\"0.5\"} 42",
    "opened /var/lib/kestrel/spool/2026/12/03/segment-000123.log",
    "GET /api/v1/pat/settings?page=2 HTTP/1.1 200 512",
    "task disk sk.log written, live_reload enabled, test_mode=false",
    "Using API-version 2023-10-01 with dapi client",
    "mv \"$1$suffix\" \"$2\" && echo $5$6",
    "Dec 03 08:10:47 web01 systemd[1]: Started session-42.scope.",
    "pod/api-7d9f8c6b5-x2x8k Running 0 restarts",
    "ssl.ciphers = ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
    "twitter card rendered for /blog/2026/12/release-notes in 35 ms",
    "slack notifier: 3 messages queued, datadog agent v7.50.1 healthy",
    "uuid 550e8400-e29b-41d4-a716-446655440000 assigned to job 17",
];

/// Characters of each template kind.
fn alphabet(kind: &str) -> &'static [u8] {
    match kind {
        "A" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "a" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        "U" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "h" => b"0123456789abcdef",
        "d" => b"0123456789",
        "b" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "u" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        "B" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
        "z" => b"abcdefghijklmnopqrstuvwxyz234567",
        "l" => b"abcdefghijklmnopqrstuvwxyz",
        "c" => b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "age" => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
        other => panic!("unknown template kind {other:?}"),
    }
}

/// Expand a template: `<<k:n>>` becomes `n` random characters of kind `k` (`<<uuid>>` a
/// random UUID), `[[` and `]]` are dropped. Returns the line and the secret between them.
fn expand(template: &str, rng: &mut Rng) -> (String, String) {
    let mut line = String::new();
    let mut rest = template;
    while let Some(i) = rest.find("<<") {
        line.push_str(&rest[..i]);
        let end = rest[i..].find(">>").expect("unclosed <<") + i;
        let spec = &rest[i + 2..end];
        if spec == "uuid" {
            let h = alphabet("h");
            let parts: Vec<String> = [8, 4, 4, 4, 12].iter().map(|&n| rng.string(h, n)).collect();
            line.push_str(&parts.join("-"));
        } else {
            let (kind, n) = spec.split_once(':').expect("kind:n");
            line.push_str(&rng.string(alphabet(kind), n.parse().expect("a count")));
        }
        rest = &rest[end + 2..];
    }
    line.push_str(rest);
    let start = line.find("[[").expect("a [[ marker");
    let end = line.find("]]").expect("a ]] marker");
    let secret = line[start + 2..end].to_string();
    let line = line.replacen("[[", "", 1).replacen("]]", "", 1);
    (line, secret)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Options with no machine-specific identifiers, so results do not depend on the host.
fn options(dir: &Path) -> Options {
    Options::default()
        .with_pseudonym_key(dir.join("pseudonym.key"))
        .with_hostnames(Vec::new())
        .with_usernames(Vec::new())
}

/// A redactor running one built-in file alone, so a finding can be attributed to its rule.
fn alone(file: File, dir: &Path) -> Redactor {
    let name = match file {
        Vendors => "vendors.toml",
        Secrets => "secrets.toml",
    };
    let o = options(dir)
        .with_rule_files(vec![root().join("redaction-rules").join(name)])
        .with_no_default_rules(true);
    Redactor::new(&o).expect("built-in rule file loads")
}

fn redact(r: &Redactor, line: &str) -> (String, Counts) {
    let mut counts = Counts::default();
    let out = r.redact_bytes(line.as_bytes(), Format::Text, &mut counts);
    (String::from_utf8(out).expect("utf-8 in, utf-8 out"), counts)
}

/// Each sample's secret in several line shapes: bare, in a JSON log line, in a journald line.
fn shapes(line: &str) -> Vec<String> {
    let json_safe = line.replace('\\', "\\\\").replace('"', "\\\"");
    vec![
        line.to_string(),
        format!("{{\"level\":\"warn\",\"msg\":\"{json_safe}\"}}"),
        format!("Dec 03 08:10:47 web01 app[4242]: {line}"),
    ]
}

#[test]
fn every_sample_is_caught_by_its_own_rule() {
    let d = tempfile::tempdir().unwrap();
    let vendors = alone(Vendors, d.path());
    let secrets = alone(Secrets, d.path());
    let mut rng = Rng::new(0x5eed_7e57);
    let mut failures = Vec::new();
    for &(file, id, family, template) in SAMPLES {
        let r = match file {
            Vendors => &vendors,
            Secrets => &secrets,
        };
        for _ in 0..3 {
            let (line, secret) = expand(template, &mut rng);
            for shaped in shapes(&line) {
                let (out, counts) = redact(r, &shaped);
                let by_rule = counts.by_rule();
                if out.contains(&secret) || !by_rule.contains_key(id) {
                    failures.push(format!(
                        "{id} ({family}): {shaped:?} -> {out:?} {by_rule:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_sample_is_caught_by_the_defaults_and_the_rest_of_the_line_kept() {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&options(d.path())).unwrap();
    let mut rng = Rng::new(42);
    let mut failures = Vec::new();
    for &(_, id, family, template) in SAMPLES {
        let (line, secret) = expand(template, &mut rng);
        let (out, _) = redact(&r, &line);
        let at = line.find(&secret).unwrap();
        let (before, after) = (&line[..at], &line[at + secret.len()..]);
        // Text around the secret survives, unless another rule masked part of it too.
        let kept = out.starts_with(before.get(..before.len().min(4)).unwrap_or(""))
            && out.ends_with(after.get(after.len().saturating_sub(3)..).unwrap_or(""));
        if out.contains(&secret) || !out.contains("[REDACTED:") || !kept {
            failures.push(format!("{id} ({family}): {line:?} -> {out:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ordinary_log_lines_are_untouched() {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&options(d.path())).unwrap();
    for line in ORDINARY {
        for shaped in shapes(line) {
            let (out, counts) = redact(&r, &shaped);
            assert_eq!(out, shaped, "changed by {:?}", counts.by_rule());
        }
    }
}

#[test]
fn every_vendor_rule_has_a_sample() {
    let text = std::fs::read_to_string(root().join("redaction-rules/vendors.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let ids: BTreeSet<String> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let sampled: BTreeSet<String> = SAMPLES
        .iter()
        .filter(|s| s.0 == Vendors)
        .map(|s| s.1.to_string())
        .collect();
    let missing: Vec<&String> = ids.difference(&sampled).collect();
    assert!(
        missing.is_empty(),
        "vendor rules without a sample: {missing:?}"
    );
    let unknown: Vec<&String> = sampled.difference(&ids).collect();
    assert!(unknown.is_empty(), "samples for unknown rules: {unknown:?}");
}

#[test]
fn the_families_named_as_other_scanners_know_them_are_covered() {
    // Families beyond gitleaks' default set that other scanners detect.
    for family in [
        "+twitch-stream-key",
        "+adafruit-io",
        "+tavily",
        "+azure-devops-pat",
        "+bitbucket-data-center",
        "+appsync",
        "+postmark",
        "+vault-secret-id",
        "+crypt-md5",
        "+crypt-sha512",
        "+crypt-sha256",
        "+yescrypt",
        "+argon2",
        "+krb5asrep",
    ] {
        assert!(
            SAMPLES.iter().any(|s| s.2 == family),
            "no sample for {family}"
        );
    }
}

fn gitleaks_config() -> Option<PathBuf> {
    [
        root().join("../shared/third-party/gitleaks-default.toml"),
        PathBuf::from("/work/shared/third-party/gitleaks-default.toml"),
    ]
    .into_iter()
    .find(|p| p.exists())
}

#[test]
fn every_gitleaks_default_family_has_a_rule_of_ours() {
    let Some(path) = gitleaks_config() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "gitleaks-default.toml missing in CI"
        );
        eprintln!("skipped: gitleaks-default.toml not found next to the repository");
        return;
    };
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut by_family: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in SAMPLES {
        by_family.entry(s.2).or_default().push(s.1);
    }
    let mut missing = Vec::new();
    let rules = doc["rules"].as_array().unwrap();
    assert!(rules.len() >= 200, "{}", rules.len());
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let elsewhere = COVERED_ELSEWHERE.iter().any(|(f, _)| *f == id);
        if !by_family.contains_key(id) && !elsewhere {
            missing.push(id);
        }
    }
    assert!(missing.is_empty(), "families without a sample: {missing:?}");
}
