//! A meeting as Zoom describes it: read leniently, since every field but `id` is optional.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Zoom meeting id: 64-bit, since ids outgrew 32 bits (11 digits and more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MeetingId(u64);

impl MeetingId {
    pub fn new(id: u64) -> Self {
        MeetingId(id)
    }

    pub fn get(&self) -> u64 {
        self.0
    }

    /// The id grouped the way Zoom shows it: `123 456 789`, `123 456 7890`, `123 4567 8901`;
    /// other lengths in groups of three from the left.
    pub fn grouped(&self) -> String {
        let digits = self.0.to_string();
        let sizes: &[usize] = match digits.len() {
            9 => &[3, 3, 3],
            10 => &[3, 3, 4],
            11 => &[3, 4, 4],
            _ => &[],
        };
        let mut groups = Vec::new();
        let mut rest = digits.as_str();
        for &size in sizes {
            let (group, tail) = rest.split_at(size);
            groups.push(group);
            rest = tail;
        }
        while !rest.is_empty() {
            let (group, tail) = rest.split_at(rest.len().min(3));
            groups.push(group);
            rest = tail;
        }
        groups.join(" ")
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A meeting as Zoom answered it (create, get, list). Zoom's answer is the truth: its start may
/// differ from the one asked for, and any field but `id` may be missing or unreadable (then it
/// is `None` here rather than a failure). Deliberately has no `start_url`: that URL logs anyone
/// in as the host, so it is never deserialized, stored, logged or returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawMeeting")]
pub struct Meeting {
    id: MeetingId,
    topic: Option<String>,
    start_time: Option<DateTime<Utc>>,
    duration: Option<u32>,
    timezone: Option<String>,
    join_url: Option<String>,
    password: Option<String>,
    agenda: Option<String>,
    occurrences: Vec<Occurrence>,
}

impl Meeting {
    pub fn id(&self) -> MeetingId {
        self.id
    }

    pub fn topic(&self) -> Option<&str> {
        self.topic.as_deref()
    }

    /// When Zoom will start it (a series: its first start), as Zoom stored it.
    pub fn start_time(&self) -> Option<DateTime<Utc>> {
        self.start_time
    }

    pub fn duration_minutes(&self) -> Option<u32> {
        self.duration
    }

    /// The Zoom timezone ID the meeting is stored in.
    pub fn timezone(&self) -> Option<&str> {
        self.timezone.as_deref()
    }

    /// The link participants join with. Missing in some create answers: look the meeting up.
    pub fn join_url(&self) -> Option<&str> {
        self.join_url.as_deref()
    }

    /// The passcode, if the meeting has one.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The meeting's description, as Zoom stored it.
    pub fn agenda(&self) -> Option<&str> {
        self.agenda.as_deref()
    }

    /// A series' occurrences as Zoom lists them (empty for a one-off meeting).
    pub fn occurrences(&self) -> &[Occurrence] {
        &self.occurrences
    }
}

/// One occurrence of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    id: String,
    start_time: Option<DateTime<Utc>>,
    duration: Option<u32>,
    status: Option<String>,
}

impl Occurrence {
    /// Zoom's `occurrence_id` (a string of digits), needed to change or cancel one occurrence.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn start_time(&self) -> Option<DateTime<Utc>> {
        self.start_time
    }

    pub fn duration_minutes(&self) -> Option<u32> {
        self.duration
    }

    /// Zoom's `status`: `available` or `deleted`.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }
}

/// Zoom's answer before reading: anything goes but the id. Unknown fields (`start_url` among
/// them) are skipped without being kept.
#[derive(Deserialize)]
struct RawMeeting {
    id: Value,
    #[serde(default)]
    topic: Value,
    #[serde(default)]
    start_time: Value,
    #[serde(default)]
    duration: Value,
    #[serde(default)]
    timezone: Value,
    #[serde(default)]
    join_url: Value,
    #[serde(default)]
    password: Value,
    #[serde(default)]
    agenda: Value,
    #[serde(default)]
    occurrences: Value,
}

/// Why an answer is not a meeting; no text from the answer, which may hold a `start_url`.
#[derive(Debug)]
pub(crate) struct NotAMeeting;

impl fmt::Display for NotAMeeting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the meeting has no readable id")
    }
}

impl TryFrom<RawMeeting> for Meeting {
    type Error = NotAMeeting;

    fn try_from(raw: RawMeeting) -> Result<Self, Self::Error> {
        Ok(Meeting {
            id: number(&raw.id).map(MeetingId).ok_or(NotAMeeting)?,
            topic: text(raw.topic),
            start_time: instant(&raw.start_time),
            duration: number(&raw.duration).and_then(|d| u32::try_from(d).ok()),
            timezone: text(raw.timezone),
            join_url: text(raw.join_url),
            password: text(raw.password),
            agenda: text(raw.agenda),
            occurrences: match raw.occurrences {
                Value::Array(items) => items.into_iter().filter_map(occurrence).collect(),
                _ => Vec::new(),
            },
        })
    }
}

