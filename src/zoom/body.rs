//! What we ask Zoom for (`NewMeeting`, `MeetingUpdate`) and the JSON bodies sent for them.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::ZoomError;
use super::recurrence::{Recurrence, RecurrenceBody, SeriesProblem};
use super::zones::{self, ZoomStart};

/// Zoom's limits on free-text fields, in characters.
const MAX_TOPIC_CHARS: usize = 200;
const MAX_AGENDA_CHARS: usize = 2000;

/// Zoom's meeting `type`: a one-off scheduled meeting, or a series with a fixed time.
const SCHEDULED: u8 = 2;
const RECURRING_FIXED_TIME: u8 = 8;

/// A meeting to schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    /// Plain text; cut to Zoom's 200 characters.
    pub topic: String,
    /// When it starts (a series: its first start). Sub-seconds are dropped.
    pub start: DateTime<Utc>,
    /// The host's zone. It decides the Zoom zone the meeting is stored in ([`zones::start_for`],
    /// [`zones::series_zone`]); the instant never depends on Zoom knowing it.
    pub zone: Tz,
    /// Whole minutes, 1 to 1440 (Zoom checks).
    pub duration_minutes: u16,
    /// Plain text; cut to Zoom's 2000 characters.
    pub agenda: String,
    /// `Some` for a series (Zoom type 8), kept at the same wall-clock time in `zone`.
    pub recurrence: Option<Recurrence>,
}

/// Changes to an existing meeting; `None` fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingUpdate {
    pub topic: Option<String>,
    /// The new start and the host's zone, sent by the same rules as a create's start. For a
    /// one-off meeting: a series' start would need its recurrence to keep its local time.
    pub start: Option<(DateTime<Utc>, Tz)>,
    pub duration_minutes: Option<u16>,
    pub agenda: Option<String>,
}

impl MeetingUpdate {
    /// True when there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self == &MeetingUpdate::default()
    }
}

impl NewMeeting {
    /// The exact JSON body Zoom receives for this meeting (for `slack-zoom try --json` and
    /// for tests that read it as Zoom would). Fails like the create would, before sending.
    pub fn request_body(&self) -> Result<serde_json::Value, ZoomError> {
        let body = CreateMeetingBody::new(self)?;
        serde_json::to_value(&body)
            .map_err(|_| ZoomError::Config("the meeting could not be written as JSON".to_owned()))
    }
}

/// The JSON body of `POST /users/{userId}/meetings`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateMeetingBody<'a> {
    topic: &'a str,
    #[serde(rename = "type")]
    kind: u8,
    /// A wall-clock time in `timezone` (no `Z`), or a UTC instant with `Z`: see [`ZoomStart`].
    start_time: String,
    timezone: &'static str,
    duration: u16,
    agenda: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recurrence: Option<RecurrenceBody>,
}

impl<'a> CreateMeetingBody<'a> {
    /// The body for `meeting`. A series needs a listed zone that keeps every occurrence at its
    /// wall-clock time; without one it is refused here, before anything is sent.
    pub fn new(meeting: &'a NewMeeting) -> Result<Self, ZoomError> {
        let at = meeting.start.with_nanosecond(0).unwrap_or(meeting.start);
        let (start, recurrence) = match &meeting.recurrence {
            None => (zones::start_for(meeting.zone, at), None),
            Some(recurrence) => {
                let wall = at.with_timezone(&meeting.zone).naive_local();
                let mut walls = recurrence.occurrences(at, meeting.zone)?;
                // Zoom reads the start itself in the series zone too, occurrence or not.
                walls.insert(0, wall);
                let zone = zones::series_zone(meeting.zone, &walls).ok_or_else(|| {
                    ZoomError::Series(SeriesProblem::NoZoomZone {
                        zone: meeting.zone.name().to_owned(),
                    })
                })?;
                (
                    ZoomStart::Local { zone, wall },
                    Some(RecurrenceBody::from(recurrence)),
                )
            }
        };
        Ok(CreateMeetingBody {
            topic: truncate_chars(&meeting.topic, MAX_TOPIC_CHARS),
            kind: if recurrence.is_some() {
                RECURRING_FIXED_TIME
            } else {
                SCHEDULED
            },
            start_time: start.start_time(),
            timezone: start.zone_name(),
            duration: meeting.duration_minutes,
            agenda: truncate_chars(&meeting.agenda, MAX_AGENDA_CHARS),
            recurrence,
        })
    }
}

/// The JSON body of `PATCH /meetings/{meetingId}`: only the fields that change.
#[derive(Debug, Serialize)]
pub(crate) struct UpdateMeetingBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agenda: Option<&'a str>,
}

