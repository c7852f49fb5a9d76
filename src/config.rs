//! Configuration from environment variables (and `.env`), validated all at once.
//!
//! Every problem is collected before reporting, so an operator fixes the whole environment in
//! one go instead of restarting once per missing variable.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use secrecy::SecretString;

use crate::app::{ConnectionLimits, descriptor_limit};
use crate::command::Minutes;
use crate::slack::respond::DeliveryPolicy;
use crate::slack::socket::SocketModeConfig;
use crate::time::Zone;

/// The database when `DATABASE_URL` is unset: a file in the working directory, created and
/// migrated at startup, so nothing needs installing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://slack-zoom.db";

/// Where operators find the configuration table.
const SEE_README: &str = "See the Configuration section of README.md.";

/// Where a new user goes next: most first runs lack Zoom credentials or a public URL.
const NEXT_STEPS: &str = "No Zoom app yet? Run `cargo run --release -- --dry-run` (or set ZOOM_DRY_RUN=true) to see the Slack side work without Zoom.\nNo public HTTPS URL? Set SLACK_APP_TOKEN (xapp-…) to use Socket Mode: README.md → Run it.";

/// The validated configuration of one running service.
///
/// Fields are public so tests can adjust a value after [`Config::from_lookup`]; secrets are
/// [`SecretString`]s, so `Debug` never prints them.
#[derive(Debug, Clone)]
pub struct Config {
    pub slack_signing_secret: SecretString,
    pub slack_bot_token: Option<SecretString>,
    /// Set by `SLACK_APP_TOKEN` (`xapp-…`): commands arrive over Socket Mode, and HTTP serves
    /// only `/healthz`, `/readyz`, `/metrics` (and the endpoints, should Slack still be pointed
    /// at them).
    pub socket_mode: Option<SocketModeConfig>,
    pub slack_api_url: String,
    pub slack_response_url_prefixes: Vec<String>,
    pub slack_allowed_team_ids: Option<BTreeSet<String>>,
    /// `None` only in dry-run mode, where Zoom is never called.
    pub zoom: Option<ZoomCredentials>,
    pub zoom_host: String,
    pub zoom_host_from_slack_email: bool,
    pub zoom_oauth_url: String,
    pub zoom_api_url: String,
    pub zoom_request_timeout: Duration,
    pub dry_run: bool,
    pub default_timezone: Zone,
    pub default_duration: Minutes,
    pub bind: SocketAddr,
    /// Retry schedule for `response_url` posts; not an environment variable (tests shorten it).
    pub delivery: DeliveryPolicy,
    /// `response_url` posts in flight at once (64); more wait their turn. Not an environment
    /// variable (tests narrow it to make posts queue).
    pub delivery_slots: usize,
    /// How long shutdown may take in all; not an environment variable (tests shorten it).
    pub drain_timeout: Duration,
    /// Meeting creations in flight at once (`MAX_CONCURRENT_CREATES`, default 200); more wait
    /// their turn. Each holds a socket and its buffers (docs/PERFORMANCE.md), and Zoom allows an
    /// account only 30–80 requests a second: 200 in flight is over 1,000 creates a second at
    /// Zoom's usual 150 ms, far beyond what Zoom accepts.
    pub max_concurrent_creates: usize,
    /// Commands admitted to wait for a creation slot; past this they are told at once that
    /// the service is busy (docs/PERFORMANCE.md, "Overload").
    pub max_queued_commands: usize,
    /// How long the store gathers the meetings of commands finishing together before one
    /// commit (docs/PERFORMANCE.md, "Group commit"); zero commits each command at once.
    pub store_commit_window: Duration,
    /// Open inbound connections at most (`MAX_CONNECTIONS`; default from the descriptor limit).
    pub max_connections: usize,
    /// A request's header must arrive within this, and idle keep-alive connections close after
    /// it; not an environment variable (tests shorten it).
    pub header_read_timeout: Duration,
    /// `sqlite://…` (one process, the default) or `postgres://…` (several replicas).
    pub database_url: String,
    /// Slack users who may cancel or move any meeting scheduled through the app.
    pub admin_user_ids: BTreeSet<String>,
    /// When the start notice is posted, in minutes before the start; `None` turns notices off.
    pub start_notice_minutes: Option<u32>,
    /// A notice that came due while the service was down is still posted this late, no later.
    pub notice_grace: Duration,
    /// How often due notices, unposted cards and unsettled commands are looked for
    /// (`SWEEP_SECONDS`, default 15).
    pub sweep_interval: Duration,
    /// How long a replica holds claimed work (a card it posts, a command it settles) before
    /// another may take it over, unless renewed (`LEASE_SECONDS`, default 120; more than two
    /// create timeouts). Commands' leases are renewed while their replica lives.
    pub lease: Duration,
    /// Where `GET /metrics` is served (`METRICS_PORT`).
    pub metrics: MetricsEndpoint,
}