fn occurrence(item: Value) -> Option<Occurrence> {
    let Value::Object(mut fields) = item else {
        return None;
    };
    let id = match fields.remove("occurrence_id")? {
        Value::String(id) if !id.is_empty() => id,
        Value::Number(id) => id.to_string(),
        _ => return None,
    };
    Some(Occurrence {
        id,
        start_time: fields.get("start_time").and_then(instant),
        duration: fields
            .get("duration")
            .and_then(number)
            .and_then(|d| u32::try_from(d).ok()),
        status: fields.remove("status").and_then(text),
    })
}

/// A non-empty string.
fn text(value: Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text),
        _ => None,
    }
}

/// A non-negative integer, as a JSON number or a string of digits.
fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An RFC 3339 time (Zoom answers `...Z`).
fn instant(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_ids_are_grouped_like_zoom_shows_them() {
        let cases = [
            (123_456_789, "123 456 789"),
            (1_234_567_890, "123 456 7890"),
            (85_746_065_432, "857 4606 5432"),
            (12_345_678, "123 456 78"),
            (123_456_789_012, "123 456 789 012"),
            (7, "7"),
        ];
        for (id, expected) in cases {
            assert_eq!(MeetingId::new(id).grouped(), expected);
        }
    }

    #[test]
    fn a_meeting_is_read_without_its_start_url_and_ignores_unknown_fields() {
        let json = r#"{"id": 85746065432, "uuid": "x==", "join_url": "https://zoom.us/j/85746065432",
            "start_url": "https://zoom.us/s/85746065432?zak=host-secret", "start_time": "2026-12-01T23:00:00Z",
            "timezone": "America/Los_Angeles", "duration": 45, "topic": "Design review", "password": "",
            "settings": {"waiting_room": true}}"#;
        let meeting: Meeting = serde_json::from_str(json).unwrap();
        assert_eq!(meeting.id().get(), 85_746_065_432);
        assert_eq!(meeting.password(), None);
        assert_eq!(meeting.duration_minutes(), Some(45));
        assert!(!format!("{meeting:?}").contains("host-secret"));
    }

    #[test]
    fn every_field_but_the_id_may_be_missing_or_unreadable() {
        let cases = [
            (r#"{"id": 1}"#, Some(1)),
            (r#"{"id": "85746065432"}"#, Some(85_746_065_432)),
            (
                r#"{"id": 2, "start_time": "soon", "duration": -4, "topic": 7, "join_url": null,
                    "timezone": "", "occurrences": "none"}"#,
                Some(2),
            ),
            (r#"{"topic": "no id"}"#, None),
            (r#"{"id": -1}"#, None),
            (r#"{"id": null}"#, None),
            ("[]", None),
        ];
        for (json, id) in cases {
            let read = serde_json::from_str::<Meeting>(json).ok();
            assert_eq!(read.as_ref().map(|m| m.id().get()), id, "{json}");
            if let Some(meeting) = read {
                assert_eq!(
                    (meeting.start_time(), meeting.join_url(), meeting.topic()),
                    (None, None, None),
                    "{json}"
                );
                assert_eq!(meeting.timezone(), None, "{json}");
                assert_eq!(meeting.duration_minutes(), None, "{json}");
                assert!(meeting.occurrences().is_empty(), "{json}");
            }
        }
    }

    #[test]
    fn a_series_lists_its_occurrences() {
        let json = r#"{"id": 3, "type": 8, "occurrences": [
            {"occurrence_id": "1924419600000", "start_time": "2030-12-01T09:00:00Z", "duration": 30, "status": "available"},
            {"occurrence_id": 1925024400000, "start_time": "2030-12-08T09:00:00Z", "status": "deleted"},
            {"start_time": "2030-12-15T09:00:00Z"}
        ]}"#;
        let meeting: Meeting = serde_json::from_str(json).unwrap();
        let occurrences = meeting.occurrences();
        assert_eq!(occurrences.len(), 2, "the one without an id is skipped");
        assert_eq!(occurrences[0].id(), "1924419600000");
        assert_eq!(
            occurrences[0].start_time().map(|t| t.to_rfc3339()),
            Some("2030-12-01T09:00:00+00:00".into())
        );
        assert_eq!(occurrences[0].duration_minutes(), Some(30));
        assert_eq!(occurrences[1].id(), "1925024400000");
        assert_eq!(occurrences[1].status(), Some("deleted"));
        assert_eq!(occurrences[1].duration_minutes(), None);
    }
}
