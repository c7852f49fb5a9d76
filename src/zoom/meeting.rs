//! Meeting types: what we ask Zoom for, the body we send, and the meeting Zoom gives back.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// Zoom's limits on free-text fields, in characters.
const MAX_TOPIC_CHARS: usize = 200;
const MAX_AGENDA_CHARS: usize = 2000;

/// Zoom's meeting `type` for a one-off scheduled meeting.
const SCHEDULED: u8 = 2;

/// A meeting to schedule, in the host's wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    pub topic: String,
    /// Local wall-clock start in `timezone`; sent as-is with the zone, never converted to UTC.
    pub start_local: NaiveDateTime,
    /// IANA zone id, e.g. `Europe/Istanbul`.
    pub timezone: String,
    pub duration_minutes: u16,
    pub agenda: String,
}

/// The JSON body of `POST /users/{userId}/meetings`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateMeetingBody<'a> {
    topic: &'a str,
    #[serde(rename = "type")]
    kind: u8,
    /// Wall-clock `yyyy-MM-ddTHH:mm:ss` with no `Z`: a `Z` would make Zoom ignore `timezone`.
    start_time: String,
    timezone: &'a str,
    duration: u16,
    agenda: &'a str,
}

impl<'a> From<&'a NewMeeting> for CreateMeetingBody<'a> {
    fn from(meeting: &'a NewMeeting) -> Self {
        CreateMeetingBody {
            topic: truncate_chars(&meeting.topic, MAX_TOPIC_CHARS),
            kind: SCHEDULED,
            start_time: meeting.start_local.format("%Y-%m-%dT%H:%M:%S").to_string(),
            timezone: &meeting.timezone,
            duration: meeting.duration_minutes,
            agenda: truncate_chars(&meeting.agenda, MAX_AGENDA_CHARS),
        }
    }
}

/// The first `max` characters of `text`, cut on a char boundary.
fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

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

/// A created meeting. Deliberately has no `start_url` field: that URL logs anyone in as the
/// host, so it is never deserialized, stored, logged or returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Meeting {
    id: MeetingId,
    join_url: String,
    #[serde(default)]
    password: String,
    /// Zoom always answers UTC (`...Z`).
    start_time: DateTime<Utc>,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    duration: u32,
    #[serde(default)]
    topic: String,
}

impl Meeting {
    /// For callers' tests and fakes; production meetings come from Zoom's answer.
    pub fn new(
        id: MeetingId,
        join_url: String,
        password: String,
        start_time: DateTime<Utc>,
        timezone: String,
        duration: u32,
        topic: String,
    ) -> Self {
        Meeting {
            id,
            join_url,
            password,
            start_time,
            timezone,
            duration,
            topic,
        }
    }

    pub fn id(&self) -> MeetingId {
        self.id
    }

    pub fn join_url(&self) -> &str {
        &self.join_url
    }

    /// The passcode, if the meeting has one.
    pub fn password(&self) -> Option<&str> {
        Some(self.password.as_str()).filter(|p| !p.is_empty())
    }

    pub fn start_time(&self) -> DateTime<Utc> {
        self.start_time
    }

    /// The IANA zone Zoom stored with the meeting.
    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    pub fn duration_minutes(&self) -> u32 {
        self.duration
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

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
    fn topic_and_agenda_are_truncated_on_char_boundaries() {
        let meeting = NewMeeting {
            topic: "é".repeat(250),
            start_local: NaiveDate::from_ymd_opt(2026, 12, 1)
                .unwrap()
                .and_hms_opt(15, 0, 0)
                .unwrap(),
            timezone: "Europe/Istanbul".into(),
            duration_minutes: 45,
            agenda: "🙂".repeat(2100),
        };
        let body = CreateMeetingBody::from(&meeting);
        assert_eq!(body.topic.chars().count(), 200);
        assert_eq!(body.agenda.chars().count(), 2000);
        assert_eq!(body.start_time, "2026-12-01T15:00:00");
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
        assert!(!format!("{meeting:?}").contains("host-secret"));
    }
}