/// Where `GET /metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsEndpoint {
    /// On `PORT`, beside the Slack endpoints (the default).
    MainPort,
    /// On a listener of its own at this port (same address as `PORT`); `PORT` then answers 404.
    Port(u16),
    /// Not served at all.
    Off,
}

/// The Server-to-Server OAuth app's credentials.
#[derive(Debug, Clone)]
pub struct ZoomCredentials {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// Every missing or invalid variable, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    problems: Vec<String>,
}

impl ConfigError {
    /// One line per problem, in the order the variables are read.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        writeln!(f, "{SEE_README}")?;
        write!(f, "{NEXT_STEPS}")
    }
}

impl Config {
    /// Reads the process environment (after loading `.env`, which `main` does).
    pub fn from_env(dry_run_flag: bool) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok(), dry_run_flag)
    }

    /// Reads configuration through `lookup`, so tests can supply a map instead of the process
    /// environment. `dry_run_flag` is the `--dry-run` command-line flag.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        dry_run_flag: bool,
    ) -> Result<Config, ConfigError> {
        let mut env = Reader {
            lookup: &lookup,
            problems: Vec::new(),
        };

        let slack_signing_secret = env.secret("SLACK_SIGNING_SECRET");
        let slack_bot_token = env.optional("SLACK_BOT_TOKEN").map(SecretString::from);
        let slack_app_token = env.optional("SLACK_APP_TOKEN").and_then(|token| {
            if token.starts_with("xapp-") {
                Some(SecretString::from(token))
            } else {
                // Never echo the value: it may be a real secret pasted into the wrong variable.
                env.problems.push(
                    "SLACK_APP_TOKEN does not start with `xapp-` (it is the app-level token from Basic Information → App-Level Tokens, with the connections:write scope)"
                        .into(),
                );
                None
            }
        });
        let dry_run = dry_run_flag || env.flag("ZOOM_DRY_RUN");
        let zoom = if dry_run {
            None
        } else {
            let account_id = env.required("ZOOM_ACCOUNT_ID");
            let client_id = env.required("ZOOM_CLIENT_ID");
            let client_secret = env.secret("ZOOM_CLIENT_SECRET");
            Some(ZoomCredentials {
                account_id: account_id.unwrap_or_default(),
                client_id: client_id.unwrap_or_default(),
                client_secret: client_secret.unwrap_or_else(|| SecretString::from("")),
            })
        };
        let zoom_host = env.optional("ZOOM_HOST").unwrap_or_else(|| "me".into());
        let zoom_host_from_slack_email = env.flag("ZOOM_HOST_FROM_SLACK_EMAIL");
        let default_timezone = env.parsed(
            "DEFAULT_TIMEZONE",
            "UTC",
            "an IANA timezone name such as Europe/Berlin",
            |v| Zone::parse(v).ok(),
        );
        let default_duration = env.parsed(
            "DEFAULT_DURATION_MINUTES",
            "30",
            "a whole number of minutes from 1 to 1440",
            |v| v.parse::<u32>().ok().and_then(|m| Minutes::new(m).ok()),
        );
        let port = env.parsed("PORT", "3000", "a port number from 0 to 65535", |v| {
            v.parse::<u16>().ok()
        });
        let zoom_request_timeout = env.parsed(
            "ZOOM_TIMEOUT_SECONDS",
            "20",
            "a whole number of seconds from 1 to 120",
            |v| v.parse::<u64>().ok().filter(|s| (1..=120).contains(s)),
        );
        let zoom_oauth_url = env.url("ZOOM_OAUTH_URL", "https://zoom.us/oauth/token");
        let zoom_api_url = env.url("ZOOM_API_URL", "https://api.zoom.us/v2");
        let slack_api_url = env.url("SLACK_API_URL", "https://slack.com/api");
        let slack_response_url_prefixes = env.parsed(
            "SLACK_RESPONSE_URL_PREFIXES",
            "https://hooks.slack.com/,https://hooks.slack-gov.com/",
            "comma-separated http(s) URL prefixes that each end with `/`, such as https://hooks.slack.com/",
            parse_prefixes,
        );
        let max_concurrent_creates = env.parsed(
            "MAX_CONCURRENT_CREATES",
            "200",
            "a whole number from 1 to 10000",
            |v| v.parse::<usize>().ok().filter(|n| (1..=10_000).contains(n)),
        );
        let max_queued_commands = env.parsed(
            "MAX_QUEUED_COMMANDS",
            "1000",
            "a whole number from 0 to 100000",
            |v| v.parse::<usize>().ok().filter(|n| *n <= 100_000),
        );
        let store_commit_window = env.parsed(
            "STORE_COMMIT_WINDOW_MS",
            "10",
            "a whole number of milliseconds from 0 to 1000",
            |v| v.parse::<u64>().ok().filter(|n| *n <= 1_000),
        );
        let max_connections = env.optional("MAX_CONNECTIONS").map(|raw| {
            let parsed = raw
                .parse::<usize>()
                .ok()
                .filter(|n| (16..=1_000_000).contains(n));
            if parsed.is_none() {
                env.problems.push(format!(
                    "MAX_CONNECTIONS is `{raw}`, expected a whole number from 16 to 1000000"
                ));
            }
            parsed
        });
        let database_url = env
            .optional("DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let admin_user_ids = env
            .optional("ADMIN_USER_IDS")
            .map_or_else(BTreeSet::new, |raw| {
                let ids: BTreeSet<String> = split_list(&raw).map(str::to_owned).collect();
                let bad: Vec<&String> = ids
                    .iter()
                    .filter(|id| {
                        !(id.starts_with(['U', 'W'])
                            && id.len() <= 32
                            && id
                                .bytes()
                                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
                    })
                    .collect();
                if !bad.is_empty() || ids.is_empty() {
                    env.problems.push(
                    "ADMIN_USER_IDS must list Slack user ids such as U0123ABCD, separated by commas"
                        .into(),
                );
                }
                ids
            });
        let start_notice_minutes = env.parsed(
            "START_NOTICE_MINUTES",
            "0",
            "a whole number of minutes from -1 to 1440 (negative turns start notices off)",
            |v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|m| (-1_000_000..=1440).contains(m))
            },
        );
        let notice_grace = env.parsed(
            "NOTICE_GRACE_MINUTES",
            "10",
            "a whole number of minutes from 0 to 1440",
            |v| v.parse::<u64>().ok().filter(|m| *m <= 1440),
        );
        let metrics = match env.optional("METRICS_PORT") {
            None => MetricsEndpoint::MainPort,
            Some(raw) if raw.eq_ignore_ascii_case("off") || raw.eq_ignore_ascii_case("none") => {
                MetricsEndpoint::Off
            }
            Some(raw) => match raw.parse::<u16>() {
                // Port 0 (any free port) twice gives two different ports.
                Ok(same) if same != 0 && port == Some(same) => {
                    env.problems.push(format!(
                        "METRICS_PORT is `{raw}`, the same as PORT (leave METRICS_PORT unset to serve /metrics on PORT)"
                    ));
                    MetricsEndpoint::Off
                }
                Ok(number) => MetricsEndpoint::Port(number),
                Err(_) => {
                    env.problems.push(format!(
                        "METRICS_PORT is `{raw}`, expected a port number from 0 to 65535, or `off`"
                    ));
                    MetricsEndpoint::Off
                }
            },
        };
        let sweep_seconds = env.parsed(
            "SWEEP_SECONDS",
            "15",
            "a whole number of seconds from 1 to 300",
            |v| v.parse::<u64>().ok().filter(|s| (1..=300).contains(s)),
        );
        let lease_seconds = env.parsed(
            "LEASE_SECONDS",
            "120",
            "a whole number of seconds from 5 to 3600",
            |v| v.parse::<u64>().ok().filter(|s| (5..=3600).contains(s)),
        );
        if let (Some(lease), Some(timeout)) = (lease_seconds, zoom_request_timeout)
            && lease <= 2 * timeout
        {
            env.problems.push(format!(
                "LEASE_SECONDS is {lease}, but it must be more than twice ZOOM_TIMEOUT_SECONDS ({timeout}): a command may wait that long for its turn and as long again at Zoom, and another replica must not take it over meanwhile"
            ));
        }
        let slack_allowed_team_ids = env.optional("SLACK_ALLOWED_TEAM_IDS").map(|raw| {
            let ids: BTreeSet<String> = split_list(&raw).map(str::to_owned).collect();
            if ids.is_empty() {
                env.problems.push(
                    "SLACK_ALLOWED_TEAM_IDS is set but lists no team id (unset it to allow any workspace)"
                        .into(),
                );
            }
            ids
        });

        let socket_mode = match (&slack_app_token, &slack_api_url) {
            (Some(token), Some(api_url)) => match SocketModeConfig::new(api_url, token.clone()) {
                Ok(socket) => Some(socket),
                Err(e) => {
                    env.problems.push(format!("SLACK_APP_TOKEN: {e}"));
                    None
                }
            },
            _ => None,
        };
        if !env.problems.is_empty() {
            return Err(ConfigError {
                problems: env.problems,
            });
        }
        // Every `None` below was recorded as a problem above, so these never fall back.
        Ok(Config {
            slack_signing_secret: slack_signing_secret.unwrap_or_else(|| SecretString::from("")),
            slack_bot_token,
            socket_mode,
            slack_api_url: slack_api_url.unwrap_or_default(),
            slack_response_url_prefixes: slack_response_url_prefixes.unwrap_or_default(),
            slack_allowed_team_ids,
            zoom,
            zoom_host,
            zoom_host_from_slack_email,
            zoom_oauth_url: zoom_oauth_url.unwrap_or_default(),
            zoom_api_url: zoom_api_url.unwrap_or_default(),
            zoom_request_timeout: Duration::from_secs(zoom_request_timeout.unwrap_or(20)),
            dry_run,
            default_timezone: default_timezone.unwrap_or_else(Zone::utc),
            default_duration: default_duration.expect("an invalid duration is a problem above"),
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port.unwrap_or(3000)),
            delivery: DeliveryPolicy::default(),
            delivery_slots: 64,
            drain_timeout: crate::app::DRAIN_TIMEOUT,
            max_concurrent_creates: max_concurrent_creates.unwrap_or(200),
            max_queued_commands: max_queued_commands.unwrap_or(1_000),
            store_commit_window: Duration::from_millis(store_commit_window.unwrap_or(10)),
            max_connections: max_connections.flatten().unwrap_or_else(|| {
                ConnectionLimits::max_connections_for(descriptor_limit(), 1_024)
            }),
            header_read_timeout: ConnectionLimits::DEFAULT_HEADER_READ_TIMEOUT,
            database_url,
            admin_user_ids,
            // Negative turns notices off.
            start_notice_minutes: start_notice_minutes.and_then(|m| u32::try_from(m).ok()),
            notice_grace: Duration::from_secs(60 * notice_grace.unwrap_or(10)),
            sweep_interval: Duration::from_secs(sweep_seconds.unwrap_or(15)),
            lease: Duration::from_secs(lease_seconds.unwrap_or(120)),
            metrics,
        })
    }
}

