//! "Add to calendar" links: Google Calendar and Outlook event templates with the UTC start and
//! end, the topic, and the join link in the details. Plain links, so they work for every
//! reader of the card without touching this service.

use chrono::{DateTime, Utc};

use crate::i18n::{Lang, t};

/// Slack refuses button URLs longer than this; the details are shortened to fit.
const MAX_URL: usize = 3000;

/// What an event template needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// Plain text (no Slack markup).
    pub title: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub join_url: &'a str,
    /// An RFC 5545 rule for a series (`FREQ=WEEKLY;BYDAY=MO;COUNT=8`), when it is one; only
    /// Google's template understands it.
    pub rrule: Option<String>,
    /// The card's language, for the event's details.
    pub lang: Lang,
}

impl Event<'_> {
    fn details(&self) -> String {
        t!(self.lang, CalendarDetails, url = self.join_url)
    }

    /// A Google Calendar "create event" link.
    pub fn google(&self) -> String {
        let dates = format!(
            "{}/{}",
            self.start.format("%Y%m%dT%H%M%SZ"),
            self.end.format("%Y%m%dT%H%M%SZ")
        );
        let mut pairs = vec![
            ("action", "TEMPLATE".to_owned()),
            ("text", self.title.to_owned()),
            ("dates", dates),
            ("location", self.join_url.to_owned()),
        ];
        if let Some(rule) = &self.rrule {
            pairs.push(("recur", format!("RRULE:{rule}")));
        }
        fit(
            "https://calendar.google.com/calendar/render",
            pairs,
            ("details", self.details()),
        )
    }

    /// An Outlook (Microsoft 365) "new event" link.
    pub fn outlook(&self) -> String {
        let pairs = vec![
            ("path", "/calendar/action/compose".to_owned()),
            ("rru", "addevent".to_owned()),
            ("subject", self.title.to_owned()),
            (
                "startdt",
                self.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ),
            ("enddt", self.end.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ("location", self.join_url.to_owned()),
        ];
        fit(
            "https://outlook.office.com/calendar/0/deeplink/compose",
            pairs,
            ("body", self.details()),
        )
    }
}

/// `base?pairs&last`, with `last` shortened (then dropped) if the URL would exceed Slack's cap.
fn fit(base: &str, pairs: Vec<(&str, String)>, last: (&str, String)) -> String {
    // Form encoding, as a URL's query pairs are written (`+` for a space, `%XX` for the rest).
    let build = |extra: Option<(&str, &str)>| {
        let query = pairs
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(extra)
            .collect::<Vec<_>>();
        let query = serde_urlencoded::to_string(query)
            .unwrap_or_else(|_| unreachable!("string pairs always encode"));
        format!("{base}?{query}")
    };
    let full = build(Some((last.0, &last.1)));
    if full.len() <= MAX_URL {
        return full;
    }
    let mut short: String = build(None).chars().take(MAX_URL).collect();
    // Never end inside a `%XX` escape.
    if let Some(percent) = short.rfind('%')
        && short.len() - percent < 3
    {
        short.truncate(percent);
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event() -> Event<'static> {
        Event {
            title: "Design review & more",
            start: Utc.with_ymd_and_hms(2026, 12, 1, 15, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 12, 1, 15, 45, 0).unwrap(),
            join_url: "https://zoom.us/j/85746065432?pwd=abc",
            rrule: None,
            lang: Lang::En,
        }
    }

    fn query(url: &str) -> Vec<(String, String)> {
        reqwest::Url::parse(url)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn get(pairs: &[(String, String)], key: &str) -> String {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {key} in {pairs:?}"))
    }

    #[test]
    fn google_gets_utc_start_and_end_topic_and_the_join_link() {
        let url = event().google();
        assert!(
            url.starts_with("https://calendar.google.com/calendar/render?"),
            "{url}"
        );
        let q = query(&url);
        assert_eq!(get(&q, "action"), "TEMPLATE");
        assert_eq!(get(&q, "text"), "Design review & more");
        assert_eq!(get(&q, "dates"), "20261201T150000Z/20261201T154500Z");
        assert!(get(&q, "details").contains("https://zoom.us/j/85746065432?pwd=abc"));
    }

    #[test]
    fn outlook_gets_utc_start_and_end_topic_and_the_join_link() {
        let q = query(&event().outlook());
        assert_eq!(get(&q, "subject"), "Design review & more");
        assert_eq!(get(&q, "startdt"), "2026-12-01T15:00:00Z");
        assert_eq!(get(&q, "enddt"), "2026-12-01T15:45:00Z");
        assert!(get(&q, "body").contains("https://zoom.us/j/85746065432?pwd=abc"));
    }

    #[test]
    fn a_series_carries_its_rule_to_google() {
        let event = Event {
            rrule: Some("FREQ=WEEKLY;BYDAY=MO;COUNT=8".into()),
            ..event()
        };
        assert_eq!(
            get(&query(&event.google()), "recur"),
            "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8"
        );
    }

    #[test]
    fn links_stay_within_slacks_button_limit() {
        let long = "x".repeat(2900);
        let event = Event {
            title: &long,
            ..event()
        };
        for url in [event.google(), event.outlook()] {
            assert!(url.len() <= 3000, "{}", url.len());
        }
    }
}
