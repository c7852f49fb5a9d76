//! A recurring meeting as Zoom will read it: from the request body Zoom receives (wall-clock
//! start, `timezone`, `recurrence`), Zoom's occurrences land on the same instants as the user's
//! series in the tz database, through DST changes in three hemispheres: weekly, daily and
//! monthly series, ending after a count or on a date (which goes out as its count), for zones
//! on Zoom's list and for zones that go out as a listed one.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::Value;
use slack_zoom::app::meeting::zoom_request;
use slack_zoom::command::{self, Context, Minutes, Parsed};
use slack_zoom::time::Zone;

/// Zones with DST on different calendars: North America, Europe, Australia and South America;
/// the last two are not on Zoom's list, so the body names a listed zone that keeps the same
/// clock (America/Montreal, Australia/Sydney) and Zoom's reading of it is what is checked.
const ZONES: [&str; 6] = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "America/Santiago",
    "America/Toronto",
    "Australia/Melbourne",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The local wall-clock starts Zoom derives from a `type: 8` body, read independently of the
/// service's code: every `repeat_interval` days (`type: 1`); weeks counted Sunday to Saturday
/// from the first start's week, `weekly_days` numbered 1 = Sunday (`type: 2`); the
/// `monthly_day` of every `repeat_interval`-th month, months without that day skipped (`type:
/// 3`). The series ends after `end_times` occurrences counting the first start when it
/// matches, or with the last occurrence that starts by `end_date_time` (an instant, read in
/// `zone`, the body's `timezone`).
fn zoom_occurrences(body: &Value, zone: Tz) -> Vec<NaiveDateTime> {
    let start =
        NaiveDateTime::parse_from_str(body["start_time"].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S")
            .expect("a series goes out as wall-clock time");
    let recurrence = &body["recurrence"];
    let interval = recurrence["repeat_interval"].as_u64().unwrap();
    let count = recurrence["end_times"].as_u64().map(|n| n as usize);
    let until: Option<DateTime<Utc>> = recurrence["end_date_time"]
        .as_str()
        .map(|t| t.parse().expect("end_date_time is an instant"));
    assert!(count.is_some() != until.is_some(), "one end: {recurrence}");
    let week_of = |d: NaiveDate| d - Days::new(u64::from(d.weekday().num_days_from_sunday()));
    let first_week = week_of(start.date());
    let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    let is_meeting_day = |day: NaiveDate| match recurrence["type"].as_u64().unwrap() {
        1 => ((day - start.date()).num_days() as u64).is_multiple_of(interval),
        2 => {
            let weeks = (week_of(day) - first_week).num_days() / 7;
            let zoom_day = day.weekday().num_days_from_sunday() + 1;
            (weeks as u64).is_multiple_of(interval)
                && recurrence["weekly_days"]
                    .as_str()
                    .unwrap()
                    .split(',')
                    .any(|d| d.parse::<u32>().unwrap() == zoom_day)
        }
        3 => {
            ((months(day) - months(start.date())) as u64).is_multiple_of(interval)
                && u64::from(day.day()) == recurrence["monthly_day"].as_u64().unwrap()
        }
        other => panic!("recurrence type {other}"),
    };
    let mut out = Vec::new();
    let mut day = start.date();
    // Zoom's most is 60 meetings: 60 of every third month's 31st span about 35 years.
    for _ in 0..(366 * 40) {
        if out.len() == count.unwrap_or(60) {
            break;
        }
        let local = day.and_time(start.time());
        if let Some(until) = until
            && instant(zone, local).is_some_and(|at| at > until)
        {
            break;
        }
        if is_meeting_day(day) {
            out.push(local);
        }
        day = day.succ_opt().unwrap();
    }
    out
}

/// A wall-clock time in `zone` as Zoom stores it (the first of a repeated hour).
fn instant(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads `text` at `now` and checks that the occurrences Zoom derives from the request body
/// land on the series' instants in the tz database, across at least two clock changes of `tz`.
fn through_zoom(text: &str, now: DateTime<Utc>, tz: Tz) -> Result<(), TestCaseError> {
    let ctx = Context {
        now,
        zone: Zone::utc(),
        default_duration: Minutes::new(30).unwrap(),
    };
    let request = match command::parse(text, &ctx) {
        Ok(Parsed::Meeting(request)) => request,
        // A series the language refuses (e.g. running past Zoom's limits) is not this test's subject.
        _ => {
            prop_assume!(false);
            unreachable!()
        }
    };
    let series = request.recurrence().expect("a series");
    let changes = series
        .occurrences()
        .windows(2)
        .filter(|w| {
            let offset = |t: DateTime<Utc>| t.with_timezone(&tz).offset().to_string();
            offset(w[0].start()) != offset(w[1].start())
        })
        .count();
    prop_assert!(changes >= 2, "{text}: only {changes} DST changes");
    let body = match zoom_request(&request, String::new()).and_then(|m| m.request_body()) {
        Ok(body) => body,
        // No listed zone keeps this clock: refused before anything is sent (tested elsewhere).
        Err(_) => {
            prop_assume!(false);
            unreachable!()
        }
    };
    let zoom_zone: Tz = body["timezone"].as_str().unwrap().parse().unwrap();
    prop_assert!(
        slack_zoom::zoom::is_listed(zoom_zone),
        "{text}: {zoom_zone} is not on Zoom's list"
    );
    let zoom: Vec<Option<DateTime<Utc>>> = zoom_occurrences(&body, zoom_zone)
        .into_iter()
        .map(|local| instant(zoom_zone, local))
        .collect();
    let wanted: Vec<Option<DateTime<Utc>>> = series
        .occurrences()
        .iter()
        .map(|o| Some(o.start()))
        .collect();
    prop_assert_eq!(zoom, wanted, "{} sent as {}: {}", text, zoom_zone, body);
    // And the tz database agrees with the series at each wall-clock time in the user's zone.
    for o in series.occurrences() {
        prop_assert_eq!(instant(tz, o.local()), Some(o.start()), "{}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn zoom_reads_every_occurrence_at_the_users_wall_clock_instant(
        zone in 0..ZONES.len(),
        first_day in 0u64..365,
        day_a in 0..7usize,
        day_b in proptest::option::of(0..7usize),
        hour in 7u32..20,
        half in any::<bool>(),
        every in 1u32..3,
    ) {
        let name = ZONES[zone];
        let tz: Tz = name.parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::days(first_day as i64);
        let mut days = vec![DAYS[day_a]];
        if let Some(b) = day_b.filter(|b| *b != day_a) {
            days.push(DAYS[b]);
        }
        // 60 meetings (Zoom's most) spanning over a year, so two DST changes always fall inside.
        let count = 60;
        let every = if days.len() == 2 { 2 } else { every };
        let time = format!("{hour}:{}", if half { "30" } else { "00" });
        let every = if every == 1 { "every".to_owned() } else { format!("every {every} weeks on") };
        let text = format!("Sync 30m {every} {} {time} x {count} {name}", days.join(","));
        through_zoom(&text, now, tz)?;
    }

    #[test]
    fn zoom_reads_daily_and_monthly_series_and_their_end_dates_at_the_users_instants(
        zone in 0..ZONES.len(),
        first_day in 0u64..365,
        hour in 7u32..20,
        monthly in any::<bool>(),
        every_days in 7u32..10,
        every_months in 1u32..3,
        month_day in 1u32..32,
        until_extra in proptest::option::of(0u64..120),
    ) {
        let name = ZONES[zone];
        let tz: Tz = name.parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::days(first_day as i64);
        let repeat = if monthly {
            format!("every {every_months} months on the {}", ordinal(month_day))
        } else {
            format!("every {every_days} days")
        };
        // An end date over a year away, or Zoom's 60 meetings: either spans two clock changes
        // (a monthly series' end further away, as its meetings can fall just short of one).
        let end = match until_extra {
            Some(extra) => {
                let days = if monthly { 600 } else { 420 } + extra;
                let until = (now + chrono::Duration::days(days as i64)).date_naive();
                format!("until {}", until.format("%Y-%m-%d"))
            }
            None => "x 60".to_owned(),
        };
        let text = format!("Sync 30m {repeat} {hour}:00 {end} {name}");
        through_zoom(&text, now, tz)?;
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, … `21st`, `31st`.
fn ordinal(day: u32) -> String {
    let suffix = match (day % 10, day % 100) {
        (1, n) if n != 11 => "st",
        (2, n) if n != 12 => "nd",
        (3, n) if n != 13 => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}