impl<'a> From<&'a MeetingUpdate> for UpdateMeetingBody<'a> {
    fn from(update: &'a MeetingUpdate) -> Self {
        let start = update
            .start
            .map(|(start, zone)| zones::start_for(zone, start));
        UpdateMeetingBody {
            topic: update
                .topic
                .as_deref()
                .map(|topic| truncate_chars(topic, MAX_TOPIC_CHARS)),
            start_time: start.map(|start| start.start_time()),
            timezone: start.map(|start| start.zone_name()),
            duration: update.duration_minutes,
            agenda: update
                .agenda
                .as_deref()
                .map(|agenda| truncate_chars(agenda, MAX_AGENDA_CHARS)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::recurrence::{Ending, Repeat};
    use chrono::{TimeZone, Weekday};
    use serde_json::json;

    fn meeting(zone: Tz, start: DateTime<Utc>) -> NewMeeting {
        NewMeeting {
            topic: "Design review".into(),
            start,
            zone,
            duration_minutes: 45,
            agenda: "Agenda".into(),
            recurrence: None,
        }
    }

    fn body(meeting: &NewMeeting) -> Result<serde_json::Value, ZoomError> {
        CreateMeetingBody::new(meeting).map(|b| serde_json::to_value(&b).unwrap())
    }

    #[test]
    fn topic_and_agenda_are_truncated_on_char_boundaries() {
        let mut new = meeting(
            chrono_tz::Europe::Istanbul,
            Utc.with_ymd_and_hms(2030, 12, 1, 12, 0, 0).unwrap(),
        );
        new.topic = "é".repeat(250);
        new.agenda = "🙂".repeat(2100);
        let body = CreateMeetingBody::new(&new).unwrap();
        assert_eq!(body.topic.chars().count(), 200);
        assert_eq!(body.agenda.chars().count(), 2000);
        assert_eq!(body.start_time, "2030-12-01T15:00:00");
        assert_eq!(body.timezone, "Europe/Istanbul");
    }

    #[test]
    fn a_series_goes_out_as_type_8_in_a_listed_zone_never_as_z() {
        let mut new = meeting(
            chrono_tz::America::Toronto,
            // Monday 2030-03-04 09:00 EST; DST starts 2030-03-10.
            Utc.with_ymd_and_hms(2030, 3, 4, 14, 0, 0).unwrap(),
        );
        new.recurrence = Some(
            Recurrence::new(
                Repeat::Weekly(vec![Weekday::Mon, Weekday::Wed]),
                1,
                Ending::After(6),
            )
            .unwrap(),
        );
        assert_eq!(
            body(&new).unwrap(),
            json!({
                "topic": "Design review",
                "type": 8,
                "start_time": "2030-03-04T09:00:00",
                "timezone": "America/Montreal",
                "duration": 45,
                "agenda": "Agenda",
                "recurrence": {"type": 2, "repeat_interval": 1, "weekly_days": "2,4", "end_times": 6},
            })
        );
    }

    #[test]
    fn a_series_no_listed_zone_can_pin_is_refused_before_sending() {
        let mut new = meeting(
            chrono_tz::Australia::Lord_Howe,
            Utc.with_ymd_and_hms(2030, 3, 4, 0, 0, 0).unwrap(),
        );
        new.recurrence = Some(
            Recurrence::new(Repeat::Weekly(vec![Weekday::Mon]), 1, Ending::After(10)).unwrap(),
        );
        assert_eq!(
            body(&new),
            Err(ZoomError::Series(SeriesProblem::NoZoomZone {
                zone: "Australia/Lord_Howe".into()
            }))
        );
    }

    #[test]
    fn an_update_sends_only_what_changes_with_the_same_zone_rules() {
        let start = Utc.with_ymd_and_hms(2030, 7, 15, 13, 30, 0).unwrap();
        let cases = [
            (MeetingUpdate::default(), json!({})),
            (
                MeetingUpdate {
                    topic: Some("New topic".into()),
                    ..MeetingUpdate::default()
                },
                json!({"topic": "New topic"}),
            ),
            (
                MeetingUpdate {
                    start: Some((start, chrono_tz::Europe::Kyiv)),
                    duration_minutes: Some(30),
                    ..MeetingUpdate::default()
                },
                json!({"start_time": "2030-07-15T16:30:00", "timezone": "Europe/Kiev", "duration": 30}),
            ),
            (
                MeetingUpdate {
                    start: Some((start, chrono_tz::Pacific::Chatham)),
                    ..MeetingUpdate::default()
                },
                json!({"start_time": "2030-07-15T13:30:00Z", "timezone": "UTC"}),
            ),
        ];
        for (update, expected) in cases {
            let sent = serde_json::to_value(UpdateMeetingBody::from(&update)).unwrap();
            assert_eq!(sent, expected, "{update:?}");
        }
        assert!(MeetingUpdate::default().is_empty());
    }
}
