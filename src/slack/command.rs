//! The slash-command payload: Slack's form body decoded into a typed [`SlashCommand`].

use serde::Deserialize;

macro_rules! slack_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Slack ids are short upper-case alphanumerics (`T0123ABCD`); anything else is not from Slack.
            pub fn parse(raw: &str) -> Option<Self> {
                let valid = !raw.is_empty()
                    && raw.len() <= 64
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                valid.then(|| Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slack_id!(
    /// A workspace id (`T…`).
    TeamId
);
slack_id!(
    /// A channel or conversation id (`C…`, `G…`, `D…`).
    ChannelId
);
slack_id!(
    /// A user id (`U…` or `W…`).
    UserId
);

/// Why a verified body could not be read as a slash command (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the body is not a URL-encoded form")]
    NotAForm,
    #[error("the form has no `{0}` field")]
    Missing(&'static str),
    #[error("the `{0}` field is not a valid Slack id")]
    InvalidId(&'static str),
    #[error("`response_url` is not an allowed Slack URL")]
    ResponseUrlNotAllowed,
}

/// A `response_url` whose prefix is on the allow-list: the only URLs the service ever POSTs to
/// on a request's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseUrl(reqwest::Url);

impl ResponseUrl {
    /// Accepts `raw` only when it starts with one of `prefixes` *and* parses to the same origin,
    /// so tricks such as `https://hooks.slack.com@attacker.example/` or a backslash cannot pass.
    pub fn parse(raw: &str, prefixes: &[String]) -> Option<Self> {
        let url = reqwest::Url::parse(raw).ok()?;
        // Both the text as sent and the URL as it will be requested must match: the parser
        // resolves `..` and `%2e%2e`, which could otherwise climb out of a path prefix.
        let allowed = prefixes.iter().any(|prefix| {
            raw.starts_with(prefix.as_str())
                && url.as_str().starts_with(prefix.as_str())
                && reqwest::Url::parse(prefix).is_ok_and(|p| p.origin() == url.origin())
        });
        let clean = url.username().is_empty() && url.password().is_none();
        (allowed && clean).then_some(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &reqwest::Url {
        &self.0
    }
}

/// A slash command whose signature has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlashCommand {
    team_id: TeamId,
    channel_id: ChannelId,
    user_id: UserId,
    command: String,
    text: String,
    response_url: ResponseUrl,
    channel_name: Option<String>,
    team_domain: Option<String>,
    trigger_id: Option<String>,
}

/// The form as Slack sends it; every field optional so a missing one gets a precise message.
/// Unknown fields (`token`, `api_app_id`, `is_enterprise_install`, …) are ignored.
#[derive(Deserialize)]
struct RawForm {
    team_id: Option<String>,
    channel_id: Option<String>,
    user_id: Option<String>,
    command: Option<String>,
    text: Option<String>,
    response_url: Option<String>,
    channel_name: Option<String>,
    team_domain: Option<String>,
    trigger_id: Option<String>,
}

impl SlashCommand {
    /// Decodes a verified body. `prefixes` are the allowed `response_url` prefixes.
    pub fn parse(body: &[u8], prefixes: &[String]) -> Result<Self, PayloadError> {
        std::str::from_utf8(body).map_err(|_| PayloadError::NotAForm)?;
        let form: RawForm =
            serde_urlencoded::from_bytes(body).map_err(|_| PayloadError::NotAForm)?;
        fn id<T>(
            value: Option<String>,
            field: &'static str,
            parse: fn(&str) -> Option<T>,
        ) -> Result<T, PayloadError> {
            let value = value.ok_or(PayloadError::Missing(field))?;
            parse(&value).ok_or(PayloadError::InvalidId(field))
        }
        let team_id = id(form.team_id, "team_id", TeamId::parse)?;
        let channel_id = id(form.channel_id, "channel_id", ChannelId::parse)?;
        let user_id = id(form.user_id, "user_id", UserId::parse)?;
        let command = form.command.ok_or(PayloadError::Missing("command"))?;
        let response_url = form
            .response_url
            .ok_or(PayloadError::Missing("response_url"))?;
        let response_url = ResponseUrl::parse(&response_url, prefixes)
            .ok_or(PayloadError::ResponseUrlNotAllowed)?;
        Ok(Self {
            team_id,
            channel_id,
            user_id,
            command,
            // Slack always sends `text`, empty when nothing follows the command.
            text: form.text.unwrap_or_default(),
            response_url,
            channel_name: form.channel_name,
            team_domain: form.team_domain,
            // Opaque and only compared or handed back to Slack; bounded so it cannot bloat memory.
            trigger_id: form.trigger_id.filter(|t| !t.is_empty() && t.len() <= 256),
        })
    }

    pub fn team_id(&self) -> &TeamId {
        &self.team_id
    }
    pub fn channel_id(&self) -> &ChannelId {
        &self.channel_id
    }
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }
    /// The command as typed, e.g. `/zoom` (used in help text so a renamed command reads right).
    pub fn command(&self) -> &str {
        &self.command
    }
    /// Everything after the command, with Slack's escaping (`&amp;`, `<@U…>`).
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn response_url(&self) -> &ResponseUrl {
        &self.response_url
    }
    pub fn channel_name(&self) -> Option<&str> {
        self.channel_name.as_deref()
    }
    pub fn team_domain(&self) -> Option<&str> {
        self.team_domain.as_deref()
    }
    /// Slack's id for this one invocation (for `views.open`, and to recognise a double delivery).
    pub fn trigger_id(&self) -> Option<&str> {
        self.trigger_id.as_deref()
    }
    /// What identifies this invocation across deliveries: Slack signs a re-delivered copy
    /// again (new timestamp, new signature) but keeps its `trigger_id` and `response_url`.
    pub fn delivery_key(&self) -> String {
        match &self.trigger_id {
            Some(trigger) => format!("{}:trigger:{trigger}", self.team_id),
            None => format!("{}:url:{}", self.team_id, self.response_url.as_str()),
        }
    }
}

/// `true` when the body is Slack's SSL check: a form whose `ssl_check` field is exactly `1` and
/// that carries no `command`. A real command that merely contains `ssl_check=1` is not one
/// (bolt-python once skipped verification for such bodies).
pub fn is_ssl_check(body: &[u8]) -> bool {
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return false;
    };
    let ssl_check = fields.iter().any(|(k, v)| k == "ssl_check" && v == "1");
    let command = fields.iter().any(|(k, _)| k == "command");
    ssl_check && !command
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes() -> Vec<String> {
        vec![
            "https://hooks.slack.com/commands/".into(),
            "http://127.0.0.1:9/hooks/".into(),
        ]
    }

    const BODY: &str = "token=abc&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fzoom&text=Design+review+%26amp%3B+more+45m&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F2%2F3&trigger_id=1.2.3&is_enterprise_install=false&api_app_id=A1&brand_new_field=x";

    #[test]
    fn a_slack_body_decodes_into_typed_fields() {
        let cmd = SlashCommand::parse(BODY.as_bytes(), &prefixes()).unwrap();
        assert_eq!(cmd.team_id().as_str(), "T1DC2JH3J");
        assert_eq!(cmd.channel_id().as_str(), "G8PSS9T3V");
        assert_eq!(cmd.user_id().as_str(), "U2CERLKJA");
        assert_eq!(cmd.command(), "/zoom");
        assert_eq!(cmd.text(), "Design review &amp; more 45m");
        assert_eq!(
            cmd.response_url().as_str(),
            "https://hooks.slack.com/commands/T1/2/3"
        );
        assert_eq!(cmd.channel_name(), Some("foobar"));
    }

    #[test]
    fn missing_or_invalid_fields_are_named() {
        let cases = [
            ("team_id=T1DC2JH3J&", "", PayloadError::Missing("team_id")),
            ("user_id=U2CERLKJA&", "", PayloadError::Missing("user_id")),
            (
                "channel_id=G8PSS9T3V&",
                "",
                PayloadError::Missing("channel_id"),
            ),
            ("command=%2Fzoom&", "", PayloadError::Missing("command")),
            (
                "user_id=U2CERLKJA&",
                "user_id=..%2F..&",
                PayloadError::InvalidId("user_id"),
            ),
        ];
        for (remove, add, expected) in cases {
            let body = format!("{add}{}", BODY.replace(remove, ""));
            assert_eq!(
                SlashCommand::parse(body.as_bytes(), &prefixes()),
                Err(expected.clone()),
                "{expected}"
            );
        }
    }

    #[test]
    fn bodies_that_are_not_forms_are_refused() {
        for body in [&b"\xff\xfe"[..], b"%zz=1&==&", b"{\"json\":true}"] {
            assert!(SlashCommand::parse(body, &prefixes()).is_err(), "{body:?}");
        }
    }

    #[test]
    fn only_allow_listed_response_urls_are_accepted() {
        let cases = [
            ("https://hooks.slack.com/commands/T1/2/3", true),
            ("http://127.0.0.1:9/hooks/x", true),
            ("https://hooks.slack.com.attacker.example/commands", false),
            ("https://hooks.slack.com@attacker.example/commands", false),
            ("https://user:pw@hooks.slack.com/commands", false),
            ("http://hooks.slack.com/commands", false),
            ("https://attacker.example/https://hooks.slack.com/", false),
            ("http://127.0.0.1:10/hooks/x", false),
            ("http://127.0.0.1:9/other", false),
            ("https://hooks.slack.com/commands/../services/T/B/X", false),
            (
                "https://hooks.slack.com/commands/%2e%2e/services/T/B/X",
                false,
            ),
            (
                "https://hooks.slack.com/commands/%2E%2E/services/T/B/X",
                false,
            ),
            ("https://hooks.slack.com/commands/./T1/2/3", true),
            ("not a url", false),
            ("", false),
        ];
        for (url, allowed) in cases {
            assert_eq!(
                ResponseUrl::parse(url, &prefixes()).is_some(),
                allowed,
                "{url}"
            );
        }
    }

    #[test]
    fn ssl_check_is_recognised_only_in_its_exact_form() {
        let cases = [
            ("ssl_check=1&token=abc", true),
            ("token=abc&ssl_check=1", true),
            ("ssl_check=0&token=abc", false),
            ("ssl_check=11", false),
            ("ssl_check=1&command=%2Fzoom&text=x", false),
            ("text=ssl_check%3D1&command=%2Fzoom", false),
            ("\u{ff}", false),
        ];
        for (body, expected) in cases {
            assert_eq!(is_ssl_check(body.as_bytes()), expected, "{body}");
        }
    }
}
