//! Between the boundaries: a meeting request becomes Zoom's request, and Zoom's answer becomes
//! the card and the stored record. The one place that knows both sides' types.

use chrono::{DateTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::command::{Frequency, MeetingRequest, Minutes, Recurrence, SeriesEnd};
use crate::i18n::{Key, Lang, t};
use crate::slack::UserId;
use crate::slack::card::{Canceller, MeetingCard, Series};
use crate::slack::reply::escape;
use crate::store::{CANCELLED_IN_ZOOM, MeetingRecord, MeetingState, NewMeetingRecord, Schedule};
use crate::zoom::{self, Meeting, MeetingId, NewMeeting, ZoomError};

/// What Zoom is asked to create for `request`.
pub fn zoom_request(request: &MeetingRequest, agenda: String) -> Result<NewMeeting, ZoomError> {
    Ok(NewMeeting {
        topic: request.topic().plain(),
        start: request.start(),
        zone: request.zone().tz(),
        duration_minutes: request.duration().get(),
        agenda,
        recurrence: request.recurrence().map(zoom_recurrence).transpose()?,
    })
}

/// A series as Zoom's `type: 8` recurrence. It always ends after the exact number of
/// occurrences the command resolved (an `until` end included), so Zoom cannot end a day early
/// or late at a date boundary.
fn zoom_recurrence(series: &Recurrence) -> Result<zoom::Recurrence, ZoomError> {
    let repeat = match series.frequency() {
        Frequency::Daily => zoom::Repeat::Daily,
        Frequency::Weekly(days) => zoom::Repeat::Weekly(days.iter().collect()),
        Frequency::Monthly { day } => zoom::Repeat::MonthlyOnDay(day),
    };
    let count = u8::try_from(series.occurrences().len()).unwrap_or(zoom::MAX_OCCURRENCES);
    zoom::Recurrence::new(repeat, series.interval(), zoom::Ending::After(count))
}

/// The zone Zoom can be given for a series in the user's zone, or `None` when no zone on
/// Zoom's list keeps every occurrence at its wall-clock time (then the series is refused:
/// pinned in UTC it would drift an hour at each DST change).
pub fn series_zone_exists(series: &Recurrence) -> bool {
    let locals: Vec<_> = series.occurrences().iter().map(|o| o.local()).collect();
    zoom::series_zone(series.zone().tz(), &locals).is_some()
}

/// How the card (in `lang`) and calendars describe a series.
pub fn card_series(request: &MeetingRequest, lang: Lang) -> Option<Series> {
    let series = request.recurrence()?;
    Some(Series {
        description: series.describe_in(lang),
        rrule: Some(rrule(series)),
    })
}

/// The series as an RFC 5545 rule, for calendar links.
fn rrule(series: &Recurrence) -> String {
    let mut rule = match series.frequency() {
        Frequency::Daily => "FREQ=DAILY".to_owned(),
        Frequency::Weekly(days) => {
            let days: Vec<&str> = days.iter().map(ical_day).collect();
            format!("FREQ=WEEKLY;BYDAY={}", days.join(","))
        }
        Frequency::Monthly { day } => format!("FREQ=MONTHLY;BYMONTHDAY={day}"),
    };
    if series.interval() > 1 {
        rule.push_str(&format!(";INTERVAL={}", series.interval()));
    }
    match series.end() {
        SeriesEnd::Until(_) | SeriesEnd::Count(_) => {
            rule.push_str(&format!(";COUNT={}", series.occurrences().len()));
        }
    }
    rule
}

fn ical_day(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// Whether Zoom stored another start than the one asked for, by more than a minute. A meeting
/// asked to start now starts whenever Zoom got the create (later, if it waited for a slot or
/// was taken over by another replica): any start from the minute it was asked until `now` is
/// the one asked for.
fn moved(request: &MeetingRequest, zoom_start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let minute = chrono::TimeDelta::minutes(1);
    let asked = request.start();
    if request.starts_now() {
        zoom_start < asked - minute || zoom_start > asked.max(now) + minute
    } else {
        (zoom_start - asked).abs() > minute
    }
}

/// Zoom's answer is the truth: the card shows the start, length and topic Zoom stored. Also
/// returns what the invoker must be told when that differs from what they asked for. `lang`
/// is the scheduler's: the card's and the notes'.
pub fn card_from_answer(
    request: &MeetingRequest,
    scheduled_by: &UserId,
    meeting: &Meeting,
    lang: Lang,
) -> (MeetingCard, Vec<String>) {
    let zone = request.zone();
    let mut notes = Vec::new();
    let start = match meeting.start_time() {
        Some(zoom_start) if moved(request, zoom_start, Utc::now()) => {
            tracing::error!(
                asked = %request.start(),
                zoom = %zoom_start,
                meeting_id = meeting.id().get(),
                "Zoom stored another start than the one asked for"
            );
            let local = |at: DateTime<Utc>| {
                lang.datetime(
                    Key::FormatDayTime,
                    at.with_timezone(&zone.tz()).naive_local(),
                )
            };
            notes.push(t!(
                lang,
                ScheduleZoomMoved,
                zoom = local(zoom_start),
                asked = local(request.start()),
            ));
            zoom_start
        }
        Some(zoom_start) => zoom_start,
        None => request.start(),
    };
    let duration = meeting
        .duration_minutes()
        .and_then(|m| Minutes::new(m).ok())
        .unwrap_or(request.duration());
    // Zoom knows only the plain topic; when it kept ours, the card keeps the mentions in it.
    let topic = match meeting.topic() {
        Some(zoom_topic) if zoom_topic != request.topic().plain() => escape(zoom_topic),
        _ => request.topic().as_slack().to_owned(),
    };
    let join_url = match meeting.join_url() {
        Some(url) => url.to_owned(),
        None => {
            notes.push(t!(lang, ScheduleNoJoinLink, id = meeting.id().grouped()));
            String::new()
        }
    };
    let card = MeetingCard {
        topic,
        start,
        zone: zone.name().to_owned(),
        local_start: start.with_timezone(&zone.tz()).naive_local(),
        duration: duration.in_words(lang),
        join_url,
        meeting_id: meeting.id().grouped(),
        passcode: meeting.password().map(str::to_owned),
        scheduled_by: scheduled_by.clone(),
        minutes: duration.get(),
        zoom_id: Some(meeting.id().get()),
        series: card_series(request, lang),
        cancelled_by: None,
        lang,
    };
    (card, notes)
}

/// The card for a meeting that does not exist (dry run, `slack-zoom try`): placeholders for
/// what only Zoom can give. Its buttons carry meeting id 0, which the dry run answers with
/// what would happen.
pub fn preview_card(request: &MeetingRequest, scheduled_by: UserId, lang: Lang) -> MeetingCard {
    MeetingCard {
        topic: request.topic().as_slack().to_owned(),
        start: request.start(),
        zone: request.zone().name().to_owned(),
        local_start: request.local_start(),
        duration: request.duration().in_words(lang),
        join_url: "https://zoom.us/".to_owned(),
        meeting_id: "000 0000 0000".to_owned(),
        passcode: None,
        scheduled_by,
        minutes: request.duration().get(),
        zoom_id: Some(0),
        series: card_series(request, lang),
        cancelled_by: None,
        lang,
    }
}

/// What the store keeps about a meeting just created (never its passcode or start URL);
/// `locale` is the scheduler's, which the card is drawn in whenever it is drawn again;
/// `series` the occurrences asked for, when it is a recurring series.
#[allow(clippy::too_many_arguments)]
pub fn record(
    card: &MeetingCard,
    series: Option<&Recurrence>,
    team_id: &str,
    channel_id: &str,
    zone: &str,
    host: &str,
    locale: Option<&str>,
    now: DateTime<Utc>,
) -> Option<NewMeetingRecord> {
    Some(NewMeetingRecord {
        zoom_id: card.zoom_id?,
        team_id: team_id.to_owned(),
        channel_id: channel_id.to_owned(),
        scheduled_by: card.scheduled_by.as_str().to_owned(),
        topic: card.topic.clone(),
        schedule: Schedule {
            start: card.start,
            duration_minutes: u32::from(card.minutes),
            zone: zone.to_owned(),
        },
        join_url: card.join_url.clone(),
        host: host.to_owned(),
        recurrence: card.series.as_ref().map(|s| s.description.clone()),
        series_ends: series.map(|series| series_ends(series, card)),
        card: None,
        created_at: now,
        locale: locale.map(str::to_owned),
    })
}

/// When the last occurrence of `series` ends, as Zoom stored the series (`card`, from its
/// answer: the occurrences moved as its first one was, each as long as Zoom made it).
fn series_ends(series: &Recurrence, card: &MeetingCard) -> DateTime<Utc> {
    let moved = card.start - series.first().start();
    series.last().start() + moved + chrono::TimeDelta::minutes(i64::from(card.minutes))
}

/// The card for a stored meeting, as Zoom now has it when `zoom` is given (its passcode only
/// comes from there: the store never keeps one). Used to post a card again from the outbox,
/// and to redraw it in place after a cancel or a change of time: always in the scheduler's
/// language, whoever acts on it.
pub fn card_from_record(record: &MeetingRecord, zoom: Option<&Meeting>) -> MeetingCard {
    let lang = Lang::from_user(record.locale.as_deref());
    let zone: Tz = record.schedule.zone.parse().unwrap_or(chrono_tz::UTC);
    let start = zoom
        .and_then(Meeting::start_time)
        .unwrap_or(record.schedule.start);
    let minutes = zoom
        .and_then(Meeting::duration_minutes)
        .and_then(|m| Minutes::new(m).ok())
        .or_else(|| Minutes::new(record.schedule.duration_minutes).ok())
        .unwrap_or_else(|| Minutes::new(30).unwrap_or_else(|_| unreachable!("30 is in range")));
    let scheduled_by = UserId::parse(&record.scheduled_by).unwrap_or_else(|| {
        UserId::parse("U0").unwrap_or_else(|| unreachable!("a valid literal id"))
    });
    MeetingCard {
        topic: record.topic.clone(),
        start,
        zone: zone.name().to_owned(),
        local_start: start.with_timezone(&zone).naive_local(),
        duration: minutes.in_words(lang),
        join_url: zoom
            .and_then(Meeting::join_url)
            .unwrap_or(&record.join_url)
            .to_owned(),
        meeting_id: MeetingId::new(record.zoom_id).grouped(),
        passcode: zoom.and_then(Meeting::password).map(str::to_owned),
        scheduled_by,
        minutes: minutes.get(),
        zoom_id: Some(record.zoom_id),
        series: record.recurrence.as_ref().map(|description| Series {
            description: description.clone(),
            rrule: None,
        }),
        cancelled_by: match &record.state {
            MeetingState::Cancelled { by, .. } => Some(canceller(by)),
            MeetingState::Scheduled => None,
        },
        lang,
    }
}

/// Who the card says cancelled a meeting, from the store's `cancelled_by`: a Slack user, or
/// nobody in Slack (found deleted in Zoom). A value that is no Slack user id is never
/// mentioned as one.
pub fn canceller(by: &str) -> Canceller {
    match UserId::parse(by) {
        Some(user) if by != CANCELLED_IN_ZOOM => Canceller::User(user),
        _ => Canceller::Zoom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{self, Context, Parsed};
    use crate::time::Zone;
    use chrono::TimeDelta;

    fn request(text: &str, read_at: DateTime<Utc>) -> MeetingRequest {
        let ctx = Context {
            now: read_at,
            zone: Zone::parse("Europe/Istanbul").unwrap(),
            default_duration: Minutes::new(30).unwrap(),
        };
        match command::parse(text, &ctx) {
            Ok(Parsed::Meeting(request)) => request,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn a_meeting_cancelled_in_zoom_or_by_no_slack_user_is_never_shown_as_a_mention() {
        assert_eq!(
            canceller("U0ADMIN"),
            Canceller::User(UserId::parse("U0ADMIN").unwrap())
        );
        for by in [CANCELLED_IN_ZOOM, "", "not a user"] {
            assert_eq!(canceller(by), Canceller::Zoom, "{by:?}");
        }
    }

    #[test]
    fn zoom_moved_a_meeting_only_when_its_start_is_not_one_zoom_could_give_what_was_asked() {
        let read_at = "2026-11-29T10:00:30Z".parse::<DateTime<Utc>>().unwrap();
        let min = TimeDelta::minutes;
        // (command, Zoom's start after the one asked for, "now" after the read time, moved)
        let cases = [
            ("Sync 30m now", min(0), min(0), false),
            ("Sync 30m now", min(3), min(4), false),
            ("Sync 30m now", min(6), min(4), true),
            ("Sync 30m now", min(-3), min(0), true),
            ("Sync 30m tomorrow 15:00", min(0), min(0), false),
            ("Sync 30m tomorrow 15:00", min(2), min(0), true),
            ("Sync 30m tomorrow 15:00", min(-2), min(0), true),
            ("Sync 30m tomorrow 15:00", min(2), min(60 * 30), true),
        ];
        for (text, zoom, now, expected) in cases {
            let asked = request(text, read_at);
            assert_eq!(
                moved(&asked, asked.start() + zoom, read_at + now),
                expected,
                "{text}, Zoom {zoom:?}, now {now:?}"
            );
        }
    }
}