/// Reads variables and records what is wrong with them.
struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl Reader<'_> {
    /// A set, non-blank value (blank counts as unset: `FOO=` in `.env` is a common slip).
    fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn required(&mut self, name: &str) -> Option<String> {
        let value = self.optional(name);
        if value.is_none() {
            self.problems
                .push(format!("{name} is required but not set"));
        }
        value
    }

    fn secret(&mut self, name: &str) -> Option<SecretString> {
        self.required(name).map(SecretString::from)
    }

    fn flag(&mut self, name: &str) -> bool {
        match self.optional(name).map(|v| v.to_ascii_lowercase()) {
            None => false,
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => true,
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => false,
            Some(v) => {
                self.problems
                    .push(format!("{name} is `{v}`, expected `true` or `false`"));
                false
            }
        }
    }

    /// Parses a value (or its default); an invalid value is a problem that quotes it.
    fn parsed<T>(
        &mut self,
        name: &str,
        default: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = self.optional(name).unwrap_or_else(|| default.to_owned());
        let value = parse(&raw);
        if value.is_none() {
            self.problems
                .push(format!("{name} is `{raw}`, expected {expected}"));
        }
        value
    }

    fn url(&mut self, name: &str, default: &str) -> Option<String> {
        self.parsed(name, default, "an http(s) URL", |v| {
            let url = reqwest::Url::parse(v).ok()?;
            let http = matches!(url.scheme(), "http" | "https") && url.host().is_some();
            http.then(|| v.trim_end_matches('/').to_owned())
        })
    }
}

fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// Each prefix must name a scheme, a host and end with `/`: without the slash,
/// `https://hooks.slack.com` would also admit `https://hooks.slack.com.attacker.example/`.
fn parse_prefixes(raw: &str) -> Option<Vec<String>> {
    let prefixes: Vec<String> = split_list(raw).map(str::to_owned).collect();
    let valid = |p: &String| {
        p.ends_with('/')
            && reqwest::Url::parse(p)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
    };
    (!prefixes.is_empty() && prefixes.iter().all(valid)).then_some(prefixes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned(), false)
    }

    const MINIMAL: &[(&str, &str)] = &[
        ("SLACK_SIGNING_SECRET", "s3cr3t-signing"),
        ("ZOOM_ACCOUNT_ID", "acct"),
        ("ZOOM_CLIENT_ID", "client"),
        ("ZOOM_CLIENT_SECRET", "zoom-s3cr3t"),
    ];

    #[test]
    fn the_minimal_environment_gives_the_documented_defaults() {
        let c = config(MINIMAL).expect("valid");
        assert_eq!(c.zoom_host, "me");
        assert_eq!(c.default_timezone, Zone::utc());
        assert_eq!(c.default_duration.get(), 30);
        assert_eq!(c.bind.port(), 3000);
        assert_eq!(c.zoom_oauth_url, "https://zoom.us/oauth/token");
        assert_eq!(c.zoom_api_url, "https://api.zoom.us/v2");
        assert_eq!(c.slack_api_url, "https://slack.com/api");
        assert_eq!(
            c.slack_response_url_prefixes,
            ["https://hooks.slack.com/", "https://hooks.slack-gov.com/"]
        );
        assert!(c.slack_allowed_team_ids.is_none());
        assert!(!c.dry_run);
        assert_eq!(c.zoom_request_timeout, Duration::from_secs(20));
        assert_eq!(c.slack_signing_secret.expose_secret(), "s3cr3t-signing");
        assert_eq!(c.database_url, "sqlite://slack-zoom.db");
        assert!(c.admin_user_ids.is_empty());
        assert_eq!(c.start_notice_minutes, Some(0));
        assert_eq!(c.notice_grace, Duration::from_secs(600));
        assert_eq!(c.metrics, MetricsEndpoint::MainPort);
    }

    #[test]
    fn metrics_port_moves_or_turns_off_the_metrics_endpoint() {
        let cases = [
            ("", Ok(MetricsEndpoint::MainPort)),
            ("9090", Ok(MetricsEndpoint::Port(9090))),
            (" 9090 ", Ok(MetricsEndpoint::Port(9090))),
            ("0", Ok(MetricsEndpoint::Port(0))),
            ("off", Ok(MetricsEndpoint::Off)),
            ("OFF", Ok(MetricsEndpoint::Off)),
            ("none", Ok(MetricsEndpoint::Off)),
            ("3000", Err("METRICS_PORT is `3000`, the same as PORT")),
            (
                "70000",
                Err("METRICS_PORT is `70000`, expected a port number"),
            ),
            ("no", Err("METRICS_PORT is `no`, expected a port number")),
        ];
        for (raw, want) in cases {
            let mut vars = MINIMAL.to_vec();
            vars.push(("METRICS_PORT", raw));
            match (config(&vars), want) {
                (Ok(c), Ok(want)) => assert_eq!(c.metrics, want, "METRICS_PORT={raw:?}"),
                (Err(e), Err(needle)) => {
                    assert_eq!(e.problems().len(), 1, "METRICS_PORT={raw:?}: {e}");
                    assert!(
                        e.problems()[0].starts_with(needle),
                        "METRICS_PORT={raw:?}: {e}"
                    );
                }
                (got, want) => panic!("METRICS_PORT={raw:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn store_admins_and_notices_are_configured() {
        let mut vars = MINIMAL.to_vec();
        vars.extend([
            ("DATABASE_URL", "postgres://app@db:5432/zoom"),
            ("ADMIN_USER_IDS", "U1, W2"),
            ("START_NOTICE_MINUTES", "-1"),
            ("NOTICE_GRACE_MINUTES", "3"),
        ]);
        let c = config(&vars).unwrap();
        assert_eq!(c.database_url, "postgres://app@db:5432/zoom");
        assert_eq!(c.admin_user_ids.iter().collect::<Vec<_>>(), ["U1", "W2"]);
        assert_eq!(c.start_notice_minutes, None, "negative turns notices off");
        assert_eq!(c.notice_grace, Duration::from_secs(180));
        let mut vars = MINIMAL.to_vec();
        vars.extend([("ADMIN_USER_IDS", "ada"), ("START_NOTICE_MINUTES", "soon")]);
        let text = config(&vars).unwrap_err().to_string();
        assert!(text.contains("ADMIN_USER_IDS"), "{text}");
        assert!(text.contains("START_NOTICE_MINUTES is `soon`"), "{text}");
    }

    #[test]
    fn the_sweep_and_the_lease_are_configured_and_a_lease_too_short_for_the_zoom_timeout_is_refused()
     {
        let defaults = config(MINIMAL).unwrap();
        assert_eq!(
            (defaults.sweep_interval, defaults.lease),
            (Duration::from_secs(15), Duration::from_secs(120))
        );
        // (extra variables, Ok((sweep seconds, lease seconds)) or Err(part of the message))
        type Case<'a> = (&'a [(&'a str, &'a str)], Result<(u64, u64), &'a str>);
        let cases: &[Case] = &[
            (
                &[("SWEEP_SECONDS", "1"), ("LEASE_SECONDS", "60")],
                Ok((1, 60)),
            ),
            (
                &[("ZOOM_TIMEOUT_SECONDS", "4"), ("LEASE_SECONDS", "9")],
                Ok((15, 9)),
            ),
            (
                &[("ZOOM_TIMEOUT_SECONDS", "30"), ("LEASE_SECONDS", "60")],
                Err(
                    "LEASE_SECONDS is 60, but it must be more than twice ZOOM_TIMEOUT_SECONDS (30)",
                ),
            ),
            (&[("SWEEP_SECONDS", "0")], Err("SWEEP_SECONDS is `0`")),
            (&[("LEASE_SECONDS", "2")], Err("LEASE_SECONDS is `2`")),
        ];
        for (extra, want) in cases {
            let mut vars = MINIMAL.to_vec();
            vars.extend(extra.iter().copied());
            match (config(&vars), want) {
                (Ok(c), Ok((sweep, lease))) => assert_eq!(
                    (c.sweep_interval, c.lease),
                    (Duration::from_secs(*sweep), Duration::from_secs(*lease)),
                    "{extra:?}"
                ),
                (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{extra:?}: {e}"),
                (got, want) => panic!("{extra:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn every_variable_the_service_reads_is_documented_in_the_readme_and_env_example() {
        let asked = std::cell::RefCell::new(Vec::new());
        let _ = Config::from_lookup(
            |name| {
                asked.borrow_mut().push(name.to_owned());
                MINIMAL
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            },
            false,
        );
        let asked = asked.into_inner();
        assert!(asked.len() > 20, "the lookup sees every read: {asked:?}");
        let readme = include_str!("../README.md");
        let example = include_str!("../.env.example");
        for name in &asked {
            let row = format!("`{name}`");
            assert!(
                readme
                    .lines()
                    .any(|l| l.starts_with('|') && l.contains(&row)),
                "{name} has a row in README's configuration table"
            );
            assert!(
                example
                    .lines()
                    .any(|l| l.trim_start_matches("# ").starts_with(&format!("{name}="))),
                "{name} is listed in .env.example"
            );
        }
    }

    #[test]
    fn every_missing_variable_is_listed_at_once() {
        let err = config(&[]).unwrap_err();
        let text = err.to_string();
        for name in [
            "SLACK_SIGNING_SECRET",
            "ZOOM_ACCOUNT_ID",
            "ZOOM_CLIENT_ID",
            "ZOOM_CLIENT_SECRET",
        ] {
            assert!(text.contains(name), "{name} missing from: {text}");
        }
        assert!(text.contains("README"), "{text}");
        assert!(
            text.contains("--dry-run") && text.contains("Socket Mode"),
            "the error says how to go on: {text}"
        );
    }

    #[test]
    fn an_app_token_selects_socket_mode_and_a_wrong_one_is_named_not_echoed() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("SLACK_APP_TOKEN", "xapp-1-A1-123-abc"));
        assert!(config(&vars).unwrap().socket_mode.is_some());
        let mut vars = MINIMAL.to_vec();
        vars.push(("SLACK_APP_TOKEN", "xoxb-oops-secret"));
        let text = config(&vars).unwrap_err().to_string();
        assert!(
            text.contains("SLACK_APP_TOKEN does not start with `xapp-`"),
            "{text}"
        );
        assert!(!text.contains("xoxb-oops-secret"), "{text}");
    }

    #[test]
    fn invalid_values_are_listed_with_what_was_expected() {
        let mut vars = MINIMAL.to_vec();
        vars.extend([
            ("DEFAULT_TIMEZONE", "Mars/Olympus"),
            ("PORT", "eighty"),
            ("DEFAULT_DURATION_MINUTES", "0"),
            ("ZOOM_API_URL", "ftp://x"),
            ("SLACK_RESPONSE_URL_PREFIXES", "https://hooks.slack.com"),
            ("ZOOM_DRY_RUN", "maybe"),
        ]);
        let err = config(&vars).unwrap_err();
        assert_eq!(err.problems().len(), 6, "{err}");
        let text = err.to_string();
        for needle in [
            "DEFAULT_TIMEZONE is `Mars/Olympus`",
            "PORT is `eighty`",
            "DEFAULT_DURATION_MINUTES is `0`",
            "ZOOM_API_URL is `ftp://x`",
            "SLACK_RESPONSE_URL_PREFIXES",
            "ZOOM_DRY_RUN is `maybe`",
        ] {
            assert!(text.contains(needle), "`{needle}` missing from: {text}");
        }
    }

    #[test]
    fn dry_run_does_not_require_zoom_credentials() {
        let vars = [("SLACK_SIGNING_SECRET", "x"), ("ZOOM_DRY_RUN", "true")];
        let c = config(&vars).expect("valid");
        assert!(c.dry_run);
        assert!(c.zoom.is_none());
    }

    #[test]
    fn allowed_team_ids_are_a_trimmed_set() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("SLACK_ALLOWED_TEAM_IDS", " T1, T2 ,,"));
        let c = config(&vars).expect("valid");
        let ids: Vec<_> = c.slack_allowed_team_ids.unwrap().into_iter().collect();
        assert_eq!(ids, ["T1", "T2"]);
    }

    #[test]
    fn debug_output_never_contains_secrets() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("SLACK_BOT_TOKEN", "xoxb-bot-s3cr3t"));
        vars.push(("SLACK_APP_TOKEN", "xapp-app-s3cr3t"));
        let debug = format!("{:?}", config(&vars).unwrap());
        for secret in [
            "s3cr3t-signing",
            "zoom-s3cr3t",
            "xoxb-bot-s3cr3t",
            "xapp-app-s3cr3t",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked: {debug}");
        }
    }
}
